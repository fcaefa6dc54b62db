/**
 * `dvs calib --sharpness` end to end: a scenario rendered and encoded by `dvs sim` (H.264), whose
 * site.yaml claims the true poses but clocks off by tens of milliseconds; the command decodes the
 * videos, finds and tracks the drone, refines the offsets and writes its three files. Truth: the
 * simulator's truth-cameras.json and truth.jsonl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSim, type Scenario } from '../../src/sim/index.ts';
import { sharpnessRig } from './sharpness-rig.ts';
import { loadSiteConfig } from '../../src/config/index.ts';
import { main } from '../../src/cli/main.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** Four 480×360 cameras 100–150 m from a drone flying 15–20 m/s; clocks claimed +19, −24, +14 ms off (c1 exact). */
function sharpnessScenario(): Scenario {
  return sharpnessRig('sharpness-cli', 8, 3.6, [
    { yaw: 15, fps: 25, offset_ms: 0, err_ms: 0 },
    { yaw: -15, fps: 25, offset_ms: -37, err_ms: 19 },
    { yaw: 155, fps: 25, offset_ms: 52, err_ms: -24 },
    { yaw: -155, fps: 25, offset_ms: 9, err_ms: 14 },
  ], [[0, -40, 115, 32], [1.8, -10, 125, 40], [3.6, 20, 145, 36]]);
}

test('dvs calib --sharpness on the rendered videos: refined clocks within ±5 ms, site.yaml, report.json and trajectory.csv', async (t) => {
  const dir = tmpDir(t);
  const s = sharpnessScenario();
  await runSim(s, dir, { quiet: true });
  const out: string[] = [], err: string[] = [];
  const io = { stdout: (x: string) => { out.push(x); }, stderr: (x: string) => { err.push(x); } };
  const code = await main(['calib', '--config', join(dir, 'site.yaml'), '--sharpness', '--reference', 'c1', '--max-offset-ms', '60', '--out', join(dir, 'out')], io);
  assert.equal(code, 0, err.join(''));
  console.log(out.join('').trim());
  const truth = JSON.parse(readFileSync(join(dir, 'truth-cameras.json'), 'utf8')) as { cameras: { id: string; clock: { offset_ms: number } }[] };
  const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as {
    reference_camera: string; frame: string; elapsed_s: number;
    cameras: { id: string; calibrated: boolean; reprojection_rmse_px: number; inliers: number; clock: { offset_ms: number; drift_ppm: number }; position_sigma_m: null; sharpness: { delta_ms: number } }[];
    sharpness: { source: string; peak_spread_m_before: number; peak_spread_m_after: number };
  };
  assert.equal(report.reference_camera, 'c1');
  assert.equal(report.frame, 'enu');
  assert.equal(report.sharpness.source, 'video');
  assert.ok(report.elapsed_s > 0);
  const site = loadSiteConfig(join(dir, 'out', 'site.yaml'));
  const ref = (id: string) => truth.cameras.find((c) => c.id === id)!.clock.offset_ms;
  for (const c of report.cameras) {
    assert.ok(c.calibrated && c.inliers > 50 && c.reprojection_rmse_px < 1.5, JSON.stringify(c));
    const got = c.clock.offset_ms - report.cameras[0]!.clock.offset_ms;
    assert.ok(Math.abs(got - (ref(c.id) - ref('c1'))) <= 5, `${c.id}: ${got} vs ${ref(c.id) - ref('c1')}`);
    // site.yaml carries the same clocks, and its video sources still resolve from the new folder.
    const sc = site.cameras.find((x) => x.id === c.id)!;
    assert.ok(Math.abs(sc.clock!.offset_ms - c.clock.offset_ms) < 1e-3);
    assert.equal(sc.resolvedSource, `file:${join(dir, `${c.id}.mkv`)}`);
  }
  assert.ok(report.sharpness.peak_spread_m_after < report.sharpness.peak_spread_m_before);
  // The refined target path against the simulator's truth (same site time: the reference's clock is true).
  const truthRows = readFileSync(join(dir, 'truth.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: number; enu: number[] });
  const rows = readFileSync(join(dir, 'out', 'trajectory.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  let n = 0, worst = 0;
  for (const r of rows) {
    const tr = truthRows.find((x) => Math.abs(x.t - r[0]!) < 1e-6);
    if (!tr) continue;
    worst = Math.max(worst, Math.hypot(r[1]! - tr.enu[0]!, r[2]! - tr.enu[1]!, r[3]! - tr.enu[2]!));
    n++;
  }
  assert.ok(n >= 20, `${n} trajectory rows at truth times`);
  assert.ok(worst < 1, `trajectory within ${worst.toFixed(2)} m of the truth`);
  // Usage errors: options of the other mode.
  assert.equal(await main(['calib', '--config', join(dir, 'site.yaml'), '--sharpness', '--knot-dt', '0.1', '--out', join(dir, 'o2')], io), 2);
  assert.equal(await main(['calib', '--config', join(dir, 'site.yaml'), '--detections', dir, '--max-offset-ms', '10', '--out', join(dir, 'o3')], io), 2);
});
