import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { axisAngleToMatrix, rotationAngleBetween } from '../../src/geometry/index.ts';
import {
  eightPoint, sevenPoint, fivePoint, essentialLeastSquares, recoverPose, decomposeEssential, sampsonError2, realCubicRoots,
  triangulateDlt, triangulateMidpoint, refinePoint, pnpDlt, refinePose, ransac, umeyama, applySimilarity,
  expSO3, logSO3, det3, type View,
} from '../../src/calib/solvers/index.ts';
import { corrupt, distUpToScale, toPixels, twoViewScene } from './synthetic.ts';

const F_PX = 800, CX = 320, CY = 240;

/** The true F from (R, t) and K = [f 0 cx; 0 f cy; 0 0 1] computed by hand: F = K⁻ᵀ [t]× R K⁻¹. */
function trueF(R: Float64Array, t: Float64Array): number[] {
  const E = [
    -t[2]! * R[3]! + t[1]! * R[6]!, -t[2]! * R[4]! + t[1]! * R[7]!, -t[2]! * R[5]! + t[1]! * R[8]!,
    t[2]! * R[0]! - t[0]! * R[6]!, t[2]! * R[1]! - t[0]! * R[7]!, t[2]! * R[2]! - t[0]! * R[8]!,
    -t[1]! * R[0]! + t[0]! * R[3]!, -t[1]! * R[1]! + t[0]! * R[4]!, -t[1]! * R[2]! + t[0]! * R[5]!,
  ];
  const Ki = [1 / F_PX, 0, -CX / F_PX, 0, 1 / F_PX, -CY / F_PX, 0, 0, 1];
  const m = (A: number[], B: number[]): number[] => { const o: number[] = []; for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) o.push(A[i * 3]! * B[j]! + A[i * 3 + 1]! * B[3 + j]! + A[i * 3 + 2]! * B[6 + j]!); return o; };
  const KiT = [Ki[0]!, Ki[3]!, Ki[6]!, Ki[1]!, Ki[4]!, Ki[7]!, Ki[2]!, Ki[5]!, Ki[8]!];
  return m(m(KiT, E), Ki);
}

function angleBetween(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
  return Math.acos(Math.max(-1, Math.min(1, d / (Math.hypot(a[0]!, a[1]!, a[2]!) * Math.hypot(b[0]!, b[1]!, b[2]!)))));
}

test('cubic roots: (x−1)(x−2)(x+3) and x³ + x (one real root)', () => {
  const r = realCubicRoots(1, 0, -7, 6).sort((a, b) => a - b);
  assert.equal(r.length, 3);
  [-3, 1, 2].forEach((v, i) => assert.ok(Math.abs(r[i]! - v) < 1e-12));
  const s = realCubicRoots(1, 0, 1, 0);
  assert.equal(s.length, 1);
  assert.ok(Math.abs(s[0]!) < 1e-12);
});

test('SO(3) exp/log round trip and agreement with the geometry module\'s Rodrigues', () => {
  const R = expSO3([0.3, -0.4, 1.2]);
  const w = logSO3(R);
  assert.ok(Math.abs(w[0]! - 0.3) + Math.abs(w[1]! + 0.4) + Math.abs(w[2]! - 1.2) < 1e-12);
  const n = Math.hypot(0.3, 0.4, 1.2);
  const Q = axisAngleToMatrix(0.3, -0.4, 1.2, n);
  assert.ok(rotationAngleBetween(R, Q) < 1e-12);
  assert.ok(Math.abs(det3(R) - 1) < 1e-12);
});

test('8-point: exact F without noise, and within 1 px of the true epipolar geometry at σ = 0.5 px', () => {
  for (const seed of [1, 2, 3]) {
    const s = twoViewScene(seed, 60);
    const rng = new Rng(seed + 100);
    const p1 = toPixels(s.n1, F_PX, CX, CY, 0, rng), p2 = toPixels(s.n2, F_PX, CX, CY, 0, rng);
    const F = eightPoint(p1, p2)!;
    assert.ok(distUpToScale(F, trueF(s.R, s.t)) < 1e-8, `seed ${seed}`);
    assert.ok(Math.abs(det3(F)) < 1e-12);
    const q1 = toPixels(s.n1, F_PX, CX, CY, 0.5, rng), q2 = toPixels(s.n2, F_PX, CX, CY, 0.5, rng);
    const Fn = eightPoint(q1, q2)!;
    // The noisy estimate, applied to the noise-free points: first-order distance stays small.
    let ss = 0;
    for (let i = 0; i < 60; i++) ss += sampsonError2(Fn, p1, p2, i);
    const rms = Math.sqrt(ss / 60);
    assert.ok(rms < 1.0, `seed ${seed}: rms ${rms}`);
  }
});

test('7-point: one of the real solutions is the true F', () => {
  for (const seed of [4, 5, 6, 7]) {
    const s = twoViewScene(seed, 7);
    const rng = new Rng(1);
    const p1 = toPixels(s.n1, F_PX, CX, CY, 0, rng), p2 = toPixels(s.n2, F_PX, CX, CY, 0, rng);
    const sols = sevenPoint(p1, p2);
    assert.ok(sols.length >= 1 && sols.length <= 3);
    const best = Math.min(...sols.map((F) => distUpToScale(F, trueF(s.R, s.t))));
    assert.ok(best < 1e-7, `seed ${seed}: ${best}`);
  }
});

test('5-point: one solution equals [t]×R; recoverPose returns R and the direction of t', () => {
  for (let seed = 10; seed < 30; seed++) {
    const s = twoViewScene(seed, 5);
    const sols = fivePoint(s.n1, s.n2);
    assert.ok(sols.length >= 1 && sols.length <= 10, `seed ${seed}: ${sols.length} solutions`);
    const E = [
      -s.t[2]! * s.R[3]! + s.t[1]! * s.R[6]!, -s.t[2]! * s.R[4]! + s.t[1]! * s.R[7]!, -s.t[2]! * s.R[5]! + s.t[1]! * s.R[8]!,
      s.t[2]! * s.R[0]! - s.t[0]! * s.R[6]!, s.t[2]! * s.R[1]! - s.t[0]! * s.R[7]!, s.t[2]! * s.R[2]! - s.t[0]! * s.R[8]!,
      -s.t[1]! * s.R[0]! + s.t[0]! * s.R[3]!, -s.t[1]! * s.R[1]! + s.t[0]! * s.R[4]!, -s.t[1]! * s.R[2]! + s.t[0]! * s.R[5]!,
    ];
    const dists = sols.map((S) => distUpToScale(S, E));
    const k = dists.indexOf(Math.min(...dists));
    assert.ok(dists[k]! < 1e-6, `seed ${seed}: ${dists[k]}`);
    const pose = recoverPose(sols[k]!, s.n1, s.n2);
    assert.equal(pose.front.length, 5);
    assert.ok(rotationAngleBetween(pose.R, s.R) < 1e-6);
    assert.ok(angleBetween(pose.t, s.t) < 1e-6);
  }
});

test('decomposeEssential: four candidates, all proper rotations', () => {
  const s = twoViewScene(3, 5);
  const E = fivePoint(s.n1, s.n2)[0]!;
  const c = decomposeEssential(E);
  assert.equal(c.length, 4);
  for (const { R } of c) assert.ok(Math.abs(det3(R) - 1) < 1e-9);
});

test('RANSAC + 5-point: 300 correspondences, 30 % outliers, σ = 0.5 px → R within 0.3°, t within 2°', () => {
  const s = twoViewScene(42, 300);
  const rng = new Rng(7);
  const p1 = toPixels(s.n1, F_PX, CX, CY, 0.5, rng), p2 = toPixels(s.n2, F_PX, CX, CY, 0.5, rng);
  const out = corrupt(p2, 0.3, 640, 480, rng);
  const toN = (p: Float64Array): Float64Array => p.map((v, i) => (i % 2 === 0 ? (v - CX) / F_PX : (v - CY) / F_PX));
  const n1 = toN(p1), n2 = toN(p2);
  const res = ransac({
    n: 300, sampleSize: 5, threshold: 2 / F_PX, seed: 3, maxIterations: 2000,
    refit: (idx) => essentialLeastSquares(n1, n2, idx),
    fit: (idx) => fivePoint(n1, n2, idx),
    residual2: (E, i) => sampsonError2(E, n1, n2, i),
  })!;
  assert.ok(res);
  let correct = 0, wrong = 0;
  for (const i of res.inliers) (out[i] ? wrong++ : correct++);
  const trueInliers = out.reduce((a, v) => a + (v ? 0 : 1), 0);
  assert.ok(correct >= 0.95 * trueInliers, `${correct}/${trueInliers}`);
  assert.ok(wrong <= 3, `${wrong} outliers accepted`);
  const pose = recoverPose(res.model, n1, n2, res.inliers);
  assert.ok(rotationAngleBetween(pose.R, s.R) < 0.3 * Math.PI / 180, `R err ${rotationAngleBetween(pose.R, s.R) * 180 / Math.PI}°`);
  assert.ok(angleBetween(pose.t, s.t) < 2 * Math.PI / 180, `t err ${angleBetween(pose.t, s.t) * 180 / Math.PI}°`);
});

test('RANSAC is deterministic per seed', () => {
  const s = twoViewScene(5, 80);
  const rng = new Rng(2);
  const p1 = toPixels(s.n1, F_PX, CX, CY, 0.3, rng), p2 = toPixels(s.n2, F_PX, CX, CY, 0.3, rng);
  corrupt(p2, 0.2, 640, 480, rng);
  const run = () => ransac({ n: 80, sampleSize: 7, threshold: 1, seed: 9, fit: (idx) => sevenPoint(p1, p2, idx), residual2: (F, i) => sampsonError2(F, p1, p2, i), refit: (idx) => eightPoint(p1, p2, idx) })!;
  const a = run(), b = run();
  assert.deepEqual(Array.from(a.inliers), Array.from(b.inliers));
  assert.deepEqual(Array.from(a.model), Array.from(b.model));
});

test('triangulation: DLT and midpoint exact without noise; refinement lowers the reprojection error with noise', () => {
  const s = twoViewScene(8, 40);
  const I = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), z = new Float64Array(3);
  const rng = new Rng(3);
  let errDlt = 0, errRef = 0, errTrue = 0;
  for (let i = 0; i < 40; i++) {
    const views: View[] = [{ R: I, t: z, x: s.n1[2 * i]!, y: s.n1[2 * i + 1]! }, { R: s.R, t: s.t, x: s.n2[2 * i]!, y: s.n2[2 * i + 1]! }];
    const X = s.X.subarray(3 * i, 3 * i + 3);
    const a = triangulateDlt(views)!, b = triangulateMidpoint(views)!;
    assert.ok(Math.hypot(a[0]! - X[0]!, a[1]! - X[1]!, a[2]! - X[2]!) < 1e-9);
    assert.ok(Math.hypot(b[0]! - X[0]!, b[1]! - X[1]!, b[2]! - X[2]!) < 1e-9);
    const noisy = views.map((v) => ({ ...v, x: v.x + rng.normal() * 1e-3, y: v.y + rng.normal() * 1e-3 }));
    const d = triangulateDlt(noisy)!;
    const r = refinePoint(noisy, d);
    const reproj = (P: ArrayLike<number>): number => noisy.reduce((acc, v) => {
      const p = [0, 1, 2].map((k) => v.R[k * 3]! * P[0]! + v.R[k * 3 + 1]! * P[1]! + v.R[k * 3 + 2]! * P[2]! + v.t[k]!);
      return acc + (p[0]! / p[2]! - v.x) ** 2 + (p[1]! / p[2]! - v.y) ** 2;
    }, 0);
    errDlt += reproj(d); errRef += reproj(r); errTrue += reproj(X);
  }
  assert.ok(errRef <= errDlt * (1 + 1e-9));
  // The optimum is below the truth's own residual (it fits the noise).
  assert.ok(errRef <= errTrue);
});

test('PnP: exact pose without noise; with σ = 1 px and 25 % outliers RANSAC + refinement within 0.2° / 1 %', () => {
  const s = twoViewScene(12, 200);
  const exact = pnpDlt(s.X, s.n2)!;
  assert.ok(rotationAngleBetween(exact.R, s.R) < 1e-6); // acos near 1 resolves only ~1e-8 rad
  assert.ok(Math.hypot(exact.t[0]! - s.t[0]!, exact.t[1]! - s.t[1]!, exact.t[2]! - s.t[2]!) < 1e-8);
  const rng = new Rng(5);
  const p2 = toPixels(s.n2, F_PX, CX, CY, 1, rng);
  corrupt(p2, 0.25, 640, 480, rng);
  const n2 = p2.map((v, i) => (i % 2 === 0 ? (v - CX) / F_PX : (v - CY) / F_PX));
  const res = ransac({
    n: 200, sampleSize: 6, threshold: 3 / F_PX, seed: 4,
    fit: (idx) => { const p = pnpDlt(s.X, n2, idx); return p ? [p] : []; },
    residual2: (p, i) => {
      const X = s.X.subarray(3 * i, 3 * i + 3);
      const q = [0, 1, 2].map((k) => p.R[k * 3]! * X[0]! + p.R[k * 3 + 1]! * X[1]! + p.R[k * 3 + 2]! * X[2]! + p.t[k]!);
      return q[2]! > 0 ? (q[0]! / q[2]! - n2[2 * i]!) ** 2 + (q[1]! / q[2]! - n2[2 * i + 1]!) ** 2 : Infinity;
    },
  })!;
  const pose = refinePose(res.model, s.X, n2, res.inliers);
  assert.ok(rotationAngleBetween(pose.R, s.R) < 0.2 * Math.PI / 180);
  const tn = Math.hypot(s.t[0]!, s.t[1]!, s.t[2]!);
  assert.ok(Math.hypot(pose.t[0]! - s.t[0]!, pose.t[1]! - s.t[1]!, pose.t[2]! - s.t[2]!) < 0.01 * tn + 0.01);
});

test('Umeyama: recovers a known similarity exactly (scale 2.5, 40° turn, offset)', () => {
  const rng = new Rng(11);
  const R = axisAngleToMatrix(1, 2, -0.5, 40 * Math.PI / 180);
  const src: number[] = [], dst: number[] = [];
  for (let i = 0; i < 10; i++) {
    const p = [rng.uniform(-10, 10), rng.uniform(-10, 10), rng.uniform(-10, 10)];
    src.push(...p);
    for (let r = 0; r < 3; r++) dst.push(2.5 * (R[r * 3]! * p[0]! + R[r * 3 + 1]! * p[1]! + R[r * 3 + 2]! * p[2]!) + [100, -50, 7][r]!);
  }
  const T = umeyama(src, dst)!;
  assert.ok(Math.abs(T.s - 2.5) < 1e-12);
  assert.ok(rotationAngleBetween(T.R, R) < 1e-12);
  const q = applySimilarity(T, src.slice(0, 3));
  assert.ok(Math.hypot(q[0]! - dst[0]!, q[1]! - dst[1]!, q[2]! - dst[2]!) < 1e-9);
});
