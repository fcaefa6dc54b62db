import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera, rotationAngleBetween, axisAngleToMatrix, mat3Mul } from '../../src/geometry/index.ts';
import { BandedSpd } from '../../src/calib/banded.ts';
import { bundleAdjust, type BaCamera, type BaObservations } from '../../src/calib/bundle.ts';
import { Rng } from '../../src/util/rng.ts';
import { umeyama, applySimilarity } from '../../src/calib/solvers/index.ts';
import { observe, rig, targetPath } from './synthetic.ts';

test('banded Cholesky solves a random SPD band system like a dense solve', () => {
  const n = 30, bw = 4;
  const rng = new Rng(1);
  const B = new BandedSpd(n, bw);
  const dense: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = Math.max(0, i - bw); j <= i; j++) {
    const v = i === j ? 10 + rng.next() : rng.uniform(-1, 1);
    B.add(i, j, v); dense[i]![j] = v; dense[j]![i] = v;
  }
  const x = Array.from({ length: n }, () => rng.uniform(-1, 1));
  const b = Float64Array.from(dense.map((row) => row.reduce((s, v, j) => s + v * x[j]!, 0)));
  assert.ok(B.cholesky());
  B.solveInPlace(b);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(b[i]! - x[i]!) < 1e-12);
});

function toBa(c: Camera): BaCamera {
  return {
    R: Float64Array.from(c.R), C: Float64Array.from(c.C), fx: c.fx, fy: c.fy, cx: c.cx, cy: c.cy,
    k1: c.k1, k2: c.k2, k3: c.k3, p1: c.p1, p2: c.p2, a: c.clock.a, b: c.clock.b, lineS: 0, rsUp: false, height: c.height,
  };
}

test('bundle adjustment recovers perturbed poses, focal lengths, k1, clocks and the trajectory (4 cameras, 60 s, σ = 0.3 px)', () => {
  const cams = rig();
  const truth = cams.map((c) => new Camera(c.params));
  const s0 = 100, s1 = 160;
  const tracks = cams.map((c, i) => observe(c, s0, s1, 0.3, 10 + i));
  const obsArr: Array<[number, number, number, number]> = [];
  tracks.forEach((tr, i) => { for (let k = 0; k < tr.t.length; k++) obsArr.push([i, tr.t[k]!, tr.x[k]!, tr.y[k]!]); });
  const obs: BaObservations = {
    cam: Int32Array.from(obsArr.map((o) => o[0])), t: Float64Array.from(obsArr.map((o) => o[1])),
    u: Float64Array.from(obsArr.map((o) => o[2])), v: Float64Array.from(obsArr.map((o) => o[3])),
  };
  const rng = new Rng(77);
  const start = truth.map(toBa);
  for (let i = 1; i < 4; i++) {
    const c = start[i]!;
    const d = rng.unitVector();
    for (let k = 0; k < 3; k++) c.C[k] = c.C[k]! + 2 * d[k]!;
    const ax = rng.unitVector();
    c.R = mat3Mul(axisAngleToMatrix(ax[0], ax[1], ax[2], Math.PI / 180), c.R);
    c.b += 0.02 * (i % 2 ? 1 : -1);
    c.a += 50e-6;
  }
  for (const c of start) { c.fx *= 1.05; c.fy *= 1.05; c.k1 += 0.02; }
  const dt = 1 / 15;
  const nk = Math.ceil((s1 - s0 + 2) / dt) + 1;
  const X = new Float64Array(3 * nk);
  for (let j = 0; j < nk; j++) {
    const p = targetPath(s0 - 1 + j * dt);
    for (let k = 0; k < 3; k++) X[3 * j + k] = p[k]! + rng.normal();
  }
  const trueBaseline = Math.hypot(...[0, 1, 2].map((k) => truth[1]!.C[k]! - truth[0]!.C[k]!));
  const rep = bundleAdjust(start, { s0: s0 - 1, dt, X }, obs, { refCamera: 0, scale: { cam: 1, dist: trueBaseline, sigma: 1e-3 } });
  assert.ok(rep.rmsPx < 0.45, `rms ${rep.rmsPx}`); // σ = 0.3 px per axis → √2·0.3 ≈ 0.42 px
  // Camera centres after a similarity alignment to the truth (what self-calibration can observe).
  const T = umeyama(start.flatMap((c) => Array.from(c.C)), truth.flatMap((c) => Array.from(c.C)))!;
  for (let i = 0; i < 4; i++) {
    const c = start[i]!, t = truth[i]!;
    const p = applySimilarity(T, c.C);
    const dpos = Math.hypot(p[0]! - t.C[0]!, p[1]! - t.C[1]!, p[2]! - t.C[2]!);
    assert.ok(dpos < 0.2, `cam ${i}: position off by ${dpos} m`);
    assert.ok(Math.abs(c.fx / t.fx - 1) < 0.005, `cam ${i}: f ${c.fx} vs ${t.fx}`);
    assert.ok(Math.abs(c.k1 - t.k1) < 0.01, `cam ${i}: k1 ${c.k1} vs ${t.k1}`);
    // Clocks relative to the reference camera at mid-window (site time 110).
    const te = (c.a * 110 + c.b) - t.clock.cameraTime(110);
    assert.ok(Math.abs(te) < 0.002, `cam ${i}: clock off by ${te * 1000} ms`);
  }
  // The perturbation was 2 m / 1° / 5 % / 20 ms: every camera moved most of the way back.
  for (let i = 1; i < 4; i++) assert.ok(rotationAngleBetween(start[i]!.R, truth[i]!.R) < 0.2 * Math.PI / 180);
});

test('bundle adjustment with line times: recovers unknown rolling-shutter readouts (40, −25, 30 µs/row) and the clocks they would bias', () => {
  const cams = rig();
  const truth = cams.map((c) => new Camera(c.params));
  const lines = [0, 40e-6, -25e-6, 30e-6];
  const s0 = 100, s1 = 160;
  const rng = new Rng(5);
  // Rolling-shutter observations, generated independently of the adjustment: the row v of frame
  // k is exposed at camera time k/fps + v·line; v found by fixed-point iteration on the projection.
  const obsArr: Array<[number, number, number, number]> = [];
  cams.forEach((rc, i) => {
    const cam = truth[i]!;
    const o = [0, 0, 0];
    for (let k = Math.ceil(cam.clock.cameraTime(s0) * rc.fps); k <= Math.floor(cam.clock.cameraTime(s1) * rc.fps); k++) {
      const tc = k / rc.fps;
      let v = cam.height / 2, ok = false;
      for (let it = 0; it < 8; it++) {
        const p = targetPath(cam.clock.siteTime(tc + v * lines[i]!));
        ok = cam.projectInto(p[0], p[1], p[2], o) && cam.inImage(o[0]!, o[1]!);
        if (!ok) break;
        v = o[1]!;
      }
      if (ok) obsArr.push([i, tc, o[0]! + 0.3 * rng.normal(), o[1]! + 0.3 * rng.normal()]);
    }
  });
  const obs: BaObservations = {
    cam: Int32Array.from(obsArr.map((o) => o[0])), t: Float64Array.from(obsArr.map((o) => o[1])),
    u: Float64Array.from(obsArr.map((o) => o[2])), v: Float64Array.from(obsArr.map((o) => o[3])),
  };
  const dt = 1 / 15;
  const nk = Math.ceil((s1 - s0 + 2) / dt) + 1;
  const trueBaseline = Math.hypot(...[0, 1, 2].map((k) => truth[1]!.C[k]! - truth[0]!.C[k]!));
  const run = (fit: boolean): BaCamera[] => {
    const start = truth.map(toBa);
    for (let i = 1; i < 4; i++) { start[i]!.b += 0.015 * (i % 2 ? 1 : -1); start[i]!.fitLine = true; }
    const X = new Float64Array(3 * nk);
    for (let j = 0; j < nk; j++) X.set(targetPath(s0 - 1 + j * dt), 3 * j);
    bundleAdjust(start, { s0: s0 - 1, dt, X }, obs, { refCamera: 0, lineTimes: fit, lineSigma: 1e-3, scale: { cam: 1, dist: trueBaseline, sigma: 1e-3 } });
    return start;
  };
  // Clock at the frame's first row, relative to the reference, mid-window.
  const clockErr = (c: BaCamera, i: number): number => (c.a * 130 + c.b) - truth[i]!.clock.cameraTime(130);
  const fitted = run(true);
  for (let i = 1; i < 4; i++) {
    const c = fitted[i]!;
    assert.ok(Math.abs(c.lineS - lines[i]!) < 5e-6, `cam ${i}: line ${c.lineS * 1e6} µs vs ${lines[i]! * 1e6}`);
    assert.ok(Math.abs(clockErr(c, i)) < 0.002, `cam ${i}: clock off by ${clockErr(c, i) * 1000} ms`);
  }
  // Without the line times the readout leaks into the clocks (the target's mean row × line).
  const plain = run(false);
  assert.ok([1, 2, 3].some((i) => Math.abs(clockErr(plain[i]!, i)) > 0.004), `clock errors without line times: ${[1, 2, 3].map((i) => (clockErr(plain[i]!, i) * 1000).toFixed(1)).join(', ')} ms`);
});
