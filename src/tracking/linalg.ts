/**
 * Fixed-size dense linear algebra for the tracker: row-major Float64Array matrices of dimension
 * 3, 6 or 9, written into caller-supplied outputs (no allocation in the hot path).
 * The measurement is always the position, H = [I₃ 0], so the Kalman update only needs the
 * top-left 3×3 block and the first three columns of P.
 */

/** out = a·b for n×n matrices (out must not alias a or b). */
export function mul(out: Float64Array, a: Float64Array, b: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[ri + k]! * b[k * n + j]!;
      out[ri + j] = s;
    }
  }
}

/** out = a·bᵀ for n×n matrices (out must not alias a or b). */
export function mulABt(out: Float64Array, a: Float64Array, b: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < n; j++) {
      const rj = j * n;
      let s = 0;
      for (let k = 0; k < n; k++) s += a[ri + k]! * b[rj + k]!;
      out[ri + j] = s;
    }
  }
}

/** out = a·x for an n×n matrix and an n-vector (out must not alias x). */
export function mulVec(out: Float64Array, a: Float64Array, x: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += a[i * n + k]! * x[k]!;
    out[i] = s;
  }
}

/**
 * P ← F·P·Fᵀ + Q (tmp: n×n scratch). The motion models' F are sparse (2–3 non-zeros per row), so
 * both products walk F's non-zeros only (about a quarter of the dense work for n = 9).
 */
export function propagateCovariance(P: Float64Array, F: Float64Array, Q: Float64Array, n: number, tmp: Float64Array): void {
  // tmp = F·P
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < n; j++) tmp[ri + j] = 0;
    for (let k = 0; k < n; k++) {
      const f = F[ri + k]!;
      if (f === 0) continue;
      const rk = k * n;
      for (let j = 0; j < n; j++) tmp[ri + j] = tmp[ri + j]! + f * P[rk + j]!;
    }
  }
  // P = tmp·Fᵀ + Q: P[i][j] = Σ_k tmp[i][k]·F[j][k]
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    for (let i = 0; i < n; i++) P[i * n + j] = Q[i * n + j]!;
    for (let k = 0; k < n; k++) {
      const f = F[rj + k]!;
      if (f === 0) continue;
      for (let i = 0; i < n; i++) P[i * n + j] = P[i * n + j]! + tmp[i * n + k]! * f;
    }
  }
  symmetrize(P, n);
}

/** Replace P by (P + Pᵀ)/2 (round-off makes Kalman covariances drift from symmetry). */
export function symmetrize(P: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const m = 0.5 * (P[i * n + j]! + P[j * n + i]!);
      P[i * n + j] = m;
      P[j * n + i] = m;
    }
  }
}

/** out = a⁻¹ for a 3×3 matrix (adjugate / determinant); returns the determinant (0: singular, out untouched). */
export function inv3(out: Float64Array, a: Float64Array): number {
  const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, a3 = a[3]!, a4 = a[4]!, a5 = a[5]!, a6 = a[6]!, a7 = a[7]!, a8 = a[8]!;
  const c0 = a4 * a8 - a5 * a7;
  const c3 = a5 * a6 - a3 * a8;
  const c6 = a3 * a7 - a4 * a6;
  const det = a0 * c0 + a1 * c3 + a2 * c6;
  if (det === 0 || !Number.isFinite(det)) return 0;
  const r = 1 / det;
  out[0] = c0 * r; out[1] = (a2 * a7 - a1 * a8) * r; out[2] = (a1 * a5 - a2 * a4) * r;
  out[3] = c3 * r; out[4] = (a0 * a8 - a2 * a6) * r; out[5] = (a2 * a3 - a0 * a5) * r;
  out[6] = c6 * r; out[7] = (a1 * a6 - a0 * a7) * r; out[8] = (a0 * a4 - a1 * a3) * r;
  return det;
}

/** dᵀ·M·d for a 3-vector d and a 3×3 matrix M. */
export function quad3(M: Float64Array, d0: number, d1: number, d2: number): number {
  return d0 * (M[0]! * d0 + M[1]! * d1 + M[2]! * d2)
    + d1 * (M[3]! * d0 + M[4]! * d1 + M[5]! * d2)
    + d2 * (M[6]! * d0 + M[7]! * d1 + M[8]! * d2);
}

/** Identity into out (n×n). */
export function identity(out: Float64Array, n: number): void {
  out.fill(0);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
}

/** Scratch buffers of one position update in an n-dimensional state. */
export interface UpdateScratch {
  S: Float64Array;
  Si: Float64Array;
  K: Float64Array;
}

export function createUpdateScratch(n: number): UpdateScratch {
  return { S: new Float64Array(9), Si: new Float64Array(9), K: new Float64Array(n * 3) };
}

/** What a position update reports: the squared Mahalanobis distance of the innovation and ln det S. */
export interface UpdateResult {
  d2: number;
  logDetS: number;
}

/**
 * d² = νᵀS⁻¹ν and ln det S of the innovation ν = z − x₀:₃, S = P₃₃ + R, without changing anything
 * (S⁻¹ is left in s.Si). Returns false when S is singular.
 */
export function innovation(x: Float64Array, P: Float64Array, n: number, z: ArrayLike<number>, R: Float64Array, s: UpdateScratch, res: UpdateResult): boolean {
  const { S, Si } = s;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) S[i * 3 + j] = P[i * n + j]! + R[i * 3 + j]!;
  const det = inv3(Si, S);
  if (!(det > 0)) return false;
  res.d2 = quad3(Si, z[0]! - x[0]!, z[1]! - x[1]!, z[2]! - x[2]!);
  res.logDetS = Math.log(det);
  return true;
}

/**
 * Kalman update of (x, P) (dimension n) with a position measurement z, covariance R (3×3),
 * H = [I₃ 0]: S = P₃₃ + R, K = P[:,0:3]·S⁻¹, x ← x + K(z − x₀:₃), P ← P − K·P[0:3,:].
 * Writes d² = νᵀS⁻¹ν and ln det S into res; returns false (state untouched) when S is singular.
 */
export function positionUpdate(x: Float64Array, P: Float64Array, n: number, z: ArrayLike<number>, R: Float64Array, s: UpdateScratch, res: UpdateResult): boolean {
  if (!innovation(x, P, n, z, R, s, res)) return false;
  const { Si, K } = s;
  const v0 = z[0]! - x[0]!, v1 = z[1]! - x[1]!, v2 = z[2]! - x[2]!;
  // K (n×3) = P[:, 0:3] · S⁻¹
  for (let i = 0; i < n; i++) {
    const p0 = P[i * n]!, p1 = P[i * n + 1]!, p2 = P[i * n + 2]!;
    K[i * 3] = p0 * Si[0]! + p1 * Si[3]! + p2 * Si[6]!;
    K[i * 3 + 1] = p0 * Si[1]! + p1 * Si[4]! + p2 * Si[7]!;
    K[i * 3 + 2] = p0 * Si[2]! + p1 * Si[5]! + p2 * Si[8]!;
  }
  for (let i = 0; i < n; i++) x[i] = x[i]! + K[i * 3]! * v0 + K[i * 3 + 1]! * v1 + K[i * 3 + 2]! * v2;
  // P ← P − K·P[0:3, :]. Rows 3..n−1 read only rows 0..2, which change last; rows 0..2 are
  // updated column by column after reading that column's three entries.
  for (let i = 3; i < n; i++) {
    const k0 = K[i * 3]!, k1 = K[i * 3 + 1]!, k2 = K[i * 3 + 2]!;
    for (let j = 0; j < n; j++) P[i * n + j] = P[i * n + j]! - (k0 * P[j]! + k1 * P[n + j]! + k2 * P[2 * n + j]!);
  }
  for (let j = 0; j < n; j++) {
    const q0 = P[j]!, q1 = P[n + j]!, q2 = P[2 * n + j]!;
    for (let i = 0; i < 3; i++) P[i * n + j] = P[i * n + j]! - (K[i * 3]! * q0 + K[i * 3 + 1]! * q1 + K[i * 3 + 2]! * q2);
  }
  symmetrize(P, n);
  return true;
}
