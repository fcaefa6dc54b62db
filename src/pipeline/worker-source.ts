/**
 * Main-thread side of a camera worker (camera-worker.ts): a queue of processed frames (the
 * pixels to cast, with times and image signatures) read in order, with credit-based flow
 * control so that no worker runs far ahead of the slowest camera.
 */
import { Worker } from 'node:worker_threads';
import type { PixelList } from '../preprocess/index.ts';
import type { SiteCamera } from './cameras.ts';
import type { CameraWorkerData, FromWorker, ToWorker } from './camera-worker.ts';
import type { FrontEndOptions } from './frontend.ts';
import type { LiveTrack, TrackSignature } from './signatures.ts';

export interface CastFrame {
  camIndex: number;
  cameraTime: number;
  siteTime: number;
  motionPixels: number;
  cast: PixelList;
  signatures: TrackSignature[];
}


export class WorkerCameraSource {
  readonly camIndex: number;
  private readonly worker: Worker;
  private readonly queue: CastFrame[] = [];
  private ended = false;
  private error: Error | null = null;
  private waiter: (() => void) | null = null;
  private closed = false;

  /**
   * `ahead`: frames the worker may decode beyond what has been read (default 16). `threads`:
   * FFmpeg decoder threads (default: FFmpeg's choice).
   */
  constructor(cam: SiteCamera, frontEnd: FrontEndOptions, private readonly ahead = 16, threads?: number) {
    if (!cam.file) throw new RangeError(`camera ${cam.id} has no file source`);
    this.camIndex = cam.index;
    const data: CameraWorkerData = { path: cam.file, camIndex: cam.index, params: cam.camera.params, fps: cam.fps, frontEnd, ...(threads !== undefined ? { threads } : {}) };
    // The bootstrap registers tsx in the worker (it does not inherit the CLI's loader).
    this.worker = new Worker(new URL('./camera-worker-boot.js', import.meta.url), { workerData: data });
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'frame') {
        this.queue.push({ camIndex: cam.index, cameraTime: m.cameraTime, siteTime: m.siteTime, motionPixels: m.motionPixels, cast: { count: m.index.length, index: m.index, energy: m.energy }, signatures: m.signatures });
      } else if (m.type === 'end') {
        this.ended = true;
      } else {
        this.error ??= new Error(`camera ${cam.id}: ${m.message}`);
      }
      this.wake();
    });
    this.worker.on('error', (e) => { this.error ??= e; this.wake(); });
    this.worker.on('exit', (code) => {
      if (!this.ended && !this.closed) this.error ??= new Error(`camera ${cam.id}: worker exited (${code}) before the end of its video`);
      this.ended = true;
      this.wake();
    });
    this.send({ type: 'credit', frames: ahead });
  }

  /** The next processed frame, or null at the end of the video. Throws the worker's error. */
  async read(): Promise<CastFrame | null> {
    for (;;) {
      const f = this.queue.shift();
      if (f) {
        this.send({ type: 'credit', frames: 1 });
        return f;
      }
      if (this.error) throw this.error;
      if (this.ended) return null;
      await new Promise<void>((r) => { this.waiter = r; });
    }
  }

  /** The tracks whose signatures the worker measures from now on. */
  setTracks(tracks: LiveTrack[]): void {
    this.send({ type: 'tracks', tracks });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The worker stops at its next frame and closes its decoder; a stuck one is terminated.
    this.send({ type: 'stop' });
    setTimeout(() => void this.worker.terminate(), 2000).unref();
  }

  private send(m: ToWorker): void {
    if (!this.closed || m.type === 'stop') this.worker.postMessage(m);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
