/**
 * The one frame-source interface of the pipeline: live streams, recorded files and the simulator
 * all deliver grey frames stamped with the camera's own clock and the site time derived from it,
 * so offline `dvs detect` and the live server run the same code after this point.
 *
 * Frames live in a pre-allocated pool per camera: steady-state decoding allocates nothing, and a
 * consumer that falls behind applies back-pressure to the decoder instead of growing memory.
 */
import type { CameraClock } from '../geometry/index.ts';

export interface GreyFrame {
  /** Index of the camera in the site config. */
  camIndex: number;
  /** Frame number since the source started. */
  seq: number;
  /** Capture time on the camera's own clock, seconds (CONTRACTS §2). */
  cameraTime: number;
  /** The same instant in site time, seconds. */
  siteTime: number;
  width: number;
  height: number;
  /** width×height grey bytes; owned by the source's pool until `release()`. */
  data: Uint8Array;
}

export interface FrameSource {
  readonly cameraId: string;
  readonly camIndex: number;
  readonly width: number;
  readonly height: number;
  /** The next frame, or null at the end of the stream. */
  read(): Promise<GreyFrame | null>;
  /** Give a frame's buffer back to the pool. */
  release(frame: GreyFrame): void;
  /** Stop decoding and free resources; safe to call twice. */
  close(): void;
}

/** A fixed set of equally sized buffers handed out and returned. */
export class FramePool {
  private readonly free: Uint8Array[] = [];
  readonly size: number;

  constructor(count: number, readonly bytes: number) {
    if (!(count >= 1)) throw new RangeError('a frame pool needs at least one buffer');
    for (let i = 0; i < count; i++) this.free.push(new Uint8Array(bytes));
    this.size = count;
  }

  get available(): number {
    return this.free.length;
  }

  acquire(): Uint8Array | null {
    return this.free.pop() ?? null;
  }

  release(buf: Uint8Array): void {
    if (buf.length !== this.bytes) throw new RangeError('buffer does not belong to this pool');
    if (this.free.length >= this.size) throw new Error('frame released twice');
    this.free.push(buf);
  }
}

/** Maps frame numbers to camera time (seq / fps) and site time (through the camera clock). */
export function frameTimes(seq: number, fps: number, clock: CameraClock): { cameraTime: number; siteTime: number } {
  const cameraTime = seq / fps;
  return { cameraTime, siteTime: clock.siteTime(cameraTime) };
}
