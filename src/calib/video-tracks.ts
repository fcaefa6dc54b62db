/**
 * 2D tracks of the moving target from the cameras' own recordings, for `dvs calib` without
 * `--detections` (CONTRACTS §7): each camera's video is decoded (FFmpeg, one process per camera)
 * and run through the pipeline's per-camera front end (motion → blobs → image-plane tracklets,
 * the same `CameraFrontEnd` as `dvs detect`), so only blobs that already continue a short
 * constant-velocity chain come out, at sub-pixel positions (half-maximum centroids). No pose is
 * needed: nothing here is 3D.
 *
 * Those blobs are then linked into longer 2D tracks (constant-velocity prediction, greedy
 * nearest-first assignment inside a gate that widens with each missed frame), and each camera's
 * track is the longest chain plus every further chain, longest first, that does not overlap in
 * time the chains already taken: one target at a time. A second moving object seen at the same
 * time (a bird) loses to the longer chain; one seen at other times joins the track and is left
 * to the calibration's robust stages (pairwise clock consensus, RANSAC, Huber), which treat it as
 * outliers. Times are the frames' camera times (frame k at k/fps), as CONTRACTS §7 asks of the CSV.
 */
import { CameraClock } from '../geometry/index.ts';
import { FileFrameSource, probeVideo } from '../ingest/index.ts';
import { CameraFrontEnd, type FrontEndOptions } from '../pipeline/frontend.ts';
import { CalibInputError } from './errors.ts';
import { subpixelCentroids } from './sharpness/evidence.ts';
import type { Track2D } from './tracks.ts';

export interface VideoCamera {
  id: string;
  /** Path of the recording. */
  file: string;
  /** Frame size and rate; probed from the file when absent. */
  width?: number;
  height?: number;
  fps?: number;
}

export interface LinkOptions {
  /** Gate around the constant-velocity prediction, px (default 6); grows by half of that per missed frame. */
  gatePx?: number;
  /** Frames a chain may miss before it ends (default 10). */
  maxMissFrames?: number;
  /** Samples a chain needs to be kept (default 30). */
  minSamples?: number;
  /**
   * Distance a kept chain must have travelled from its start, px (default 20), and at least 4 ×
   * its jitter × √samples: still noise and noise wandering about a spot are not the target.
   */
  minTravelPx?: number;
}

export interface VideoTrackOptions extends LinkOptions {
  frontEnd?: FrontEndOptions;
  /** Only the first S seconds of each recording (default: all). */
  maxSeconds?: number;
  /** Called with a line of progress now and then. */
  onProgress?: (message: string) => void;
}

export interface VideoTrackStats {
  id: string;
  frames: number;
  /** Blobs the front end passed (summed over frames). */
  blobs: number;
  /** Chains kept (≥ minSamples, ≥ minTravelPx). */
  chains: number;
  /** Chains taken into the track and its samples. */
  used: number;
  samples: number;
}

/** Blobs of one frame: camera time and sub-pixel positions. */
export interface FrameBlobs { t: number; u: Float64Array; v: Float64Array }

/**
 * A kept chain must stray from its start by DIRECTED × its jitter × √samples. Measured on the
 * 1080p calibration flight (bench/calib.ts --video), camera cam04: 383 chains of ≥ 30 samples,
 * 14 of them the drone (straying 128–1534 px, jitter 0.6–1.9 px); the others jitter 1.4–5.5 px
 * about a spot and stray 2–68 px (they are 87 % of the samples).
 */
const DIRECTED = 4;

/** A chain of one blob per frame: camera times and sub-pixel positions. */
export interface Chain { t: number[]; u: number[]; v: number[] }

/** Link per-frame blob positions into chains (see the file comment); the chains kept (≥ minSamples, ≥ minTravelPx). */
export function linkChains(frames: ReadonlyArray<FrameBlobs>, o: LinkOptions = {}): Chain[] {
  const gate = o.gatePx ?? 6, maxMiss = o.maxMissFrames ?? 10, minN = o.minSamples ?? 30, minTravel = o.minTravelPx ?? 20;
  interface Live extends Chain { vu: number; vv: number; misses: number }
  const active: Live[] = [];
  const done: Chain[] = [];
  const finish = (c: Live): void => {
    const n = c.t.length;
    if (n < minN) return;
    let travel = 0, j2 = 0;
    for (let k = 1; k < n; k++) travel = Math.max(travel, Math.hypot(c.u[k]! - c.u[0]!, c.v[k]! - c.v[0]!));
    for (let k = 1; k < n - 1; k++) j2 += (c.u[k - 1]! - 2 * c.u[k]! + c.u[k + 1]!) ** 2 + (c.v[k - 1]! - 2 * c.v[k]! + c.v[k + 1]!) ** 2;
    // Directed motion: a chain of noise that wanders about a spot (codec noise repeating at one
    // place, a flickering edge) strays like a random walk of its own jitter, ~ J·√n; a target
    // moves on. J = RMS second difference (px per sample).
    const jitter = Math.sqrt(j2 / (n - 2));
    if (travel >= minTravel && travel >= DIRECTED * jitter * Math.sqrt(n)) done.push({ t: c.t, u: c.u, v: c.v });
  };
  for (const f of frames) {
    const nb = f.u.length;
    const pairs: Array<[number, number, number]> = [];
    for (let ci = 0; ci < active.length; ci++) {
      const c = active[ci]!, last = c.t.length - 1, dt = f.t - c.t[last]!;
      const pu = c.u[last]! + c.vu * dt, pv = c.v[last]! + c.vv * dt;
      const g = gate * (1 + 0.5 * c.misses);
      for (let b = 0; b < nb; b++) {
        const d = Math.hypot(f.u[b]! - pu, f.v[b]! - pv);
        if (d <= g) pairs.push([d, ci, b]);
      }
    }
    pairs.sort((a, b) => a[0] - b[0]);
    const chainTaken = new Uint8Array(active.length), blobTaken = new Uint8Array(nb);
    for (const [, ci, b] of pairs) {
      if (chainTaken[ci] || blobTaken[b]) continue;
      chainTaken[ci] = 1; blobTaken[b] = 1;
      const c = active[ci]!, last = c.t.length - 1, dt = f.t - c.t[last]!;
      if (dt > 0) {
        const mu = (f.u[b]! - c.u[last]!) / dt, mv = (f.v[b]! - c.v[last]!) / dt;
        const k = c.t.length === 1 ? 1 : 0.5;
        c.vu += k * (mu - c.vu); c.vv += k * (mv - c.vv);
      }
      c.t.push(f.t); c.u.push(f.u[b]!); c.v.push(f.v[b]!); c.misses = 0;
    }
    for (let ci = active.length - 1; ci >= 0; ci--) {
      if (chainTaken[ci]) continue;
      const c = active[ci]!;
      if (++c.misses > maxMiss) { finish(c); active.splice(ci, 1); }
    }
    for (let b = 0; b < nb; b++) if (!blobTaken[b]) active.push({ t: [f.t], u: [f.u[b]!], v: [f.v[b]!], vu: 0, vv: 0, misses: 0 });
  }
  for (const c of active) finish(c);
  return done;
}

/**
 * The camera's track from its frames' blobs: the longest chain and the further chains, longest
 * first, that overlap none taken.
 */
export function linkTrack(id: string, frames: ReadonlyArray<FrameBlobs>, o: LinkOptions = {}): { track: Track2D; chains: number; used: number } {
  const done = linkChains(frames, o);
  done.sort((a, b) => b.t.length - a.t.length);
  const spans: Array<[number, number]> = [];
  const taken: Chain[] = [];
  for (const c of done) {
    const a = c.t[0]!, z = c.t[c.t.length - 1]!;
    if (spans.some(([s, e]) => a <= e && z >= s)) continue;
    spans.push([a, z]); taken.push(c);
  }
  const rows: Array<[number, number, number]> = [];
  for (const c of taken) for (let k = 0; k < c.t.length; k++) rows.push([c.t[k]!, c.u[k]!, c.v[k]!]);
  rows.sort((a, b) => a[0] - b[0]);
  return {
    track: { id, t: Float64Array.from(rows, (r) => r[0]), x: Float64Array.from(rows, (r) => r[1]), y: Float64Array.from(rows, (r) => r[2]) },
    chains: done.length, used: taken.length,
  };
}

/** Decode one camera's recording through the front end; the blobs of every frame at sub-pixel positions. */
async function frontEndBlobs(cam: VideoCamera, camIndex: number, o: VideoTrackOptions, stop: { now: boolean }): Promise<{ frames: FrameBlobs[]; blobs: number }> {
  let { width, height, fps } = cam;
  if (width === undefined || height === undefined || fps === undefined) {
    let p;
    try { p = await probeVideo(cam.file); } catch (e) { throw new CalibInputError(`camera ${cam.id}: cannot read ${cam.file}: ${(e as Error).message}`); }
    width ??= p.width; height ??= p.height; fps ??= p.fps;
  }
  const src = new FileFrameSource({ path: cam.file, cameraId: cam.id, camIndex, width, height, fps, clock: new CameraClock() });
  const fe = new CameraFrontEnd(width, height, o.frontEnd ?? {});
  const frames: FrameBlobs[] = [];
  let uv = new Float64Array(64), blobs = 0;
  try {
    for (;;) {
      let f;
      try { f = await src.read(); } catch (e) { throw new CalibInputError(`camera ${cam.id}: decoding ${cam.file} failed: ${(e as Error).message}`); }
      if (!f || stop.now) break;
      if (o.maxSeconds !== undefined && f.cameraTime > o.maxSeconds) { src.release(f); break; }
      const cast = fe.process(f.data, f.cameraTime);
      const n = cast.count;
      if (uv.length < 2 * n) uv = new Float64Array(2 * n);
      subpixelCentroids(cast, fe.frameView(), fe.backgroundView(), width, height, uv);
      const u = new Float64Array(n), v = new Float64Array(n);
      for (let k = 0; k < n; k++) { u[k] = uv[2 * k]!; v[k] = uv[2 * k + 1]!; }
      frames.push({ t: f.cameraTime, u, v });
      blobs += n;
      src.release(f);
      if (frames.length % 1000 === 0) o.onProgress?.(`${cam.id}: ${frames.length} frames, ${blobs} blobs`);
    }
  } finally {
    src.close();
    fe.close();
  }
  return { frames, blobs };
}

/**
 * Every camera's 2D track of the moving target from its recording (cameras decoded concurrently,
 * one FFmpeg process each). Throws CalibInputError naming the camera when a file cannot be read.
 */
export async function tracksFromVideo(cams: readonly VideoCamera[], o: VideoTrackOptions = {}): Promise<{ tracks: Track2D[]; stats: VideoTrackStats[] }> {
  // One camera's failure stops the others' decoders at their next frame.
  const stop = { now: false };
  const settled = await Promise.allSettled(cams.map(async (c, i) => {
    try {
      const { frames, blobs } = await frontEndBlobs(c, i, o, stop);
      const l = linkTrack(c.id, frames, o);
      o.onProgress?.(`${c.id}: ${frames.length} frames, ${blobs} blobs, ${l.chains} chains of ≥ ${o.minSamples ?? 30} samples, ${l.used} taken: ${l.track.t.length} samples`);
      return { track: l.track, stats: { id: c.id, frames: frames.length, blobs, chains: l.chains, used: l.used, samples: l.track.t.length } };
    } catch (e) {
      stop.now = true;
      throw e;
    }
  }));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const res = settled.map((r) => (r as PromiseFulfilledResult<{ track: Track2D; stats: VideoTrackStats }>).value);
  return { tracks: res.map((r) => r.track), stats: res.map((r) => r.stats) };
}
