/**
 * Line fits for clock mapping, over flat arrays (x in ticks, y in ms, both relative to an anchor
 * so the arithmetic stays exact in doubles).
 *
 * - theilSen: slope = median of the pairwise slopes, intercept = median of y − slope·x. Robust to
 *   a minority of bad points (a sender report built from a stepped clock); O(n²), n ≤ 64.
 * - lowerEnvelope: the line under all points that minimises the summed gap to them. It is the
 *   edge of the lower convex hull spanning the mean x (the linear programme of Moon, Skelly and
 *   Towsley, "Estimation and removal of clock skew from network delay measurements", 1999), i.e.
 *   the minimum-delay line of arrival time against media time: queueing delay only adds.
 */

export interface Line {
  /** y = intercept + slope·x */
  slope: number;
  intercept: number;
}

function median(a: Float64Array | number[], n: number): number {
  const s = Float64Array.from(a.slice(0, n)).sort();
  const h = n >> 1;
  return n % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Median absolute deviation scaled to σ for normal data (1.4826·MAD). */
export function robustSigma(res: Float64Array, n: number): number {
  if (n < 2) return 0;
  const m = median(res, n);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = Math.abs(res[i]! - m);
  return 1.4826 * median(d, n);
}

/**
 * Theil–Sen fit of n points. Pairs with equal x are skipped; when no pair has distinct x the
 * slope is `fallbackSlope`. The slope is clamped to [minSlope, maxSlope] before the intercept.
 */
export function theilSen(x: Float64Array, y: Float64Array, n: number, fallbackSlope: number, minSlope: number, maxSlope: number): Line {
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = x[j]! - x[i]!;
      if (dx !== 0) slopes.push((y[j]! - y[i]!) / dx);
    }
  }
  let slope = slopes.length > 0 ? median(slopes, slopes.length) : fallbackSlope;
  slope = Math.min(maxSlope, Math.max(minSlope, slope));
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = y[i]! - slope * x[i]!;
  return { slope, intercept: n > 0 ? median(r, n) : 0 };
}

/**
 * Minimum-delay line of n points (see the header). With fewer than two distinct x, or when the
 * hull edge's slope falls outside [minSlope, maxSlope], the slope is `fallbackSlope` (clamped)
 * and the line is lowered onto the lowest point.
 */
export function lowerEnvelope(x: Float64Array, y: Float64Array, n: number, fallbackSlope: number, minSlope: number, maxSlope: number): Line {
  if (n === 0) return { slope: fallbackSlope, intercept: 0 };
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]! || y[a]! - y[b]!);
  // Andrew's monotone chain, lower hull only.
  const hull: number[] = [];
  for (const i of idx) {
    if (hull.length > 0 && x[hull[hull.length - 1]!] === x[i]) continue; // same x: the first (lowest y) wins
    while (hull.length >= 2) {
      const a = hull[hull.length - 2]!;
      const b = hull[hull.length - 1]!;
      const cross = (x[b]! - x[a]!) * (y[i]! - y[a]!) - (y[b]! - y[a]!) * (x[i]! - x[a]!);
      if (cross <= 0) hull.pop();
      else break;
    }
    hull.push(i);
  }
  let slope = fallbackSlope;
  if (hull.length >= 2) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i]!;
    mean /= n;
    let k = 0;
    while (k < hull.length - 2 && x[hull[k + 1]!]! < mean) k++;
    const a = hull[k]!;
    const b = hull[k + 1]!;
    slope = (y[b]! - y[a]!) / (x[b]! - x[a]!);
  }
  if (!(slope >= minSlope && slope <= maxSlope)) slope = Math.min(maxSlope, Math.max(minSlope, Number.isFinite(slope) ? slope : fallbackSlope));
  let intercept = Infinity;
  for (let i = 0; i < n; i++) intercept = Math.min(intercept, y[i]! - slope * x[i]!);
  return { slope, intercept };
}
