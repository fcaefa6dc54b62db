/**
 * A recorded video decoded by FFmpeg straight into a caller's buffer: FFmpeg writes grey frames
 * into a named pipe (FIFO) and {@link DirectFrameReader.readInto} fills a given buffer with
 * blocking reads. No chunk objects, no pool copy: the bytes go from the kernel's pipe buffer to
 * their destination once (e.g. a WASM kernel's frame memory), which matters when decoding already
 * takes the CPU (a 1080p frame through Node's stream API costs ~32 Buffer allocations and a copy).
 *
 * Blocking reads stall the calling thread's event loop: use it from a worker thread that has
 * nothing else to do meanwhile (camera-worker.ts), not from the main thread.
 *
 * Failure handling: FFmpeg failing before it opens the pipe (a missing or broken file) would leave
 * the open pending forever, so the reader opens the pipe asynchronously and, when FFmpeg exits
 * first, opens the write end itself to release it; the error is FFmpeg's own message.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { greyOutputArgs } from './ffmpeg-file.ts';

export interface DirectReaderOptions {
  path: string;
  width: number;
  height: number;
  /** Decoder threads inside FFmpeg (default: FFmpeg's choice). */
  threads?: number;
  /** Extra FFmpeg input options, e.g. ['-hwaccel', 'auto']. */
  inputArgs?: string[];
}

export class DirectFrameReader {
  readonly frameBytes: number;
  private readonly dir: string;
  private readonly proc: ChildProcessByStdio<null, null, Readable>;
  private fd = -1;
  private stderr = '';
  private exit: Promise<number | null>;
  private closed = false;
  private eof = false;

  private constructor(private readonly o: DirectReaderOptions) {
    this.frameBytes = o.width * o.height;
    this.dir = mkdtempSync(join(tmpdir(), 'dvs-frames-'));
    const fifo = join(this.dir, 'frames');
    const mk = spawnSync('mkfifo', ['-m', '600', fifo], { encoding: 'utf8' });
    if (mk.status !== 0) {
      rmSync(this.dir, { recursive: true, force: true });
      throw new Error(`mkfifo ${fifo} failed: ${(mk.stderr || mk.error?.message || '').trim()}`);
    }
    const threads = o.threads !== undefined ? ['-threads', String(o.threads)] : [];
    // -y: the output (our FIFO) exists.
    this.proc = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...threads, ...(o.inputArgs ?? []), '-i', o.path,
      ...greyOutputArgs(fifo)], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d: string) => { this.stderr = (this.stderr + d).slice(-2000); });
    this.exit = new Promise((resolve) => {
      this.proc.on('error', (e) => { this.stderr += e.message; resolve(-1); });
      this.proc.on('close', (code) => resolve(code));
    });
  }

  /** Start FFmpeg and wait until it has opened its output (or failed: then this throws). */
  static async open(o: DirectReaderOptions): Promise<DirectFrameReader> {
    const r = new DirectFrameReader(o);
    const fifo = join(r.dir, 'frames');
    const opening = open(fifo, constants.O_RDONLY);
    let exitedFirst = false;
    void r.exit.then(() => {
      // FFmpeg gone before opening its output: release our pending open (it then reads EOF).
      exitedFirst = true;
      try { closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* already open or gone */ }
    });
    const handle = await opening;
    r.fd = handle.fd;
    // Held until close(): a FileHandle collected while open would close the fd under us.
    r.handle = handle;
    if (exitedFirst && r.proc.exitCode !== 0) {
      const code = await r.exit;
      r.close();
      throw new Error(`ffmpeg decoding ${o.path} failed (exit ${code}): ${r.stderr.trim()}`);
    }
    return r;
  }

  private handle: { close(): Promise<void> } | null = null;

  /**
   * Fill `buf` (frameBytes long) with the next frame; blocks until it is whole. Returns false at
   * the end of the video (then call {@link finish} for FFmpeg's verdict). Throws when the video
   * ends inside a frame.
   */
  readInto(buf: Uint8Array): boolean {
    if (this.closed || this.eof) return false;
    if (buf.length < this.frameBytes) throw new RangeError(`buffer of ${buf.length} bytes < frame of ${this.frameBytes}`);
    let off = 0;
    while (off < this.frameBytes) {
      let n: number;
      try {
        n = readSync(this.fd, buf, off, this.frameBytes - off, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        throw e;
      }
      if (n === 0) {
        this.eof = true;
        if (off === 0) return false;
        throw new Error(`${this.o.path}: stream ended inside a frame (${off} of ${this.frameBytes} bytes)`);
      }
      off += n;
    }
    return true;
  }

  /** After the last frame: resolves when FFmpeg exited cleanly, throws its error otherwise. */
  async finish(): Promise<void> {
    const code = await this.exit;
    if (code !== 0 && !this.closed) throw new Error(`ffmpeg decoding ${this.o.path} failed (exit ${code}): ${this.stderr.trim()}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    if (this.handle) void this.handle.close().catch(() => undefined);
    this.handle = null;
    this.fd = -1;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
