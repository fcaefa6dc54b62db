/**
 * Rate search against the reconstructed path, for a camera whose track times are frame numbers
 * divided by a frame rate that is wrong by more than the common-rate hypotheses cover: a phone
 * that recorded at a variable rate whose labels count frames (multi-view drone dataset 4's cam3:
 * 21.26 frames/s written as 30; helper-21's probe, scripts/multiview-vfr-probe.ts).
 *
 * Model as in traj-sync.ts: camera_time = a·s + b. The track is cut into windows (`windowS` of
 * camera time); in each, `points` evenly spaced samples are given site times s_start +
 * (t − t_w)/a for every rate a on a grid and every start s_start along the path, a free 3×4
 * projection (DLT) is fitted to them against the path, and the (a, s_start) with the least median
 * error is the window's vote. A line s = t/a − b/a through the votes (RANSAC over pairs, inliers
 * within `agreeS`, least squares on them) is the answer when at least `minAgree` windows and a
 * quarter of them agree. Windows can fail (a short window of a slow target fits many rates); a
 * line that several independent windows agree on cannot be chance.
 */
import type { KnotPath } from './traj-sync.ts';
import type { Track2D } from './tracks.ts';

export interface RateSearchOptions {
  /** Rates a tried (camera time per site second), from, to and relative step (default 0.5, 1.05, 0.01). */
  rateMin?: number;
  rateMax?: number;
  rateStep?: number;
  /** Window length in camera time, s (default 25). */
  windowS?: number;
  /** Samples per window fitted (default 60). */
  points?: number;
  /** Step of the window's start along the path, s (default 0.1). */
  startStepS?: number;
  /** Windows used at most, evenly spread (default 12). */
  maxWindows?: number;
  /** A window agrees with the line when its start is within this, s (default 0.5). */
  agreeS?: number;
  /** Windows that must agree (default 3). */
  minAgree?: number;
}

export interface RateSearchResult {
  a: number;
  b: number;
  windows: number;
  agreeing: number;
  /** Median DLT error of the agreeing windows' votes (track units). */
  medianError: number;
}

const M = new Float64Array(144), row = new Float64Array(12), P = new Float64Array(12);

const L = new Float64Array(144), y = new Float64Array(12);

/**
 * Eigenvector of the smallest eigenvalue of the symmetric positive semi-definite 12×12 M into P:
 * inverse iteration with one Cholesky factorization of M + εI (ε = 1e-10 of its trace), a few
 * solves. The search fits millions of DLTs, hence this instead of traj-sync.ts's dltProjection
 * (ml-matrix eigen-decomposition): measured 39 µs against 88 µs per 60-point fit, 5.3 s for the
 * synthetic test's search (about 2.3 min against 5 min for dataset 4's cam3).
 */
function smallestEigvec(): void {
  const n = 12;
  let tr = 0;
  for (let i = 0; i < n; i++) tr += M[i * n + i]!;
  const eps = 1e-10 * (tr || 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let v = M[i * n + j]! + (i === j ? eps : 0);
      for (let k = 0; k < j; k++) v -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(Math.max(v, 1e-300)) : v / L[j * n + j]!;
    }
  }
  for (let i = 0; i < n; i++) P[i] = 1 / Math.sqrt(n) * (i % 2 ? 1 : -1) + 0.01 * i;
  for (let it = 0; it < 4; it++) {
    for (let i = 0; i < n; i++) { let v = P[i]!; for (let k = 0; k < i; k++) v -= L[i * n + k]! * y[k]!; y[i] = v / L[i * n + i]!; }
    for (let i = n - 1; i >= 0; i--) { let v = y[i]!; for (let k = i + 1; k < n; k++) v -= L[k * n + i]! * P[k]!; P[i] = v / L[i * n + i]!; }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += P[i]! * P[i]!;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) P[i] = P[i]! / norm;
  }
}

/** Median reprojection error of a DLT fitted to n pairs (X: 3D, x: normalized 2D). */
function dltMedian(X: Float64Array, x: Float64Array, n: number, err: Float64Array): number {
  let mx = 0, my = 0, mz = 0;
  for (let i = 0; i < n; i++) { mx += X[3 * i]!; my += X[3 * i + 1]!; mz += X[3 * i + 2]!; }
  mx /= n; my /= n; mz /= n;
  let sc = 0;
  for (let i = 0; i < n; i++) sc += (X[3 * i]! - mx) ** 2 + (X[3 * i + 1]! - my) ** 2 + (X[3 * i + 2]! - mz) ** 2;
  sc = Math.sqrt(sc / n) || 1;
  M.fill(0);
  const add = (): void => { for (let a = 0; a < 12; a++) { const ra = row[a]!; if (ra === 0) continue; for (let b = a; b < 12; b++) M[a * 12 + b] = M[a * 12 + b]! + ra * row[b]!; } };
  for (let i = 0; i < n; i++) {
    const X0 = (X[3 * i]! - mx) / sc, X1 = (X[3 * i + 1]! - my) / sc, X2 = (X[3 * i + 2]! - mz) / sc, u = x[2 * i]!, v = x[2 * i + 1]!;
    row.fill(0); row[0] = X0; row[1] = X1; row[2] = X2; row[3] = 1; row[8] = -u * X0; row[9] = -u * X1; row[10] = -u * X2; row[11] = -u; add();
    row.fill(0); row[4] = X0; row[5] = X1; row[6] = X2; row[7] = 1; row[8] = -v * X0; row[9] = -v * X1; row[10] = -v * X2; row[11] = -v; add();
  }
  for (let a = 0; a < 12; a++) for (let b = 0; b < a; b++) M[a * 12 + b] = M[b * 12 + a]!;
  smallestEigvec();
  for (let i = 0; i < n; i++) {
    const X0 = (X[3 * i]! - mx) / sc, X1 = (X[3 * i + 1]! - my) / sc, X2 = (X[3 * i + 2]! - mz) / sc;
    const q2 = P[8]! * X0 + P[9]! * X1 + P[10]! * X2 + P[11]!;
    err[i] = Math.hypot((P[0]! * X0 + P[1]! * X1 + P[2]! * X2 + P[3]!) / q2 - x[2 * i]!, (P[4]! * X0 + P[5]! * X1 + P[6]! * X2 + P[7]!) / q2 - x[2 * i + 1]!);
  }
  const s = Array.from(err.subarray(0, n)).sort((p, q) => p - q);
  return s[n >> 1]!;
}

/** Path position at site time s into out (linear between two valid knots); false outside. */
function pathAt(path: KnotPath, s: number, out: Float64Array, o: number): boolean {
  const f = (s - path.s0) / path.dt, j = Math.floor(f);
  if (j < 0 || j >= path.X.length / 3 - 1 || !path.valid[j] || !path.valid[j + 1]) return false;
  const w = f - j;
  for (let c = 0; c < 3; c++) out[3 * o + c] = (1 - w) * path.X[3 * j + c]! + w * path.X[3 * j + 3 + c]!;
  return true;
}

export function searchTrackRate(track: Track2D, path: KnotPath, o: RateSearchOptions = {}): RateSearchResult | null {
  const rMin = o.rateMin ?? 0.5, rMax = o.rateMax ?? 1.05, rStep = o.rateStep ?? 0.01;
  const W = o.windowS ?? 25, NP = o.points ?? 60, sStep = o.startStepS ?? 0.1, agree = o.agreeS ?? 0.5, minAgree = o.minAgree ?? 3;
  const n = track.t.length;
  if (n < NP) return null;
  const nk = path.X.length / 3;
  let sFirst = Infinity, sLast = -Infinity;
  for (let k = 0; k < nk; k++) if (path.valid[k]) { sFirst = Math.min(sFirst, path.s0 + k * path.dt); sLast = Math.max(sLast, path.s0 + k * path.dt); }
  if (!(sLast > sFirst)) return null;
  // Windows of camera time with enough samples, at most maxWindows evenly spread.
  const t0 = track.t[0]!, t1 = track.t[n - 1]!;
  const all: Array<[number, number]> = [];
  for (let a = 0; a < n;) {
    let b = a;
    while (b < n && track.t[b]! < track.t[a]! + W) b++;
    if (b - a >= NP) all.push([a, b]);
    a = b;
  }
  if (all.length === 0 || t1 <= t0) return null;
  const maxW = o.maxWindows ?? 12;
  const wins = all.length <= maxW ? all : Array.from({ length: maxW }, (_, k) => all[Math.floor((k * all.length) / maxW)]!);
  const X = new Float64Array(3 * NP), x = new Float64Array(2 * NP), err = new Float64Array(NP);
  const votes: Array<{ t: number; s: number; a: number; med: number }> = [];
  for (const [a0, b0] of wins) {
    const idx = Array.from({ length: NP }, (_, k) => a0 + Math.round((k * (b0 - 1 - a0)) / (NP - 1)));
    for (let k = 0; k < NP; k++) { x[2 * k] = track.x[idx[k]!]!; x[2 * k + 1] = track.y[idx[k]!]!; }
    const tw = track.t[idx[0]!]!, span = track.t[idx[NP - 1]!]! - tw;
    let best = { t: tw, s: NaN, a: NaN, med: Infinity };
    for (let a = rMin; a <= rMax + 1e-9; a *= 1 + rStep) {
      for (let s = sFirst; s + span / a <= sLast; s += sStep) {
        let ok = true;
        for (let k = 0; k < NP && ok; k++) ok = pathAt(path, s + (track.t[idx[k]!]! - tw) / a, X, k);
        if (!ok) continue;
        const med = dltMedian(X, x, NP, err);
        if (med < best.med) best = { t: tw, s, a, med };
      }
    }
    if (Number.isFinite(best.s)) votes.push(best);
  }
  // Line s = α·t + β through the votes (α = 1/a).
  let line = { al: NaN, be: NaN, inl: [] as typeof votes };
  for (let p = 0; p < votes.length; p++) for (let q = p + 1; q < votes.length; q++) {
    const vp = votes[p]!, vq = votes[q]!;
    if (vq.t === vp.t) continue;
    const al = (vq.s - vp.s) / (vq.t - vp.t);
    if (!(al >= 1 / (rMax * 1.02) && al <= 1 / (rMin * 0.98))) continue;
    const be = vp.s - al * vp.t;
    const inl = votes.filter((v) => Math.abs(v.s - (al * v.t + be)) < agree);
    if (inl.length > line.inl.length) line = { al, be, inl };
  }
  const m = line.inl.length;
  if (m < minAgree || m < 0.25 * wins.length) return null;
  const mt = line.inl.reduce((u, v) => u + v.t, 0) / m, ms = line.inl.reduce((u, v) => u + v.s, 0) / m;
  let stt = 0, sts = 0;
  for (const v of line.inl) { stt += (v.t - mt) ** 2; sts += (v.t - mt) * (v.s - ms); }
  const al = sts / stt, be = ms - al * mt;
  const meds = line.inl.map((v) => v.med).sort((p, q) => p - q);
  return { a: 1 / al, b: -be / al, windows: wins.length, agreeing: m, medianError: meds[m >> 1]! };
}
