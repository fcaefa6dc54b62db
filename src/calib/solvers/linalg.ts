/**
 * Small dense linear-algebra helpers for the calibration solvers: null spaces by SVD (ml-matrix),
 * 3×3 and 3-vector arithmetic on row-major arrays.
 */
import { Matrix, SVD } from 'ml-matrix';

/**
 * The `k` right singular vectors of the smallest singular values of the m×n row-major matrix
 * `a` (a null-space basis when the rank is n−k). Rows are padded with zeros to n when m < n so
 * that the SVD returns a full V. Result: k arrays of length n, smallest singular value first.
 */
export function nullSpace(a: ArrayLike<number>, m: number, n: number, k: number): Float64Array[] {
  const rows = Math.max(m, n);
  const M = new Matrix(rows, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) M.set(i, j, a[i * n + j]!);
  const svd = new SVD(M, { computeLeftSingularVectors: false, computeRightSingularVectors: true, autoTranspose: false });
  const V = svd.rightSingularVectors;
  const s = svd.diagonal;
  const order = s.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]).map((x) => x[1]);
  const out: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    const col = order[c]!;
    const v = new Float64Array(n);
    for (let j = 0; j < n; j++) v[j] = V.get(j, col);
    out.push(v);
  }
  return out;
}

/** Full SVD of a 3×3 row-major matrix: A = U·diag(s)·Vᵀ with s descending; U, V row-major. */
export function svd3(A: ArrayLike<number>): { U: Float64Array; s: [number, number, number]; V: Float64Array } {
  const M = new Matrix(3, 3);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) M.set(i, j, A[i * 3 + j]!);
  const svd = new SVD(M, { autoTranspose: false });
  const U = new Float64Array(9), V = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    U[i * 3 + j] = svd.leftSingularVectors.get(i, j);
    V[i * 3 + j] = svd.rightSingularVectors.get(i, j);
  }
  const d = svd.diagonal;
  return { U, s: [d[0]!, d[1]!, d[2]!], V };
}

export function det3(A: ArrayLike<number>): number {
  return A[0]! * (A[4]! * A[8]! - A[5]! * A[7]!) - A[1]! * (A[3]! * A[8]! - A[5]! * A[6]!) + A[2]! * (A[3]! * A[7]! - A[4]! * A[6]!);
}

/** A·B for row-major 3×3. */
export function mul3(A: ArrayLike<number>, B: ArrayLike<number>): Float64Array {
  const o = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) o[i * 3 + j] = A[i * 3]! * B[j]! + A[i * 3 + 1]! * B[3 + j]! + A[i * 3 + 2]! * B[6 + j]!;
  return o;
}

export function transpose3(A: ArrayLike<number>): Float64Array {
  return new Float64Array([A[0]!, A[3]!, A[6]!, A[1]!, A[4]!, A[7]!, A[2]!, A[5]!, A[8]!]);
}

/** A·v for a row-major 3×3 and a 3-vector. */
export function mulVec3(A: ArrayLike<number>, v: ArrayLike<number>): Float64Array {
  return new Float64Array([
    A[0]! * v[0]! + A[1]! * v[1]! + A[2]! * v[2]!,
    A[3]! * v[0]! + A[4]! * v[1]! + A[5]! * v[2]!,
    A[6]! * v[0]! + A[7]! * v[1]! + A[8]! * v[2]!,
  ]);
}

/** Skew-symmetric [v]× such that [v]×·w = v × w. */
export function skew(v: ArrayLike<number>): Float64Array {
  return new Float64Array([0, -v[2]!, v[1]!, v[2]!, 0, -v[0]!, -v[1]!, v[0]!, 0]);
}

/** Rotation matrix (row-major) from a rotation vector (axis·angle, radians). */
export function expSO3(w: ArrayLike<number>): Float64Array {
  const th = Math.hypot(w[0]!, w[1]!, w[2]!);
  const K = skew(w);
  const K2 = mul3(K, K);
  const a = th < 1e-8 ? 1 - (th * th) / 6 : Math.sin(th) / th;
  const b = th < 1e-8 ? 0.5 - (th * th) / 24 : (1 - Math.cos(th)) / (th * th);
  const R = new Float64Array(9);
  for (let i = 0; i < 9; i++) R[i] = (i % 4 === 0 ? 1 : 0) + a * K[i]! + b * K2[i]!;
  return R;
}

/** Rotation vector of a rotation matrix (inverse of {@link expSO3}, angle in [0, π]). */
export function logSO3(R: ArrayLike<number>): Float64Array {
  const c = Math.max(-1, Math.min(1, (R[0]! + R[4]! + R[8]! - 1) / 2));
  const th = Math.acos(c);
  const v = [R[7]! - R[5]!, R[2]! - R[6]!, R[3]! - R[1]!];
  if (th < 1e-7) return new Float64Array([v[0]! / 2, v[1]! / 2, v[2]! / 2]);
  if (Math.PI - th < 1e-4) {
    // Near π: axis from the largest diagonal of (R + I)/2.
    const B = [(R[0]! + 1) / 2, (R[4]! + 1) / 2, (R[8]! + 1) / 2];
    const i = B[0]! >= B[1]! && B[0]! >= B[2]! ? 0 : B[1]! >= B[2]! ? 1 : 2;
    const ax = [0, 0, 0];
    ax[i] = Math.sqrt(Math.max(B[i]!, 0));
    for (let j = 0; j < 3; j++) if (j !== i) ax[j] = (R[i * 3 + j]! + R[j * 3 + i]!) / (4 * ax[i]!);
    const n = Math.hypot(ax[0]!, ax[1]!, ax[2]!);
    // Sign from the antisymmetric part when it is still informative.
    const sgn = ax[0]! * v[0]! + ax[1]! * v[1]! + ax[2]! * v[2]! < 0 ? -1 : 1;
    return new Float64Array([(sgn * th * ax[0]!) / n, (sgn * th * ax[1]!) / n, (sgn * th * ax[2]!) / n]);
  }
  const k = th / (2 * Math.sin(th));
  return new Float64Array([k * v[0]!, k * v[1]!, k * v[2]!]);
}

/** Nearest rotation (Frobenius) to a 3×3 matrix. */
export function projectToRotation(A: ArrayLike<number>): Float64Array {
  const { U, V } = svd3(A);
  let R = mul3(U, transpose3(V));
  if (det3(R) < 0) {
    const U2 = Float64Array.from(U);
    U2[2] = -U2[2]!; U2[5] = -U2[5]!; U2[8] = -U2[8]!;
    R = mul3(U2, transpose3(V));
  }
  return R;
}
