/**
 * Anchoring by a beacon: a cooperative target's own position log (GPS/RTK, ENU metres, on the
 * beacon's clock) against the reconstructed trajectory of the same target. The clock offset
 * between beacon time and site time is unknown: for each candidate offset δ (beacon time =
 * site time + δ) the trajectory points are paired with the log interpolated at s + δ and a
 * similarity fitted (Umeyama); the offset with the smallest RMS residual wins (coarse grid, fine
 * grid, then a parabola through the three best).
 */
import { applySimilarity, umeyama, type Similarity } from './solvers/index.ts';

export interface BeaconLog {
  /** Beacon clock, seconds, increasing. */
  t: Float64Array;
  /** ENU positions, flat xyz. */
  enu: Float64Array;
}

export interface BeaconAlignment {
  /** Maps the reconstruction's frame to ENU. */
  T: Similarity;
  /** Beacon time − site time, seconds. */
  offsetS: number;
  /** RMS distance between the aligned trajectory and the log, metres. */
  rmsM: number;
  pairs: number;
}

export interface BeaconOptions {
  /** Half-width of the offset search, s (default 60). */
  maxShiftS?: number;
  /** Coarse step, s (default 0.1). */
  stepS?: number;
  /** Largest gap of the log bridged by interpolation, s (default 2). */
  maxGapS?: number;
  /** At most this many trajectory points are used (default 400). */
  maxPoints?: number;
}

function logAt(b: BeaconLog, q: number, maxGap: number, out: Float64Array, o: number): boolean {
  const t = b.t;
  const n = t.length;
  if (n < 2 || q < t[0]! || q > t[n - 1]!) return false;
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) { const m = (lo + hi) >> 1; if (t[m]! <= q) lo = m; else hi = m; }
  const dt = t[hi]! - t[lo]!;
  if (dt > maxGap) return false;
  const w = dt > 0 ? (q - t[lo]!) / dt : 0;
  for (let c = 0; c < 3; c++) out[o + c] = (1 - w) * b.enu[3 * lo + c]! + w * b.enu[3 * hi + c]!;
  return true;
}

export function alignBeacon(traj: ReadonlyArray<{ t: number; enu: ArrayLike<number> }>, beacon: BeaconLog, opts: BeaconOptions = {}): BeaconAlignment | null {
  const maxShift = opts.maxShiftS ?? 60, step = opts.stepS ?? 0.1, maxGap = opts.maxGapS ?? 2, nMax = opts.maxPoints ?? 400;
  if (traj.length < 10 || beacon.t.length < 10) return null;
  const idx: number[] = [];
  for (let k = 0; k < Math.min(nMax, traj.length); k++) idx.push(Math.floor((k * traj.length) / Math.min(nMax, traj.length)));
  const src = new Float64Array(3 * idx.length), dst = new Float64Array(3 * idx.length);
  const fit = (delta: number): { rms: number; n: number; T: Similarity | null } => {
    let n = 0;
    for (const k of idx) {
      const p = traj[k]!;
      if (!logAt(beacon, p.t + delta, maxGap, dst, 3 * n)) continue;
      src[3 * n] = p.enu[0]!; src[3 * n + 1] = p.enu[1]!; src[3 * n + 2] = p.enu[2]!;
      n++;
    }
    if (n < 10) return { rms: Infinity, n, T: null };
    const s = src.subarray(0, 3 * n), d = dst.subarray(0, 3 * n);
    const T = umeyama(s, d);
    if (!T) return { rms: Infinity, n, T: null };
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const q = applySimilarity(T, s.subarray(3 * i, 3 * i + 3));
      ss += (q[0]! - d[3 * i]!) ** 2 + (q[1]! - d[3 * i + 1]!) ** 2 + (q[2]! - d[3 * i + 2]!) ** 2;
    }
    return { rms: Math.sqrt(ss / n), n, T };
  };
  // Coarse grid around the offset that overlays the two time spans' starts.
  const center = beacon.t[0]! - traj[0]!.t;
  let best = Infinity, bestD = NaN;
  const nSteps = Math.ceil(maxShift / step);
  for (let k = -nSteps; k <= nSteps; k++) {
    const d = center + k * step;
    const r = fit(d);
    if (r.rms < best) { best = r.rms; bestD = d; }
  }
  if (!Number.isFinite(best)) return null;
  // Fine grid and a parabola through the best three.
  const h = step / 20;
  let fd = bestD, fb = best;
  for (let j = -20; j <= 20; j++) { const r = fit(bestD + j * h).rms; if (r < fb) { fb = r; fd = bestD + j * h; } }
  const rm = fit(fd - h).rms, rp = fit(fd + h).rms;
  const den = rm - 2 * fb + rp;
  if (den > 0 && Number.isFinite(rm) && Number.isFinite(rp)) fd += (0.5 * h * (rm - rp)) / den;
  const fin = fit(fd);
  if (!fin.T) return null;
  return { T: fin.T, offsetS: fd, rmsM: fin.rms, pairs: fin.n };
}
