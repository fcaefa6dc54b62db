/** Synthetic two-view and multi-view scenes with known geometry for the calibration tests. */
import { Rng } from '../../src/util/rng.ts';
import { axisAngleToMatrix } from '../../src/geometry/index.ts';

export interface Scene {
  R: Float64Array;
  t: Float64Array;
  /** World points = camera-1 frame, flat xyz. */
  X: Float64Array;
  /** Normalized points in camera 1 and 2, flat xy. */
  n1: Float64Array;
  n2: Float64Array;
}

/** Random relative pose (rotation up to ~20°, baseline ~1) and N points 4–12 units in front of both. */
export function twoViewScene(seed: number, N: number): Scene {
  const rng = new Rng(seed);
  const ax = rng.unitVector();
  const R = axisAngleToMatrix(ax[0], ax[1], ax[2], rng.uniform(0.05, 0.35));
  const td = rng.unitVector();
  const t = new Float64Array([td[0], td[1], td[2] * 0.3]);
  const X = new Float64Array(3 * N), n1 = new Float64Array(2 * N), n2 = new Float64Array(2 * N);
  for (let i = 0; i < N;) {
    const p = [rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(4, 12)];
    const q = [0, 1, 2].map((r) => R[r * 3]! * p[0]! + R[r * 3 + 1]! * p[1]! + R[r * 3 + 2]! * p[2]! + t[r]!);
    if (q[2]! < 1) continue;
    X.set(p, 3 * i);
    n1[2 * i] = p[0]! / p[2]!; n1[2 * i + 1] = p[1]! / p[2]!;
    n2[2 * i] = q[0]! / q[2]!; n2[2 * i + 1] = q[1]! / q[2]!;
    i++;
  }
  return { R, t, X, n1, n2 };
}

/** Pixels from normalized points with f and principal point, plus Gaussian noise σ (px). */
export function toPixels(n: Float64Array, f: number, cx: number, cy: number, sigma: number, rng: Rng): Float64Array {
  const o = new Float64Array(n.length);
  for (let i = 0; i < n.length; i += 2) {
    o[i] = f * n[i]! + cx + sigma * rng.normal();
    o[i + 1] = f * n[i + 1]! + cy + sigma * rng.normal();
  }
  return o;
}

/** Replace a fraction of correspondences in `p` by uniform points in a w×h box; returns the outlier mask. */
export function corrupt(p: Float64Array, frac: number, w: number, h: number, rng: Rng): Uint8Array {
  const n = p.length / 2;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (rng.next() < frac) { mask[i] = 1; p[2 * i] = rng.uniform(0, w); p[2 * i + 1] = rng.uniform(0, h); }
  }
  return mask;
}

export function frob(A: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) s += A[i]! * A[i]!;
  return Math.sqrt(s);
}

/** Distance between two matrices defined up to scale and sign (both normalized first). */
export function distUpToScale(A: ArrayLike<number>, B: ArrayLike<number>): number {
  const na = frob(A), nb = frob(B);
  let dp = 0, dm = 0;
  for (let i = 0; i < A.length; i++) {
    dp += (A[i]! / na - B[i]! / nb) ** 2;
    dm += (A[i]! / na + B[i]! / nb) ** 2;
  }
  return Math.sqrt(Math.min(dp, dm));
}
