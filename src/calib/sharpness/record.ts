/**
 * Collecting the evidence: frames go through the pipeline's own Detector (per-camera front end:
 * motion, blobs, tracklets; voxel accumulation and fusion into 3D peaks). Every frame's cast
 * list is logged, the peaks are tracked (src/tracking, RTS-smoothed), and the longest confirmed
 * track is the target whose image positions time the cameras.
 */
import type { GreyFrame } from '../../ingest/index.ts';
import { FileFrameSource } from '../../ingest/index.ts';
import { Detector, type Detection, type DetectorOptions, type SiteCamera } from '../../pipeline/index.ts';
import { trackDetections, type Vec3 } from '../../tracking/index.ts';
import type { VolumeSpec } from '../../voxel/index.ts';
import { CalibFailedError } from '../errors.ts';
import { EvidenceLog, subpixelCentroids, type TargetPoint } from './evidence.ts';

export interface Recording {
  log: EvidenceLog;
  detections: Detection[];
  /** Frames seen per camera id. */
  frames: Record<string, number>;
}

/** Feeds frames (in site-time order across cameras) through a Detector and logs each frame's cast list. */
export class EvidenceRecorder {
  private readonly detector: Detector;
  private readonly log: EvidenceLog;
  private readonly ids = new Map<number, string>();
  private readonly detections: Detection[] = [];
  private readonly frames: Record<string, number> = {};
  private closed = false;
  private readonly subpixel: boolean;
  private uv = new Float64Array(0);

  /** `subpixel` (default true): half-maximum centroids of the blobs on the frame − background (see subpixelCentroids). */
  constructor(cams: readonly SiteCamera[], volume: VolumeSpec, opts: Omit<DetectorOptions, 'frontEnds' | 'onTick'> & { subpixel?: boolean } = {}) {
    const { subpixel, ...det } = opts;
    this.subpixel = subpixel ?? true;
    this.detector = new Detector([...cams], volume, det);
    this.log = new EvidenceLog(cams.map((c) => c.camera));
    for (const c of cams) { this.ids.set(c.index, c.id); this.frames[c.id] = 0; }
  }

  push(frame: GreyFrame): void {
    const id = this.ids.get(frame.camIndex);
    if (id === undefined) throw new RangeError(`frame from unknown camera index ${frame.camIndex}`);
    for (const d of this.detector.push(frame)) this.detections.push(d);
    const cast = this.detector.lastCast(frame.camIndex);
    if (cast && this.subpixel) {
      if (this.uv.length < 2 * cast.count) this.uv = new Float64Array(2 * cast.count);
      subpixelCentroids(cast, this.detector.frameView(frame.camIndex), this.detector.backgroundView(frame.camIndex), frame.width, frame.height, this.uv);
      this.log.add(id, frame.cameraTime, cast, this.uv);
    } else if (cast) this.log.add(id, frame.cameraTime, cast);
    this.frames[id] = this.frames[id]! + 1;
  }

  finish(): Recording {
    for (const d of this.detector.flush()) this.detections.push(d);
    this.close();
    return { log: this.log, detections: this.detections, frames: { ...this.frames } };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detector.close();
  }
}

export interface RecordFilesOptions extends Omit<DetectorOptions, 'frontEnds' | 'onTick'> {
  /** Sub-pixel blob centroids (default true). */
  subpixel?: boolean;
  /** Stop after this many seconds of site time from the first frame (default: everything). */
  maxSeconds?: number;
  /** Called every ~100 frames with the frames done so far. */
  onProgress?: (frames: number) => void;
}

/** Decode the cameras' `file:` videos with FFmpeg, merge them in site-time order and record them. */
export async function recordFiles(cams: readonly SiteCamera[], volume: VolumeSpec, opts: RecordFilesOptions = {}): Promise<Recording> {
  const { maxSeconds, onProgress, ...det } = opts;
  const sources = cams.map((c) => {
    if (!c.file) throw new CalibFailedError(`camera ${c.id}: sharpness refinement reads recorded video; it has no file: source`);
    return new FileFrameSource({ path: c.file, cameraId: c.id, camIndex: c.index, width: c.camera.width, height: c.camera.height, fps: c.fps, clock: c.camera.clock });
  });
  const rec = new EvidenceRecorder(cams, volume, det);
  try {
    const heads: (GreyFrame | null)[] = await Promise.all(sources.map((s) => s.read()));
    let t0 = NaN, n = 0;
    for (;;) {
      let k = -1;
      for (let i = 0; i < heads.length; i++) if (heads[i] && (k < 0 || heads[i]!.siteTime < heads[k]!.siteTime)) k = i;
      if (k < 0) break;
      const f = heads[k]!;
      if (Number.isNaN(t0)) t0 = f.siteTime;
      if (maxSeconds !== undefined && f.siteTime - t0 > maxSeconds) break;
      rec.push(f);
      sources[k]!.release(f);
      heads[k] = await sources[k]!.read();
      if (++n % 100 === 0) onProgress?.(n);
    }
    return rec.finish();
  } finally {
    rec.close();
    for (const s of sources) s.close();
  }
}

/**
 * The target: the tracker's longest confirmed track over the detections (RTS-smoothed positions).
 * `cameras` are the camera centres by id (the detections' geometric covariance). Null when no
 * track was confirmed.
 */
export function longestTrack(detections: readonly Detection[], cameras: Map<string, Vec3>): { trackId: number; points: TargetPoint[] } | null {
  const r = trackDetections(detections, { smooth: true, geometry: { cameras } });
  const by = new Map<number, TargetPoint[]>();
  for (const s of r.smoothed ?? []) {
    const list = by.get(s.track_id) ?? [];
    list.push({ t: s.t, enu: s.enu });
    by.set(s.track_id, list);
  }
  let best: { trackId: number; points: TargetPoint[] } | null = null;
  for (const [trackId, points] of by) if (!best || points.length > best.points.length) best = { trackId, points };
  return best;
}
