/**
 * The detection pipeline shared by offline `dvs detect` and the live server: per camera motion
 * extraction, one voxel projector for the site, and fusion into 3D detections at a fixed tick.
 * Frames must arrive in site-time order across cameras (the drivers merge their sources).
 */
import { PeakFinder, type CameraEvidence, type PeakOptions } from '../fusion/index.ts';
import type { GreyFrame } from '../ingest/index.ts';
import { BlobGrouper, MotionDetector, TrackletFilter, createBlobList, createMotionPixels, type BlobList, type MotionOptions, type MotionPixels, type PixelList, type TrackletOptions } from '../preprocess/index.ts';
import { createCpuProjector, createSnapshot, type ProjectorOptions, type VolumeSpec, type VoxelProjector, type VoxelSnapshot } from '../voxel/index.ts';
import type { SiteCamera } from './cameras.ts';

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

export interface DetectorOptions {
  /** Fusion runs every tickS seconds of site time (default 1/15 s). */
  tickS?: number;
  motion?: Omit<MotionOptions, 'width' | 'height'>;
  /** Cast one ray per 8-connected motion blob instead of one per pixel (default true). */
  rayPerBlob?: boolean;
  /**
   * Image-plane tracklets between blobs and rays (default on; needs rayPerBlob): only blobs that
   * continue a short constant-velocity chain are cast (src/preprocess/tracklets.ts). `false`
   * casts every blob.
   */
  tracklets?: TrackletOptions | false;
  projector?: Omit<ProjectorOptions, 'volume'>;
  peaks?: PeakOptions;
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
  private readonly motion: MotionDetector[] = [];
  private readonly pixels: MotionPixels[] = [];
  /** Camera index (site config order) → position in `cameras`, looked up once per frame. */
  private readonly position: number[] = [];
  private readonly blobbers: BlobGrouper[] = [];
  private readonly blobs: BlobList[] = [];
  private readonly rayPerBlob: boolean;
  private readonly tracklets: (TrackletFilter | undefined)[] = [];
  private readonly cast: PixelList[] = [];
  private readonly evidence: (CameraEvidence | undefined)[] = [];
  private readonly projector: VoxelProjector;
  private readonly snapshot: VoxelSnapshot;
  private readonly peaks: PeakFinder;
  private readonly tickS: number;
  private readonly onTick: ((t: number, detections: readonly Detection[]) => void) | undefined;
  private nextTick = NaN;
  private closed = false;
  readonly stats: DetectorStats;

  constructor(private readonly cameras: SiteCamera[], volume: VolumeSpec, opts: DetectorOptions = {}) {
    this.tickS = opts.tickS ?? 1 / 15;
    this.onTick = opts.onTick;
    this.rayPerBlob = opts.rayPerBlob ?? true;
    this.projector = createCpuProjector({ volume, ...opts.projector });
    for (const [i, c] of cameras.entries()) {
      this.position[c.index] = i;
      const cam = c.camera;
      const topK = opts.motion?.topK ?? 2000;
      this.motion[c.index] = new MotionDetector({ ...opts.motion, width: cam.width, height: cam.height, topK });
      this.pixels[c.index] = createMotionPixels(topK);
      this.blobbers[c.index] = new BlobGrouper(cam.width, cam.height, topK);
      this.blobs[c.index] = createBlobList(topK);
      if (this.rayPerBlob && opts.tracklets !== false) {
        this.tracklets[c.index] = new TrackletFilter(cam.width, cam.height, opts.tracklets || {});
        this.cast[c.index] = createBlobList(topK);
      }
      this.projector.setCamera(c.index, cam);
    }
    this.snapshot = createSnapshot(opts.projector?.maxVoxels ?? 1 << 21);
    this.peaks = new PeakFinder(volume, opts.peaks);
    this.stats = { frames: cameras.map(() => 0), motionPixels: 0, rays: 0, steps: 0, ticks: 0, detections: 0 };
  }

  /** Process one frame; returns the detections of every tick that this frame's time passed. */
  push(frame: GreyFrame): Detection[] {
    const out: Detection[] = [];
    if (Number.isNaN(this.nextTick)) this.nextTick = Math.ceil(frame.siteTime / this.tickS) * this.tickS;
    while (frame.siteTime >= this.nextTick) {
      this.fuse(this.nextTick, out);
      this.nextTick += this.tickS;
    }
    const md = this.motion[frame.camIndex];
    const px = this.pixels[frame.camIndex];
    const pos = this.position[frame.camIndex];
    const cam = pos === undefined ? undefined : this.cameras[pos];
    if (!md || !px || !cam || pos === undefined) throw new RangeError(`frame from unknown camera index ${frame.camIndex}`);
    md.process(frame.data, px);
    let rays: PixelList = px;
    if (this.rayPerBlob) {
      const b = this.blobs[frame.camIndex]!;
      this.blobbers[frame.camIndex]!.group(px, b);
      rays = b;
      const tf = this.tracklets[frame.camIndex];
      if (tf) {
        const c = this.cast[frame.camIndex]!;
        tf.push(frame.cameraTime, b, c, md);
        rays = c;
      }
    }
    const r = this.projector.accumulate(frame.camIndex, frame.cameraTime, rays);
    // Refinement looks for the cast rays' pixels near a peak (tracklet-confirmed when filtered).
    const ev = this.tracklets[frame.camIndex] ? rays : px;
    this.evidence[frame.camIndex] = { cam: cam.camera, count: ev.count, index: ev.index, energy: ev.energy };
    this.stats.frames[pos] = this.stats.frames[pos]! + 1;
    this.stats.motionPixels += px.count;
    this.stats.rays += r.rays;
    this.stats.steps += r.steps;
    return out;
  }

  /** The pixels cast as rays for a camera's latest frame (tracklet-confirmed when filtered). */
  lastCast(camIndex: number): PixelList | undefined {
    return this.evidence[camIndex];
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
    for (const m of this.motion) m?.close();
    this.projector.close();
  }

  private fuse(t: number, out: Detection[]): void {
    this.stats.ticks++;
    const first = out.length;
    this.projector.snapshot(t, this.snapshot);
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
