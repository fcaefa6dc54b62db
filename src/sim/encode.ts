/**
 * Thin adapter around an FFmpeg child process that encodes raw grey frames, as a camera would:
 * 4:2:0 video at a constant target bitrate with a fixed key-frame interval, in Matroska.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export type Codec = 'h264' | 'h265' | 'mjpeg';

export interface EncoderOptions {
  path: string;
  width: number;
  height: number;
  fps: number;
  codec: Codec;
  bitrateKbps: number;
  /** Key-frame interval, frames. */
  gop: number;
  /** Frames in flight between the renderer and FFmpeg (buffers in the pool). Default 3. */
  poolSize?: number;
}

/** FFmpeg arguments for one camera's encoder (exported for the benchmark and tests). */
export function encoderArgs(o: EncoderOptions): string[] {
  const rate = `${Math.round(o.bitrateKbps)}k`;
  const common = ['-hide_banner', '-loglevel', 'error', '-nostdin',
    '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${o.width}x${o.height}`, '-framerate', String(o.fps), '-i', 'pipe:0'];
  // Camera-like rate control: target = max rate, a one-second buffer (CBR-ish, as IP cameras).
  const rc = ['-b:v', rate, '-maxrate', rate, '-bufsize', rate];
  let codec: string[];
  switch (o.codec) {
    case 'h264':
      // One encoder thread: x264's frame-threaded VBV is not bit-reproducible, and the
      // simulator must be (same seed → same video). Cameras encode concurrently instead.
      codec = ['-c:v', 'libx264', '-threads', '1', '-preset', 'superfast', ...rc, '-g', String(o.gop), '-keyint_min', String(o.gop), '-sc_threshold', '0', '-pix_fmt', 'yuv420p'];
      break;
    case 'h265':
      codec = ['-c:v', 'libx265', '-preset', 'superfast', ...rc, '-pix_fmt', 'yuv420p',
        // Single-threaded for the same reason as x264 (frame threads and WPP vary run to run).
        '-x265-params', `log-level=error:keyint=${o.gop}:min-keyint=${o.gop}:scenecut=0:pools=1:frame-threads=1:wpp=0:lookahead-slices=0`];
      break;
    case 'mjpeg':
      // MJPEG cameras are set by a quality, not a bitrate (and FFmpeg's one-pass MJPEG rate
      // control undershoots its target several-fold on smooth sky). The configured bitrate picks
      // a fixed quantiser from the bits per pixel it allows: q = clamp(round(4 / bpp), 2, 31).
      codec = ['-c:v', 'mjpeg', '-q:v', String(mjpegQuantiser(o)), '-pix_fmt', 'yuvj420p'];
      break;
  }
  return [...common, ...codec, '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-f', 'matroska', '-y', o.path];
}

/** JPEG quantiser for a camera configured by bitrate (see {@link encoderArgs}). */
export function mjpegQuantiser(o: Pick<EncoderOptions, 'bitrateKbps' | 'width' | 'height' | 'fps'>): number {
  const bpp = (o.bitrateKbps * 1000) / (o.width * o.height * o.fps);
  return Math.min(31, Math.max(2, Math.round(4 / bpp)));
}

export class FfmpegEncoder {
  private readonly proc: ChildProcessByStdio<Writable, null, Readable>;
  private readonly pool: Uint8Array[];
  private readonly inFlight: (Promise<void> | null)[];
  private next = 0;
  private stderr = '';
  private readonly exited: Promise<number | null>;
  private failure: Error | null = null;
  private closed = false;

  constructor(readonly opts: EncoderOptions) {
    this.proc = spawn('ffmpeg', encoderArgs(opts), { stdio: ['pipe', 'ignore', 'pipe'] });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d: string) => { this.stderr = (this.stderr + d).slice(-4000); });
    this.proc.stdin.on('error', (e) => { this.failure ??= e; });
    this.exited = new Promise((resolve) => {
      this.proc.on('error', (e) => { this.failure ??= e; resolve(null); });
      this.proc.on('close', (code) => resolve(code));
    });
    const n = opts.poolSize ?? 3;
    this.pool = Array.from({ length: n }, () => new Uint8Array(opts.width * opts.height));
    this.inFlight = new Array<Promise<void> | null>(n).fill(null);
  }

  /**
   * A buffer to render the next frame into; it is free once any earlier write from it has been
   * consumed by FFmpeg. Pass it to {@link submit}.
   */
  async acquire(): Promise<Uint8Array> {
    const i = this.next;
    const pending = this.inFlight[i];
    if (pending) await pending;
    this.check();
    return this.pool[i]!;
  }

  /** Queue the buffer returned by the last {@link acquire} for encoding. */
  submit(buf: Uint8Array): void {
    const i = this.next;
    if (buf !== this.pool[i]) throw new Error('submit() must receive the buffer from the last acquire()');
    this.inFlight[i] = new Promise<void>((resolve) => {
      this.proc.stdin.write(buf, (err) => { if (err) this.failure ??= err; resolve(); });
    });
    this.next = (i + 1) % this.pool.length;
  }

  /** Finish the file. Throws with FFmpeg's own message if encoding failed. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await Promise.all(this.inFlight.filter(Boolean));
      this.proc.stdin.end();
    }
    const code = await this.exited;
    if (code !== 0 || this.failure) {
      throw new Error(`ffmpeg encoding ${this.opts.path} failed (exit ${code}): ${this.failure?.message ?? ''} ${this.stderr.trim()}`.trim());
    }
  }

  /** Kill the encoder (on error paths). */
  abort(): void {
    this.closed = true;
    this.proc.kill('SIGKILL');
  }

  private check(): void {
    if (this.failure) throw new Error(`ffmpeg encoding ${this.opts.path} failed: ${this.failure.message} ${this.stderr.trim()}`);
  }
}
