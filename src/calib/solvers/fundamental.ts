/**
 * Fundamental matrix from point correspondences, convention x2ᵀ·F·x1 = 0 (homogeneous pixels,
 * F row-major). Points are flat arrays [x0, y0, x1, y1, …].
 *
 * - {@link eightPoint}: Hartley's normalized linear method (centroid to the origin, mean distance
 *   √2), least squares over all N ≥ 8 points, then the closest rank-2 matrix (smallest singular
 *   value set to 0).
 * - {@link sevenPoint}: the two-dimensional null space F = αF1 + (1−α)F2 of seven points and the
 *   cubic det F = 0; one to three real solutions.
 */
import { det3, mul3, nullSpace, svd3, transpose3 } from './linalg.ts';

/** Similarity T (row-major 3×3) that moves the points' centroid to 0 and their mean distance to √2. */
export function hartleyNormalization(p: ArrayLike<number>, idx?: ArrayLike<number>): Float64Array {
  const n = idx ? idx.length : p.length / 2;
  let mx = 0, my = 0;
  for (let k = 0; k < n; k++) { const i = idx ? idx[k]! : k; mx += p[2 * i]!; my += p[2 * i + 1]!; }
  mx /= n; my /= n;
  let d = 0;
  for (let k = 0; k < n; k++) { const i = idx ? idx[k]! : k; d += Math.hypot(p[2 * i]! - mx, p[2 * i + 1]! - my); }
  d /= n;
  const s = d > 0 ? Math.SQRT2 / d : 1;
  return new Float64Array([s, 0, -s * mx, 0, s, -s * my, 0, 0, 1]);
}

function epipolarRows(x1: ArrayLike<number>, x2: ArrayLike<number>, idx: ArrayLike<number> | undefined, T1: Float64Array, T2: Float64Array): { A: Float64Array; m: number } {
  const m = idx ? idx.length : x1.length / 2;
  const A = new Float64Array(m * 9);
  for (let k = 0; k < m; k++) {
    const i = idx ? idx[k]! : k;
    const u1 = T1[0]! * x1[2 * i]! + T1[2]!, v1 = T1[4]! * x1[2 * i + 1]! + T1[5]!;
    const u2 = T2[0]! * x2[2 * i]! + T2[2]!, v2 = T2[4]! * x2[2 * i + 1]! + T2[5]!;
    A.set([u2 * u1, u2 * v1, u2, v2 * u1, v2 * v1, v2, u1, v1, 1], k * 9);
  }
  return { A, m };
}

function denormalize(Fn: ArrayLike<number>, T1: Float64Array, T2: Float64Array): Float64Array {
  const F = mul3(mul3(transpose3(T2), Fn), T1);
  let n = 0;
  for (let i = 0; i < 9; i++) n += F[i]! * F[i]!;
  n = Math.sqrt(n);
  // Fix the overall sign for reproducibility: largest-magnitude entry positive.
  let big = 0;
  for (let i = 1; i < 9; i++) if (Math.abs(F[i]!) > Math.abs(F[big]!)) big = i;
  const s = (F[big]! < 0 ? -1 : 1) / n;
  for (let i = 0; i < 9; i++) F[i] = F[i]! * s;
  return F;
}

/** Closest rank-2 matrix in Frobenius norm. */
export function enforceRank2(F: ArrayLike<number>): Float64Array {
  const { U, s, V } = svd3(F);
  const D = new Float64Array([s[0], 0, 0, 0, s[1], 0, 0, 0, 0]);
  return mul3(mul3(U, D), transpose3(V));
}

/** Normalized 8-point algorithm over the selected correspondences (all when idx is omitted). Null when fewer than 8. */
export function eightPoint(x1: ArrayLike<number>, x2: ArrayLike<number>, idx?: ArrayLike<number>): Float64Array | null {
  const n = idx ? idx.length : x1.length / 2;
  if (n < 8) return null;
  const T1 = hartleyNormalization(x1, idx), T2 = hartleyNormalization(x2, idx);
  const { A, m } = epipolarRows(x1, x2, idx, T1, T2);
  const [f] = nullSpace(A, m, 9, 1);
  return denormalize(enforceRank2(f!), T1, T2);
}

/** Real roots of a·x³ + b·x² + c·x + d (falls back to the quadratic/linear case). */
export function realCubicRoots(a: number, b: number, c: number, d: number): number[] {
  const scale = Math.max(Math.abs(a), Math.abs(b), Math.abs(c), Math.abs(d));
  if (scale === 0) return [];
  if (Math.abs(a) < 1e-12 * scale) {
    if (Math.abs(b) < 1e-12 * scale) return Math.abs(c) < 1e-12 * scale ? [] : [-d / c];
    const disc = c * c - 4 * b * d;
    if (disc < 0) return [];
    const q = -0.5 * (c + Math.sign(c || 1) * Math.sqrt(disc));
    return q === 0 ? [0] : [q / b, d / q];
  }
  const B = b / a, C = c / a, D = d / a;
  const Q = (B * B - 3 * C) / 9, R = (2 * B * B * B - 9 * B * C + 27 * D) / 54;
  const roots: number[] = [];
  if (R * R < Q * Q * Q) {
    const th = Math.acos(Math.max(-1, Math.min(1, R / Math.sqrt(Q * Q * Q))));
    const sq = -2 * Math.sqrt(Q);
    roots.push(sq * Math.cos(th / 3) - B / 3, sq * Math.cos((th + 2 * Math.PI) / 3) - B / 3, sq * Math.cos((th - 2 * Math.PI) / 3) - B / 3);
  } else {
    const A_ = -Math.sign(R) * Math.cbrt(Math.abs(R) + Math.sqrt(R * R - Q * Q * Q));
    const B_ = A_ === 0 ? 0 : Q / A_;
    roots.push(A_ + B_ - B / 3);
  }
  // One Newton polish step each on the original polynomial.
  return roots.map((x) => {
    const f = ((a * x + b) * x + c) * x + d, df = (3 * a * x + 2 * b) * x + c;
    return df !== 0 ? x - f / df : x;
  });
}

/** Seven-point algorithm on exactly seven correspondences: every real solution of det F = 0. */
export function sevenPoint(x1: ArrayLike<number>, x2: ArrayLike<number>, idx?: ArrayLike<number>): Float64Array[] {
  const n = idx ? idx.length : x1.length / 2;
  if (n !== 7) throw new RangeError(`sevenPoint needs exactly 7 correspondences, got ${n}`);
  const T1 = hartleyNormalization(x1, idx), T2 = hartleyNormalization(x2, idx);
  const { A, m } = epipolarRows(x1, x2, idx, T1, T2);
  const [F1, F2] = nullSpace(A, m, 9, 2);
  const G = new Float64Array(9);
  const detAt = (a: number): number => {
    for (let i = 0; i < 9; i++) G[i] = a * F1![i]! + (1 - a) * F2![i]!;
    return det3(G);
  };
  // det(αF1 + (1−α)F2) is a cubic in α: recover its coefficients exactly from four samples.
  const d0 = detAt(0), d1 = detAt(1), dm = detAt(-1), d2 = detAt(2);
  const c0 = d0;
  const c2 = (d1 + dm) / 2 - d0;
  // d1 − dm = 2(c1 + c3); d2 = c0 + 2c1 + 4c2 + 8c3
  const s13 = (d1 - dm) / 2;
  const c3 = (d2 - c0 - 4 * c2 - 2 * s13) / 6;
  const c1 = s13 - c3;
  const out: Float64Array[] = [];
  for (const a of realCubicRoots(c3, c2, c1, c0)) {
    const Fn = new Float64Array(9);
    for (let i = 0; i < 9; i++) Fn[i] = a * F1![i]! + (1 - a) * F2![i]!;
    out.push(denormalize(Fn, T1, T2));
  }
  return out;
}

/** Sampson (first-order geometric) error of correspondence i, squared, in the units of the points. */
export function sampsonError2(F: ArrayLike<number>, x1: ArrayLike<number>, x2: ArrayLike<number>, i: number): number {
  const u1 = x1[2 * i]!, v1 = x1[2 * i + 1]!, u2 = x2[2 * i]!, v2 = x2[2 * i + 1]!;
  const Fx0 = F[0]! * u1 + F[1]! * v1 + F[2]!;
  const Fx1 = F[3]! * u1 + F[4]! * v1 + F[5]!;
  const Fx2 = F[6]! * u1 + F[7]! * v1 + F[8]!;
  const Ft0 = F[0]! * u2 + F[3]! * v2 + F[6]!;
  const Ft1 = F[1]! * u2 + F[4]! * v2 + F[7]!;
  const e = u2 * Fx0 + v2 * Fx1 + Fx2;
  const den = Fx0 * Fx0 + Fx1 * Fx1 + Ft0 * Ft0 + Ft1 * Ft1;
  return den > 0 ? (e * e) / den : Infinity;
}
