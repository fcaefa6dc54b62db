/**
 * Essential matrix from five calibrated correspondences, and its decomposition into a pose.
 *
 * Five-point solver (Stewénius' Gröbner-basis/action-matrix formulation): the epipolar
 * constraints of five normalized correspondences leave a 4-dimensional null space
 * E = x·X + y·Y + z·Z + W. The cubic constraints det E = 0 and 2·E·Eᵀ·E − tr(E·Eᵀ)·E = 0 give
 * ten cubics in (x, y, z) over the 20 monomials of degree ≤ 3. Eliminating the ten cubic
 * monomials expresses each of them in the basis b = (x², xy, xz, y², yz, z², x, y, z, 1);
 * multiplication by x then maps b into itself through a 10×10 action matrix whose real
 * eigenvectors are b evaluated at the (up to ten) solutions.
 *
 * Conventions: normalized image coordinates (undistorted, divided by focal length), x2ᵀ·E·x1 = 0,
 * and the pose (R, t) maps camera-1 coordinates to camera-2: X2 = R·X1 + t, with E = [t]×·R.
 */
import { EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';
import { det3, mul3, nullSpace, skew, svd3, transpose3 } from './linalg.ts';

// Monomials of degree ≤ 3 in (x, y, z): the ten cubic ones first, then the basis.
const MONOS: Array<[number, number, number]> = [
  [3, 0, 0], [2, 1, 0], [2, 0, 1], [1, 2, 0], [1, 1, 1], [1, 0, 2], [0, 3, 0], [0, 2, 1], [0, 1, 2], [0, 0, 3],
  [2, 0, 0], [1, 1, 0], [1, 0, 1], [0, 2, 0], [0, 1, 1], [0, 0, 2], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0],
];
const NM = MONOS.length;
const key = (a: number, b: number, c: number): number => a * 16 + b * 4 + c;
const INDEX = new Map<number, number>(MONOS.map((m, i) => [key(m[0], m[1], m[2]), i]));
// Product table: PROD[i*NM+j] = index of MONOS[i]·MONOS[j], or −1 when the degree exceeds 3.
const PROD = new Int32Array(NM * NM);
for (let i = 0; i < NM; i++) for (let j = 0; j < NM; j++) {
  const a = MONOS[i]!, b = MONOS[j]!;
  PROD[i * NM + j] = INDEX.get(key(a[0] + b[0], a[1] + b[1], a[2] + b[2])) ?? -1;
}
const IX = INDEX.get(key(1, 0, 0))!, IY = INDEX.get(key(0, 1, 0))!, IZ = INDEX.get(key(0, 0, 1))!, I1 = INDEX.get(key(0, 0, 0))!;

type Poly = Float64Array; // length NM

function pmul(a: Poly, b: Poly): Poly {
  const o = new Float64Array(NM);
  for (let i = 0; i < NM; i++) {
    const ai = a[i]!;
    if (ai === 0) continue;
    for (let j = 0; j < NM; j++) {
      const bj = b[j]!;
      if (bj === 0) continue;
      const k = PROD[i * NM + j]!;
      if (k < 0) throw new Error('five-point: degree overflow');
      o[k] = o[k]! + ai * bj;
    }
  }
  return o;
}
function padd(a: Poly, b: Poly, s = 1): Poly {
  const o = new Float64Array(NM);
  for (let i = 0; i < NM; i++) o[i] = a[i]! + s * b[i]!;
  return o;
}
function pscale(a: Poly, s: number): Poly {
  const o = new Float64Array(NM);
  for (let i = 0; i < NM; i++) o[i] = a[i]! * s;
  return o;
}

/** Multiplication by x on the basis: target monomial index for each basis element. */
const BASIS0 = 10;
const X_TIMES_BASIS = Array.from({ length: 10 }, (_, r) => PROD[IX * NM + BASIS0 + r]!);

/**
 * Five-point solver: every real essential matrix consistent with the five normalized
 * correspondences (x1[2i], x1[2i+1]) ↔ (x2[2i], x2[2i+1]) selected by idx (or the first five).
 */
export function fivePoint(x1: ArrayLike<number>, x2: ArrayLike<number>, idx?: ArrayLike<number>): Float64Array[] {
  const A = new Float64Array(5 * 9);
  for (let k = 0; k < 5; k++) {
    const i = idx ? idx[k]! : k;
    const u1 = x1[2 * i]!, v1 = x1[2 * i + 1]!, u2 = x2[2 * i]!, v2 = x2[2 * i + 1]!;
    A.set([u2 * u1, u2 * v1, u2, v2 * u1, v2 * v1, v2, u1, v1, 1], k * 9);
  }
  const [X, Y, Z, W] = nullSpace(A, 5, 9, 4);
  // Entries of E as linear polynomials.
  const E: Poly[] = [];
  for (let e = 0; e < 9; e++) {
    const p = new Float64Array(NM);
    p[IX] = X![e]!; p[IY] = Y![e]!; p[IZ] = Z![e]!; p[I1] = W![e]!;
    E.push(p);
  }
  const eq: Poly[] = [];
  // det E (cofactor expansion along the first row)
  const m = (r: number, c: number): Poly => E[r * 3 + c]!;
  const det = padd(padd(
    pmul(m(0, 0), padd(pmul(m(1, 1), m(2, 2)), pmul(m(1, 2), m(2, 1)), -1)),
    pmul(m(0, 1), padd(pmul(m(1, 0), m(2, 2)), pmul(m(1, 2), m(2, 0)), -1)), -1),
    pmul(m(0, 2), padd(pmul(m(1, 0), m(2, 1)), pmul(m(1, 1), m(2, 0)), -1)));
  eq.push(det);
  // E·Eᵀ, its trace, then 2·E·Eᵀ·E − tr·E
  const EEt: Poly[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let s: Poly = new Float64Array(NM);
    for (let k = 0; k < 3; k++) s = padd(s, pmul(m(i, k), m(j, k)));
    EEt.push(s);
  }
  const tr = padd(padd(EEt[0]!, EEt[4]!), EEt[8]!);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let s: Poly = new Float64Array(NM);
    for (let k = 0; k < 3; k++) s = padd(s, pmul(EEt[i * 3 + k]!, m(k, j)));
    eq.push(padd(pscale(s, 2), pmul(tr, m(i, j)), -1));
  }
  // Gauss–Jordan on the cubic block: C·c + B·b = 0 → c = −C⁻¹·B·b.
  const C = new Matrix(10, 10), B = new Matrix(10, 10);
  for (let r = 0; r < 10; r++) {
    let n = 0;
    for (let j = 0; j < NM; j++) n = Math.max(n, Math.abs(eq[r]![j]!));
    for (let j = 0; j < 10; j++) { C.set(r, j, eq[r]![j]! / n); B.set(r, j, eq[r]![BASIS0 + j]! / n); }
  }
  let G: Matrix;
  try {
    G = solve(C, B);
  } catch {
    return [];
  }
  // Action matrix: x·b = M·b.
  const M = new Matrix(10, 10);
  for (let r = 0; r < 10; r++) {
    const t = X_TIMES_BASIS[r]!;
    if (t < BASIS0) for (let j = 0; j < 10; j++) M.set(r, j, -G.get(t, j));
    else M.set(r, t - BASIS0, 1);
  }
  const evd = new EigenvalueDecomposition(M);
  const re = evd.realEigenvalues, im = evd.imaginaryEigenvalues, V = evd.eigenvectorMatrix;
  const out: Float64Array[] = [];
  for (let s = 0; s < 10; s++) {
    if (Math.abs(im[s]!) > 1e-8 * Math.max(1, Math.abs(re[s]!))) continue;
    const one = V.get(I1 - BASIS0, s);
    if (Math.abs(one) < 1e-12) continue;
    const x = V.get(IX - BASIS0, s) / one, y = V.get(IY - BASIS0, s) / one, z = V.get(IZ - BASIS0, s) / one;
    const Es = new Float64Array(9);
    let n = 0;
    for (let e = 0; e < 9; e++) { Es[e] = x * X![e]! + y * Y![e]! + z * Z![e]! + W![e]!; n += Es[e]! * Es[e]!; }
    n = Math.sqrt(n);
    for (let e = 0; e < 9; e++) Es[e] = Es[e]! / n;
    out.push(Es);
  }
  return out;
}

/** The four (R, t) candidates of an essential matrix (‖t‖ = 1). */
export function decomposeEssential(E: ArrayLike<number>): Array<{ R: Float64Array; t: Float64Array }> {
  const { U, V } = svd3(E);
  const Uf = Float64Array.from(U), Vf = Float64Array.from(V);
  if (det3(Uf) < 0) for (let i = 2; i < 9; i += 3) Uf[i] = -Uf[i]!;
  if (det3(Vf) < 0) for (let i = 2; i < 9; i += 3) Vf[i] = -Vf[i]!;
  const Wm = new Float64Array([0, -1, 0, 1, 0, 0, 0, 0, 1]);
  const Vt = transpose3(Vf);
  const R1 = mul3(mul3(Uf, Wm), Vt);
  const R2 = mul3(mul3(Uf, transpose3(Wm)), Vt);
  const t = new Float64Array([Uf[2]!, Uf[5]!, Uf[8]!]);
  const tn = new Float64Array([-t[0]!, -t[1]!, -t[2]!]);
  return [{ R: R1, t }, { R: R1, t: tn }, { R: R2, t }, { R: R2, t: tn }];
}

/** E = [t]×·R. */
export function essentialFromPose(R: ArrayLike<number>, t: ArrayLike<number>): Float64Array {
  return mul3(skew(t), R);
}

/**
 * Depths of a correspondence in both cameras for pose (R, t) (camera 1 at the origin) by the
 * two-ray least-squares: d1·R·x1 + t = d2·x2. Returns [d1, d2] (NaN for parallel rays).
 */
export function twoViewDepths(R: ArrayLike<number>, t: ArrayLike<number>, u1: number, v1: number, u2: number, v2: number): [number, number] {
  const a0 = R[0]! * u1 + R[1]! * v1 + R[2]!, a1 = R[3]! * u1 + R[4]! * v1 + R[5]!, a2 = R[6]! * u1 + R[7]! * v1 + R[8]!;
  // Solve [a, −x2]·[d1, d2]ᵀ = −t in least squares.
  const b0 = -u2, b1 = -v2, b2 = -1;
  const aa = a0 * a0 + a1 * a1 + a2 * a2, ab = a0 * b0 + a1 * b1 + a2 * b2, bb = b0 * b0 + b1 * b1 + b2 * b2;
  const at = -(a0 * t[0]! + a1 * t[1]! + a2 * t[2]!), bt = -(b0 * t[0]! + b1 * t[1]! + b2 * t[2]!);
  const den = aa * bb - ab * ab;
  if (!(Math.abs(den) > 1e-15 * aa * bb)) return [NaN, NaN];
  return [(at * bb - ab * bt) / den, (aa * bt - ab * at) / den];
}

/**
 * Recover the pose from an essential matrix: the candidate that puts the most of the selected
 * correspondences in front of both cameras. Returns the pose and the indices that pass.
 */
export function recoverPose(E: ArrayLike<number>, x1: ArrayLike<number>, x2: ArrayLike<number>, idx?: ArrayLike<number>): { R: Float64Array; t: Float64Array; front: number[] } {
  const n = idx ? idx.length : x1.length / 2;
  let best: { R: Float64Array; t: Float64Array; front: number[] } | null = null;
  for (const cand of decomposeEssential(E)) {
    const front: number[] = [];
    for (let k = 0; k < n; k++) {
      const i = idx ? idx[k]! : k;
      const [d1, d2] = twoViewDepths(cand.R, cand.t, x1[2 * i]!, x1[2 * i + 1]!, x2[2 * i]!, x2[2 * i + 1]!);
      if (d1 > 0 && d2 > 0) front.push(i);
    }
    if (!best || front.length > best.front.length) best = { ...cand, front };
  }
  return best!;
}

/** Closest essential matrix (singular values 1, 1, 0) to a 3×3 matrix. */
export function projectToEssential(M: ArrayLike<number>): Float64Array {
  const { U, V } = svd3(M);
  const D = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 0]);
  const E = mul3(mul3(U, D), transpose3(V));
  for (let i = 0; i < 9; i++) E[i] = E[i]! / Math.SQRT2;
  return E;
}

/**
 * Least-squares essential matrix from N ≥ 8 normalized correspondences: the linear 8-point
 * solution projected onto the essential manifold (used to refit RANSAC inliers).
 */
export function essentialLeastSquares(x1: ArrayLike<number>, x2: ArrayLike<number>, idx?: ArrayLike<number>): Float64Array | null {
  const n = idx ? idx.length : x1.length / 2;
  if (n < 8) return null;
  const A = new Float64Array(n * 9);
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k]! : k;
    const u1 = x1[2 * i]!, v1 = x1[2 * i + 1]!, u2 = x2[2 * i]!, v2 = x2[2 * i + 1]!;
    A.set([u2 * u1, u2 * v1, u2, v2 * u1, v2 * v1, v2, u1, v1, 1], k * 9);
  }
  const [e] = nullSpace(A, n, 9, 1);
  return projectToEssential(e!);
}
