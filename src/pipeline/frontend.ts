/**
 * The per-camera front end of the pipeline: grey frame → motion pixels → blobs → image-plane
 * tracklets → the pixels to cast as rays. Independent per camera, so it runs in the caller's
 * thread (Detector.push) or in one worker thread per camera (camera-worker.ts) with the same
 * result.
 */
import { BlobGrouper, MotionDetector, TrackletFilter, createBlobList, createMotionPixels, type BlobList, type MotionOptions, type MotionPixels, type PixelList, type TrackletOptions } from '../preprocess/index.ts';

/**
 * The pipeline's motion threshold, in tile σ (MotionDetector's own default is 4). On spec-1km
 * (1080p H.264 at 12 Mb/s, first 30 s, 4 cameras) 4.5 halves the blobs per frame (≈1420 → ≈765:
 * codec noise, 2448 candidates per frame at 4 σ overflowed the top-K of 2000) and the rays cast
 * (6–25 → 2–22 per frame), while the frames in which the drone's blob reached the voxel grid rose
 * (777/818/867/864 → 785/825/872/865 of 884): fewer noise chains compete for the target's blobs.
 * The drone's median z there is 10–15; a fainter target keeps its chain through the sub-threshold
 * probe (z ≥ 3.5) once the chain exists.
 */
export const FRONT_END_THRESHOLD_SIGMA = 4.5;

export interface FrontEndOptions {
  motion?: Omit<MotionOptions, 'width' | 'height'>;
  /** Cast one ray per 8-connected motion blob instead of one per pixel (default true). */
  rayPerBlob?: boolean;
  /**
   * Image-plane tracklets between blobs and rays (default on; needs rayPerBlob): only blobs that
   * continue a short constant-velocity chain are cast (src/preprocess/tracklets.ts). `false`
   * casts every blob.
   */
  tracklets?: TrackletOptions | false;
}

export class CameraFrontEnd {
  readonly motion: MotionDetector;
  readonly pixels: MotionPixels;
  private readonly blobber: BlobGrouper | null;
  private readonly blobs: BlobList | null;
  private readonly tracklets: TrackletFilter | null;
  private readonly cast: BlobList | null;

  constructor(width: number, height: number, opts: FrontEndOptions = {}) {
    const topK = opts.motion?.topK ?? 2000;
    this.motion = new MotionDetector({ thresholdSigma: FRONT_END_THRESHOLD_SIGMA, ...opts.motion, width, height, topK });
    this.pixels = createMotionPixels(topK);
    const perBlob = opts.rayPerBlob ?? true;
    this.blobber = perBlob ? new BlobGrouper(width, height, topK) : null;
    this.blobs = perBlob ? createBlobList(topK) : null;
    this.tracklets = perBlob && opts.tracklets !== false ? new TrackletFilter(width, height, opts.tracklets || {}) : null;
    this.cast = this.tracklets ? createBlobList(topK) : null;
  }

  /**
   * One frame (`cameraTime` on the camera's clock, increasing). Returns the pixels to cast; the
   * list is reused by the next call. With tracklets these are also the evidence for sub-voxel
   * refinement; without, the motion pixels are (see {@link evidence}).
   */
  process(data: Uint8Array, cameraTime: number): PixelList {
    this.motion.process(data, this.pixels);
    return this.afterMotion(cameraTime);
  }

  /** Where a decoder may write the next frame directly (see MotionDetector.inputBuffer). */
  inputBuffer(): Uint8Array {
    return this.motion.inputBuffer();
  }

  /** {@link process} for the frame written into {@link inputBuffer}. */
  processInput(cameraTime: number): PixelList {
    this.motion.processInput(this.pixels);
    return this.afterMotion(cameraTime);
  }

  /** The last frame, privacy masks applied (what track signatures are measured on). */
  frameView(): Uint8Array {
    return this.motion.frameView();
  }

  /** The motion stage's temporal background for the last frame (see MotionDetector.backgroundView). */
  backgroundView(): Uint8Array {
    return this.motion.backgroundView();
  }

  private afterMotion(cameraTime: number): PixelList {
    if (!this.blobber || !this.blobs) return this.pixels;
    this.blobber.group(this.pixels, this.blobs);
    if (!this.tracklets || !this.cast) return this.blobs;
    this.tracklets.push(cameraTime, this.blobs, this.cast, this.motion);
    return this.cast;
  }

  /** The pixels fusion refines peaks with: the cast list with tracklets, else the motion pixels. */
  evidence(): PixelList {
    return this.cast ?? this.pixels;
  }

  close(): void {
    this.motion.close();
  }
}
