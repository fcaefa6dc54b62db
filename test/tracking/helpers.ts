/** Synthetic targets and detections for the tracker tests (fixed-seed, no simulator). */
import { Rng } from '../../src/util/rng.ts';
import type { TrackRecord, TrackerDetection, Vec3 } from '../../src/tracking/index.ts';

export type Path = (t: number) => Vec3;

/** Straight flight from p0 with velocity v. */
export const line = (p0: Vec3, v: Vec3): Path => (t) => [p0[0] + v[0] * t, p0[1] + v[1] * t, p0[2] + v[2] * t];

export interface Scan { t: number; dets: TrackerDetection[]; truth: Vec3[] }

export interface ScanOptions {
  /** Scan period, seconds. */
  dt: number;
  duration: number;
  /** Probability that a target gives a detection in a scan. */
  pd: number;
  /** Isotropic position noise, metres (standard deviation). */
  sigma: number;
  /** False detections per second, uniform in the box. */
  clutterPerS?: number;
  box?: { min: Vec3; max: Vec3 };
  seed: number;
  cameras?: string[];
}

/** Scans at t = 0, dt, 2dt, … with noisy detections of each path (in path order) and clutter after them. */
export function makeScans(paths: Path[], o: ScanOptions): Scan[] {
  const rng = new Rng(o.seed);
  const out: Scan[] = [];
  const n = Math.round(o.duration / o.dt);
  for (let k = 0; k <= n; k++) {
    const t = Math.round(k * o.dt * 1e6) / 1e6;
    const dets: TrackerDetection[] = [];
    const truth = paths.map((p) => p(t));
    for (const p of truth) {
      if (rng.next() >= o.pd) continue;
      dets.push({ t, enu: [p[0] + o.sigma * rng.normal(), p[1] + o.sigma * rng.normal(), p[2] + o.sigma * rng.normal()], energy: 1, cameras: o.cameras ?? [] });
    }
    const lambda = (o.clutterPerS ?? 0) * o.dt;
    const nc = poisson(rng, lambda);
    for (let c = 0; c < nc; c++) {
      const b = o.box!;
      dets.push({ t, enu: [rng.uniform(b.min[0], b.max[0]), rng.uniform(b.min[1], b.max[1]), rng.uniform(b.min[2], b.max[2])], energy: 0.5, cameras: o.cameras ?? [] });
    }
    out.push({ t, dets, truth });
  }
  return out;
}

function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  const L = Math.exp(-lambda);
  let k = 0, p = 1;
  for (;;) { p *= rng.next(); if (p <= L) return k; k++; }
}

export const dist = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

/** Records of one status. */
export const withStatus = (recs: TrackRecord[], s: TrackRecord['status']) => recs.filter((r) => r.status === s);
