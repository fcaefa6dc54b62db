/**
 * `StreamDecoder`: one FFmpeg child process per stream turns coded frames (Annex-B H.264/H.265
 * access units or JPEG files, as the depacketizers deliver them) into 8-bit grey pictures in a
 * pre-allocated pool, kept in a bounded ring ({@link FrameRing}) with each picture paired to the
 * RTP timestamp and capture time of the frame it came from.
 *
 * - Pairing is by order: FFmpeg emits one picture per access unit, in input order, for streams
 *   without frame reordering (no B-frames, as cameras send). Decoding starts at a key frame, so
 *   no input is silently swallowed for missing references. The count is checked: a picture with
 *   no input in flight is dropped and counted (`unpaired`), inputs lost in a dead decoder are
 *   counted (`lostInDecoder`).
 * - Latency: `-flags low_delay -probesize 32 -analyzeduration 0`, one decoder thread (frame
 *   threads hold back thread_count − 1 pictures), `-flush_packets 1` on the output, and an access
 *   unit delimiter written after every H.264/H.265 frame so FFmpeg's parser can close the frame
 *   without waiting for the next one. Not `-fflags nobuffer`: it makes FFmpeg discard the packets
 *   read while probing the stream, i.e. the whole first GOP (measured: frames 0–9 lost).
 * - Picture size comes from the stream (SPS via parseH264Sps/parseH265Sps, JPEG SOF). A key frame
 *   announcing another size ends the running decoder (its last pictures still come out), and a new
 *   one starts with a new pool.
 * - A decoder that dies (crash, kill -9) is restarted at the next key frame; frames until then
 *   are dropped as `awaitingKeyframe`. More than `maxRestarts` deaths within `restartWindowMs`
 *   leave the decoder `failed`.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { FramePool } from '../../ingest/frame-source.ts';
import { checkRange, MediaError } from '../errors.ts';
import { nalType, splitAnnexB } from '../sender/annexb.ts';
import { isDisposable, pictureSize, type DecoderCodec, type PictureSize } from './inspect.ts';
import { FrameRing, type DecodedFrame, type FrameMeta, type FrameRingCounters, type FrameRingOptions } from './ring.ts';

export interface StreamDecoderOptions extends FrameRingOptions {
  codec: DecoderCodec;
  /** Pool buffers beyond the ring, for frames the consumer holds before release(). Default 4. */
  heldFrames?: number;
  /** FFmpeg `-hwaccel` value (e.g. 'auto', 'cuda', 'vaapi'); none by default. */
  hwaccel?: string;
  /** Decoder threads. Default 1 (lowest latency; see the file comment). */
  threads?: number;
  /** FFmpeg executable. Default 'ffmpeg'. */
  ffmpegPath?: string;
  /** Deaths tolerated within restartWindowMs before giving up. Default 5. */
  maxRestarts?: number;
  /** Default 60000 ms. */
  restartWindowMs?: number;
  /** Inputs held while a decoder for a new picture size starts. Default 32. */
  maxQueuedInputs?: number;
  /** Clock for frame ages, ms. Default performance.now. */
  now?: () => number;
  /** Called when a picture enters the ring (errors thrown by it are counted, not raised). */
  onFrame?: (f: DecodedFrame) => void;
}

export interface DecoderInput {
  /** Annex-B access unit (H.264/H.265) or JPEG file. */
  data: Uint8Array;
  /** RTP timestamp. */
  timestamp: number;
  keyframe: boolean;
  /** Capture time if known (ms, any clock the caller uses). */
  captureMs?: number | null;
}

export type DecoderPushOutcome = 'decoding' | 'queued' | 'skipped' | 'awaiting-keyframe' | 'no-picture-size' | 'failed' | 'closed';
export type DecoderState = 'idle' | 'running' | 'awaiting-keyframe' | 'failed' | 'closed';

export interface DecoderStats extends FrameRingCounters {
  inputs: number;
  decoded: number;
  /** Inputs dropped while waiting for a key frame (start, after a crash). */
  awaitingKeyframe: number;
  crashes: number;
  /** Decoder processes started (the first one included). */
  spawns: number;
  resolutionChanges: number;
  /** Lines FFmpeg wrote to stderr (at -loglevel error). */
  decoderErrors: number;
  /** Inputs dropped because too many waited for a restarting decoder. */
  queueOverflow: number;
  listenerErrors: number;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

interface Running {
  proc: Child;
  size: PictureSize;
  generation: number;
  pool: FramePool;
  current: Uint8Array | null;
  fill: number;
  backlog: Buffer[];
  retiring: boolean;
  exited: Promise<void>;
}

const AUD_H264 = Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0);
const AUD_H265 = Uint8Array.of(0, 0, 0, 1, 0x46, 0x01, 0x50);

export class StreamDecoder {
  readonly codec: DecoderCodec;
  readonly stats: DecoderStats;
  /** Last lines FFmpeg wrote to stderr (diagnostics). */
  lastError = '';
  private readonly ring: FrameRing;
  private readonly now: () => number;
  private readonly heldFrames: number;
  private readonly threads: number;
  private readonly maxRestarts: number;
  private readonly restartWindowMs: number;
  private readonly maxQueued: number;
  private run: Running | null = null;
  /** Inputs waiting for the decoder of a new picture size. */
  private readonly waitQ: { input: DecoderInput; meta: FrameMeta }[] = [];
  private pendingSize: PictureSize | null = null;
  private size: PictureSize | null = null;
  private generation = 0;
  private readonly pools = new Map<number, FramePool>();
  private awaitKey = true;
  private failed = false;
  private closing: Promise<void> | null = null;
  private inputIndex = 0;
  private readonly deaths: number[] = [];
  private waiters: ((f: DecodedFrame | null) => void)[] = [];
  private draining = false;

  constructor(private readonly o: StreamDecoderOptions) {
    if (o.codec !== 'h264' && o.codec !== 'h265' && o.codec !== 'mjpeg') throw new MediaError('MEDIA_OPTIONS', `codec must be h264, h265 or mjpeg, got ${String(o.codec)}`);
    this.codec = o.codec;
    this.heldFrames = checkRange('heldFrames', o.heldFrames ?? 4, 0, 1e5, true);
    this.threads = checkRange('threads', o.threads ?? 1, 0, 64, true);
    this.maxRestarts = checkRange('maxRestarts', o.maxRestarts ?? 5, 0, 1e6, true);
    this.restartWindowMs = checkRange('restartWindowMs', o.restartWindowMs ?? 60000, 1, 1e9);
    this.maxQueued = checkRange('maxQueuedInputs', o.maxQueuedInputs ?? 32, 1, 1e5, true);
    if (o.hwaccel !== undefined && !/^[a-z0-9_]+$/.test(o.hwaccel)) throw new MediaError('MEDIA_OPTIONS', `hwaccel must be an FFmpeg hwaccel name, got ${o.hwaccel}`);
    this.now = o.now ?? (() => performance.now());
    this.ring = new FrameRing(o, (f) => this.giveBack(f));
    this.stats = Object.assign(this.ring.counters, {
      inputs: 0, decoded: 0, awaitingKeyframe: 0, crashes: 0, spawns: 0, resolutionChanges: 0, decoderErrors: 0, queueOverflow: 0, listenerErrors: 0,
    });
  }

  get state(): DecoderState {
    if (this.closing) return 'closed';
    if (this.failed) return 'failed';
    if (this.awaitKey) return this.stats.spawns === 0 ? 'idle' : 'awaiting-keyframe';
    return 'running';
  }

  /** Current picture size (null before the first key frame). */
  get pictureSize(): PictureSize | null {
    return this.size;
  }

  /** PID of the running FFmpeg child (diagnostics and tests). */
  get pid(): number | undefined {
    return this.run?.proc.pid;
  }

  /** Decoded frames waiting to be read. */
  get buffered(): number {
    return this.ring.size;
  }

  /** Feeds one coded frame, in stream order. */
  push(input: DecoderInput): DecoderPushOutcome {
    if (this.closing) return 'closed';
    if (this.failed) return 'failed';
    this.stats.inputs++;
    const meta: FrameMeta = { rtpTimestamp: input.timestamp, captureMs: input.captureMs ?? null, inputMs: this.now(), keyframe: input.keyframe, inputIndex: this.inputIndex++ };
    if (input.keyframe) {
      const size = pictureSize(this.codec, input.data) ?? this.size;
      if (!size) { this.stats.awaitingKeyframe++; return 'no-picture-size'; }
      const target = this.pendingSize ?? this.run?.size ?? null;
      if (!target || target.width !== size.width || target.height !== size.height) this.changeSize(size);
      this.awaitKey = false;
    } else if (this.awaitKey) {
      this.stats.awaitingKeyframe++;
      return 'awaiting-keyframe';
    }
    if (this.pendingSize) {
      if (this.waitQ.length >= this.maxQueued) { this.stats.queueOverflow++; this.awaitKey = true; this.waitQ.length = 0; return 'skipped'; }
      this.waitQ.push({ input, meta });
      return 'queued';
    }
    return this.write(input, meta);
  }

  /** The oldest stored frame that is not too old, or null. */
  read(): DecodedFrame | null {
    return this.ring.read(this.now());
  }

  /**
   * Starts FFmpeg for a known picture size before the first frame (e.g. `rtp_config.resolution`),
   * so that the process spawn — synchronous, 0.1–0.4 s on a loaded machine — does not fall on
   * the first key frame while other streams are receiving. Decoding still begins at a key frame;
   * one announcing another size replaces the process as usual. No-op once a decoder runs.
   */
  prepare(size: PictureSize): void {
    if (this.closing || this.failed || this.run || this.pendingSize) return;
    if (!(Number.isInteger(size.width) && Number.isInteger(size.height) && size.width > 0 && size.height > 0)) {
      throw new MediaError('MEDIA_OPTIONS', `picture size must be positive integers, got ${size.width}x${size.height}`);
    }
    this.size = { width: size.width, height: size.height };
    this.start(this.size);
  }

  /** Waits for the next frame; null once closed. */
  next(): Promise<DecodedFrame | null> {
    const f = this.read();
    if (f || this.closing) return Promise.resolve(f);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Gives a frame's buffer back to its pool. */
  release(f: DecodedFrame): void {
    this.giveBack(f);
  }

  /**
   * End of the stream: FFmpeg's stdin is closed so it hands out the pictures it still holds (its
   * pipeline keeps the last 2–3 frames until more input comes), and the promise resolves when it
   * has exited. The next key frame starts a new decoder.
   */
  async flush(): Promise<void> {
    if (this.closing) return;
    while (this.pendingSize && this.run) await this.run.exited; // a size change in progress
    const run = this.run;
    if (!run) return;
    run.retiring = true;
    run.proc.stdin.end();
    await run.exited;
  }

  /** Stops the decoder and frees the ring. Safe to call twice. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const run = this.run;
    this.run = null;
    this.closing = (async () => {
      if (run) {
        run.proc.kill('SIGKILL');
        await run.exited;
      }
      this.ring.clear();
      this.waitQ.length = 0;
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f(null);
    })();
    return this.closing;
  }

  // ------------------------------------------------------------------------------------------

  private write(input: DecoderInput, meta: FrameMeta): DecoderPushOutcome {
    const run = this.run;
    if (!run) { this.stats.awaitingKeyframe++; this.awaitKey = true; return 'awaiting-keyframe'; }
    const disposable = this.codec === 'mjpeg' || (!input.keyframe && isDisposable(this.codec, input.data));
    if (!this.ring.admit(meta, disposable)) return 'skipped';
    const stdin = run.proc.stdin;
    if (this.codec === 'mjpeg') stdin.write(input.data);
    else {
      stdin.write(stripLeadingAud(this.codec, input.data));
      stdin.write(this.codec === 'h264' ? AUD_H264 : AUD_H265);
    }
    return 'decoding';
  }

  /** A key frame with another picture size (or the first one, or the first after a crash). */
  private changeSize(size: PictureSize): void {
    const old = this.run;
    if (this.size && (this.size.width !== size.width || this.size.height !== size.height)) this.stats.resolutionChanges++;
    this.size = size;
    if (!old) { this.start(size); return; }
    // Let the running decoder finish the frames it has; start the new one when it has exited.
    this.pendingSize = size;
    old.retiring = true;
    old.proc.stdin.end();
  }

  private start(size: PictureSize): void {
    const generation = ++this.generation;
    const pool = new FramePool(this.ring.capacity + this.heldFrames + 1, size.width * size.height);
    this.pools.set(generation, pool);
    for (const g of [...this.pools.keys()]) if (g < generation - 1) this.pools.delete(g);
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin',
      ...(this.o.hwaccel ? ['-hwaccel', this.o.hwaccel] : []),
      '-threads', String(this.threads), '-flags', 'low_delay', '-probesize', '32', '-analyzeduration', '0',
      '-f', this.codec === 'h265' ? 'hevc' : this.codec, '-i', 'pipe:0',
      '-map', '0:v:0', '-fps_mode', 'passthrough', '-flush_packets', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'];
    const proc = spawn(this.o.ffmpegPath ?? 'ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stats.spawns++;
    let resolveExit!: () => void;
    const run: Running = { proc, size, generation, pool, current: null, fill: 0, backlog: [], retiring: false, exited: new Promise((r) => { resolveExit = r; }) };
    this.run = run;
    proc.stdin.on('error', () => { /* EPIPE when the child dies; the exit handler deals with it */ });
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => {
      // After flush() the delimiter written behind the last frame is an empty access unit, which
      // FFmpeg reports ("missing picture in access unit"); that is not a decoding error.
      if (run.retiring && !this.pendingSize) return;
      this.stats.decoderErrors += d.split('\n').filter((l) => l.trim() !== '').length;
      this.lastError = (this.lastError + d).slice(-2000);
    });
    proc.stdout.on('data', (chunk: Buffer) => { run.backlog.push(chunk); this.drain(run); });
    proc.on('error', (e) => { this.lastError = e.message; });
    proc.on('close', () => { this.onExit(run); resolveExit(); });
  }

  private onExit(run: Running): void {
    if (run.current) { run.pool.release(run.current); run.current = null; }
    if (this.closing) return;
    if (run.retiring) {
      // Clean end: replaced for a new picture size, or flushed at the end of the stream.
      this.ring.abandonInFlight();
      if (this.run === run) this.run = null;
      const size = this.pendingSize;
      this.pendingSize = null;
      if (!size) { this.awaitKey = true; return; }
      this.start(size);
      const q = this.waitQ.splice(0);
      for (const { input, meta } of q) this.write(input, meta);
      return;
    }
    // Unexpected death: restart at the next key frame.
    this.stats.crashes++;
    this.ring.abandonInFlight();
    if (this.run === run) this.run = null;
    this.awaitKey = true;
    const t = this.now();
    this.deaths.push(t);
    while (this.deaths.length > 0 && t - this.deaths[0]! > this.restartWindowMs) this.deaths.shift();
    if (this.deaths.length > this.maxRestarts) this.failed = true;
  }

  /** Copies decoded bytes into pool buffers; pauses the pipe while no buffer is free. */
  private drain(run: Running): void {
    // Releasing a skipped picture inside onPicture re-enters through giveBack(): the loop below
    // picks the freed buffer up, so the nested call has nothing to do.
    if (this.draining) return;
    this.draining = true;
    try {
      this.drainLoop(run);
    } finally {
      this.draining = false;
    }
  }

  private drainLoop(run: Running): void {
    const frameBytes = run.size.width * run.size.height;
    while (run.backlog.length > 0) {
      const chunk = run.backlog[0]!;
      let off = 0;
      while (off < chunk.length) {
        if (!run.current) {
          run.current = run.pool.acquire();
          if (!run.current) break;
        }
        const n = Math.min(frameBytes - run.fill, chunk.length - off);
        run.current.set(chunk.subarray(off, off + n), run.fill);
        run.fill += n;
        off += n;
        if (run.fill === frameBytes) {
          const buf = run.current;
          run.current = null;
          run.fill = 0;
          this.onPicture(run, buf);
        }
      }
      if (off < chunk.length) { run.backlog[0] = chunk.subarray(off); break; }
      run.backlog.shift();
    }
    const out = run.proc.stdout;
    if (run.backlog.length > 0) { if (!out.isPaused()) out.pause(); }
    else if (out.isPaused()) out.resume();
  }

  private onPicture(run: Running, buf: Uint8Array): void {
    this.stats.decoded++;
    const f = this.ring.deliver(buf, run.size.width, run.size.height, run.generation, this.now());
    if (!f) return;
    if (this.o.onFrame) {
      try {
        this.o.onFrame(f);
      } catch {
        this.stats.listenerErrors++;
      }
    }
    if (this.waiters.length > 0) {
      const w = this.waiters.shift()!;
      const g = this.ring.read(this.now());
      w(g);
    }
  }

  private giveBack(f: DecodedFrame): void {
    const pool = this.pools.get(f.generation);
    if (!pool || f.data.length !== pool.bytes) return; // pool of an older picture size: let it go
    pool.release(f.data);
    const run = this.run;
    if (run && run.generation === f.generation && run.backlog.length > 0) this.drain(run);
  }
}

/** Drops an access unit delimiter at the head (the decoder writes its own after each frame). */
function stripLeadingAud(codec: 'h264' | 'h265', data: Uint8Array): Uint8Array {
  const nals = splitAnnexB(data.subarray(0, 16));
  const first = nals[0];
  if (!first || nalType(codec, first) !== (codec === 'h264' ? 9 : 35)) return data;
  // Skip to the second start code.
  for (let i = 3; i + 2 < data.length; i++) if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) return data.subarray(i > 0 && data[i - 1] === 0 ? i - 1 : i);
  return new Uint8Array(0);
}
