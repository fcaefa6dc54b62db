/**
 * `dvs detect --calib-online` end to end on a small rendered scenario whose site.yaml claims
 * clocks 30–40 ms off and poses 0.3 m / 0.05° off (report_error): calibration.jsonl and
 * calibration.json are written, and the accepted calibration is closer to the simulator's truth
 * (truth-cameras.json) than what site.yaml claimed. With calibAdopt (20 s of the same kind of
 * scene), every version accepted before the end reaches the detector, in order (summary.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, runSim } from '../../src/sim/index.ts';
import { loadSiteConfig } from '../../src/config/index.ts';
import { main } from '../../src/cli/main.ts';
import { runOfflineDetect } from '../../src/pipeline/index.ts';
import type { CalibrationSnapshot, RefinementRecord } from '../../src/calib/online/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

function scenario(durationS = 8) {
  const err = (offset_ms: number) => ({ pos_m: offset_ms === 0 ? 0 : 0.3, angle_deg: offset_ms === 0 ? 0 : 0.05, f_rel: 0, offset_ms });
  const cam = (id: string, enu: number[], yaw: number, pitch: number, offset: number) => ({
    id, resolution: [320, 240], fps: 15, pose: { enu, yaw, pitch, roll: 0 },
    intrinsics: { fx: 400, fy: 400, cx: 160, cy: 120, k1: -0.02, k2: 0 },
    noise_sigma: 2, codec: 'h264', bitrate_kbps: 1500, report_error: err(offset),
  });
  const text = JSON.stringify({
    name: 'calib-online-test', seed: 11, duration_s: durationS,
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-100, 0, 0], max: [100, 250, 100], voxel_m: 2 } },
    sky: { brightness: 180, gradient: 20, clouds: 0 },
    cameras: [cam('c1', [-50, 0, 5], 24, 15, 0), cam('c2', [50, 0, 5], -24, 15, 40), cam('c3', [-40, -60, 5], 13, 10, -35), cam('c4', [45, -55, 5], -15, 10, 30)],
    // A weaving path 95–125 m out (a clock error shows as a slide along a curved path).
    // From the third point on the pattern repeats every 6 s (longer clips get more of it).
    targets: [{ id: 'd', class: 'drone', size_m: 0.6, intensity: -80, path: [[0, -25, 110, 30], [1.5, 0, 125, 45], ...Array.from({ length: Math.max(5, Math.ceil(durationS / 1.5) - 1) }, (_, j) => [1.5 * (j + 2), [20, 0, -20, 0][j % 4]!, [110, 95, 110, 125][j % 4]!, [30, 45, 30, 45][j % 4]!])] }],
  });
  const r = parseScenario(text);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

test('dvs detect --calib-online writes calibration.jsonl and a calibration closer to the truth than the claimed one', async (t) => {
  const dir = tmpDir(t);
  await runSim(scenario(), dir, { quiet: true });
  const io = { out: '', err: '', stdout(x: string) { this.out += x; }, stderr(x: string) { this.err += x; } };
  assert.equal(await main(['detect', '--config', join(dir, 'site.yaml'), '--out', join(dir, 'det'), '--calib-online', '--quiet'], io), 0, io.err);
  assert.match(io.out, /calibration version \d+ \(\d+ accepted, \d+ rejected\)/);
  const lines = readFileSync(join(dir, 'det', 'calibration.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RefinementRecord);
  for (const l of lines) console.log(`  ${l.kind} v${l.version} t ${l.t} held-out ${l.rmse_before_px} → ${l.rmse_after_px} px ${l.model ?? ''} ${l.reason ?? ''} Δclock ${l.cameras?.map((c) => c.d_clock_ms).join(', ')}`);
  assert.equal(lines[0]!.kind, 'initial');
  assert.ok(lines.some((l) => l.kind === 'accepted'), 'at least one accepted version');
  let v = 0;
  for (const l of lines.slice(1)) { assert.equal(l.version, l.kind === 'accepted' ? ++v : v); assert.equal(l.cameras!.length, 4); }
  const snap = JSON.parse(readFileSync(join(dir, 'det', 'calibration.json'), 'utf8')) as CalibrationSnapshot;
  assert.equal(snap.version, v);
  const summary = JSON.parse(readFileSync(join(dir, 'det', 'summary.json'), 'utf8')) as { calibration: { version: number } };
  assert.equal(summary.calibration.version, v);
  // Against the truth: clocks relative to the reference camera c1 (site time is c1's clock).
  const truth = (JSON.parse(readFileSync(join(dir, 'truth-cameras.json'), 'utf8')) as { cameras: Array<{ id: string; clock: { offset_ms: number }; pose: { enu: number[] } }> }).cameras;
  const claimed = loadSiteConfig(join(dir, 'site.yaml')).cameras;
  const rel = (xs: number[]) => xs.map((x) => x - xs[0]!);
  const tRel = rel(truth.map((c) => c.clock.offset_ms));
  const cRel = rel(claimed.map((c) => c.clock!.offset_ms));
  const fRel = rel(snap.current.map((c) => c.clock.offset_ms));
  const errC = cRel.map((x, i) => Math.abs(x - tRel[i]!)), errF = fRel.map((x, i) => Math.abs(x - tRel[i]!));
  console.log(`clock errors (ms, vs c1): claimed ${errC.map((x) => x.toFixed(1)).join(', ')} → online ${errF.map((x) => x.toFixed(1)).join(', ')}`);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  assert.ok(sum(errF) < 0.5 * sum(errC), 'clock errors at least halved');
  for (let i = 1; i < 4; i++) assert.ok(errF[i]! < errC[i]!, `camera ${truth[i]!.id}: clock closer to the truth`);
  // Poses are not made worse (too few observations here to refine them: held).
  for (let i = 0; i < 4; i++) {
    const d = (p: readonly number[]) => Math.hypot(p[0]! - truth[i]!.pose.enu[0]!, p[1]! - truth[i]!.pose.enu[1]!, p[2]! - truth[i]!.pose.enu[2]!);
    assert.ok(d(snap.current[i]!.pose.enu) <= d(claimed[i]!.pose!.enu) + 0.05, `camera ${truth[i]!.id}: position not worse`);
  }
});

test('runOfflineDetect calibAdopt (dvs detect --calib-adopt): every version accepted during the run is adopted, in order', async (t) => {
  const dir = tmpDir(t);
  await runSim(scenario(20), dir, { quiet: true });
  // A 20 s clip: refinements every 5 s (the default) have tracks to work with before the end.
  await runOfflineDetect(loadSiteConfig(join(dir, 'site.yaml')), join(dir, 'det'), { quiet: true, calibAdopt: true });
  const records = readFileSync(join(dir, 'det', 'calibration.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RefinementRecord);
  const accepted = records.filter((r) => r.kind === 'accepted').map((r) => r.version);
  const summary = JSON.parse(readFileSync(join(dir, 'det', 'summary.json'), 'utf8')) as { calibration: { version: number; adopted: number[] } };
  t.diagnostic(`accepted ${accepted.join(', ')}; adopted ${summary.calibration.adopted.join(', ')}`);
  for (const r of records) t.diagnostic(`${r.kind} v${r.version} t ${r.t} ${r.reason ?? ''}`);
  assert.ok(summary.calibration.adopted.length > 0, 'a version adopted');
  // Taken at the fusion tick after each acceptance: all of them in order, except one accepted by
  // the final refinement after the last tick.
  assert.deepEqual(summary.calibration.adopted, accepted.slice(0, summary.calibration.adopted.length));
  assert.ok(accepted.length - summary.calibration.adopted.length <= 1);
});
