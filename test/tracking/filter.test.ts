import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConstantAcceleration, ConstantVelocity, GeometryMeasurementModel, ImmFilter, KalmanFilter, TrackingConfigError, TrackingInputError, chiSquare3Quantile,
} from '../../src/tracking/index.ts';

const close = (a: number, b: number, tol = 1e-9, what = '') => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const at = (P: Float64Array, n: number, i: number, j: number) => P[i * n + j]!;
const diag3 = (a: number, b: number, c: number) => Float64Array.from([a, 0, 0, 0, b, 0, 0, 0, c]);

test('CV predict and update against matrices worked out by hand (axes separate)', () => {
  // Per axis the CV model is [[1, Δt], [0, 1]] with Q = q·[[Δt³/3, Δt²/2], [Δt²/2, Δt]].
  // Δt = 1, q = 1, P(axis) = [[4, 0], [0, 1]]:
  //   F P Fᵀ = [[5, 1], [1, 1]];  + Q = [[16/3, 3/2], [3/2, 2]].
  // Update with z = [2, 2, 0], R = I; prediction x = (1, 2, 0), v = (1, 2, 0):
  //   S = 16/3 + 1 = 19/3,  K = [16/19, (3/2)/(19/3) = 9/38]
  //   east (ν = 1): e = 1 + 16/19 = 35/19, vₑ = 1 + 9/38 = 47/38
  //   north, up (ν = 0): unchanged
  //   P'pp = 16/3 − (16/19)(16/3) = 16/19,  P'pv = 3/2 − (16/19)(3/2) = 9/38,  P'vv = 2 − (9/38)(3/2) = 125/76
  //   d² = Σ ν²/S = 3/19,  ln det S = 3 ln(19/3)
  const kf = new KalmanFilter(new ConstantVelocity({ q: 1 }));
  const s = kf.initiate(10, [0, 0, 0], diag3(4, 4, 4), { velocitySigma: 1, accelerationSigma: 0 });
  s.x.set([0, 0, 0, 1, 2, 0]);
  kf.predict(s, 11);
  assert.equal(s.t, 11);
  assert.deepEqual([...s.x], [1, 2, 0, 1, 2, 0]);
  for (let k = 0; k < 3; k++) {
    close(at(s.P, 6, k, k), 16 / 3, 1e-12, 'Ppp');
    close(at(s.P, 6, k, 3 + k), 1.5, 1e-12, 'Ppv');
    close(at(s.P, 6, 3 + k, k), 1.5, 1e-12, 'Pvp');
    close(at(s.P, 6, 3 + k, 3 + k), 2, 1e-12, 'Pvv');
    for (let j = 0; j < 3; j++) if (j !== k) assert.equal(at(s.P, 6, k, j), 0);
  }
  const res = { d2: 0, logDetS: 0 };
  assert.equal(kf.update(s, [2, 2, 0], diag3(1, 1, 1), res), true);
  close(res.d2, 3 / 19, 1e-12, 'd2');
  close(res.logDetS, 3 * Math.log(19 / 3), 1e-12, 'ln det S');
  close(s.x[0]!, 35 / 19, 1e-12, 'e');
  close(s.x[3]!, 47 / 38, 1e-12, 've');
  close(s.x[1]!, 2, 1e-12, 'n'); close(s.x[4]!, 2, 1e-12, 'vn');
  for (let k = 0; k < 3; k++) {
    close(at(s.P, 6, k, k), 16 / 19, 1e-12, 'P\'pp');
    close(at(s.P, 6, k, 3 + k), 9 / 38, 1e-12, 'P\'pv');
    close(at(s.P, 6, 3 + k, 3 + k), 125 / 76, 1e-12, 'P\'vv');
  }
});

test('CA predict against matrices worked out by hand', () => {
  // One axis, Δt = 2, q = 0.1, P = I, x = (p, v, a) = (1, 1, 1):
  //   F = [[1, 2, 2], [0, 1, 2], [0, 0, 1]];  F Fᵀ = [[9, 6, 2], [6, 5, 2], [2, 2, 1]]
  //   Q = 0.1·[[32/20, 16/8, 8/6], [16/8, 8/3, 4/2], [8/6, 4/2, 2]] = [[0.16, 0.2, 0.1333…], [0.2, 0.2666…, 0.2], [0.1333…, 0.2, 0.2]]
  //   x' = (1 + 2 + 2, 1 + 2, 1) = (5, 3, 1)
  const kf = new KalmanFilter(new ConstantAcceleration({ q: 0.1 }));
  const s = kf.initiate(0, [1, 1, 1], diag3(1, 1, 1), { velocitySigma: 1, accelerationSigma: 1 });
  s.x.set([1, 1, 1, 1, 1, 1, 1, 1, 1]);
  kf.predict(s, 2);
  assert.deepEqual([...s.x], [5, 5, 5, 3, 3, 3, 1, 1, 1]);
  const want = [[9.16, 6.2, 2 + 0.4 / 3], [6.2, 5 + 0.8 / 3, 2.2], [2 + 0.4 / 3, 2.2, 1.2]];
  for (let k = 0; k < 3; k++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) close(at(s.P, 9, 3 * a + k, 3 * b + k), want[a]![b]!, 1e-12, `P[${a}${b}] axis ${k}`);
  assert.equal(at(s.P, 9, 0, 1), 0, 'axes stay uncoupled');
  assert.throws(() => kf.predict(s, 1), TrackingInputError);
});

test('IMM with all mass on one mode behaves as that mode\'s Kalman filter', () => {
  // With τ huge, Π ≈ I; μ = (1, 0) keeps the CV mode alone, so the combined estimate must equal a plain CV filter's.
  const imm = new ImmFilter({ models: [new ConstantVelocity({ q: 2, dim: 9 }), new ConstantAcceleration({ q: 5 })], sojournS: [1e12, 1e12], initialProbabilities: [1, 0], minProbability: 0 });
  const kf = new KalmanFilter(new ConstantVelocity({ q: 2 }));
  const prior = { velocitySigma: 3, accelerationSigma: 0 };
  const R = Float64Array.from([4, 1, 0, 1, 5, 0.5, 0, 0.5, 6]);
  const a = imm.initiate(0, [10, 20, 30], R, prior), b = kf.initiate(0, [10, 20, 30], R, prior);
  const r1 = { d2: 0, logDetS: 0 }, r2 = { d2: 0, logDetS: 0 };
  for (const [t, z] of [[0.5, [11, 21, 29]], [1, [12.5, 21.5, 30]], [2, [14, 23, 31]]] as const) {
    imm.predict(a, t); kf.predict(b, t);
    imm.update(a, z, R, r1); kf.update(b, z, R, r2);
    close(r1.d2, r2.d2, 1e-9, 'd2');
    for (let i = 0; i < 6; i++) close(a.x[i]!, b.x[i]!, 1e-9, `x${i}`);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) close(a.P[i * 9 + j]!, b.P[i * 6 + j]!, 1e-9, `P${i}${j}`);
  }
  close(a.mu[0]!, 1, 1e-9, 'mu');
});

test('IMM transition matrix from sojourn times', () => {
  const imm = new ImmFilter({ models: [new ConstantVelocity({ dim: 9 }), new ConstantAcceleration()], sojournS: [4, 2] });
  const P = imm.transitionMatrix(1);
  close(P[0]!, Math.exp(-0.25)); close(P[1]!, 1 - Math.exp(-0.25));
  close(P[3]!, Math.exp(-0.5)); close(P[2]!, 1 - Math.exp(-0.5));
  assert.throws(() => new ImmFilter({ models: [new ConstantVelocity(), new ConstantAcceleration()] }), TrackingConfigError);
  assert.throws(() => new ImmFilter({ models: [new ConstantVelocity({ dim: 9 }), new ConstantAcceleration()], sojournS: [1, -1] }), TrackingConfigError);
});

test('chi-square 3 dof gate thresholds match the tables', () => {
  // Standard table values of the χ²₃ quantile.
  close(chiSquare3Quantile(0.95), 7.814728, 1e-6);
  close(chiSquare3Quantile(0.99), 11.344867, 1e-6);
  close(chiSquare3Quantile(0.999), 16.266236, 1e-6);
  close(chiSquare3Quantile(0.5), 2.365974, 1e-6);
  assert.throws(() => chiSquare3Quantile(1), TrackingConfigError);
});

test('measurement covariance from the camera geometry', () => {
  const sa = 0.002, L = 1000, floor = 1;
  const m = new GeometryMeasurementModel({ cameras: { a: [0, 0, 0], b: [0, 1000, 0], l: [-50, 0, 0], r: [50, 0, 0] }, sigmaAngRad: sa, sigmaAlongM: L, floorM: floor, fallbackSigmaM: 7 });
  const R = new Float64Array(9);
  // One camera 1000 m west of the target: across the ray σ = 0.002·1000 = 2 m, along it σ = 1000 m; + floor² on the diagonal.
  assert.equal(m.covariance([1000, 0, 0], ['a'], R), 1);
  close(R[0]!, 1e6 + 1); close(R[4]!, 5); close(R[8]!, 5); close(R[1]!, 0, 1e-12);
  // Two cameras 1000 m away at right angles (rays along x and along y, target at (0, 0, 0) seen from (0, 1000, 0)
  // and from a camera at (1000, 0, 0)): info diag(1/4 + 1e-6, 1/4 + 1e-6, 2/4).
  const m2 = new GeometryMeasurementModel({ cameras: { x: [1000, 0, 0], y: [0, 1000, 0] }, sigmaAngRad: sa, sigmaAlongM: L, floorM: floor });
  m2.covariance([0, 0, 0], ['x', 'y'], R);
  close(R[0]!, 1 / (0.25 + 1e-6) + 1); close(R[4]!, 1 / (0.25 + 1e-6) + 1); close(R[8]!, 2 + 1);
  // Narrow baseline: cameras at (±50, 0, 0), target at (0, 1000, 0). With sin θ = 50/√(50² + 1000²) and
  // s = 0.002·√(50² + 1000²): info_yy = 2 sin²θ/s² + 2 cos²θ/L², info_xx = 2 cos²θ/s² + 2 sin²θ/L².
  m.covariance([0, 1000, 0], ['l', 'r'], R);
  const r = Math.hypot(50, 1000), sin = 50 / r, cos = 1000 / r, s2 = (sa * r) ** 2;
  close(R[4]!, 1 / (2 * sin * sin / s2 + 2 * cos * cos / L ** 2) + 1, 1e-9, 'along the rays');
  close(R[0]!, 1 / (2 * cos * cos / s2 + 2 * sin * sin / L ** 2) + 1, 1e-9, 'across');
  assert.ok(R[4]! > 100 * R[0]!, 'elongated along the viewing direction');
  // Unknown cameras only: the fallback.
  assert.equal(m.covariance([0, 0, 0], ['nope'], R), 0);
  assert.deepEqual([...R], [49, 0, 0, 0, 49, 0, 0, 0, 49]);
  assert.equal(m.covariance([0, 0, 0], undefined, R), 0);
  assert.throws(() => new GeometryMeasurementModel({ sigmaAngRad: 0 }), TrackingConfigError);
  assert.throws(() => new GeometryMeasurementModel({ cameras: { a: [0, Number.NaN, 0] } }), TrackingConfigError);
});
