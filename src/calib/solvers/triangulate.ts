/**
 * Triangulation of one point from N ≥ 2 views. A view is a pose (R, t: X_cam = R·X + t) and a
 * normalized image point (x, y) (undistorted, divided by the focal length).
 *
 * - {@link triangulateDlt}: the homogeneous linear method (two rows x·P₃ − P₁, y·P₃ − P₂ per view,
 *   smallest right singular vector).
 * - {@link triangulateMidpoint}: the point minimising the sum of squared distances to the rays.
 * - {@link refinePoint}: Gauss–Newton on the reprojection error in normalized coordinates (the
 *   optimal estimate under isotropic Gaussian noise), started from either of the above.
 */
import { nullSpace } from './linalg.ts';

export interface View {
  R: ArrayLike<number>;
  t: ArrayLike<number>;
  x: number;
  y: number;
}

export function triangulateDlt(views: readonly View[]): Float64Array | null {
  const n = views.length;
  if (n < 2) return null;
  const A = new Float64Array(2 * n * 4);
  for (let k = 0; k < n; k++) {
    const { R, t, x, y } = views[k]!;
    for (let j = 0; j < 3; j++) {
      A[(2 * k) * 4 + j] = x * R[6 + j]! - R[j]!;
      A[(2 * k + 1) * 4 + j] = y * R[6 + j]! - R[3 + j]!;
    }
    A[(2 * k) * 4 + 3] = x * t[2]! - t[0]!;
    A[(2 * k + 1) * 4 + 3] = y * t[2]! - t[1]!;
  }
  const [h] = nullSpace(A, 2 * n, 4, 1);
  const w = h![3]!;
  if (Math.abs(w) < 1e-15) return null;
  return new Float64Array([h![0]! / w, h![1]! / w, h![2]! / w]);
}

export function triangulateMidpoint(views: readonly View[]): Float64Array | null {
  if (views.length < 2) return null;
  // Σ (I − d dᵀ)(X − C) = 0
  const M = new Float64Array(9), b = new Float64Array(3);
  for (const { R, t, x, y } of views) {
    // C = −Rᵀt, d = Rᵀ(x, y, 1) normalized
    const C = [0, 1, 2].map((j) => -(R[j]! * t[0]! + R[3 + j]! * t[1]! + R[6 + j]! * t[2]!));
    const d = [0, 1, 2].map((j) => R[j]! * x + R[3 + j]! * y + R[6 + j]!);
    const dn = Math.hypot(d[0]!, d[1]!, d[2]!);
    for (let j = 0; j < 3; j++) d[j] = d[j]! / dn;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const p = (i === j ? 1 : 0) - d[i]! * d[j]!;
      M[i * 3 + j] = M[i * 3 + j]! + p;
      b[i] = b[i]! + p * C[j]!;
    }
  }
  return solve3(M, b);
}

/** Solve a 3×3 system by Cramer's rule; null when singular. */
export function solve3(M: ArrayLike<number>, b: ArrayLike<number>): Float64Array | null {
  const d = M[0]! * (M[4]! * M[8]! - M[5]! * M[7]!) - M[1]! * (M[3]! * M[8]! - M[5]! * M[6]!) + M[2]! * (M[3]! * M[7]! - M[4]! * M[6]!);
  let scale = 0;
  for (let i = 0; i < 9; i++) scale = Math.max(scale, Math.abs(M[i]!));
  if (!(Math.abs(d) > 1e-14 * scale * scale * scale)) return null;
  const x = (b[0]! * (M[4]! * M[8]! - M[5]! * M[7]!) - M[1]! * (b[1]! * M[8]! - M[5]! * b[2]!) + M[2]! * (b[1]! * M[7]! - M[4]! * b[2]!)) / d;
  const y = (M[0]! * (b[1]! * M[8]! - M[5]! * b[2]!) - b[0]! * (M[3]! * M[8]! - M[5]! * M[6]!) + M[2]! * (M[3]! * b[2]! - b[1]! * M[6]!)) / d;
  const z = (M[0]! * (M[4]! * b[2]! - b[1]! * M[7]!) - M[1]! * (M[3]! * b[2]! - b[1]! * M[6]!) + b[0]! * (M[3]! * M[7]! - M[4]! * M[6]!)) / d;
  return new Float64Array([x, y, z]);
}

/** Gauss–Newton refinement of a point on the normalized reprojection error; returns the refined point. */
export function refinePoint(views: readonly View[], X0: ArrayLike<number>, iterations = 10): Float64Array {
  const X = Float64Array.from(X0);
  for (let it = 0; it < iterations; it++) {
    const H = new Float64Array(9), g = new Float64Array(3);
    for (const { R, t, x, y } of views) {
      const p0 = R[0]! * X[0]! + R[1]! * X[1]! + R[2]! * X[2]! + t[0]!;
      const p1 = R[3]! * X[0]! + R[4]! * X[1]! + R[5]! * X[2]! + t[1]!;
      const p2 = R[6]! * X[0]! + R[7]! * X[1]! + R[8]! * X[2]! + t[2]!;
      if (!(p2 > 1e-9)) continue;
      const rx = p0 / p2 - x, ry = p1 / p2 - y;
      const Jx = [0, 1, 2].map((j) => (R[j]! - (p0 / p2) * R[6 + j]!) / p2);
      const Jy = [0, 1, 2].map((j) => (R[3 + j]! - (p1 / p2) * R[6 + j]!) / p2);
      for (let i = 0; i < 3; i++) {
        g[i] = g[i]! + Jx[i]! * rx + Jy[i]! * ry;
        for (let j = 0; j < 3; j++) H[i * 3 + j] = H[i * 3 + j]! + Jx[i]! * Jx[j]! + Jy[i]! * Jy[j]!;
      }
    }
    const d = solve3(H, g);
    if (!d) break;
    X[0] = X[0]! - d[0]!; X[1] = X[1]! - d[1]!; X[2] = X[2]! - d[2]!;
    if (Math.hypot(d[0]!, d[1]!, d[2]!) < 1e-12 * (1 + Math.hypot(X[0]!, X[1]!, X[2]!))) break;
  }
  return X;
}
