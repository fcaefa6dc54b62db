/**
 * Clock refinement for a site config (what `dvs calib --sharpness` runs): the evidence from the
 * cameras' recorded videos (front end → 3D peaks → longest confirmed track → the blobs on it) or
 * from per-camera CSV tracks (CONTRACTS §7), then the Δt optimiser.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SiteConfig } from '../../config/index.ts';
import { Camera } from '../../geometry/index.ts';
import { siteCameras, SiteCameraError } from '../../pipeline/index.ts';
import { CalibFailedError, CalibInputError } from '../errors.ts';
import { parseTrackCsv } from '../tracks.ts';
import type { AssociateOptions } from './evidence.ts';
import { refineClockOffsets, type SharpnessOptions, type SharpnessResult } from './optimise.ts';
import type { TargetObservations } from './rays.ts';
import { longestTrack, recordFiles } from './record.ts';

export interface SharpnessRunOptions extends Omit<SharpnessOptions, 'onProgress'> {
  /** Folder of `<camera id>.csv` tracks (`t,x,y`, t on the camera's clock); absent: read the videos. */
  detectionsDir?: string;
  /** Videos: use only the first S seconds (default all). */
  maxSeconds?: number;
  associate?: AssociateOptions;
  onProgress?: (message: string) => void;
}

export interface SharpnessRun {
  result: SharpnessResult;
  /** Where the evidence came from. */
  source: 'video' | 'csv';
  /** Video mode: frames read per camera, 3D peaks found, the track used and its length. */
  frames?: Record<string, number>;
  detections?: number;
  trackId?: number;
  trackPoints?: number;
  /** The target's path with the refined clocks, every 0.1 s of site time the cameras cover. */
  trajectory: { t: number; enu: [number, number, number] }[];
  /** Cameras of the config not used (disabled, use_for_calib false, no track): id → reason. */
  skipped: Record<string, string>;
}

export async function refineSiteClocks(cfg: SiteConfig, opts: SharpnessRunOptions = {}): Promise<SharpnessRun> {
  const say = opts.onProgress ?? (() => {});
  const skipped: Record<string, string> = {};
  const use = cfg.cameras.filter((c) => {
    if (c.enabled === false || c.use_for_calib === false) { skipped[c.id] = 'disabled or use_for_calib: false'; return false; }
    return true;
  });
  let cameras: Camera[];
  let obs: TargetObservations[];
  const extra: Partial<SharpnessRun> = {};
  if (opts.detectionsDir !== undefined) {
    cameras = [];
    obs = [];
    for (const c of use) {
      const file = join(opts.detectionsDir, `${c.id}.csv`);
      if (!existsSync(file)) { skipped[c.id] = `no ${c.id}.csv`; continue; }
      const pose = c.pose ?? c.approx_pose, intr = c.intrinsics ?? c.intrinsics_guess;
      if (!pose || !intr) throw new CalibInputError(`camera ${c.id}: clock refinement needs a pose (or approx_pose) and intrinsics (or intrinsics_guess)`);
      const resolution = c.rtp_config.resolution ?? [Math.round(2 * intr.cx + 1), Math.round(2 * intr.cy + 1)];
      cameras.push(new Camera({ id: c.id, resolution, pose, intrinsics: intr, rolling_shutter: c.rolling_shutter, clock: c.clock }));
      const tr = parseTrackCsv(readFileSync(file, 'utf8'), c.id, file);
      obs.push({ id: c.id, t: tr.t, u: tr.x, v: tr.y });
      say(`camera ${c.id}: ${tr.t.length} samples`);
    }
  } else {
    let all: Awaited<ReturnType<typeof siteCameras>>;
    try {
      all = await siteCameras({ ...cfg, cameras: use });
    } catch (e) {
      // A camera without pose or frame size is bad input to this command, not a failed calibration.
      if (e instanceof SiteCameraError) throw new CalibInputError(e.message);
      throw e;
    }
    const cams = all.filter((c) => { if (!c.file) skipped[c.id] = 'no file: source'; return c.file !== undefined; });
    if (cams.length < 2) throw new CalibInputError(`need at least two cameras with file: sources, have ${cams.length}`);
    say(`reading ${cams.length} videos${opts.maxSeconds !== undefined ? ` (first ${opts.maxSeconds} s)` : ''}`);
    const rec = await recordFiles(cams, cfg.site.volume, { ...(opts.maxSeconds !== undefined ? { maxSeconds: opts.maxSeconds } : {}), onProgress: (n) => { if (n % 500 === 0) say(`${n} frames`); } });
    const centres = new Map(cams.map((c) => [c.id, [c.camera.C[0]!, c.camera.C[1]!, c.camera.C[2]!] as [number, number, number]]));
    const track = longestTrack(rec.detections, centres);
    say(`${Object.values(rec.frames).reduce((a, b) => a + b, 0)} frames, ${rec.detections.length} 3D peaks, ${track ? `track ${track.trackId} with ${track.points.length} points` : 'no confirmed track'}`);
    if (!track || track.points.length < 10) throw new CalibFailedError('no confirmed target track in the recording: nothing to time the cameras with');
    cameras = cams.map((c) => c.camera);
    obs = rec.log.associate(track.points, opts.associate);
    for (const o of obs) say(`camera ${o.id}: ${o.t.length} frames with the target`);
    Object.assign(extra, { frames: rec.frames, detections: rec.detections.length, trackId: track.trackId, trackPoints: track.points.length });
  }
  const { detectionsDir, maxSeconds, associate, ...ropts } = opts;
  void detectionsDir; void maxSeconds; void associate; // consumed above
  const result = refineClockOffsets(cameras, obs, { ...ropts, onProgress: say });
  const trajectory: SharpnessRun['trajectory'] = [];
  const ticks = result.cost.ticks;
  if (ticks.length > 0) {
    for (let k = Math.ceil(ticks[0]! * 10); k / 10 <= ticks[ticks.length - 1]!; k++) {
      const p = result.cost.pointAt(k / 10, result.deltaS);
      if (p) trajectory.push({ t: k / 10, enu: p });
    }
  }
  return { result, source: opts.detectionsDir !== undefined ? 'csv' : 'video', ...extra, trajectory, skipped };
}
