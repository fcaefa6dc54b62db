/**
 * Clock of a camera against a known 3D path (syncToTrajectory), on the synthetic rig: the track
 * comes from the geometry module's Camera (independent of the code under test), the path from the
 * analytic target function.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera } from '../../src/geometry/index.ts';
import { dltProjection, syncToTrajectory, trajectorySyncAccepted, type KnotPath } from '../../src/calib/traj-sync.ts';
import type { Track2D } from '../../src/calib/tracks.ts';
import { observe, rig, targetPath } from './synthetic.ts';

/** The path as knots every 0.1 s over [s0, s1], all valid. */
function knots(s0: number, s1: number, dt = 0.1): KnotPath {
  const n = Math.ceil((s1 - s0) / dt) + 1;
  const X = new Float64Array(3 * n);
  for (let j = 0; j < n; j++) X.set(targetPath(s0 + j * dt), 3 * j);
  return { s0, dt, X, valid: new Uint8Array(n).fill(1) };
}

/** Pixel track → undistorted normalized coordinates with the camera's own lens. */
function normalized(cam: Camera, tr: Track2D): Track2D {
  const q = [0, 0];
  const x = new Float64Array(tr.t.length), y = new Float64Array(tr.t.length);
  for (let i = 0; i < tr.t.length; i++) {
    assert.ok(cam.undistortNormInto((tr.x[i]! - cam.cx) / cam.fx, (tr.y[i]! - cam.cy) / cam.fy, q));
    x[i] = q[0]!; y[i] = q[1]!;
  }
  return { id: tr.id, t: tr.t, x, y };
}

test('DLT projection: exact on noise-free projections of a non-planar point set', () => {
  const cam = new Camera(rig()[1]!.params);
  const X: number[] = [], x: number[] = [];
  const o = [0, 0, 0];
  for (let s = 0; s < 60; s += 0.5) {
    const p = targetPath(s);
    if (!cam.projectInto(p[0], p[1], p[2], o)) continue;
    X.push(...p); x.push(o[0]!, o[1]!);
  }
  const n = x.length / 2;
  // Exact on undistorted pixels (the DLT is a pinhole model): P ∝ K·[R | −R·C].
  const und = new Camera({ ...rig()[1]!.params, intrinsics: { ...rig()[1]!.params.intrinsics, k1: 0, k2: 0 } });
  const xu: number[] = [];
  for (let i = 0; i < n; i++) { const p = X.slice(3 * i, 3 * i + 3); und.projectInto(p[0]!, p[1]!, p[2]!, o); xu.push(o[0]!, o[1]!); }
  const Pu = dltProjection(Float64Array.from(X), Float64Array.from(xu), n)!;
  for (let i = 0; i < n; i++) {
    const p = X.slice(3 * i, 3 * i + 3);
    const w = Pu[8]! * p[0]! + Pu[9]! * p[1]! + Pu[10]! * p[2]! + Pu[11]!;
    assert.ok(Math.abs((Pu[0]! * p[0]! + Pu[1]! * p[1]! + Pu[2]! * p[2]! + Pu[3]!) / w - xu[2 * i]!) < 1e-6);
    assert.ok(Math.abs((Pu[4]! * p[0]! + Pu[5]! * p[1]! + Pu[6]! * p[2]! + Pu[7]!) / w - xu[2 * i + 1]!) < 1e-6);
  }
});

test('clock against a 3D path: −23.4567 s and −200 ppm (12.5 fps, σ = 0.5 px) within 3 ms at mid-track, no pose needed', () => {
  const rc = rig()[2]!; // clock −23456.7 ms, −200 ppm
  const cam = new Camera(rc.params);
  const tr = normalized(cam, observe(rc, 100, 190, 0.5, 3));
  const r = syncToTrajectory(tr, knots(95, 195), { maxShiftS: 40, threshold: 3 / cam.fx })!;
  assert.ok(r, 'no result');
  const sMid = 145;
  const err = (r.a * sMid + r.b) - cam.clock.cameraTime(sMid);
  assert.ok(Math.abs(err) < 0.003, `clock off by ${err * 1000} ms`);
  assert.ok(Math.abs((r.a - 1) * 1e6 - -200) < 100, `drift ${(r.a - 1) * 1e6} ppm`);
  assert.ok(r.median * cam.fx < 1.5, `median ${r.median * cam.fx} px`);
  assert.ok(r.runnerUpCost > 0.9 && r.bestCost < 0.3, `costs ${r.bestCost} / ${r.runnerUpCost}`);
  assert.ok(trajectorySyncAccepted(r, 3 / cam.fx));
});

test('clock against a 3D path: a track whose frame times are scrambled (variable frame rate) finds no fitting offset', () => {
  const rc = rig()[1]!;
  const cam = new Camera(rc.params);
  const tr = normalized(cam, observe(rc, 100, 190, 0.5, 4));
  // Re-stamp the frames as if every fourth interval had been dropped (¼ of the frames recorded at
  // half rate), so frame index / nominal fps drifts from the true time by a growing, uneven amount.
  const t = new Float64Array(tr.t.length);
  let acc = tr.t[0]!;
  for (let i = 0; i < t.length; i++) { if (i > 0) acc += (i % 4 === 0 ? 2 : 1) * (tr.t[i]! - tr.t[i - 1]!) * (i % 40 < 20 ? 1 : 0.6); t[i] = acc; }
  const r = syncToTrajectory({ ...tr, t }, knots(60, 230), { maxShiftS: 40, threshold: 3 / cam.fx });
  assert.ok(!trajectorySyncAccepted(r, 3 / cam.fx), `accepted: ${JSON.stringify(r)}`);
});

test('clock against a 3D path: a camera whose timestamps were written at the wrong fps (12 fps stamped as 15) is found through a rate hypothesis', () => {
  const rc = rig()[3]!; // clock +1777.7 ms, 80 ppm
  const cam = new Camera(rc.params);
  const tr = normalized(cam, observe(rc, 100, 190, 0.5, 5));
  const t = tr.t.map((v) => v * 0.8); // frame k at true camera time k/12 stamped k/15
  const path = knots(95, 195);
  const plain = syncToTrajectory({ ...tr, t }, path, { maxShiftS: 40, threshold: 3 / cam.fx });
  assert.ok(!trajectorySyncAccepted(plain, 3 / cam.fx), `rate 1 alone should not fit a 25 % rate error: ${JSON.stringify(plain)}`);
  const r = syncToTrajectory({ ...tr, t }, path, { maxShiftS: 40, threshold: 3 / cam.fx, rates: [0.8, 0.96, 1.04, 1.25] })!;
  assert.ok(r, 'no result');
  const sMid = 145;
  const err = (r.a * sMid + r.b) - 0.8 * cam.clock.cameraTime(sMid);
  assert.ok(Math.abs(err) < 0.003, `clock off by ${err * 1000} ms`);
  assert.ok(Math.abs(r.a / (0.8 * cam.clock.a) - 1) < 1e-4, `rate ${r.a} vs ${0.8 * cam.clock.a}`);
  assert.ok(r.median * cam.fx < 1.5, `median ${r.median * cam.fx} px`);
  assert.ok(trajectorySyncAccepted(r, 3 / cam.fx));
});
