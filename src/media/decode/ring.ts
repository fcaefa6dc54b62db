/**
 * The pure bookkeeping between a decoder process and its consumer: which written inputs are still
 * inside the decoder (pictures come out in the order frames went in, so each picture is paired
 * with the oldest input still in flight), the bounded ring of decoded frames, age expiry, and
 * frame skipping under overload with a cap on consecutive skips.
 *
 * Skipping. The consumer lags when the ring holds `lagThreshold` frames or more (or the decoder
 * has `maxInFlight` inputs unanswered). Then a disposable input (no other frame refers to it) is
 * not decoded at all, and a decoded picture is not stored. Both count as skips of that frame, in
 * stream order: a skipped input is recorded in the in-flight queue as a marker, so the run of
 * consecutive skips is counted in the order frames were captured, and never exceeds
 * `maxSkipFrames` (a picture is stored whatever the lag when skipping it would make the run longer).
 */
import { checkRange } from '../errors.ts';

export interface FrameMeta {
  /** RTP timestamp of the coded frame. */
  rtpTimestamp: number;
  /** Capture time supplied with the input (e.g. from sender reports), ms; null when unknown. */
  captureMs: number | null;
  /** When the input was pushed, on the decoder's clock (ms): the origin of the frame's age. */
  inputMs: number;
  keyframe: boolean;
  /** Index of the input among all inputs pushed (skipped ones included). */
  inputIndex: number;
}

export interface DecodedFrame extends FrameMeta {
  /** Output index since the decoder was created. */
  seq: number;
  width: number;
  height: number;
  /** width×height grey bytes from the pool; give back with `release()`. */
  data: Uint8Array;
  /** Pool generation (changes with the resolution); internal. */
  generation: number;
}

export interface FrameRingOptions {
  /** Ring capacity, frames (`max_frames_per_stream`). Default 300. */
  capacity?: number;
  /** Frames older than this (since input) are dropped unread (`max_frame_age_ms`). Default 5000. */
  maxFrameAgeMs?: number;
  /** Skip frames when the consumer lags (`enable_frame_skipping`). Default true. */
  enableFrameSkipping?: boolean;
  /** Most consecutive frames skipped (`max_skip_frames`). Default 3. */
  maxSkipFrames?: number;
  /** Ring depth at which the consumer counts as lagging. Default ⌈capacity/2⌉. */
  lagThreshold?: number;
  /** Inputs inside the decoder at which it counts as lagging. Default 8. */
  maxInFlight?: number;
}

export interface FrameRingCounters {
  /** Disposable inputs not decoded because the consumer lagged. */
  skippedInput: number;
  /** Decoded pictures not stored because the consumer lagged. */
  skippedOutput: number;
  /** Frames dropped because they grew older than maxFrameAgeMs before being read. */
  expired: number;
  /** Frames evicted because the ring was full. */
  overflowed: number;
  /** Longest run of consecutive skips seen. */
  longestSkipRun: number;
  /** Inputs lost inside a decoder that died (no picture will come for them). */
  lostInDecoder: number;
  /** Pictures that came out with no input in flight (should stay 0). */
  unpaired: number;
}

type InFlight = { skip: true } | { skip: false; meta: FrameMeta };

export class FrameRing {
  readonly capacity: number;
  readonly maxFrameAgeMs: number;
  readonly enableFrameSkipping: boolean;
  readonly maxSkipFrames: number;
  readonly lagThreshold: number;
  readonly maxInFlight: number;
  readonly counters: FrameRingCounters = { skippedInput: 0, skippedOutput: 0, expired: 0, overflowed: 0, longestSkipRun: 0, lostInDecoder: 0, unpaired: 0 };
  private readonly ring: (DecodedFrame | undefined)[];
  private head = 0;
  private count = 0;
  private readonly inFlightQ: InFlight[] = [];
  private written = 0;
  /** Consecutive skips up to the last frame whose fate is settled (stream order). */
  private run = 0;
  private seq = 0;

  constructor(o: FrameRingOptions, private readonly releaseBuffer: (f: DecodedFrame) => void) {
    this.capacity = checkRange('capacity', o.capacity ?? 300, 1, 1e6, true);
    this.maxFrameAgeMs = checkRange('maxFrameAgeMs', o.maxFrameAgeMs ?? 5000, 1, 1e9);
    this.enableFrameSkipping = o.enableFrameSkipping ?? true;
    this.maxSkipFrames = checkRange('maxSkipFrames', o.maxSkipFrames ?? 3, 0, 1e6, true);
    this.lagThreshold = checkRange('lagThreshold', o.lagThreshold ?? Math.ceil(this.capacity / 2), 1, this.capacity, true);
    this.maxInFlight = checkRange('maxInFlight', o.maxInFlight ?? 8, 1, 1e6, true);
    this.ring = new Array<DecodedFrame | undefined>(this.capacity);
  }

  /** Decoded frames waiting to be read. */
  get size(): number {
    return this.count;
  }

  /** Inputs written to the decoder that have not come out yet. */
  get inFlight(): number {
    return this.written;
  }

  get lagging(): boolean {
    return this.count >= this.lagThreshold || this.written >= this.maxInFlight;
  }

  /**
   * Decides for one input in stream order: true = write it to the decoder, false = skipped
   * (disposable, consumer lagging, and the run of skips allows one more).
   */
  admit(meta: FrameMeta, disposable: boolean): boolean {
    if (this.enableFrameSkipping && disposable && this.lagging && this.tailRun() < this.maxSkipFrames) {
      this.inFlightQ.push({ skip: true });
      this.counters.skippedInput++;
      this.settleMarkersAtHead();
      return false;
    }
    this.inFlightQ.push({ skip: false, meta });
    this.written++;
    return true;
  }

  /**
   * A decoded picture: paired with the oldest input in flight, then stored, or skipped when the
   * consumer lags and the skip run allows it. A full ring evicts its oldest frame.
   */
  deliver(data: Uint8Array, width: number, height: number, generation: number, nowMs: number): DecodedFrame | null {
    this.settleMarkersAtHead();
    const entry = this.inFlightQ.shift();
    if (!entry || entry.skip) {
      // More pictures than inputs: pairing cannot be trusted for this one; it is dropped.
      this.counters.unpaired++;
      this.releaseBuffer({ rtpTimestamp: 0, captureMs: null, inputMs: nowMs, keyframe: false, inputIndex: -1, seq: -1, width, height, data, generation });
      return null;
    }
    this.written--;
    const frame: DecodedFrame = { ...entry.meta, seq: this.seq++, width, height, data, generation };
    this.expire(nowMs);
    // Markers right behind this frame are already skipped: skipping this one too lengthens that run.
    let following = 0;
    for (const e of this.inFlightQ) { if (!e.skip) break; following++; }
    if (this.enableFrameSkipping && this.count >= this.lagThreshold && this.run + 1 + following <= this.maxSkipFrames) {
      this.counters.skippedOutput++;
      this.noteSkip();
      this.releaseBuffer(frame);
      this.settleMarkersAtHead();
      return null;
    }
    this.run = 0;
    if (this.count === this.capacity) {
      const old = this.shiftRing()!;
      this.counters.overflowed++;
      this.releaseBuffer(old);
    }
    this.ring[(this.head + this.count) % this.capacity] = frame;
    this.count++;
    this.settleMarkersAtHead();
    return frame;
  }

  /** The oldest frame young enough, or null. Older ones are dropped and counted. */
  read(nowMs: number): DecodedFrame | null {
    this.expire(nowMs);
    return this.shiftRing();
  }

  /** Drops frames older than maxFrameAgeMs. */
  expire(nowMs: number): void {
    while (this.count > 0) {
      const f = this.ring[this.head]!;
      if (nowMs - f.inputMs <= this.maxFrameAgeMs) break;
      this.shiftRing();
      this.counters.expired++;
      this.releaseBuffer(f);
    }
  }

  /** The decoder died: inputs inside it will never come out. Returns how many were lost. */
  abandonInFlight(): number {
    const lost = this.written;
    this.counters.lostInDecoder += lost;
    this.inFlightQ.length = 0;
    this.written = 0;
    return lost;
  }

  /** Releases every stored frame (close). */
  clear(): void {
    let f: DecodedFrame | null;
    while ((f = this.shiftRing())) this.releaseBuffer(f);
  }

  /** Consecutive skips at the end of the stream as decided so far. */
  private tailRun(): number {
    let n = 0;
    for (let i = this.inFlightQ.length - 1; i >= 0; i--) {
      if (!this.inFlightQ[i]!.skip) return n;
      n++;
    }
    return n + this.run;
  }

  /** Skip markers at the head of the queue are settled in order. */
  private settleMarkersAtHead(): void {
    while (this.inFlightQ.length > 0 && this.inFlightQ[0]!.skip) {
      this.inFlightQ.shift();
      this.noteSkip();
    }
  }

  private noteSkip(): void {
    this.run++;
    if (this.run > this.counters.longestSkipRun) this.counters.longestSkipRun = this.run;
  }

  private shiftRing(): DecodedFrame | null {
    if (this.count === 0) return null;
    const f = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return f;
  }
}
