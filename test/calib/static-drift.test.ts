/**
 * Drift: a camera that creeps by 0.06° between checks is not flagged at the first check (below
 * the 0.1° threshold) but is at the second, because the monitor keeps its reference until a bump
 * is declared. Frames come straight from the simulator's renderer (no codec) at three true poses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRenderers, cameraFromSim, parseScenario, type Scenario } from '../../src/sim/index.ts';
import { rotationAngleBetween, rotationFromOrientation } from '../../src/geometry/index.ts';
import { BumpMonitor } from '../../src/calib/static/index.ts';

const DEG = 180 / Math.PI;

function scenario(yaw: number, pitch: number): Scenario {
  const r = parseScenario(JSON.stringify({
    name: 'static-drift', seed: 21, duration_s: 2,
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-500, 0, 0], max: [500, 1000, 300], voxel_m: 4 } },
    sky: { brightness: 180, gradient: 25, clouds: 0.3 },
    scene: { skyline: { buildings: 25, trees: 50, near_m: 150, far_m: 600, sector_deg: [-50, 50], ridge_m: 2500 } },
    cameras: [{
      id: 'a', resolution: [480, 270], fps: 5, pose: { enu: [0, 0, 6], yaw, pitch, roll: 0 },
      intrinsics: { fx: 400, fy: 400, cx: 239.5, cy: 134.5, k1: 0, k2: 0 }, noise_sigma: 2, codec: 'mjpeg',
    }],
  }));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

/** Frames first..first+n−1 (distinct frame indices give independent sensor noise). */
function render(s: Scenario, first: number, n: number): Uint8Array[] {
  const r = buildRenderers(s).renderers[0]!;
  return Array.from({ length: n }, (_, k) => { const b = new Uint8Array(r.frameBytes); r.renderInto(first + k, b); return b; });
}

test('a slow drift is flagged once it adds up past the threshold', async (t) => {
  const poses = [[0, 3], [0.05, 3.03], [0.1, 3.06]] as const; // yaw, pitch: 0.058° and 0.117° from the start
  const views = poses.map(([y, p], i) => render(scenario(y, p), 3 * i, 3));
  const s0 = scenario(0, 3);
  const mon = await BumpMonitor.create({ camera: cameraFromSim(s0.cameras[0]!), depth: 3, sampleEveryS: 0, checkEveryS: 0 });
  t.after(() => mon.close());
  const reports = [];
  let tt = 0;
  for (const v of views) for (const f of v) { const r = mon.push(f, tt); tt += 0.2; if (r) reports.push(r); }
  assert.equal(reports.length, 2);
  const R = poses.map(([y, p]) => rotationFromOrientation({ yaw: y, pitch: p, roll: 0 }));
  const step1 = rotationAngleBetween(R[0]!, R[1]!) * DEG, step2 = rotationAngleBetween(R[0]!, R[2]!) * DEG;
  const [r1, r2] = reports;
  assert.equal(r1!.bumped, false);
  assert.ok(Math.abs(r1!.changeDeg - step1) < 0.01, `first creep: ${r1!.changeDeg.toFixed(4)}° vs ${step1.toFixed(4)}°`);
  assert.equal(r2!.bumped, true);
  assert.ok(Math.abs(r2!.changeDeg - step2) < 0.01, `accumulated: ${r2!.changeDeg.toFixed(4)}° vs ${step2.toFixed(4)}°`);
  const err2 = rotationAngleBetween(r2!.R, R[2]!) * DEG;
  assert.ok(err2 < 0.01, `re-estimated orientation ${err2.toFixed(4)}° from the truth`);
  t.diagnostic(`creep ${r1!.changeDeg.toFixed(4)}° (true ${step1.toFixed(4)}°) then ${r2!.changeDeg.toFixed(4)}° (true ${step2.toFixed(4)}°), orientation error ${err2.toFixed(4)}°`);
});
