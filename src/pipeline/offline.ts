/**
 * Offline detection over recorded video (`dvs detect`): one FFmpeg decoder per `file:` camera,
 * frames merged in site-time order into the shared {@link Detector}, detections streamed to
 * `detections.jsonl`, and a `summary.json` (CONTRACTS §6).
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { zonesFromConfig } from '../alerts/index.ts';
import { loadZones, type SiteConfig } from '../config/index.ts';
import { cameraPositions } from '../tracking/index.ts';
import { FileFrameSource, probeDuration, type GreyFrame } from '../ingest/index.ts';
import { Progress } from '../util/progress.ts';
import { DetectCalibration, type OnlineRefinerOptions } from '../calib/online/index.ts';
import { siteCameras, SiteCameraError } from './cameras.ts';
import { Detector, type Detection, type DetectorOptions } from './detector.ts';
import { WorkerCameraSource, type CastFrame } from './worker-source.ts';
import { TrackStage } from './tracks.ts';

export interface OfflineOptions extends DetectorOptions {
  quiet?: boolean;
  /** Stop after this many seconds of site time (default: the whole recording). */
  maxSeconds?: number;
  /** GeoJSON zones file: alerts.jsonl is written when given. */
  zonesPath?: string;
  /**
   * Run each camera's decoder and front end (motion, blobs, tracklets, track signatures) in a
   * worker thread of its own (default true); the main thread then only projects, fuses and
   * tracks. `false` runs everything in this thread (same detections).
   */
  workers?: boolean;
  /**
   * Run the online calibration refiner (src/calib/online) over the confirmed tracks: writes
   * calibration.jsonl (one line per version or rejection) and calibration.json (the final
   * snapshot). Without `calibAdopt` it only estimates: the detector keeps the configured calibration.
   */
  calibOnline?: boolean | OnlineRefinerOptions;
  /**
   * Also detect with each accepted version (implies `calibOnline`): the detector's cameras
   * (intrinsics, poses, clocks) are replaced right after the fusion tick that follows the
   * acceptance; later frames are timed with the new clocks. Opt-in (docs/CALIB-ONLINE.md).
   */
  calibAdopt?: boolean;
}

interface TimedFrame { camIndex: number; cameraTime: number; siteTime: number }

/** One camera's frame source as the merge loop sees it, in either mode. */
interface Lane {
  /** The next frame (kept as the head until `apply`); its siteTime is rewritten after an adoption. */
  read(): Promise<TimedFrame | null>;
  /** Feed the head frame to the pipeline (and release it). */
  apply(): Detection[];
  close(): void;
}

export interface OfflineSummary {
  frames: Record<string, number>;
  video_s: number;
  wall_s: number;
  realtime_factor: number;
  frames_per_s: number;
  peak_rss_mb: number;
  detections: number;
  track_updates: number;
  confirmed_tracks: number;
  alerts: number;
  motion_pixels: number;
  rays: number;
  voxel_steps: number;
  /** With `calibOnline`: the final calibration version and how many candidates were accepted / rejected; with `calibAdopt` the versions the detector adopted. */
  calibration?: { version: number; accepted: number; rejected: number; adopted?: number[] };
}

export async function runOfflineDetect(cfg: SiteConfig, outDir: string, opts: OfflineOptions = {}): Promise<OfflineSummary> {
  const t0 = performance.now();
  const cams = await siteCameras(cfg);
  const missing = cams.filter((c) => !c.file);
  if (missing.length > 0) throw new SiteCameraError(`dvs detect reads recorded video: camera(s) ${missing.map((c) => c.id).join(', ')} have no file: source`);
  if (cams.length === 0) throw new SiteCameraError('no enabled cameras');
  const zones = opts.zonesPath !== undefined ? zonesFromConfig(loadZones(opts.zonesPath), cfg.site.origin) : undefined;
  mkdirSync(outDir, { recursive: true });
  const trackOut = createWriteStream(join(outDir, 'tracks.jsonl'));
  const alertOut = zones ? createWriteStream(join(outDir, 'alerts.jsonl')) : null;
  const stage = new TrackStage({ cameras: cameraPositions(cfg), ...(zones ? { zones } : {}) });
  let trackUpdates = 0, alertCount = 0;
  const confirmed = new Set<number>();
  const useWorkers = opts.workers ?? true;
  let workerSources: WorkerCameraSource[] = [];
  const adopt = opts.calibAdopt ?? false;
  const online = opts.calibOnline || adopt ? new DetectCalibration(cams, outDir, typeof opts.calibOnline === 'object' ? opts.calibOnline : {}, { adopt }) : null;
  const detector = new Detector(cams, cfg.site.volume, {
    ...opts,
    frontEnds: !useWorkers,
    onTick: (t, dets) => {
      const r = stage.tick(t, dets);
      for (const u of r.tracks) {
        trackOut.write(`${JSON.stringify(u)}\n`);
        if (u.status === 'confirmed') confirmed.add(u.track_id);
      }
      for (const a of r.alerts) alertOut?.write(`${JSON.stringify(a)}\n`);
      trackUpdates += r.tracks.length;
      online?.tracks(r.tracks);
      alertCount += r.alerts.length;
      // A version accepted since the last tick: every frame from here on is cast with it.
      const adoption = adopt ? online?.takeAdoption() : null;
      if (adoption) detector.setCameras(adoption);
      if (r.tracks.length > 0 && workerSources.length > 0) {
        const live = stage.liveTracks();
        for (const w of workerSources) w.setTracks(live);
      }
    },
  });
  const lanes: Lane[] = [];
  // After an adoption, a frame's site time is its camera time through the adopted clock (the
  // sources time frames with the configured one). The merge loop re-times the heads before it
  // picks one; the geometry changes only inside a push (at a fusion tick), after that.
  const retime = (f: TimedFrame) => { f.siteTime = detector.camera(f.camIndex).clock.siteTime(f.cameraTime); };
  if (useWorkers) {
    // Half a second of frames ahead (at least 4): a worker measures the signatures of the tracks as
    // the main thread last sent them, and measureTracks skips a track more than 1 s older than
    // the frame. 16 frames at 15 fps (1.07 s) left the demo's cameras with signatures for a
    // tenth of their frames.
    workerSources = cams.map((c) => new WorkerCameraSource(c, opts, Math.max(4, Math.ceil(0.5 * c.fps)), decoderThreads(cams.length)));
    for (const w of workerSources) {
      let head: CastFrame | null = null;
      lanes.push({
        read: async () => (head = await w.read()),
        apply: () => {
          const f = head!;
          stage.addSignatures(f.signatures);
          const dets = detector.pushCast(f.camIndex, f.cameraTime, f.siteTime, f.cast, f.cast, f.motionPixels);
          online?.frame(f.camIndex, f.cameraTime, f.siteTime, detector.lastCast(f.camIndex), stage.liveTracks());
          return dets;
        },
        close: () => w.close(),
      });
    }
  } else {
    for (const c of cams) {
      const src = new FileFrameSource({ path: c.file!, cameraId: c.id, camIndex: c.index, width: c.camera.width, height: c.camera.height, fps: c.fps, clock: c.camera.clock });
      let head: GreyFrame | null = null;
      lanes.push({
        read: async () => (head = await src.read()),
        apply: () => {
          const f = head!;
          const dets = detector.push(f);
          stage.observe(detector.camera(c.index), f.siteTime, detector.frameView(f.camIndex), detector.lastCast(f.camIndex), detector.backgroundView(f.camIndex));
          online?.frame(f.camIndex, f.cameraTime, f.siteTime, detector.lastCast(f.camIndex), stage.liveTracks());
          src.release(f);
          return dets;
        },
        close: () => src.close(),
      });
    }
  }
  const out = createWriteStream(join(outDir, 'detections.jsonl'));
  let heads: (TimedFrame | null)[];
  try {
    heads = await Promise.all(lanes.map((l) => l.read()));
  } catch (e) {
    for (const l of lanes) l.close();
    detector.close();
    stage.close();
    throw e;
  }
  // Expected frames for the progress display, from the containers' durations (no decoding).
  const durations = await Promise.all(cams.map((c) => probeDuration(c.file!).catch(() => null)));
  const expected = cams.reduce((a, c, i) => a + Math.min(durations[i] ?? 0, opts.maxSeconds ?? Infinity) * c.fps, 0);
  const progress = new Progress('detect', Math.round(expected), 'frames', process.stderr, opts.quiet ?? true);
  let lastT = -Infinity, firstT = Infinity;
  try {
    for (;;) {
      // The earliest pending frame across cameras goes next (site-time order).
      let k = -1;
      if (detector.calibrationChanges > 0) for (let i = 0; i < heads.length; i++) if (heads[i]) retime(heads[i]!);
      for (let i = 0; i < heads.length; i++) if (heads[i] && (k < 0 || heads[i]!.siteTime < heads[k]!.siteTime)) k = i;
      if (k < 0) break;
      const f = heads[k]!;
      if (opts.maxSeconds !== undefined && f.siteTime - (Number.isFinite(firstT) ? firstT : f.siteTime) > opts.maxSeconds) break;
      firstT = Math.min(firstT, f.siteTime);
      lastT = Math.max(lastT, f.siteTime);
      for (const d of lanes[k]!.apply()) out.write(`${JSON.stringify(d)}\n`);
      heads[k] = await lanes[k]!.read();
      progress.tick();
    }
    for (const d of detector.flush()) out.write(`${JSON.stringify(d)}\n`);
  } finally {
    progress.finish();
    for (const l of lanes) l.close();
    detector.close();
    stage.close();
    const end = (w: NodeJS.WritableStream) => new Promise<void>((resolve, reject) => w.end((e?: Error | null) => (e ? reject(e) : resolve())));
    await Promise.all([end(out), end(trackOut), ...(alertOut ? [end(alertOut)] : [])]);
  }
  const calib = online?.finish();
  const wall = (performance.now() - t0) / 1000;
  const video = Number.isFinite(lastT) ? lastT - firstT : 0;
  const totalFrames = detector.stats.frames.reduce((a, b) => a + b, 0);
  const summary: OfflineSummary = {
    frames: Object.fromEntries(cams.map((c, i) => [c.id, detector.stats.frames[i]!])),
    video_s: round(video, 3),
    wall_s: round(wall, 3),
    realtime_factor: round(video / wall, 3),
    frames_per_s: round(totalFrames / wall, 1),
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
    detections: detector.stats.detections,
    track_updates: trackUpdates,
    confirmed_tracks: confirmed.size,
    alerts: alertCount,
    motion_pixels: detector.stats.motionPixels,
    rays: detector.stats.rays,
    voxel_steps: detector.stats.steps,
    ...(calib ? { calibration: { version: calib.version, accepted: calib.accepted, rejected: calib.rejected, ...(adopt ? { adopted: [...online!.adopted] } : {}) } } : {}),
  };
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/**
 * FFmpeg threads per decoder: one when the cameras alone outnumber the cores (every core already
 * has a decoder; FFmpeg's frame threads would add synchronisation, not throughput: 4 × 1080p H.264
 * on 2 cores, 600 frames each, took 32.2 CPU-s with one thread per decoder and 34.2 with FFmpeg's
 * default), otherwise FFmpeg's own choice.
 */
export function decoderThreads(cameras: number, cores = availableParallelism()): number | undefined {
  return cameras >= cores ? 1 : undefined;
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
