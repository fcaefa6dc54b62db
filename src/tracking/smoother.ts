/**
 * Rauch–Tung–Striebel fixed-interval smoother for exported trajectories: a forward Kalman pass
 * over a track's associated detections with one motion model, then the backward pass
 *   C_k = P_k|k F_k+1ᵀ P_k+1|k⁻¹,  x_k|N = x_k|k + C_k (x_k+1|N − x_k+1|k),
 *   P_k|N = P_k|k + C_k (P_k+1|N − P_k+1|k) C_kᵀ.
 * Offline only (it needs the whole track); the tracker keeps the detections when asked to
 * (TrackerOptions.keepHistory).
 */
import { TrackingInputError } from './errors.ts';
import { initialState, predictWith, type GaussianState, type InitialPrior } from './kalman.ts';
import { createUpdateScratch, mul, mulABt, positionUpdate } from './linalg.ts';
import type { MotionModel } from './models.ts';

/** One associated detection of a track: time, position and its covariance (3×3 row-major). */
export interface TrackPoint {
  t: number;
  z: Float64Array;
  R: Float64Array;
}

/** Smoothed states at the times of the points (same order). Points must be in non-decreasing time. */
export function rtsSmooth(model: MotionModel, points: readonly TrackPoint[], prior: InitialPrior): GaussianState[] {
  const n = model.dim, N = points.length;
  if (N === 0) return [];
  const F = new Float64Array(n * n), Q = new Float64Array(n * n), tmp = new Float64Array(n * n), xt = new Float64Array(n);
  const sc = createUpdateScratch(n), res = { d2: 0, logDetS: 0 };
  const filtered: GaussianState[] = [];
  const predicted: GaussianState[] = []; // predicted[k] = state at t_k predicted from k − 1 (k ≥ 1)
  const trans: Float64Array[] = [];
  const first = points[0]!;
  const s0 = initialState(n, first.t, first.z, first.R, prior);
  filtered.push(s0);
  predicted.push(s0);
  trans.push(new Float64Array(0));
  for (let k = 1; k < N; k++) {
    const p = points[k]!, prev = filtered[k - 1]!;
    const dt = p.t - prev.t;
    if (!(dt >= 0)) throw new TrackingInputError(`rtsSmooth: point ${k} goes back in time (${p.t} after ${prev.t})`);
    const s: GaussianState = { t: p.t, dim: n, x: Float64Array.from(prev.x), P: Float64Array.from(prev.P) };
    predictWith(model, dt, s.x, s.P, F, Q, tmp, xt);
    trans.push(Float64Array.from(F));
    predicted.push({ t: p.t, dim: n, x: Float64Array.from(s.x), P: Float64Array.from(s.P) });
    positionUpdate(s.x, s.P, n, p.z, p.R, sc, res);
    filtered.push(s);
  }
  const out: GaussianState[] = new Array(N);
  out[N - 1] = { t: filtered[N - 1]!.t, dim: n, x: Float64Array.from(filtered[N - 1]!.x), P: Float64Array.from(filtered[N - 1]!.P) };
  const C = new Float64Array(n * n), Pi = new Float64Array(n * n), dP = new Float64Array(n * n), t2 = new Float64Array(n * n);
  for (let k = N - 2; k >= 0; k--) {
    const f = filtered[k]!, pr = predicted[k + 1]!, next = out[k + 1]!, Fk = trans[k + 1]!;
    if (!invert(Pi, pr.P, n, tmp)) throw new TrackingInputError(`rtsSmooth: singular predicted covariance at point ${k + 1}`);
    mulABt(t2, f.P, Fk, n); // P_k|k Fᵀ
    mul(C, t2, Pi, n);
    const x = Float64Array.from(f.x);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += C[i * n + j]! * (next.x[j]! - pr.x[j]!);
      x[i] = x[i]! + s;
    }
    for (let i = 0; i < n * n; i++) dP[i] = next.P[i]! - pr.P[i]!;
    mul(t2, C, dP, n);
    const P = Float64Array.from(f.P);
    mulABt(tmp, t2, C, n);
    for (let i = 0; i < n * n; i++) P[i] = P[i]! + tmp[i]!;
    out[k] = { t: f.t, dim: n, x, P };
  }
  return out;
}

/** out = a⁻¹ (n×n) by Gauss–Jordan with partial pivoting; false when singular. tmp: n×n scratch (a is not changed). */
export function invert(out: Float64Array, a: Float64Array, n: number, tmp: Float64Array): boolean {
  tmp.set(a.subarray(0, n * n));
  out.fill(0);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c, best = Math.abs(tmp[c * n + c]!);
    for (let r = c + 1; r < n; r++) { const v = Math.abs(tmp[r * n + c]!); if (v > best) { best = v; p = r; } }
    if (!(best > 0)) return false;
    if (p !== c) {
      for (let j = 0; j < n; j++) {
        let t = tmp[c * n + j]!; tmp[c * n + j] = tmp[p * n + j]!; tmp[p * n + j] = t;
        t = out[c * n + j]!; out[c * n + j] = out[p * n + j]!; out[p * n + j] = t;
      }
    }
    const d = 1 / tmp[c * n + c]!;
    for (let j = 0; j < n; j++) { tmp[c * n + j] = tmp[c * n + j]! * d; out[c * n + j] = out[c * n + j]! * d; }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = tmp[r * n + c]!;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) { tmp[r * n + j] = tmp[r * n + j]! - f * tmp[c * n + j]!; out[r * n + j] = out[r * n + j]! - f * out[c * n + j]!; }
    }
  }
  return true;
}
