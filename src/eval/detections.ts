/**
 * Scoring raw 3D detections (before tracking), as the detection core's acceptance defines it:
 * at every 0.1 s truth instant where a drone is inside at least `minCameras` true cameras'
 * images, is there a detection within `gateM` (default 15 m) at that instant (nearest detection
 * time within ±`timeTolS`)? The median 3D error of those found; and detections farther than
 * `farM` (default 50 m) from every target alive at their time, per second of detection output.
 * See docs/EVAL.md.
 */
import type { Camera } from '../geometry/index.ts';
import { visibleIn } from './score.ts';
import { quantile } from './stats.ts';
import type { DetectionRow, TruthRow } from './types.ts';

export interface DetectionScoreOptions {
  gateM?: number;
  farM?: number;
  timeTolS?: number;
  minCameras?: number;
}

export interface DetectionScore {
  /** Drone truth instants inside ≥ minCameras images, within the span the detections cover. */
  instants: number;
  /** Of those, instants with a detection within gateM. */
  found: number;
  /** found / instants (null without instants). */
  fraction: number | null;
  medianErrorM: number | null;
  p90ErrorM: number | null;
  detections: number;
  /** Detections farther than farM from every target alive at their time. */
  far: number;
  /** Seconds the detection output spans (first to last detection time, at least one tick). */
  spanS: number;
  farPerS: number;
}

const EPS = 1e-9;

export function scoreDetections(truth: readonly TruthRow[], dets: readonly DetectionRow[], cameras: readonly Camera[], opts: DetectionScoreOptions = {}): DetectionScore {
  const gate = opts.gateM ?? 15, farM = opts.farM ?? 50, tol = opts.timeTolS ?? 0.1, minCams = opts.minCameras ?? 3;
  const sorted = [...dets].sort((a, b) => a.t - b.t);
  const times = sorted.map((d) => d.t);
  const t0 = times[0] ?? Infinity, t1 = times[times.length - 1] ?? -Infinity;
  // Detections whose time lies within ±tol of t: a contiguous range of the sorted list.
  const range = (t: number): [number, number] => [lowerBound(times, t - tol - EPS), lowerBound(times, t + tol + EPS)];
  let instants = 0, found = 0;
  const errors: number[] = [];
  const scratch = new Float64Array(3);
  for (const r of truth) {
    if (r.class !== 'drone' || r.t < t0 - EPS || r.t > t1 + EPS) continue;
    if (visibleIn(cameras, r.enu, scratch) < minCams) continue;
    instants++;
    const [a, b] = range(r.t);
    let best = Infinity;
    for (let i = a; i < b; i++) best = Math.min(best, dist(sorted[i]!.enu, r.enu));
    if (best <= gate) { found++; errors.push(best); }
  }
  // Far detections: compare with every target's truth at the instant nearest in time (±tol).
  const truthTimes = [...new Set(truth.map((r) => r.t))].sort((a, b) => a - b);
  const byTime = new Map<number, TruthRow[]>();
  for (const r of truth) { const l = byTime.get(r.t); if (l) l.push(r); else byTime.set(r.t, [r]); }
  let far = 0;
  for (const d of sorted) {
    const lo = lowerBound(truthTimes, d.t - tol - EPS), hi = lowerBound(truthTimes, d.t + tol + EPS);
    let near = Infinity;
    for (let i = lo; i < hi; i++) for (const r of byTime.get(truthTimes[i]!)!) near = Math.min(near, dist(d.enu, r.enu));
    if (near > farM) far++;
  }
  errors.sort((x, y) => x - y);
  const spanS = sorted.length > 0 ? Math.max(t1 - t0, 0.1) : 0;
  return {
    instants, found, fraction: instants > 0 ? found / instants : null,
    medianErrorM: quantile(errors, 0.5), p90ErrorM: quantile(errors, 0.9),
    detections: sorted.length, far, spanS, farPerS: spanS > 0 ? far / spanS : 0,
  };
}

function dist(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}

/** First index i with xs[i] >= x. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (xs[mid]! < x) lo = mid + 1; else hi = mid; }
  return lo;
}

/** A readable block for the terminal. */
export function formatDetectionScore(s: DetectionScore): string {
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)} %`);
  const m = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)} m`);
  const mark = (ok: boolean | null) => (ok === null ? '' : ok ? '  PASS' : '  FAIL');
  return [
    `drone instants seen by ≥ 3 cameras  ${s.instants}`,
    `  with a detection within 15 m      ${s.found} (${pct(s.fraction)})${mark(s.fraction === null ? null : s.fraction >= 0.8)}   [aim ≥ 80 %]`,
    `  median 3D error                   ${m(s.medianErrorM)}${mark(s.medianErrorM === null ? null : s.medianErrorM <= 8)}   [aim ≤ 8 m]`,
    `  90th percentile error             ${m(s.p90ErrorM)}`,
    `detections                          ${s.detections} over ${s.spanS.toFixed(1)} s`,
    `  farther than 50 m from any target ${s.far} (${s.farPerS.toFixed(2)} /s)${mark(s.farPerS <= 0.5)}   [aim ≤ 0.5 /s]`,
    '',
  ].join('\n');
}
