/**
 * Camera pose from 3D–2D correspondences (perspective-n-point) with normalized image points.
 *
 * {@link pnpDlt}: the 12-unknown linear projection matrix from N ≥ 6 points, its left 3×3 block
 * scaled and projected to the nearest rotation (sign chosen so the points lie in front).
 * {@link refinePose}: Gauss–Newton on the normalized reprojection error over a rotation increment
 * (R ← exp([δ]×)·R) and t.
 */
import { Matrix, solve } from 'ml-matrix';
import { det3, expSO3, mul3, nullSpace, projectToRotation } from './linalg.ts';

export interface Pose {
  /** World→camera rotation, row-major. */
  R: Float64Array;
  /** X_cam = R·X + t. */
  t: Float64Array;
}

/** X: flat world points (3 per point); x: flat normalized image points (2 per point). */
export function pnpDlt(X: ArrayLike<number>, x: ArrayLike<number>, idx?: ArrayLike<number>): Pose | null {
  const n = idx ? idx.length : x.length / 2;
  if (n < 6) return null;
  // Normalize the 3D points (centroid, scale) for conditioning.
  let cx = 0, cy = 0, cz = 0;
  for (let k = 0; k < n; k++) { const i = idx ? idx[k]! : k; cx += X[3 * i]!; cy += X[3 * i + 1]!; cz += X[3 * i + 2]!; }
  cx /= n; cy /= n; cz /= n;
  let s = 0;
  for (let k = 0; k < n; k++) { const i = idx ? idx[k]! : k; s += Math.hypot(X[3 * i]! - cx, X[3 * i + 1]! - cy, X[3 * i + 2]! - cz); }
  s = s > 0 ? (n * Math.sqrt(3)) / s : 1;
  const A = new Float64Array(2 * n * 12);
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k]! : k;
    const P = [(X[3 * i]! - cx) * s, (X[3 * i + 1]! - cy) * s, (X[3 * i + 2]! - cz) * s, 1];
    const u = x[2 * i]!, v = x[2 * i + 1]!;
    for (let j = 0; j < 4; j++) {
      A[(2 * k) * 12 + j] = P[j]!;
      A[(2 * k) * 12 + 8 + j] = -u * P[j]!;
      A[(2 * k + 1) * 12 + 4 + j] = P[j]!;
      A[(2 * k + 1) * 12 + 8 + j] = -v * P[j]!;
    }
  }
  const [p] = nullSpace(A, 2 * n, 12, 1);
  const M = new Float64Array([p![0]!, p![1]!, p![2]!, p![4]!, p![5]!, p![6]!, p![8]!, p![9]!, p![10]!]);
  let tn = new Float64Array([p![3]!, p![7]!, p![11]!]);
  // Scale so the rotation block has unit determinant (cube root keeps the sign).
  const d = det3(M);
  if (!(Math.abs(d) > 0)) return null;
  const sc = 1 / Math.cbrt(d);
  for (let i = 0; i < 9; i++) M[i] = M[i]! * sc;
  tn = tn.map((v) => v * sc);
  const Rn = projectToRotation(M);
  // Undo the point normalization: X_cam = M·(s(X − c)) + t' → R = Rn, scale s applies to depth.
  // The recovered projection is up to scale: X_cam ∝ Rn·s(X − c) + tn ⇒ divide by s.
  const t = new Float64Array([tn[0]! / s - (Rn[0]! * cx + Rn[1]! * cy + Rn[2]! * cz), tn[1]! / s - (Rn[3]! * cx + Rn[4]! * cy + Rn[5]! * cz), tn[2]! / s - (Rn[6]! * cx + Rn[7]! * cy + Rn[8]! * cz)]);
  // Cheirality: most points must be in front; det > 0 already fixed the orientation sign, but
  // a negative overall scale flips depths: check and flip via the point reflection if needed.
  let front = 0;
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k]! : k;
    if (Rn[6]! * X[3 * i]! + Rn[7]! * X[3 * i + 1]! + Rn[8]! * X[3 * i + 2]! + t[2]! > 0) front++;
  }
  if (front < n / 2) return null;
  return { R: Rn, t };
}

/** Gauss–Newton refinement of a pose on the normalized reprojection error. */
export function refinePose(pose: Pose, X: ArrayLike<number>, x: ArrayLike<number>, idx?: ArrayLike<number>, iterations = 15): Pose {
  let R: Float64Array = Float64Array.from(pose.R), t: Float64Array = Float64Array.from(pose.t);
  const n = idx ? idx.length : x.length / 2;
  let lastCost = Infinity;
  for (let it = 0; it < iterations; it++) {
    const H = new Matrix(6, 6), g = new Matrix(6, 1);
    let cost = 0;
    for (let k = 0; k < n; k++) {
      const i = idx ? idx[k]! : k;
      const Xw = [X[3 * i]!, X[3 * i + 1]!, X[3 * i + 2]!];
      const q = [0, 1, 2].map((r) => R[r * 3]! * Xw[0]! + R[r * 3 + 1]! * Xw[1]! + R[r * 3 + 2]! * Xw[2]!);
      const p = [q[0]! + t[0]!, q[1]! + t[1]!, q[2]! + t[2]!];
      if (!(p[2]! > 1e-9)) continue;
      const iz = 1 / p[2]!;
      const rx = p[0]! * iz - x[2 * i]!, ry = p[1]! * iz - x[2 * i + 1]!;
      cost += rx * rx + ry * ry;
      // d(proj)/dp
      const dx = [iz, 0, -p[0]! * iz * iz], dy = [0, iz, -p[1]! * iz * iz];
      // dp/dδ = −[q]× (left increment on R), dp/dt = I
      const dq = [
        [0, q[2]!, -q[1]!],
        [-q[2]!, 0, q[0]!],
        [q[1]!, -q[0]!, 0],
      ];
      const jx = new Array<number>(6), jy = new Array<number>(6);
      for (let c = 0; c < 3; c++) {
        jx[c] = dx[0]! * dq[0]![c]! + dx[1]! * dq[1]![c]! + dx[2]! * dq[2]![c]!;
        jy[c] = dy[0]! * dq[0]![c]! + dy[1]! * dq[1]![c]! + dy[2]! * dq[2]![c]!;
        jx[3 + c] = dx[c]!; jy[3 + c] = dy[c]!;
      }
      for (let a = 0; a < 6; a++) {
        g.set(a, 0, g.get(a, 0) + jx[a]! * rx + jy[a]! * ry);
        for (let b = 0; b < 6; b++) H.set(a, b, H.get(a, b) + jx[a]! * jx[b]! + jy[a]! * jy[b]!);
      }
    }
    if (cost > lastCost * (1 + 1e-12)) break;
    lastCost = cost;
    let d: Matrix;
    try { d = solve(H, g); } catch { break; }
    const dR = expSO3([-d.get(0, 0), -d.get(1, 0), -d.get(2, 0)]);
    R = mul3(dR, R);
    t = new Float64Array([t[0]! - d.get(3, 0), t[1]! - d.get(4, 0), t[2]! - d.get(5, 0)]);
    if (Math.abs(d.get(0, 0)) + Math.abs(d.get(1, 0)) + Math.abs(d.get(2, 0)) < 1e-13) break;
  }
  return { R, t };
}
