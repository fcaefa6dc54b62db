import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { evalCommand } from '../../src/cli/eval.ts';
import { grid, lineCameraParams } from './helpers.ts';

interface Run { code: number; out: string; err: string }
async function run(argv: string[]): Promise<Run> {
  let out = '', err = '';
  const code = await evalCommand(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
  return { code, out, err };
}

/**
 * A run directory: the line scenario of score.test.ts (one drone on the 190 counted instants
 * 12.3 … 31.2, a confirmed track 3 m off from 15.0 to 31.2), true cameras in truth-cameras.json with
 * cam2's resolution left out, and a site.yaml whose reported poses are 5 km off (so nothing is
 * visible through them) but whose rtp_config supplies the resolutions.
 */
async function makeRun(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dvs-eval-'));
  const at = (t: number) => [-2025 + 100 * t, 1000, 0];
  await writeFile(join(dir, 'truth.jsonl'), grid(0, 600).map((t) => JSON.stringify({ t, id: 'd1', class: 'drone', enu: at(t) })).join('\n') + '\n');
  await writeFile(join(dir, 'tracks.jsonl'), grid(150, 312).map((t) => {
    const p = at(t);
    return JSON.stringify({ t, track_id: 1, status: 'confirmed', enu: [p[0]!, p[1]! + 3, p[2]!], vel: [100, 0, 0], class: 'drone', confidence: 0.9 });
  }).join('\n') + '\n');
  const truthCams = lineCameraParams.map((c) => (c.id === 'cam2' ? { ...c, resolution: undefined } : c));
  await writeFile(join(dir, 'truth-cameras.json'), JSON.stringify({ cameras: truthCams }));
  await writeFile(join(dir, 'site.yaml'), stringify({
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-1000, -1000, 0], max: [10000, 10000, 500], voxel_m: 4 } },
    cameras: lineCameraParams.map((c) => ({
      id: c.id, source: `file:${c.id}.mkv`, rtp_config: { resolution: c.resolution, fps: 30 },
      approx_pose: { ...c.pose, enu: [c.pose.enu[0]! + 5000, 0, 0] }, intrinsics_guess: c.intrinsics,
    })),
  }));
  return dir;
}

test('dvs eval: table on stdout, JSON file, true cameras with a resolution from site.yaml', async () => {
  const dir = await makeRun();
  try {
    const r = await run(['--truth', join(dir, 'truth.jsonl'), '--tracks', join(dir, 'tracks.jsonl'), '--config', join(dir, 'site.yaml'), '--json', join(dir, 'out', 'eval.json')]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const j = JSON.parse(await readFile(join(dir, 'out', 'eval.json'), 'utf8'));
    assert.equal(j.inputs.cameras, join(dir, 'truth-cameras.json'));
    assert.equal(j.detection.countedInstants, 190);
    assert.equal(j.detection.matchedInstants, 164); // 14.9 … 31.2: the report at 15.0 is within 0.1 s of 14.9
    assert.equal(j.detection.cep50M, 3);
    assert.equal(j.checks.pd.pass, true);
    assert.match(r.out, /^Pd +0\.863 +>= 0\.85 +PASS$/m);
    assert.match(r.out, /^CEP50 +3\.00 m +<= 15 m +PASS$/m);
    assert.match(r.out, /^FAR +0\.000 \/min +<= 0\.2 \/min +PASS$/m);
    assert.match(r.out, /^d1 +190 +164 +0\.863 +3\.00 /m);
    const json = await run(['--truth', join(dir, 'truth.jsonl'), '--tracks', join(dir, 'tracks.jsonl'), '--config', join(dir, 'site.yaml'), '--format', 'json']);
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.out), j);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dvs eval: without truth-cameras.json it warns and uses the site config cameras', async () => {
  const dir = await makeRun();
  try {
    await rm(join(dir, 'truth-cameras.json'));
    const r = await run(['--truth', join(dir, 'truth.jsonl'), '--tracks', join(dir, 'tracks.jsonl'), '--config', join(dir, 'site.yaml'), '--format', 'json']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /warning: .*truth-cameras\.json not found/);
    const j = JSON.parse(r.out);
    assert.equal(j.inputs.cameras, join(dir, 'site.yaml'));
    assert.equal(j.detection.countedInstants, 0); // the reported poses look 5 km away
    assert.equal(j.detection.pd, null);
    // --truth-cameras pointing elsewhere restores the true cameras.
    await writeFile(join(dir, 'true.json'), JSON.stringify({ cameras: lineCameraParams }));
    const t = await run(['--truth', join(dir, 'truth.jsonl'), '--tracks', join(dir, 'tracks.jsonl'), '--truth-cameras', join(dir, 'true.json'), '--format', 'json']);
    assert.equal(t.code, 0, t.err);
    assert.equal(JSON.parse(t.out).detection.countedInstants, 190);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dvs eval: bad input exits 2 with the reason on stderr', async () => {
  const dir = await makeRun();
  const truth = join(dir, 'truth.jsonl'), tracks = join(dir, 'tracks.jsonl'), config = join(dir, 'site.yaml');
  try {
    const noConfig = await run(['--truth', truth, '--tracks', tracks]);
    assert.equal(noConfig.code, 2);
    assert.match(noConfig.err, /cameras\[1\] \(cam2\) has no "resolution", and no --config was given/);
    assert.equal((await run(['--truth', truth])).code, 2);
    const unknown = await run(['--truth', truth, '--tracks', tracks, '--bogus']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /bogus/);
    assert.match(unknown.err, /usage: dvs eval/);
    assert.equal((await run(['--truth', truth, '--tracks', tracks, '--config', config, '--format', 'xml'])).code, 2);
    const missing = await run(['--truth', truth, '--tracks', tracks, '--truth-cameras', join(dir, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /nope\.json: cannot read/);
    await writeFile(join(dir, 'bad.jsonl'), '{"t": 0, "id": "d", "class": "drone", "enu": [0, 0, 0]}\n\n{"t": 0.1, "id": "d", "class": "drone", "enu": [0, 0]}\n');
    const bad = await run(['--truth', join(dir, 'bad.jsonl'), '--tracks', tracks, '--truth-cameras', join(dir, 'truth-cameras.json'), '--config', config]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /bad\.jsonl:3: field "enu" must be an array of 3 finite numbers/);
    await writeFile(join(dir, 'badcams.json'), JSON.stringify({ cameras: [{ ...lineCameraParams[0], intrinsics: { fx: 500, fy: 500, cx: 1 } }] }));
    const badCams = await run(['--truth', truth, '--tracks', tracks, '--truth-cameras', join(dir, 'badcams.json')]);
    assert.equal(badCams.code, 2);
    assert.match(badCams.err, /badcams\.json: cameras\[0\]\.intrinsics: missing field "cy"/);
    await writeFile(join(dir, 'twice.jsonl'), '{"t": 0, "id": "d", "class": "drone", "enu": [0, 0, 0]}\n{"t": 0, "id": "d", "class": "drone", "enu": [0, 0, 0]}\n');
    const twice = await run(['--truth', join(dir, 'twice.jsonl'), '--tracks', tracks, '--truth-cameras', join(dir, 'truth-cameras.json'), '--config', config]);
    assert.equal(twice.code, 2);
    assert.match(twice.err, /twice\.jsonl: truth: target "d" appears twice/);
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /usage: dvs eval/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
