/**
 * Clock of one camera against an already reconstructed 3D trajectory of the target.
 *
 * Model: camera_time = a·s + b (s: site time of the trajectory). For a candidate (a, b) the
 * camera's samples are paired with the trajectory at s = (t − b)/a (linear interpolation between
 * valid knots); a 3×4 projection matrix is fitted to the pairs (DLT through the 12×12 normal
 * matrix, 3D points Hartley-normalized; refitted once on its inliers) and the pairing is scored by
 * the truncated reprojection cost C = Σ min(r², τ²) (unpaired samples count τ²). The DLT assumes
 * nothing about the camera (pose, focal length), so this works before the camera has a pose; and
 * it is much harder to satisfy by accident than a fundamental matrix (11 against 7 degrees of
 * freedom, against a path fixed in 3D). Search as in {@link estimateClockPair}: a grid over
 * ±maxShift at a = 1 (and at any extra rates given, for a camera whose nominal fps is wrong),
 * a fine grid, a pattern search over (b, drift).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { medianInterval, type Track2D } from './tracks.ts';

export interface KnotPath {
  s0: number;
  dt: number;
  /** Knots, flat xyz. */
  X: Float64Array;
  /** 1 where the knot is measured (interpolation only between two valid knots). */
  valid: Uint8Array;
}

export interface TrajectorySyncOptions {
  /** Half-width of the offset search, s (default 60). */
  maxShiftS?: number;
  /** Centre of the offset search, s (default 0). */
  centerS?: number;
  /** Grid step, s (default half the track's median sample interval, at least 1 ms). */
  stepS?: number;
  /** Largest drift, ppm (default 2000). */
  maxDriftPpm?: number;
  /** Inlier threshold τ on the reprojection error in the track's units (default 0.003: 3 px at f = 1000). */
  threshold?: number;
  /** At most this many samples are used (evenly spaced; default 400). */
  maxSamples?: number;
  /**
   * Rates a tried by the coarse grid besides 1 (camera_time = a·s + b): e.g. the ratios of
   * common frame rates to the track's nominal one, for a camera whose timestamps were written
   * with the wrong fps. Each adds one coarse grid. Default none.
   */
  rates?: readonly number[];
}

export interface TrajectorySyncResult {
  a: number;
  b: number;
  paired: number;
  inliers: number;
  /** Median reprojection error of the paired samples at the answer (track units). */
  median: number;
  /** Normalized truncated costs (τ² = 1 per sample) of the best offset and of the best one outside its basin (≥ 1 s away). */
  bestCost: number;
  runnerUpCost: number;
  runnerUpB: number;
}

/**
 * Whether a result is trustworthy: ≥ 30 inliers and at least half of the paired samples, a
 * median error within τ, at least 40 % of the samples explained (1 − normalized cost; a short
 * partial overlap is fitted by 11 free parameters too easily), and 2.5× the share explained at
 * the best offset outside the winner's basin.
 */
export function trajectorySyncAccepted(r: TrajectorySyncResult | null, threshold: number): boolean {
  if (r === null || r.inliers < 30 || r.inliers < 0.5 * r.paired || !(r.median <= threshold)) return false;
  return 1 - r.bestCost >= 0.4 && 1 - r.bestCost > 2.5 * (1 - r.runnerUpCost);
}

/** Least-squares 3×4 projection (row-major, 12) from pairs; null when degenerate. */
export function dltProjection(X: Float64Array, x: Float64Array, n: number, sel?: ArrayLike<number>): Float64Array | null {
  const cnt = sel ? sel.length : n;
  if (cnt < 8) return null;
  let cx = 0, cy = 0, cz = 0;
  for (let k = 0; k < cnt; k++) { const i = sel ? sel[k]! : k; cx += X[3 * i]!; cy += X[3 * i + 1]!; cz += X[3 * i + 2]!; }
  cx /= cnt; cy /= cnt; cz /= cnt;
  let sd = 0;
  for (let k = 0; k < cnt; k++) { const i = sel ? sel[k]! : k; sd += Math.hypot(X[3 * i]! - cx, X[3 * i + 1]! - cy, X[3 * i + 2]! - cz); }
  const s = sd > 0 ? (cnt * Math.sqrt(3)) / sd : 1;
  let ux = 0, uy = 0;
  for (let k = 0; k < cnt; k++) { const i = sel ? sel[k]! : k; ux += x[2 * i]!; uy += x[2 * i + 1]!; }
  ux /= cnt; uy /= cnt;
  let su = 0;
  for (let k = 0; k < cnt; k++) { const i = sel ? sel[k]! : k; su += Math.hypot(x[2 * i]! - ux, x[2 * i + 1]! - uy); }
  const t = su > 0 ? (cnt * Math.SQRT2) / su : 1;
  const N = new Float64Array(144);
  const r1 = new Float64Array(12), r2 = new Float64Array(12);
  for (let k = 0; k < cnt; k++) {
    const i = sel ? sel[k]! : k;
    const p0 = (X[3 * i]! - cx) * s, p1 = (X[3 * i + 1]! - cy) * s, p2 = (X[3 * i + 2]! - cz) * s;
    const u = (x[2 * i]! - ux) * t, v = (x[2 * i + 1]! - uy) * t;
    r1.fill(0); r2.fill(0);
    r1[0] = p0; r1[1] = p1; r1[2] = p2; r1[3] = 1; r1[8] = -u * p0; r1[9] = -u * p1; r1[10] = -u * p2; r1[11] = -u;
    r2[4] = p0; r2[5] = p1; r2[6] = p2; r2[7] = 1; r2[8] = -v * p0; r2[9] = -v * p1; r2[10] = -v * p2; r2[11] = -v;
    for (let a = 0; a < 12; a++) {
      const a1 = r1[a]!, a2 = r2[a]!;
      if (a1 === 0 && a2 === 0) continue;
      for (let b = a; b < 12; b++) N[a * 12 + b] = N[a * 12 + b]! + a1 * r1[b]! + a2 * r2[b]!;
    }
  }
  const M = new Matrix(12, 12);
  for (let a = 0; a < 12; a++) for (let b = a; b < 12; b++) { M.set(a, b, N[a * 12 + b]!); M.set(b, a, N[a * 12 + b]!); }
  const evd = new EigenvalueDecomposition(M, { assumeSymmetric: true });
  const ev = evd.realEigenvalues;
  let j = 0;
  for (let k = 1; k < 12; k++) if (ev[k]! < ev[j]!) j = k;
  const Pn = new Float64Array(12);
  for (let k = 0; k < 12; k++) Pn[k] = evd.eigenvectorMatrix.get(k, j);
  // Undo the normalizations: P = T⁻¹·Pn·S with T = [t 0 −t·ux; 0 t −t·uy; 0 0 1], S = [s·I −s·c; 0 1].
  const P = new Float64Array(12);
  for (let r = 0; r < 3; r++) {
    const row = [Pn[4 * r]!, Pn[4 * r + 1]!, Pn[4 * r + 2]!, Pn[4 * r + 3]!];
    const q = [row[0]! * s, row[1]! * s, row[2]! * s, row[3]! - s * (row[0]! * cx + row[1]! * cy + row[2]! * cz)];
    for (let c = 0; c < 4; c++) P[4 * r + c] = q[c]!;
  }
  for (let c = 0; c < 4; c++) {
    const a0 = P[c]!, a1 = P[4 + c]!, a2 = P[8 + c]!;
    P[c] = a0 / t + ux * a2; P[4 + c] = a1 / t + uy * a2;
  }
  return P;
}

/** Squared reprojection error of pair i under P (Infinity behind or at the camera plane). */
export function dltResidual2(P: Float64Array, X: Float64Array, x: Float64Array, i: number): number {
  const X0 = X[3 * i]!, X1 = X[3 * i + 1]!, X2 = X[3 * i + 2]!;
  const w = P[8]! * X0 + P[9]! * X1 + P[10]! * X2 + P[11]!;
  if (w === 0) return Infinity;
  const u = (P[0]! * X0 + P[1]! * X1 + P[2]! * X2 + P[3]!) / w, v = (P[4]! * X0 + P[5]! * X1 + P[6]! * X2 + P[7]!) / w;
  return (u - x[2 * i]!) ** 2 + (v - x[2 * i + 1]!) ** 2;
}

export function syncToTrajectory(track: Track2D, path: KnotPath, opts: TrajectorySyncOptions = {}): TrajectorySyncResult | null {
  const tau = opts.threshold ?? 0.003;
  const dtT = medianInterval(track);
  if (!(dtT > 0)) return null;
  const step = opts.stepS ?? Math.max(1e-3, dtT / 2);
  const maxShift = opts.maxShiftS ?? 60, center = opts.centerS ?? 0, maxDrift = opts.maxDriftPpm ?? 2000;
  if (!(tau > 0) || !(step > 0) || !(maxShift >= 0)) throw new RangeError('syncToTrajectory: threshold, step and maxShift must be positive');
  const nk = path.X.length / 3;
  const nT = track.t.length, m = Math.min(nT, opts.maxSamples ?? 400);
  const idx = new Int32Array(m);
  for (let k = 0; k < m; k++) idx[k] = Math.floor((k * nT) / m);
  let t0 = 0;
  for (let k = 0; k < m; k++) t0 += track.t[idx[k]!]!;
  t0 /= m;
  const X3 = new Float64Array(3 * m), x2 = new Float64Array(2 * m);
  const tau2 = tau * tau;
  const r2 = new Float64Array(m);
  /** Cost for camera_time = a·(s − s*) + c with s* chosen so that c is the camera time at t0: s = (t − c)/a + t0'. */
  const evaluate = (a: number, b: number): { cost: number; paired: number; inliers: number; median: number } => {
    let n = 0;
    for (let k = 0; k < m; k++) {
      const i = idx[k]!;
      const f = ((track.t[i]! - b) / a - path.s0) / path.dt;
      const j = Math.floor(f);
      if (j < 0 || j >= nk - 1 || !path.valid[j] || !path.valid[j + 1]) continue;
      const w = f - j;
      for (let c = 0; c < 3; c++) X3[3 * n + c] = (1 - w) * path.X[3 * j + c]! + w * path.X[3 * j + 3 + c]!;
      x2[2 * n] = track.x[i]!; x2[2 * n + 1] = track.y[i]!;
      n++;
    }
    const worst = { cost: m * tau2, paired: n, inliers: 0, median: Infinity };
    if (n < Math.max(16, m / 10)) return worst;
    let P = dltProjection(X3, x2, n);
    if (!P) return worst;
    const inl: number[] = [];
    for (let i = 0; i < n; i++) if (dltResidual2(P, X3, x2, i) < tau2) inl.push(i);
    if (inl.length >= 8 && inl.length < n) { const P2 = dltProjection(X3, x2, n, inl); if (P2) P = P2; }
    let cost = (m - n) * tau2, ni = 0;
    for (let i = 0; i < n; i++) {
      const r = dltResidual2(P, X3, x2, i);
      r2[i] = r;
      if (r < tau2) { cost += r; ni++; } else cost += tau2;
    }
    const sorted = Array.from(r2.subarray(0, n)).sort((u, v) => u - v);
    return { cost, paired: n, inliers: ni, median: Math.sqrt(sorted[n >> 1]!) };
  };
  // Grid point k: the mid-track camera time t0 is paired with site time t0 − center − k·step,
  // at any rate (b = center + k·step at a = 1), so a shift means the same near the middle.
  const nSteps = Math.ceil(maxShift / step);
  const bAt = (a: number, k: number): number => { const sm = t0 - center - k * step; return t0 - a * sm; };
  let costs = new Float64Array(2 * nSteps + 1);
  let bestK = 0, best = Infinity, rate = 1;
  for (const a of [1, ...(opts.rates ?? []).filter((r) => r > 0 && r !== 1)]) {
    const cs = new Float64Array(2 * nSteps + 1);
    let bk = 0, bc = Infinity;
    for (let k = -nSteps; k <= nSteps; k++) {
      const c = evaluate(a, bAt(a, k)).cost;
      cs[k + nSteps] = c;
      if (c < bc) { bc = c; bk = k; }
    }
    if (bc < best) { best = bc; bestK = bk; rate = a; costs = cs; }
  }
  if (!Number.isFinite(best) || best >= m * tau2) return null;
  // Runner-up outside the best offset's basin (at least ±1 s), as in the pairwise search.
  const tol = 0.01 * m * tau2, excl = Math.ceil(1 / step);
  let lo = bestK, hi = bestK;
  while (lo > -nSteps && (bestK - lo < excl || costs[lo - 1 + nSteps]! >= costs[lo + nSteps]! - tol)) lo--;
  while (hi < nSteps && (hi - bestK < excl || costs[hi + 1 + nSteps]! >= costs[hi + nSteps]! - tol)) hi++;
  let runnerUp = m * tau2, runnerK = NaN;
  for (let k = -nSteps; k <= nSteps; k++) if ((k < lo || k > hi) && costs[k + nSteps]! < runnerUp) { runnerUp = costs[k + nSteps]!; runnerK = k; }
  // Fine grid, then a pattern search over (b, drift) around the winning rate, with b referred
  // to mid-track.
  let b = bAt(rate, bestK), cur = best;
  for (let j = -40; j <= 40; j++) {
    const bb = bAt(rate, bestK + j / 20);
    const c = evaluate(rate, bb).cost;
    if (c < cur) { cur = c; b = bb; }
  }
  let a = rate, db = step / 20, dp = Math.max(maxDrift / 8, 1);
  const sMid = (t0 - b) / a;
  while (db > 1e-4 || dp > 1) {
    let moved = false;
    for (const [sb, sp] of [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1], [1, -1], [-1, 1]] as const) {
      const na = a + sp * dp * 1e-6;
      if (Math.abs(na / rate - 1) * 1e6 > maxDrift) continue;
      // Keep the camera time of site time sMid at (a·sMid + b) + sb·db.
      const nb = a * sMid + b + sb * db - na * sMid;
      const c = evaluate(na, nb).cost;
      if (c < cur) { cur = c; a = na; b = nb; moved = true; break; }
    }
    if (!moved) { db /= 2; dp /= 2; }
  }
  const fin = evaluate(a, b);
  return {
    a, b, paired: fin.paired, inliers: fin.inliers, median: fin.median, bestCost: best / (m * tau2), runnerUpCost: runnerUp / (m * tau2),
    runnerUpB: Number.isNaN(runnerK) ? NaN : bAt(rate, runnerK),
  };
}
