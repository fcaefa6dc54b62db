/**
 * A recorded video as a {@link FrameSource}: an FFmpeg child process decodes it to grey frames
 * (one process per camera, so decoding runs in parallel with everything else). Frame k carries
 * camera time k/fps, as the simulator and most cameras' recordings define it.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { CameraClock } from '../geometry/index.ts';
import { greyOutputArgs } from './ffmpeg-file.ts';
import { FramePool, frameTimes, type FrameSource, type GreyFrame } from './frame-source.ts';

export interface FileSourceOptions {
  path: string;
  cameraId: string;
  camIndex: number;
  width: number;
  height: number;
  fps: number;
  clock: CameraClock;
  /** Frames buffered ahead of the consumer (default 8). */
  poolSize?: number;
  /** Extra FFmpeg input options, e.g. ['-hwaccel', 'auto']. */
  inputArgs?: string[];
  /** Decoder threads inside FFmpeg (default: FFmpeg's choice). */
  threads?: number;
}

export class FileFrameSource implements FrameSource {
  readonly cameraId: string;
  readonly camIndex: number;
  readonly width: number;
  readonly height: number;
  private readonly proc: ChildProcessByStdio<null, Readable, Readable>;
  private readonly pool: FramePool;
  private readonly ready: GreyFrame[] = [];
  private current: Uint8Array | null = null;
  /** Decoded bytes waiting for a free pool buffer, in order (views, not copies). */
  private readonly backlog: Buffer[] = [];
  private fill = 0;
  private seq = 0;
  private ended = false;
  private error: Error | null = null;
  private stderr = '';
  private waiter: (() => void) | null = null;
  private closed = false;

  constructor(private readonly o: FileSourceOptions) {
    this.cameraId = o.cameraId;
    this.camIndex = o.camIndex;
    this.width = o.width;
    this.height = o.height;
    this.pool = new FramePool(o.poolSize ?? 8, o.width * o.height);
    const threads = o.threads !== undefined ? ['-threads', String(o.threads)] : [];
    this.proc = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...threads, ...(o.inputArgs ?? []), '-i', o.path, ...greyOutputArgs()],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d: string) => { this.stderr = (this.stderr + d).slice(-2000); });
    this.proc.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.proc.on('error', (e) => { this.error ??= e; this.wake(); });
    this.proc.on('close', (code) => {
      if (code !== 0 && !this.closed) this.error ??= new Error(`ffmpeg decoding ${o.path} failed (exit ${code}): ${this.stderr.trim()}`);
      this.ended = true;
      this.wake();
    });
  }

  async read(): Promise<GreyFrame | null> {
    for (;;) {
      const f = this.ready.shift();
      if (f) { this.resumeIfRoom(); return f; }
      if (this.error) throw this.error;
      if (this.ended && this.backlog.length === 0) {
        if (this.fill !== 0 && !this.closed) throw new Error(`${this.o.path}: stream ended inside a frame (${this.fill} of ${this.width * this.height} bytes)`);
        return null;
      }
      await new Promise<void>((resolve) => { this.waiter = resolve; });
    }
  }

  release(frame: GreyFrame): void {
    this.pool.release(frame.data);
    this.resumeIfRoom();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    this.wake();
  }

  private onData(chunk: Buffer): void {
    // Chunks are queued and drained in order: a paused pipe can still deliver a chunk (Node's
    // socket resumes itself on some paths), so nothing here relies on pause() being immediate.
    this.backlog.push(chunk);
    this.drain();
    this.wake();
  }

  /** Copy queued chunks into free pool buffers; pause the pipe while any chunk must wait. */
  private drain(): void {
    while (this.backlog.length > 0) {
      const rest = this.consume(this.backlog[0]!);
      if (rest) { this.backlog[0] = rest; break; }
      this.backlog.shift();
    }
    const stdout = this.proc.stdout;
    if (this.backlog.length > 0 || this.pool.available === 0) { if (!stdout.isPaused()) stdout.pause(); }
    else if (stdout.isPaused() && !this.closed) stdout.resume();
    this.wake();
  }

  /** Copy a chunk into pooled frames; returns what did not fit, or null. */
  private consume(chunk: Buffer): Buffer | null {
    let off = 0;
    const size = this.width * this.height;
    while (off < chunk.length) {
      if (!this.current) {
        this.current = this.pool.acquire();
        if (!this.current) return chunk.subarray(off);
      }
      const n = Math.min(size - this.fill, chunk.length - off);
      this.current.set(chunk.subarray(off, off + n), this.fill);
      this.fill += n; off += n;
      if (this.fill === size) {
        const t = frameTimes(this.seq, this.o.fps, this.o.clock);
        this.ready.push({ camIndex: this.camIndex, seq: this.seq++, cameraTime: t.cameraTime, siteTime: t.siteTime, width: this.width, height: this.height, data: this.current });
        this.current = null;
        this.fill = 0;
      }
    }
    return null;
  }

  private resumeIfRoom(): void {
    if (this.pool.available > 0 && !this.closed) this.drain();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
