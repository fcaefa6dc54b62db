/** Small order statistics and a time-series lookup used by the scorer. */

/**
 * The p-quantile of ascending `sorted` by linear interpolation between closest ranks
 * (h = (n−1)·p; R type 7, numpy's default). Median = quantile(·, 0.5). Null for no values.
 */
export function quantile(sorted: readonly number[], p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Absolute slack added to time tolerances so that 12.3 − 12.2 still counts as 0.1 s. */
export const TIME_EPS_S = 1e-9;

/**
 * Index of the entry of ascending `times` nearest to t with |times[i] − t| ≤ tol (+1e−9 s),
 * or −1. On a tie the earlier entry wins.
 */
export function nearestWithin(times: ArrayLike<number>, t: number, tol: number): number {
  let lo = 0, hi = times.length; // first index with times[i] >= t
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < t) lo = mid + 1; else hi = mid;
  }
  const limit = tol + TIME_EPS_S;
  const before = lo > 0 ? t - times[lo - 1]! : Infinity;
  const after = lo < times.length ? times[lo]! - t : Infinity;
  if (before <= after) return before <= limit ? lo - 1 : -1;
  return after <= limit ? lo : -1;
}

export function dist3(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}
