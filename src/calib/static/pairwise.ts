/**
 * Relative pose of two cameras from ORB matches on their static backgrounds, with the project's
 * own solvers: five-point essential matrix in RANSAC (Sampson distance), least-squares refit on
 * the inliers, cheirality to pick the pose.
 *
 * Several RANSAC runs with different seeds are refined (Levenberg–Marquardt on the Sampson
 * distances) and the lowest robust cost wins; their disagreement is reported as `ambiguityDeg`.
 *
 * Degeneracy: the translation is only seen through parallax. When the matched scenery is far
 * compared with the baseline, a pure rotation explains the matches as well as any essential
 * matrix, and the "translation" an essential matrix returns is noise. We therefore also fit the
 * rotation-only model; if it holds (almost) every essential inlier, or the median parallax is
 * below `minParallaxPx`, the result is flagged degenerate and only the rotation is returned.
 */
import { rotationAngleBetween, type Camera } from '../../geometry/index.ts';
import { essentialFromPose, essentialLeastSquares, expSO3, fivePoint, mul3, recoverPose, sampsonError2 } from '../solvers/index.ts';
import { ransac } from '../solvers/ransac.ts';
import type { Cv } from './cv.ts';
import { detectOrb, matchOrb, type MatchOptions, type OrbOptions } from './features.ts';
import { staticMask } from './orientation.ts';
import { bearings, fitRotation, ransacRotation, refineMatch, rotationResidual } from './rotation.ts';

export interface PairOptions {
  orb?: OrbOptions;
  match?: MatchOptions;
  /** Inlier threshold, pixels (default 1.5). */
  thresholdPx?: number;
  /** Median parallax below which the translation is declared unobservable, pixels (default 4). */
  minParallaxPx?: number;
  /** Share of essential inliers a rotation-only model may explain before the pair is degenerate (default 0.9). */
  maxRotationOnlyShare?: number;
  masks?: [Uint8Array | null, Uint8Array | null];
  /** RANSAC runs with consecutive seeds (default 5). */
  runs?: number;
  seed?: number;
}

export interface PairGeometry {
  ok: boolean;
  reason?: string;
  /** Camera 1 → camera 2: X2 = R·X1 + t (camera frames). */
  R: Float64Array;
  /** Unit translation direction, or null when degenerate. */
  t: Float64Array | null;
  degenerate: boolean;
  /**
   * Largest rotation difference between the best pose and other RANSAC runs whose robust cost is
   * within 10 % of it, degrees: near-planar or strip-like scenery leaves several poses almost
   * equally good, and this says how much the answer is to be trusted.
   */
  ambiguityDeg: number;
  matches: number;
  /** Matches tracked to sub-pixel by Lucas–Kanade (the rest keep their ORB keypoints). */
  refined: number;
  inliers: number;
  /** Median angle between matched rays after removing R, pixels (at the first camera's focal length) and degrees. */
  medianParallaxPx: number;
  medianParallaxDeg: number;
  /** Share of the essential inliers that the best pure rotation also explains. */
  rotationOnlyShare: number;
}

const I3 = (): Float64Array => new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);

/** Relative pose of `cam2` with respect to `cam1` (intrinsics used; poses ignored). */
export function pairwiseGeometry(cv: Cv, cam1: Camera, img1: Uint8Array, cam2: Camera, img2: Uint8Array, o: PairOptions = {}): PairGeometry {
  const m1 = o.masks ? o.masks[0] : staticMask(img1, cam1.width, cam1.height);
  const m2 = o.masks ? o.masks[1] : staticMask(img2, cam2.width, cam2.height);
  // Between two views the scenery changes more than between two looks of one camera: more
  // keypoints and a looser ratio test keep enough true matches (RANSAC removes the rest).
  const orb = { nFeatures: 3000, ...o.orb }, match = { ratio: 0.9, ...o.match };
  const f1 = detectOrb(cv, img1, cam1.width, cam1.height, m1, orb);
  const f2 = detectOrb(cv, img2, cam2.width, cam2.height, m2, orb);
  const pairs = matchOrb(cv, f1, f2, match);
  const m = pairs.length / 2;
  const base = { R: I3(), t: null, degenerate: true, ambiguityDeg: NaN, matches: m, refined: 0, inliers: 0, medianParallaxPx: NaN, medianParallaxDeg: NaN, rotationOnlyShare: NaN };
  if (m < 12) return { ok: false, reason: `only ${m} ORB matches between the views`, ...base };
  // Sub-pixel: track each first-view patch (at its whole-pixel keypoint) into the second view
  // from the matched keypoint; a match whose patch cannot be tracked keeps its keypoint.
  const u1 = new Float64Array(m), v1 = new Float64Array(m), u2 = new Float64Array(m), v2 = new Float64Array(m);
  let refined = 0;
  for (let k = 0; k < m; k++) {
    u1[k] = Math.round(f1.x[pairs[2 * k]!]!); v1[k] = Math.round(f1.y[pairs[2 * k]!]!);
    u2[k] = f2.x[pairs[2 * k + 1]!]!; v2[k] = f2.y[pairs[2 * k + 1]!]!;
    if (cam1.width === cam2.width && cam1.height === cam2.height) {
      const tr = refineMatch(img1, img2, cam1.width, cam1.height, u1[k]!, v1[k]!, u2[k]!, v2[k]!, 7);
      if (tr.ok) { u2[k] = tr.x; v2[k] = tr.y; refined++; }
    }
  }
  const b1 = bearings(cam1, u1, v1), b2 = bearings(cam2, u2, v2);
  // Normalized image coordinates for the epipolar solvers.
  const x1 = new Float64Array(2 * m), x2 = new Float64Array(2 * m);
  for (let k = 0; k < m; k++) {
    x1[2 * k] = b1[3 * k]! / b1[3 * k + 2]!; x1[2 * k + 1] = b1[3 * k + 1]! / b1[3 * k + 2]!;
    x2[2 * k] = b2[3 * k]! / b2[3 * k + 2]!; x2[2 * k + 1] = b2[3 * k + 1]! / b2[3 * k + 2]!;
  }
  const f = Math.max(cam1.fx, cam1.fy, cam2.fx, cam2.fy);
  const th = (o.thresholdPx ?? 1.5) / f;
  // Several RANSAC runs (different seeds), each refined; the lowest robust cost over all matches
  // wins. How far the near-best runs disagree measures how well the scene fixes the pose.
  const runs = o.runs ?? 5, seed0 = o.seed ?? 1;
  type Cand = { R: Float64Array; t: Float64Array; inliers: Int32Array; cost: number };
  const cands: Cand[] = [];
  for (let k = 0; k < runs; k++) {
    const rs = ransac<Float64Array>({
      n: m, sampleSize: 5, threshold: th, seed: seed0 + k, maxIterations: 2000, confidence: 0.9999,
      fit: (smp) => fivePoint(x1, x2, smp),
      residual2: (E, i) => sampsonError2(E, x1, x2, i),
      refit: (inl) => essentialLeastSquares(x1, x2, inl),
    });
    if (!rs || rs.inliers.length < 12) continue;
    const pose0 = recoverPose(rs.model, x1, x2, rs.inliers);
    const pr = refineRelativePose(pose0.R, pose0.t, x1, x2, rs.inliers, th);
    const E = essentialFromPose(pr.R, pr.t);
    let cost = 0;
    const inl: number[] = [];
    for (let i = 0; i < m; i++) {
      const e2 = sampsonError2(E, x1, x2, i);
      cost += Math.min(e2, th * th);
      if (e2 < th * th) inl.push(i);
    }
    cands.push({ R: pr.R, t: pr.t, inliers: Int32Array.from(inl), cost });
  }
  if (cands.length === 0) return { ok: false, reason: `no essential-matrix consensus among ${m} matches`, ...base };
  cands.sort((a, b) => a.cost - b.cost);
  const best = cands[0]!;
  let spread = 0;
  for (const c of cands) if (c.cost <= best.cost * 1.1) spread = Math.max(spread, rotationAngleBetween(c.R, best.R));
  const pose = { R: best.R, t: best.t };
  const inl = best.inliers;
  if (inl.length < 12) return { ok: false, reason: `only ${inl.length} essential inliers among ${m} matches`, ...base };
  // Parallax: what is left of each inlier's ray angle once the rotation is undone.
  const par = Array.from(inl, (i) => rotationResidual(pose.R, b1, b2, i)).sort((a, b) => a - b);
  const medPar = par[par.length >> 1]!;
  // Best pure rotation on the same matches.
  const rot = ransacRotation(b1, b2, th, seed0);
  let share = 0;
  if (rot) {
    const Rr = fitRotation(b1, b2, rot.inliers);
    let c = 0;
    for (const i of inl) if (rotationResidual(Rr, b1, b2, i) < th) c++;
    share = c / inl.length;
  }
  const degenerate = medPar * f < (o.minParallaxPx ?? 4) || share > (o.maxRotationOnlyShare ?? 0.9);
  let R = pose.R;
  if (degenerate && rot) R = fitRotation(b1, b2, rot.inliers);
  return {
    ok: true, R, t: degenerate ? null : pose.t, degenerate, ambiguityDeg: (spread * 180) / Math.PI, matches: m, refined, inliers: inl.length,
    medianParallaxPx: medPar * f, medianParallaxDeg: (medPar * 180) / Math.PI, rotationOnlyShare: share,
  };
}

/**
 * Gauss–Newton (Levenberg-damped) on the Sampson distances of the inliers over the five degrees
 * of freedom of a relative pose: R ← exp([δ]×)·R, t ← normalize(t + B·β) with B spanning t⊥.
 * Huber weights at the inlier threshold. The linear refit minimises an algebraic error; this
 * minimises (a first-order approximation of) the geometric one.
 */
export function refineRelativePose(R0: Float64Array, t0: Float64Array, x1: Float64Array, x2: Float64Array, inliers: Int32Array, huber: number, iterations = 10): { R: Float64Array; t: Float64Array } {
  let R = R0, t = t0;
  const n = inliers.length;
  const signed = (Rc: Float64Array, tc: ArrayLike<number>, out: Float64Array): number => {
    const E = essentialFromPose(Rc, tc);
    let c = 0;
    for (let k = 0; k < n; k++) {
      const i = inliers[k]!;
      const a = x1[2 * i]!, b = x1[2 * i + 1]!, p = x2[2 * i]!, q = x2[2 * i + 1]!;
      const Fx0 = E[0]! * a + E[1]! * b + E[2]!, Fx1 = E[3]! * a + E[4]! * b + E[5]!, Fx2 = E[6]! * a + E[7]! * b + E[8]!;
      const Ft0 = E[0]! * p + E[3]! * q + E[6]!, Ft1 = E[1]! * p + E[4]! * q + E[7]!;
      const r = (p * Fx0 + q * Fx1 + Fx2) / Math.sqrt(Fx0 * Fx0 + Fx1 * Fx1 + Ft0 * Ft0 + Ft1 * Ft1 + 1e-300);
      out[k] = r;
      c += Math.abs(r) <= huber ? r * r : huber * (2 * Math.abs(r) - huber);
    }
    return c;
  };
  const basis = (tc: Float64Array): [number[], number[]] => {
    const a = Math.abs(tc[0]!) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const d = a[0]! * tc[0]! + a[1]! * tc[1]! + a[2]! * tc[2]!;
    const e1 = [a[0]! - d * tc[0]!, a[1]! - d * tc[1]!, a[2]! - d * tc[2]!];
    const n1 = Math.hypot(e1[0]!, e1[1]!, e1[2]!);
    for (let j = 0; j < 3; j++) e1[j] = e1[j]! / n1;
    const e2 = [tc[1]! * e1[2]! - tc[2]! * e1[1]!, tc[2]! * e1[0]! - tc[0]! * e1[2]!, tc[0]! * e1[1]! - tc[1]! * e1[0]!];
    return [e1, e2];
  };
  const apply = (Rc: Float64Array, tc: Float64Array, d: ArrayLike<number>): [Float64Array, Float64Array] => {
    const [e1, e2] = basis(tc);
    const tn = new Float64Array(3);
    for (let j = 0; j < 3; j++) tn[j] = tc[j]! + d[3]! * e1[j]! + d[4]! * e2[j]!;
    const nn = Math.hypot(tn[0]!, tn[1]!, tn[2]!);
    for (let j = 0; j < 3; j++) tn[j] = tn[j]! / nn;
    return [mul3(expSO3([d[0]!, d[1]!, d[2]!]), Rc), tn];
  };
  const r0 = new Float64Array(n), rp = new Float64Array(n);
  let cost = signed(R, t, r0);
  let lambda = 1e-3;
  const h = 1e-7;
  for (let it = 0; it < iterations; it++) {
    const J: Float64Array[] = [];
    for (let a = 0; a < 5; a++) {
      const d = [0, 0, 0, 0, 0];
      d[a] = h;
      const [Rp, tp] = apply(R, t, d);
      signed(Rp, tp, rp);
      const col = new Float64Array(n);
      for (let k = 0; k < n; k++) col[k] = (rp[k]! - r0[k]!) / h;
      J.push(col);
    }
    const A = new Float64Array(25), g = new Float64Array(5);
    for (let k = 0; k < n; k++) {
      const r = r0[k]!, w = Math.abs(r) <= huber ? 1 : huber / Math.abs(r);
      for (let a = 0; a < 5; a++) {
        g[a] = g[a]! + w * J[a]![k]! * r;
        for (let b = 0; b < 5; b++) A[a * 5 + b] = A[a * 5 + b]! + w * J[a]![k]! * J[b]![k]!;
      }
    }
    let improved = false;
    for (let tries = 0; tries < 6 && !improved; tries++) {
      const M = Float64Array.from(A);
      for (let a = 0; a < 5; a++) M[a * 6] = M[a * 6]! * (1 + lambda);
      const d = solveN(M, g, 5);
      if (!d) { lambda *= 10; continue; }
      const [Rn, tn] = apply(R, t, d.map((v) => -v));
      const rn = new Float64Array(n);
      const c = signed(Rn, tn, rn);
      if (c < cost) {
        R = Rn; t = tn; cost = c; r0.set(rn); lambda = Math.max(1e-9, lambda / 10); improved = true;
      } else lambda *= 10;
    }
    if (!improved) break;
  }
  return { R, t };
}

/** Gaussian elimination with partial pivoting on an n×n row-major system; null when singular. */
function solveN(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const M = Float64Array.from(A), x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]!) > Math.abs(M[p * n + c]!)) p = r;
    if (!(Math.abs(M[p * n + c]!) > 1e-300)) return null;
    if (p !== c) {
      for (let j = 0; j < n; j++) { const tmp = M[c * n + j]!; M[c * n + j] = M[p * n + j]!; M[p * n + j] = tmp; }
      const tmp = x[c]!; x[c] = x[p]!; x[p] = tmp;
    }
    for (let r = c + 1; r < n; r++) {
      const f = M[r * n + c]! / M[c * n + c]!;
      for (let j = c; j < n; j++) M[r * n + j] = M[r * n + j]! - f * M[c * n + j]!;
      x[r] = x[r]! - f * x[c]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let j = r + 1; j < n; j++) s -= M[r * n + j]! * x[j]!;
    x[r] = s / M[r * n + r]!;
  }
  return x;
}
