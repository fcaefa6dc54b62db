/**
 * Pairwise clock estimation from 2D tracks of the same moving target in two cameras.
 *
 * Model: t_B = a·t_A + b (camera B's clock as a function of camera A's). For a candidate (a, b)
 * the samples of track A are paired with track B resampled at a·t_A + b (linear interpolation);
 * a fundamental matrix is fitted to the pairs (normalized 8-point, refitted once on its inliers)
 * and the pairing is scored by the truncated Sampson cost
 *     C(a, b) = Σ_i min(r_i², τ²)   (unpaired samples count τ²),
 * which is small only when the pairs are simultaneous (a curved 3D path seen at the wrong time
 * offset does not satisfy any epipolar geometry). Search: every offset on a grid of half the
 * frame interval over ±maxShift (a = 1), then a fine grid around the best, then a pattern search
 * over (b, drift) that halves its steps down to 0.1 ms / 1 ppm.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { enforceRank2, hartleyNormalization, mul3, sampsonError2, transpose3 } from './solvers/index.ts';

/**
 * Normalized 8-point through the 9×9 normal matrix (AᵀA, smallest eigenvector): the same
 * estimate as the SVD of A in exact arithmetic, an order of magnitude cheaper for the hundreds
 * of points and thousands of candidate offsets scored here.
 */
function eightPointNormal(x1: Float64Array, x2: Float64Array, n: number, sel?: ArrayLike<number>): Float64Array | null {
  const cnt = sel ? sel.length : n;
  if (cnt < 8) return null;
  const T1 = hartleyNormalization(x1, sel ?? rangeIdx(n)), T2 = hartleyNormalization(x2, sel ?? rangeIdx(n));
  const N = new Float64Array(81);
  const r = new Float64Array(9);
  for (let k = 0; k < cnt; k++) {
    const i = sel ? sel[k]! : k;
    const u1 = T1[0]! * x1[2 * i]! + T1[2]!, v1 = T1[4]! * x1[2 * i + 1]! + T1[5]!;
    const u2 = T2[0]! * x2[2 * i]! + T2[2]!, v2 = T2[4]! * x2[2 * i + 1]! + T2[5]!;
    r[0] = u2 * u1; r[1] = u2 * v1; r[2] = u2; r[3] = v2 * u1; r[4] = v2 * v1; r[5] = v2; r[6] = u1; r[7] = v1; r[8] = 1;
    for (let a = 0; a < 9; a++) { const ra = r[a]!; for (let b = a; b < 9; b++) N[a * 9 + b] = N[a * 9 + b]! + ra * r[b]!; }
  }
  const M = new Matrix(9, 9);
  for (let a = 0; a < 9; a++) for (let b = a; b < 9; b++) { M.set(a, b, N[a * 9 + b]!); M.set(b, a, N[a * 9 + b]!); }
  const evd = new EigenvalueDecomposition(M, { assumeSymmetric: true });
  const ev = evd.realEigenvalues;
  let j = 0;
  for (let k = 1; k < 9; k++) if (ev[k]! < ev[j]!) j = k;
  const f = new Float64Array(9);
  for (let k = 0; k < 9; k++) f[k] = evd.eigenvectorMatrix.get(k, j);
  return mul3(mul3(transpose3(T2), enforceRank2(f)), T1);
}

const rangeCache: Int32Array[] = [];
function rangeIdx(n: number): Int32Array {
  let r = rangeCache[n];
  if (!r) { r = new Int32Array(n); for (let i = 0; i < n; i++) r[i] = i; rangeCache[n] = r; }
  return r;
}
import { medianInterval, sampleTrack, type Track2D } from './tracks.ts';

export interface ClockSyncOptions {
  /** Half-width of the offset search, seconds (default 60). */
  maxShiftS?: number;
  /** Centre of the offset search, seconds (default 0). */
  centerS?: number;
  /** Grid step of the coarse search, seconds (default half the smaller median sample interval). */
  stepS?: number;
  /** Largest drift searched, ppm (default 2000). */
  maxDriftPpm?: number;
  /** Inlier threshold τ on the Sampson distance, in the units of the tracks (default 2). */
  threshold?: number;
  /** Longest interpolation gap in track B, seconds (default 3 × its median interval). */
  maxGapS?: number;
  /** At most this many samples of A are used (evenly spaced; default 400). */
  maxSamples?: number;
}

export interface ClockSyncResult {
  /** Rate: t_B = a·t_A + b. */
  a: number;
  /** Offset, seconds. */
  b: number;
  /** Samples of A paired with B at the answer, and how many were epipolar inliers. */
  paired: number;
  inliers: number;
  /** Best and second-best coarse costs (the latter outside the best offset's basin, and at least 1 s away), normalized per sample (τ² = 1). */
  bestCost: number;
  runnerUpCost: number;
  /** The runner-up's offset (a = 1), and its paired samples and epipolar inliers. */
  runnerUpB: number;
  runnerUpPaired: number;
  runnerUpInliers: number;
}

export function estimateClockPair(A: Track2D, B: Track2D, opts: ClockSyncOptions = {}): ClockSyncResult | null {
  const tau = opts.threshold ?? 2;
  const dtA = medianInterval(A), dtB = medianInterval(B);
  if (!(dtA > 0 && dtB > 0)) return null;
  const step = opts.stepS ?? Math.min(dtA, dtB) / 2;
  const maxShift = opts.maxShiftS ?? 60;
  const center = opts.centerS ?? 0;
  const maxGap = opts.maxGapS ?? 3 * dtB;
  const maxDrift = opts.maxDriftPpm ?? 2000;
  const nMax = opts.maxSamples ?? 400;
  if (!(tau > 0) || !(step > 0) || !(maxShift >= 0)) throw new RangeError('estimateClockPair: threshold, step and maxShift must be positive');
  // Subsample A evenly.
  const nA = A.t.length;
  const m = Math.min(nA, nMax);
  const idx = new Int32Array(m);
  for (let k = 0; k < m; k++) idx[k] = Math.floor((k * nA) / m);
  let t0 = 0;
  for (let k = 0; k < m; k++) t0 += A.t[idx[k]!]!;
  t0 /= m;
  const pA = new Float64Array(2 * m), pB = new Float64Array(2 * m);
  const q = [0, 0];
  const tau2 = tau * tau;

  /** Truncated cost for t_B = a·(t_A − t0) + c (c = b + a·t0). */
  const evaluate = (a: number, c: number): { cost: number; paired: number; inliers: number } => {
    let n = 0;
    for (let k = 0; k < m; k++) {
      const i = idx[k]!;
      if (!sampleTrack(B, a * (A.t[i]! - t0) + c, maxGap, q)) continue;
      pA[2 * n] = A.x[i]!; pA[2 * n + 1] = A.y[i]!;
      pB[2 * n] = q[0]!; pB[2 * n + 1] = q[1]!;
      n++;
    }
    const worst = { cost: m * tau2, paired: n, inliers: 0 };
    if (n < Math.max(16, m / 10)) return worst;
    const xa = pA.subarray(0, 2 * n), xb = pB.subarray(0, 2 * n);
    let F = eightPointNormal(xa, xb, n);
    if (!F) return worst;
    let inl: number[] = [];
    for (let i = 0; i < n; i++) if (sampsonError2(F, xa, xb, i) < tau2) inl.push(i);
    if (inl.length >= 8 && inl.length < n) {
      const F2 = eightPointNormal(xa, xb, n, inl);
      if (F2) F = F2;
    }
    let cost = (m - n) * tau2;
    inl = [];
    for (let i = 0; i < n; i++) {
      const r = sampsonError2(F, xa, xb, i);
      if (r < tau2) { cost += r; inl.push(i); } else cost += tau2;
    }
    return { cost, paired: n, inliers: inl.length };
  };

  // Coarse grid at a = 1.
  const c0 = center + t0; // at a = 1: t_B = t_A + b  ⇔  c = b + t0
  const nSteps = Math.ceil(maxShift / step);
  const costs = new Float64Array(2 * nSteps + 1);
  let bestK = -1, best = Infinity;
  for (let k = -nSteps; k <= nSteps; k++) {
    const r = evaluate(1, c0 + k * step);
    costs[k + nSteps] = r.cost;
    if (r.cost < best) { best = r.cost; bestK = k; }
  }
  if (bestK === -nSteps - 1 || !Number.isFinite(best)) return null;
  // Runner-up: the lowest cost outside the basin of the best offset (walk away from the best
  // while the cost keeps rising, tolerating wiggles of 1 % of the full scale, at least ±1 s).
  let runnerUp = Infinity;
  const tol = 0.01 * m * tau2, excl = Math.ceil(1 / step);
  let lo = bestK, hi = bestK;
  while (lo > -nSteps && (bestK - lo < excl || costs[lo - 1 + nSteps]! >= costs[lo + nSteps]! - tol)) lo--;
  while (hi < nSteps && (hi - bestK < excl || costs[hi + 1 + nSteps]! >= costs[hi + nSteps]! - tol)) hi++;
  let runnerK = NaN;
  for (let k = -nSteps; k <= nSteps; k++) if ((k < lo || k > hi) && costs[k + nSteps]! < runnerUp) { runnerUp = costs[k + nSteps]!; runnerK = k; }
  const second = Number.isNaN(runnerK) ? { paired: 0, inliers: 0 } : evaluate(1, c0 + runnerK * step);
  // Fine grid: ±2 coarse steps at step/20.
  let c = c0 + bestK * step, a = 1, cur = best;
  for (let j = -40; j <= 40; j++) {
    const cc = c0 + bestK * step + (j * step) / 20;
    const r = evaluate(1, cc).cost;
    if (r < cur) { cur = r; c = cc; }
  }
  // Pattern search over (c, drift).
  let dc = step / 20, dp = Math.max(maxDrift / 8, 1);
  while (dc > 1e-4 || dp > 1) {
    let moved = false;
    for (const [sc, sp] of [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1], [1, -1], [-1, 1]] as const) {
      const na = a + sp * dp * 1e-6;
      if (Math.abs(na - 1) * 1e6 > maxDrift) continue;
      const nc = c + sc * dc;
      const r = evaluate(na, nc).cost;
      if (r < cur) { cur = r; a = na; c = nc; moved = true; break; }
    }
    if (!moved) { dc /= 2; dp /= 2; }
  }
  const fin = evaluate(a, c);
  return {
    a, b: c - a * t0, paired: fin.paired, inliers: fin.inliers, bestCost: best / (m * tau2), runnerUpCost: runnerUp / (m * tau2),
    runnerUpB: Number.isNaN(runnerK) ? NaN : c0 + runnerK * step - t0, runnerUpPaired: second.paired, runnerUpInliers: second.inliers,
  };
}
