/**
 * Tracking a whole detections.jsonl (the `dvs track` core): read and check the rows, group them
 * into scans by time, step the tracker at every scan (empty scans included, so M-of-N and coasting
 * see the ticks without detections), collect the records. Also the camera positions of a site config.
 */
import { readFile } from 'node:fs/promises';
import type { SiteConfig } from '../config/index.ts';
import { TrackingInputError } from './errors.ts';
import { ConstantVelocity } from './models.ts';
import { rtsSmooth } from './smoother.ts';
import { Tracker, type Track, type TrackRecord, type TrackerDetection, type TrackerOptions, type Vec3 } from './tracker.ts';

const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** A detection with its time (a detections.jsonl line). */
export interface TimedDetection extends TrackerDetection {
  t: number;
}

/** Parse detections.jsonl (CONTRACTS §6). Errors name FILE:LINE and the reason; blank lines are skipped. */
export function parseDetectionLines(text: string, file: string): TimedDetection[] {
  const out: TimedDetection[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const at = `${file}:${i + 1}`;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch (err) {
      throw new TrackingInputError(`${at}: invalid JSON: ${(err as Error).message}`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new TrackingInputError(`${at}: expected a JSON object`);
    const r = o as Record<string, unknown>;
    const t = r['t'];
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new TrackingInputError(`${at}: field "t" must be a finite number`);
    const enu = r['enu'];
    if (!Array.isArray(enu) || enu.length !== 3 || !enu.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new TrackingInputError(`${at}: field "enu" must be an array of 3 finite numbers`);
    }
    const d: TimedDetection = { t, enu: [enu[0] as number, enu[1] as number, enu[2] as number] };
    const energy = r['energy'];
    if (energy !== undefined) {
      if (typeof energy !== 'number' || !Number.isFinite(energy)) throw new TrackingInputError(`${at}: field "energy" must be a finite number`);
      d.energy = energy;
    }
    const cams = r['cameras'];
    if (cams !== undefined) {
      if (!Array.isArray(cams) || !cams.every((c) => typeof c === 'string')) throw new TrackingInputError(`${at}: field "cameras" must be an array of camera id strings`);
      d.cameras = cams as string[];
    }
    out.push(d);
  }
  return out;
}

export async function readDetectionLines(path: string): Promise<TimedDetection[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new TrackingInputError(`${path}: cannot read: ${(err as Error).message}`);
  }
  return parseDetectionLines(text, path);
}

/** ENU centre of every enabled camera with a `pose` (else `approx_pose`); cameras without either are left out. */
export function cameraPositions(cfg: SiteConfig): Map<string, Vec3> {
  const out = new Map<string, Vec3>();
  for (const c of cfg.cameras) {
    if (c.enabled === false) continue;
    const pose = c.pose ?? c.approx_pose;
    if (pose) out.set(c.id, [pose.enu[0], pose.enu[1], pose.enu[2]]);
  }
  return out;
}

export interface BatchOptions extends TrackerOptions {
  /**
   * Scan period, seconds: empty scans are stepped between detection times further apart than
   * this. Default: the smallest gap (> 1 ms) between distinct detection times.
   */
  scanS?: number;
  /**
   * Also return RTS-smoothed trajectories (constant velocity, q = 0.5 m²/s³) of every track that
   * was ever confirmed, one record per associated detection. Default false.
   */
  smooth?: boolean;
}

export interface BatchResult {
  records: TrackRecord[];
  /** Tracker steps taken (scans with and without detections). */
  scans: number;
  scanS: number;
  /** Distinct track ids, and those ever confirmed. */
  tracks: number;
  confirmedTracks: number;
  /** With opts.smooth: smoothed records (status "confirmed") ordered by track id, then time. */
  smoothed?: TrackRecord[];
}

/** Run a tracker over time-stamped detections (any order; grouped by equal t, stable). */
export function trackDetections(dets: readonly TimedDetection[], opts: BatchOptions = {}): BatchResult {
  const sorted = dets.map((d, i) => ({ d, i })).sort((a, b) => a.d.t - b.d.t || a.i - b.i).map((x) => x.d);
  const times: number[] = [];
  for (const d of sorted) if (times.length === 0 || d.t !== times[times.length - 1]) times.push(d.t);
  let scanS = opts.scanS ?? Infinity;
  if (opts.scanS === undefined) for (let k = 1; k < times.length; k++) { const g = times[k]! - times[k - 1]!; if (g > 1e-3 && g < scanS) scanS = g; }
  if (!Number.isFinite(scanS)) scanS = 1 / 15;
  if (!(scanS > 0)) throw new TrackingInputError(`scan period must be positive, got ${scanS}`);
  const tracker = new Tracker({ ...opts, keepHistory: opts.keepHistory ?? opts.smooth ?? false });
  const seen = new Map<number, Track>();
  const records: TrackRecord[] = [];
  const ids = new Set<number>(), confirmed = new Set<number>();
  const take = (recs: TrackRecord[]) => {
    for (const r of recs) { records.push(r); ids.add(r.track_id); if (r.status === 'confirmed') confirmed.add(r.track_id); }
    if (opts.smooth) for (const tr of tracker.tracks) if (tr.status === 'confirmed' && !seen.has(tr.id)) seen.set(tr.id, tr as Track);
  };
  let scans = 0, k = 0, prev = NaN;
  while (k < sorted.length) {
    const t = sorted[k]!.t;
    // Empty scans between the previous detection time and this one (only while there is anything to coast).
    if (!Number.isNaN(prev)) {
      const gaps = Math.round((t - prev) / scanS) - 1;
      for (let g = 1; g <= gaps && tracker.tracks.length > 0; g++) {
        const tg = prev + g * scanS;
        if (tg >= t) break;
        take(tracker.step(tg, [])); scans++;
      }
    }
    let e = k;
    while (e < sorted.length && sorted[e]!.t === t) e++;
    take(tracker.step(t, sorted.slice(k, e))); scans++;
    prev = t;
    k = e;
  }
  const result: BatchResult = { records, scans, scanS, tracks: ids.size, confirmedTracks: confirmed.size };
  if (opts.smooth) {
    const model = new ConstantVelocity({ q: 0.5 });
    const prior = { velocitySigma: opts.initialVelocitySigma ?? 15, accelerationSigma: 0 };
    result.smoothed = [...seen.values()].sort((a, b) => a.id - b.id).flatMap((tr) => rtsSmooth(model, tr.history ?? [], prior).map((s) => ({
      t: s.t, track_id: tr.id, status: 'confirmed' as const,
      enu: [r3(s.x[0]!), r3(s.x[1]!), r3(s.x[2]!)] as Vec3, vel: [r3(s.x[3]!), r3(s.x[4]!), r3(s.x[5]!)] as Vec3,
      class: 'unknown' as const, confidence: 0,
    })));
  }
  return result;
}
