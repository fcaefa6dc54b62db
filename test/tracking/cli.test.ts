import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { evalCommand } from '../../src/cli/eval.ts';
import { main } from '../../src/cli/main.ts';
import { parseTracksJsonl } from '../../src/eval/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { tmpDir } from '../helpers/tmp.ts';

interface Run { code: number; out: string; err: string }
async function run(argv: string[], cmd = main): Promise<Run> {
  let out = '', err = '';
  const code = await cmd(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
  return { code, out, err };
}

const camPos = [[0, 0, 5], [120, 0, 5], [0, 130, 5], [120, 130, 5]] as const;

/** A site whose four cameras look north at a drone flying east 800–900 m away; detections at 15 Hz with noise and gaps. */
function makeSite(dir: string): { truth: string; dets: string; site: string } {
  const site = join(dir, 'site.yaml');
  writeFileSync(site, stringify({
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-600, -100, 0], max: [800, 1200, 300], voxel_m: 4 } },
    cameras: camPos.map((p, i) => ({
      id: `cam${i + 1}`, source: `file:cam${i + 1}.mkv`, rtp_config: { resolution: [1920, 1080], fps: 15 },
      pose: { enu: [...p], yaw: 0, pitch: 10, roll: 0 }, intrinsics: { fx: 1500, fy: 1500, cx: 960, cy: 540, k1: 0, k2: 0 },
    })),
  }));
  const at = (t: number) => [-100 + 12 * t, 850, 100];
  const rng = new Rng(99);
  const truth: string[] = [], dets: string[] = [];
  for (let k = 0; k <= 200; k++) truth.push(JSON.stringify({ t: k / 10, id: 'd1', class: 'drone', enu: at(k / 10) }));
  for (let k = 0; k <= 300; k++) {
    const t = Math.round((k / 15) * 1e6) / 1e6, p = at(t);
    if (rng.next() < 0.85) dets.push(JSON.stringify({ t, enu: [p[0]! + 1.5 * rng.normal(), p[1]! + 4 * rng.normal(), p[2]! + 1.5 * rng.normal()], energy: 3.2, cameras: ['cam1', 'cam2', 'cam3', 'cam4'] }));
    if (rng.next() < 0.3) dets.push(JSON.stringify({ t, enu: [rng.uniform(-600, 800), rng.uniform(-100, 1200), rng.uniform(0, 300)], energy: 1, cameras: ['cam1', 'cam3'] }));
  }
  writeFileSync(join(dir, 'truth.jsonl'), truth.join('\n') + '\n');
  writeFileSync(join(dir, 'detections.jsonl'), dets.join('\n') + '\n');
  return { truth: join(dir, 'truth.jsonl'), dets: join(dir, 'detections.jsonl'), site };
}

test('dvs track: detections folder + site config → tracks.jsonl that dvs eval scores', async (t) => {
  const dir = tmpDir(t, 'dvs-track-');
  const { truth, site } = makeSite(dir);
  const r = await run(['track', '--detections', dir, '--config', site, '--out', join(dir, 'out')]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.match(r.out, /detections in \d+ scans of 0\.0667 s → \d+ tracks, 1 confirmed, \d+ records → .*tracks\.jsonl/);
  const text = readFileSync(join(dir, 'out', 'tracks.jsonl'), 'utf8');
  const rows = parseTracksJsonl(text, 'tracks.jsonl'); // the scorer's own reader accepts every line
  const confirmed = rows.filter((x) => x.status === 'confirmed');
  assert.ok(confirmed.length > 250, `${confirmed.length} confirmed records`);
  assert.equal(new Set(confirmed.map((x) => x.track_id)).size, 1);
  for (const x of confirmed) assert.ok(Math.abs(x.vel![0] - 12) < 4, `velocity east ${x.vel![0]}`);
  const ev = await run(['--truth', truth, '--tracks', join(dir, 'out', 'tracks.jsonl'), '--config', site, '--format', 'json'], evalCommand);
  assert.equal(ev.code, 0, ev.err);
  const j = JSON.parse(ev.out);
  assert.ok(j.detection.pd > 0.9, `Pd ${j.detection.pd}`);
  assert.ok(j.detection.cep50M < 3, `CEP50 ${j.detection.cep50M}`);
  assert.equal(j.falseAlarms.falseTracks, 0);
  // Same input, same output, byte for byte.
  const again = await run(['track', '--detections', join(dir, 'detections.jsonl'), '--config', site, '--out', join(dir, 'out2')]);
  assert.equal(again.code, 0);
  assert.equal(readFileSync(join(dir, 'out2', 'tracks.jsonl'), 'utf8'), text);
  // --smooth: the RTS-smoothed export is a tracks.jsonl too, and scores at least as well here.
  const sm = await run(['track', '--detections', dir, '--config', site, '--out', join(dir, 'out3'), '--smooth']);
  assert.equal(sm.code, 0, sm.err);
  assert.equal(readFileSync(join(dir, 'out3', 'tracks.jsonl'), 'utf8'), text);
  const smoothed = parseTracksJsonl(readFileSync(join(dir, 'out3', 'tracks-smoothed.jsonl'), 'utf8'), 'tracks-smoothed.jsonl');
  assert.ok(smoothed.length > 200 && smoothed.every((x) => x.track_id === confirmed[0]!.track_id));
  const ev2 = await run(['--truth', truth, '--tracks', join(dir, 'out3', 'tracks-smoothed.jsonl'), '--config', site, '--format', 'json'], evalCommand);
  const j2 = JSON.parse(ev2.out);
  assert.ok(j2.detection.cep50M <= j.detection.cep50M, `smoothed CEP50 ${j2.detection.cep50M} vs filtered ${j.detection.cep50M}`);
});

test('dvs track: bad input exits 2 naming the file and line', async (t) => {
  const dir = tmpDir(t, 'dvs-track-');
  const { site } = makeSite(dir);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"t": 0, "enu": [1, 2, 3], "cameras": ["cam1"]}\n\n{"t": 0.1, "enu": [1, 2]}\n');
  const r = await run(['track', '--detections', bad, '--config', site, '--out', join(dir, 'o')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /bad\.jsonl:3: field "enu" must be an array of 3 finite numbers/);
  writeFileSync(bad, '{"t": 0, "enu": [1, 2, 3]}\nnot json\n');
  assert.match((await run(['track', '--detections', bad, '--out', join(dir, 'o')])).err, /bad\.jsonl:2: invalid JSON/);
  const missing = await run(['track', '--detections', join(dir, 'nope.jsonl'), '--config', site, '--out', join(dir, 'o')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nope\.jsonl: cannot read/);
  writeFileSync(join(dir, 'broken.yaml'), 'site: {origin: {lat: 47}}\ncameras: []\n');
  const cfg = await run(['track', '--detections', dir, '--config', join(dir, 'broken.yaml'), '--out', join(dir, 'o')]);
  assert.equal(cfg.code, 2);
  assert.match(cfg.err, /invalid config/);
  assert.equal((await run(['track', '--detections', dir])).code, 2);
  assert.equal((await run(['track', '--detections', dir, '--out', dir, '--scan-s', '-1'])).code, 2);
});
