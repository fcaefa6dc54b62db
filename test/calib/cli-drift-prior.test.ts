/**
 * `dvs calib --drift-sigma-ppm`: flag parsing (exit 2 on a bad value or an unknown camera) and a
 * run on the synthetic 4-camera rig whose true drifts (+150, −200, +80 ppm) are 1–3 σ away from a
 * 70 ppm prior at the configured 0 ppm: the data fix them far more tightly, so the clocks still
 * come out within 3 ms at t = 140 s, and report.json carries the formal clock σ.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { loadSiteConfig } from '../../src/config/index.ts';
import { Camera } from '../../src/geometry/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { rig, writeRigTrackCsvs } from './synthetic.ts';

function capture(): { io: { stdout: (s: string) => void; stderr: (s: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  return { io: { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); } }, out, err };
}

/** site.yaml with the true poses as approx_pose, f 5 % long, clocks 1.5 s off and drift 0 (nominal). */
function writeSite(dir: string): string {
  const cams = rig();
  const cameras = cams.map((c, i) => {
    const p = c.params;
    return {
      id: p.id, source: `file:${p.id}.mkv`, rtp_config: { protocol: 'file', resolution: p.resolution, fps: c.fps },
      approx_pose: p.pose,
      intrinsics_guess: { ...p.intrinsics, fx: p.intrinsics.fx * 1.05, fy: p.intrinsics.fy * 1.05 },
      clock: { offset_ms: p.clock!.offset_ms + (i === 0 ? 0 : 1500), drift_ppm: 0 },
    };
  });
  const doc = { site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-500, -500, 0], max: [1000, 1000, 300], voxel_m: 4 } }, cameras };
  writeFileSync(join(dir, 'site.yaml'), stringify(doc));
  writeRigTrackCsvs(dir, cams);
  return join(dir, 'site.yaml');
}

test('dvs calib --drift-sigma-ppm: bad values and unknown cameras exit 2', async (t) => {
  const dir = tmpDir(t);
  const cfg = writeSite(dir);
  const args = ['calib', '--config', cfg, '--detections', join(dir, 'det'), '--out', join(dir, 'o')];
  for (const [v, msg] of [['-5', /not a number of ppm/], ['abc', /not a number of ppm/], ['c2=', /not a number of ppm/], ['=5', /not ID=σ/], ['c9=50', /no camera "c9"/]] as const) {
    const c = capture();
    assert.equal(await main([...args, `--drift-sigma-ppm=${v}`], c.io), 2, v);
    assert.match(c.err.join(''), msg, v);
  }
  const c = capture();
  assert.equal(await main(['calib', '--config', cfg, '--sharpness', '--out', join(dir, 'o'), '--drift-sigma-ppm', '50'], c.io), 2);
  assert.match(c.err.join(''), /does not apply with --sharpness/);
});

test('dvs calib --drift-sigma-ppm: a 70 ppm prior at the nominal rate does not override well-determined drifts (+150, −200, +80 ppm)', async (t) => {
  const dir = tmpDir(t);
  const cfg = writeSite(dir);
  const outDir = join(dir, 'out');
  const c = capture();
  const code = await main(['calib', '--config', cfg, '--detections', join(dir, 'det'), '--out', outDir, '--drift-sigma-ppm', 'c2=70,c3=70,c4=70', '--quiet'], c.io);
  assert.equal(code, 0, c.err.join(''));
  const site = loadSiteConfig(join(outDir, 'site.yaml'));
  const truth = rig();
  for (const [i, cam] of site.cameras.entries()) {
    const err = (1 + cam.clock!.drift_ppm * 1e-6) * 140 + cam.clock!.offset_ms / 1000 - new Camera(truth[i]!.params).clock.cameraTime(140);
    assert.ok(Math.abs(err) < 0.003, `${cam.id}: clock ${(err * 1000).toFixed(2)} ms off (drift ${cam.clock!.drift_ppm.toFixed(1)} ppm)`);
  }
  const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'));
  for (const rc of report.cameras) {
    assert.ok(rc.clock_sigma && rc.clock_sigma.drift_ppm >= 0, `${rc.id}: clock_sigma`);
    if (rc.id !== report.reference_camera) assert.ok(rc.clock_sigma.drift_ppm < 20, `${rc.id}: formal drift σ ${rc.clock_sigma.drift_ppm}`);
  }
});
