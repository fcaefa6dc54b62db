/**
 * The detection pipeline shared by offline `dvs detect` and the live server: per camera motion
 * extraction, one voxel projector for the site, and fusion into 3D detections at a fixed tick.
 * Frames must arrive in site-time order across cameras (the drivers merge their sources).
 */
import { PeakFinder, type CameraEvidence, type PeakOptions } from '../fusion/index.ts';
import type { GreyFrame } from '../ingest/index.ts';
import type { Camera } from '../geometry/index.ts';
import type { PixelList } from '../preprocess/index.ts';
import { createCpuProjector, createSnapshot, type ProjectorOptions, type VolumeSpec, type VoxelProjector, type VoxelSnapshot } from '../voxel/index.ts';
import type { SiteCamera } from './cameras.ts';
import { CameraFrontEnd, type FrontEndOptions } from './frontend.ts';

export interface Detection {
  /** Site time, seconds. */
  t: number;
  enu: [number, number, number];
  energy: number;
  /** Ids of the cameras that support it. */
  cameras: string[];
  /** Extension: whether the position was refined by ray intersection. */
  refined: boolean;
}

export interface DetectorOptions extends FrontEndOptions {
  /** Fusion runs every tickS seconds of site time (default 1/15 s). */
  tickS?: number;
  projector?: Omit<ProjectorOptions, 'volume'>;
  peaks?: PeakOptions;
  /** Frames of each camera whose pixels serve sub-voxel refinement and its consistency test (default 2). */
  evidenceFrames?: number;
  /** `false`: frames arrive already processed per camera ({@link Detector.pushCast}; e.g. from worker threads). */
  frontEnds?: boolean;
  /** Called after every fusion tick with that tick's detections (also when there are none). */
  onTick?: (t: number, detections: readonly Detection[]) => void;
}

export interface DetectorStats {
  frames: number[];
  motionPixels: number;
  rays: number;
  steps: number;
  ticks: number;
  detections: number;
}

export class Detector {
  /** Per camera index: the in-thread front end (absent when frames come pre-processed). */
  private readonly frontEnds: (CameraFrontEnd | undefined)[] = [];
  /** Camera index (site config order) → position in `cameras`, looked up once per frame. */
  private readonly position: number[] = [];
  private readonly evidence: (CameraEvidence | undefined)[] = [];
  private readonly history: PixelList[][] = [];
  private readonly evidenceFrames: number;
  private readonly projector: VoxelProjector;
  private readonly snapshot: VoxelSnapshot;
  private readonly peaks: PeakFinder;
  private readonly tickS: number;
  private readonly onTick: ((t: number, detections: readonly Detection[]) => void) | undefined;
  private nextTick = NaN;
  private closed = false;
  readonly stats: DetectorStats;

  /** The detector's own copy of the cameras (setCameras replaces entries, never the caller's objects). */
  private readonly cameras: SiteCamera[];
  /** Calibration changes applied by {@link setCameras} (0: the configured calibration). */
  private adoptions = 0;

  constructor(cameras: readonly SiteCamera[], volume: VolumeSpec, opts: DetectorOptions = {}) {
    this.cameras = cameras.map((c) => ({ ...c }));
    this.tickS = opts.tickS ?? 1 / 15;
    this.onTick = opts.onTick;
    this.evidenceFrames = opts.evidenceFrames ?? 2;
    this.projector = createCpuProjector({ volume, ...opts.projector });
    for (const [i, c] of cameras.entries()) {
      this.position[c.index] = i;
      if (opts.frontEnds !== false) this.frontEnds[c.index] = new CameraFrontEnd(c.camera.width, c.camera.height, opts);
      this.projector.setCamera(c.index, c.camera);
    }
    this.snapshot = createSnapshot(opts.projector?.maxVoxels ?? 1 << 21);
    this.peaks = new PeakFinder(volume, opts.peaks);
    this.stats = { frames: cameras.map(() => 0), motionPixels: 0, rays: 0, steps: 0, ticks: 0, detections: 0 };
  }

  /**
   * Replace the geometry (intrinsics, pose, clock) of some cameras, all at once: the projector's
   * rays, the cameras of the fusion evidence already held (their pixels are re-read with the new
   * geometry at the next fusion), and what {@link camera} returns. Rays already in the voxel
   * window stay as cast (they expire with the window). Call it between frames; the drivers call
   * it right after a fusion tick, so every frame of a tick interval is cast with one calibration.
   * The frame size must not change. Returns how many cameras changed.
   */
  setCameras(updates: ReadonlyArray<{ index: number; camera: Camera }>): number {
    if (this.closed) return 0;
    for (const u of updates) {
      const pos = this.position[u.index];
      const cur = pos === undefined ? undefined : this.cameras[pos];
      if (!cur) throw new RangeError(`setCameras: unknown camera index ${u.index}`);
      if (u.camera.width !== cur.camera.width || u.camera.height !== cur.camera.height) {
        throw new RangeError(`setCameras: camera ${cur.id} is ${cur.camera.width}×${cur.camera.height}, the new one ${u.camera.width}×${u.camera.height}`);
      }
    }
    for (const u of updates) {
      const pos = this.position[u.index]!;
      this.cameras[pos] = { ...this.cameras[pos]!, camera: u.camera };
      this.projector.setCamera(u.index, u.camera);
      const ev = this.evidence[u.index];
      if (ev) this.evidence[u.index] = { ...ev, cam: u.camera };
    }
    if (updates.length > 0) this.adoptions++;
    return updates.length;
  }

  /** The geometry a camera (site config index) is currently projected with. */
  camera(camIndex: number): Camera {
    const pos = this.position[camIndex];
    const c = pos === undefined ? undefined : this.cameras[pos];
    if (!c) throw new RangeError(`unknown camera index ${camIndex}`);
    return c.camera;
  }

  /** How many times {@link setCameras} changed the geometry. */
  get calibrationChanges(): number { return this.adoptions; }

  /** Process one frame; returns the detections of every tick that this frame's time passed. */
  push(frame: GreyFrame): Detection[] {
    const fe = this.frontEnds[frame.camIndex];
    if (!fe) throw new RangeError(`frame from camera index ${frame.camIndex}, which has no front end here`);
    // Ticks this frame passes are fused before its front end reuses the evidence lists.
    const out: Detection[] = [];
    this.advance(frame.siteTime, out);
    const cast = fe.process(frame.data, frame.cameraTime);
    for (const d of this.pushCast(frame.camIndex, frame.cameraTime, frame.siteTime, cast, fe.evidence(), fe.pixels.count)) out.push(d);
    return out;
  }

  /**
   * One camera frame already through its front end: `cast` the pixels to cast as rays,
   * `evidence` those fusion refines with (default `cast`), `motionPixels` for the statistics.
   * Frames must come in site-time order across cameras.
   */
  pushCast(camIndex: number, cameraTime: number, siteTime: number, cast: PixelList, evidence: PixelList = cast, motionPixels = 0): Detection[] {
    const out: Detection[] = [];
    const pos = this.position[camIndex];
    if (pos === undefined || !this.cameras[pos]) throw new RangeError(`frame from unknown camera index ${camIndex}`);
    this.advance(siteTime, out);
    // Looked up after the ticks: an onTick callback may have changed the geometry (setCameras).
    const cam = this.cameras[pos]!;
    const r = this.projector.accumulate(camIndex, cameraTime, cast);
    this.setEvidence(camIndex, cam.camera, evidence);
    this.stats.frames[pos] = this.stats.frames[pos]! + 1;
    this.stats.motionPixels += motionPixels;
    this.stats.rays += r.rays;
    this.stats.steps += r.steps;
    return out;
  }

  /**
   * Refinement evidence of a camera: its latest frame's pixels followed by the previous
   * `evidenceFrames − 1` frames' (a faint target missing from one frame still has a pixel; the
   * consistency test in fusion rejects one that moved too far meanwhile). Copied, since the
   * front end reuses its lists.
   */
  private setEvidence(camIndex: number, camera: Camera, list: PixelList): void {
    const hist = (this.history[camIndex] ??= []);
    hist.unshift({ count: list.count, index: list.index.slice(0, list.count), energy: list.energy.slice(0, list.count) });
    hist.length = Math.min(hist.length, this.evidenceFrames);
    let n = 0;
    for (const h of hist) n += h.count;
    const index = new Uint32Array(n), energy = new Float32Array(n);
    let o = 0;
    for (const h of hist) { index.set(h.index, o); energy.set(h.energy, o); o += h.count; }
    this.evidence[camIndex] = { cam: camera, count: n, index, energy };
  }

  /** Fuse every tick up to siteTime. */
  private advance(siteTime: number, out: Detection[]): void {
    if (Number.isNaN(this.nextTick)) this.nextTick = Math.ceil(siteTime / this.tickS) * this.tickS;
    while (siteTime >= this.nextTick) {
      this.fuse(this.nextTick, out);
      this.nextTick += this.tickS;
    }
  }

  /**
   * The evidence pixels of a camera's latest frame alone (the cast list with tracklets), as a
   * camera worker sees them when it measures track signatures.
   */
  lastCast(camIndex: number): PixelList | undefined {
    return this.history[camIndex]?.[0];
  }

  /** The last frame of a camera's in-thread front end, privacy masks applied. */
  frameView(camIndex: number): Uint8Array {
    const fe = this.frontEnds[camIndex];
    if (!fe) throw new RangeError(`camera index ${camIndex} has no front end here`);
    return fe.frameView();
  }

  /** The temporal background of a camera's in-thread front end for its last frame. */
  backgroundView(camIndex: number): Uint8Array {
    const fe = this.frontEnds[camIndex];
    if (!fe) throw new RangeError(`camera index ${camIndex} has no front end here`);
    return fe.backgroundView();
  }

  /** Detections of the last tick after the final frame. */
  flush(): Detection[] {
    const out: Detection[] = [];
    if (!Number.isNaN(this.nextTick)) this.fuse(this.nextTick, out);
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.frontEnds) f?.close();
    this.projector.close();
  }

  private fuse(t: number, out: Detection[]): void {
    this.stats.ticks++;
    const first = out.length;
    // Only voxels with the support fusion requires are copied out (fusion's statistics use no others).
    this.projector.snapshot(t, this.snapshot, this.peaks.minSupport);
    const ids = this.cameras;
    for (const p of this.peaks.find(this.snapshot, this.evidence)) {
      out.push({
        t: Math.round(t * 1e6) / 1e6,
        enu: [r3(p.enu[0]), r3(p.enu[1]), r3(p.enu[2])],
        energy: Math.round(p.energy * 1000) / 1000,
        cameras: p.cameras.map((i) => ids[this.position[i] ?? -1]?.id ?? String(i)),
        refined: p.refined,
      });
      this.stats.detections++;
    }
    this.onTick?.(Math.round(t * 1e6) / 1e6, out.slice(first));
  }
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
