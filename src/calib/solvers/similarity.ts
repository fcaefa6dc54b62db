/**
 * Umeyama's least-squares similarity between two point sets: dst ≈ s·R·src + t, optionally
 * with per-point weights. Rotation from the SVD of the cross-covariance with the reflection fix.
 */
import { det3, mul3, svd3, transpose3 } from './linalg.ts';

export interface Similarity {
  s: number;
  /** Row-major rotation. */
  R: Float64Array;
  t: Float64Array;
}

export function umeyama(src: ArrayLike<number>, dst: ArrayLike<number>, weights?: ArrayLike<number>, withScale = true): Similarity | null {
  const n = src.length / 3;
  if (n < 2) return null;
  let W = 0;
  const ms = [0, 0, 0], md = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    W += w;
    for (let j = 0; j < 3; j++) { ms[j] = ms[j]! + w * src[3 * i + j]!; md[j] = md[j]! + w * dst[3 * i + j]!; }
  }
  if (!(W > 0)) return null;
  for (let j = 0; j < 3; j++) { ms[j] = ms[j]! / W; md[j] = md[j]! / W; }
  const S = new Float64Array(9);
  let vs = 0;
  for (let i = 0; i < n; i++) {
    const w = (weights ? weights[i]! : 1) / W;
    const a = [src[3 * i]! - ms[0]!, src[3 * i + 1]! - ms[1]!, src[3 * i + 2]! - ms[2]!];
    const b = [dst[3 * i]! - md[0]!, dst[3 * i + 1]! - md[1]!, dst[3 * i + 2]! - md[2]!];
    vs += w * (a[0]! * a[0]! + a[1]! * a[1]! + a[2]! * a[2]!);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) S[r * 3 + c] = S[r * 3 + c]! + w * b[r]! * a[c]!;
  }
  const { U, s: sv, V } = svd3(S);
  const d = det3(U) * det3(V) < 0 ? -1 : 1;
  const D = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, d]);
  const R = mul3(mul3(U, D), transpose3(V));
  const scale = withScale && vs > 0 ? (sv[0] + sv[1] + d * sv[2]) / vs : 1;
  const t = new Float64Array(3);
  for (let r = 0; r < 3; r++) t[r] = md[r]! - scale * (R[r * 3]! * ms[0]! + R[r * 3 + 1]! * ms[1]! + R[r * 3 + 2]! * ms[2]!);
  return { s: scale, R, t };
}

/** Apply a similarity to a point. */
export function applySimilarity(T: Similarity, p: ArrayLike<number>): Float64Array {
  const R = T.R;
  return new Float64Array([0, 1, 2].map((r) => T.s * (R[r * 3]! * p[0]! + R[r * 3 + 1]! * p[1]! + R[r * 3 + 2]! * p[2]!) + T.t[r]!));
}
