/**
 * Per-camera motion evidence of a short recording, as the pipeline's front ends produce it (one
 * pixel list per frame: the cast blobs, `index = v·width + u`), and its association with a
 * tracked target: in every frame the blob nearest to the target's predicted image position, if
 * it is near enough and unambiguous.
 */
import type { Camera } from '../../geometry/index.ts';
import { CalibInputError } from '../errors.ts';
import type { TargetObservations } from './rays.ts';

/** A pixel list as the front end hands it out (structural: PixelList of src/preprocess). */
export interface EvidenceList {
  count: number;
  index: Uint32Array;
  energy: Float32Array;
}

/** One point of the tracked target's 3D path (site time, ENU metres). */
export interface TargetPoint {
  t: number;
  enu: readonly number[];
}

interface CameraLog {
  camera: Camera;
  times: number[];
  /** Per frame: offset into u/v/energy and count. */
  start: number[];
  count: number[];
  u: number[];
  v: number[];
  energy: number[];
}

export interface AssociateOptions {
  /** Largest distance between the predicted position and the blob, pixels (default 15). */
  gatePx?: number;
  /**
   * A frame is skipped when a second blob lies within the gate and no more than this many pixels
   * farther than the nearest (default 4): the association would be a coin toss.
   */
  ambiguityPx?: number;
  /** The target's path is interpolated only across gaps up to this long, seconds (default 0.5). */
  maxTrackGapS?: number;
}

/** Evidence of every camera, copied frame by frame (the front ends reuse their lists). */
export class EvidenceLog {
  private readonly logs = new Map<string, CameraLog>();

  constructor(cameras: readonly Camera[]) {
    for (const c of cameras) this.logs.set(c.id, { camera: c, times: [], start: [], count: [], u: [], v: [], energy: [] });
  }

  /**
   * Record one frame of camera `id` (camera-clock time, increasing per camera). `uv` (2 per
   * entry), when given, replaces the pixel of each entry by a sub-pixel position.
   */
  add(id: string, cameraTime: number, list: EvidenceList, uv?: ArrayLike<number>): void {
    const log = this.logs.get(id);
    if (!log) throw new CalibInputError(`evidence for unknown camera ${id}`);
    if (uv && uv.length < 2 * list.count) throw new CalibInputError(`camera ${id}: ${uv.length / 2} sub-pixel positions for ${list.count} entries`);
    const W = log.camera.width;
    log.times.push(cameraTime);
    log.start.push(log.u.length);
    log.count.push(list.count);
    for (let k = 0; k < list.count; k++) {
      const idx = list.index[k]!, u = idx % W;
      if (uv) { log.u.push(uv[2 * k]!); log.v.push(uv[2 * k + 1]!); } else { log.u.push(u); log.v.push((idx - u) / W); }
      log.energy.push(list.energy[k]!);
    }
  }

  /** Frames recorded for a camera. */
  frames(id: string): number {
    return this.logs.get(id)?.times.length ?? 0;
  }

  /**
   * The target's observations per camera: for each frame, the target's position on its path at
   * the frame's site time (configured clock) projected into the camera, and the nearest blob
   * within the gate.
   */
  associate(track: readonly TargetPoint[], opts: AssociateOptions = {}): TargetObservations[] {
    const gate = opts.gatePx ?? 15, amb = opts.ambiguityPx ?? 4, maxGap = opts.maxTrackGapS ?? 0.5;
    if (!(gate > 0)) throw new CalibInputError(`gatePx must be positive, got ${gate}`);
    const path = [...track].sort((a, b) => a.t - b.t);
    const p = new Float64Array(3), uv = new Float64Array(3);
    const out: TargetObservations[] = [];
    for (const [id, log] of this.logs) {
      const cam = log.camera;
      const t: number[] = [], u: number[] = [], v: number[] = [];
      for (let f = 0; f < log.times.length; f++) {
        if (!pathAt(path, cam.clock.siteTime(log.times[f]!), maxGap, p)) continue;
        if (!cam.projectInto(p[0]!, p[1]!, p[2]!, uv)) continue;
        let best = -1, d1 = Infinity, d2 = Infinity;
        for (let k = log.start[f]!, e = k + log.count[f]!; k < e; k++) {
          const d = Math.hypot(log.u[k]! - uv[0]!, log.v[k]! - uv[1]!);
          if (d < d1) { d2 = d1; d1 = d; best = k; } else if (d < d2) d2 = d;
        }
        if (best < 0 || d1 > gate) continue;
        if (d2 <= gate && d2 - d1 <= amb) continue;
        t.push(log.times[f]!); u.push(log.u[best]!); v.push(log.v[best]!);
      }
      out.push({ id, t, u, v });
    }
    return out;
  }
}

/** Linear interpolation of the path at site time s into out; false outside it or across a long gap. */
export function pathAt(path: readonly TargetPoint[], s: number, maxGapS: number, out: Float64Array): boolean {
  const n = path.length;
  if (n === 0 || s < path[0]!.t || s > path[n - 1]!.t) return false;
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) { const m = (lo + hi) >> 1; if (path[m]!.t <= s) lo = m; else hi = m; }
  const a = path[lo]!, b = path[hi]!;
  if (b.t - a.t > maxGapS) return false;
  const w = b.t > a.t ? (s - a.t) / (b.t - a.t) : 0;
  for (let c = 0; c < 3; c++) out[c] = a.enu[c]! + w * (b.enu[c]! - a.enu[c]!);
  return true;
}

/**
 * Sub-pixel positions of a frame's blobs: the blob grouper rounds each centroid to the pixel,
 * which alone is ±0.5 px. Around each entry, in a (2r+1)² window, the difference frame −
 * background with the sign of the entry's own pixel, minus half the window's largest such
 * difference, clipped at 0, weights a centroid (a half-maximum centroid: the faint fringe and the
 * sky noise around the target do not pull it). Entries without any positive weight keep their
 * pixel. Writes 2 numbers per entry into `out`.
 */
export function subpixelCentroids(list: EvidenceList, frame: Uint8Array, background: Uint8Array, width: number, height: number, out: Float64Array, radius = 3): void {
  for (let k = 0; k < list.count; k++) {
    const idx = list.index[k]!, u = idx % width, v = (idx - u) / width;
    out[2 * k] = u; out[2 * k + 1] = v;
    const sign = frame[idx]! >= background[idx]! ? 1 : -1;
    const x0 = Math.max(0, u - radius), x1 = Math.min(width - 1, u + radius);
    const y0 = Math.max(0, v - radius), y1 = Math.min(height - 1, v + radius);
    let dmax = 0;
    for (let y = y0; y <= y1; y++) for (let x = x0, i = y * width + x0; x <= x1; x++, i++) dmax = Math.max(dmax, sign * (frame[i]! - background[i]!));
    const floor = 0.5 * dmax;
    let sw = 0, su = 0, sv = 0;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0, i = y * width + x0; x <= x1; x++, i++) {
        const w = sign * (frame[i]! - background[i]!) - floor;
        if (w > 0) { sw += w; su += w * x; sv += w * y; }
      }
    }
    if (sw > 0) { out[2 * k] = su / sw; out[2 * k + 1] = sv / sw; }
  }
}
