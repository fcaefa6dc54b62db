/**
 * Generic RANSAC with a seeded generator (src/util/rng.ts): same seed, same answer.
 *
 * The caller supplies a minimal solver (which may return several models, as the 7- and 5-point
 * solvers do) and a per-datum squared residual. The iteration count adapts to the best inlier
 * ratio found so far for the requested confidence; the winner is refit on all its inliers when a
 * `refit` is given and the refit has at least as many inliers.
 */
import { Rng } from '../../util/rng.ts';

export interface RansacOptions<M> {
  /** Number of data. */
  n: number;
  /** Minimal sample size. */
  sampleSize: number;
  /** Models from a minimal sample (indices into the data). */
  fit: (sample: Int32Array) => M[];
  /** Squared residual of datum i under model m. */
  residual2: (m: M, i: number) => number;
  /** Inlier threshold on the residual (not squared). */
  threshold: number;
  /** Optional: model from all inliers (e.g. a least-squares fit). */
  refit?: (inliers: Int32Array) => M | null;
  /** Iteration cap (default 1000). */
  maxIterations?: number;
  /** Stop when this confidence of having drawn an all-inlier sample is reached (default 0.999). */
  confidence?: number;
  /** Seed for the sampler (default 1). */
  seed?: number;
}

export interface RansacResult<M> {
  model: M;
  inliers: Int32Array;
  iterations: number;
}

export function ransac<M>(o: RansacOptions<M>): RansacResult<M> | null {
  const { n, sampleSize } = o;
  if (!(sampleSize > 0) || n < sampleSize) return null;
  if (!(o.threshold > 0)) throw new RangeError('ransac: threshold must be positive');
  const maxIt = o.maxIterations ?? 1000;
  const conf = o.confidence ?? 0.999;
  const rng = new Rng(o.seed ?? 1);
  const th2 = o.threshold * o.threshold;
  const sample = new Int32Array(sampleSize);
  let best: M | null = null, bestCount = -1, bestCost = Infinity;
  let needed = maxIt, it = 0;
  const countInliers = (m: M): [number, number] => {
    let c = 0, cost = 0;
    for (let i = 0; i < n; i++) {
      const r = o.residual2(m, i);
      if (r < th2) { c++; cost += r; } else cost += th2;
    }
    return [c, cost];
  };
  for (; it < needed && it < maxIt; it++) {
    // Distinct random indices (rejection; sampleSize ≪ n in practice).
    for (let k = 0; k < sampleSize; k++) {
      let v: number, dup: boolean;
      do {
        v = Math.floor(rng.next() * n);
        dup = false;
        for (let j = 0; j < k; j++) if (sample[j] === v) { dup = true; break; }
      } while (dup);
      sample[k] = v;
    }
    for (const m of o.fit(sample)) {
      const [c, cost] = countInliers(m);
      if (c > bestCount || (c === bestCount && cost < bestCost)) {
        best = m; bestCount = c; bestCost = cost;
        const w = c / n;
        const pAll = Math.pow(w, sampleSize);
        if (pAll >= 1) needed = 0;
        else if (pAll > 0) needed = Math.min(maxIt, Math.ceil(Math.log(1 - conf) / Math.log(1 - pAll)));
      }
    }
  }
  if (best === null) return null;
  const collect = (m: M): Int32Array => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (o.residual2(m, i) < th2) out.push(i);
    return Int32Array.from(out);
  };
  let inliers = collect(best);
  if (o.refit && inliers.length >= sampleSize) {
    for (let round = 0; round < 3; round++) {
      const m = o.refit(inliers);
      if (!m) break;
      const ni = collect(m);
      if (ni.length < inliers.length) break;
      best = m;
      const grew = ni.length > inliers.length;
      inliers = ni;
      if (!grew) break;
    }
  }
  return { model: best, inliers, iterations: it };
}
