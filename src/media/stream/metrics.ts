/**
 * Sliding-window and cumulative stream metrics, pure: the live stream feeds cumulative counter
 * samples and delivered frames with their times; windowed figures are differences between the
 * newest sample and the oldest one inside the window. Field names of the snapshot follow the
 * configuration's health metric names (snake_case), as the API and health layer report them.
 */
import { checkRange } from '../errors.ts';

/** Cumulative totals at one instant (summed over every receiver session of the stream). */
export interface CounterSample {
  t: number;
  /** RFC 3550 expected and received packets (duplicates counted as received). */
  expected: number;
  received: number;
  /** Datagram bytes accepted by the receiver (RTP headers included). */
  bytes: number;
  framesDelivered: number;
  framesDropped: number;
  /** Current RFC 3550 interarrival jitter in ms, null before two packets. */
  jitterMs: number | null;
}

export interface JitterFigures {
  current: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
}

export interface WindowFigures {
  packets_received: number;
  packets_lost: number;
  /** Fraction 0–1 over the window (lost / expected). */
  packet_loss_rate: number;
  /** Fraction 0–1 since the stream was created. */
  packet_loss_rate_cumulative: number;
  jitter_ms: JitterFigures;
  /** Fraction of frames withheld (damaged, waiting for a key frame) over the window. */
  frame_drop_rate: number;
  frame_drop_rate_cumulative: number;
  frames_delivered: number;
  frames_dropped: number;
  /** Received bitrate over the window, kbit/s (RTP headers included). */
  stream_bitrate_kbps: number;
  /** Frames per second over the window, from RTP timestamps (else arrival times); null below 2 frames. */
  fps: number | null;
  /** Span actually covered by the window figures, ms. */
  window_ms: number;
}

export interface StreamMetricsWindowOptions {
  /** Window length in ms. Default 5000. */
  windowMs?: number;
  /** Samples kept (one per sample tick). Default 256. */
  sampleCapacity?: number;
  /** Frames kept for the fps estimate. Default 1024. */
  frameCapacity?: number;
}

/** Fixed-size rings of samples and frame times; no allocation per packet or frame. */
export class StreamMetricsWindow {
  readonly windowMs: number;
  private readonly samples: CounterSample[];
  private sHead = 0;
  private sCount = 0;
  private readonly fArrival: Float64Array;
  private readonly fRtp: Float64Array;
  private readonly fRate: Float64Array;
  private fHead = 0;
  private fCount = 0;

  constructor(opts: StreamMetricsWindowOptions = {}) {
    this.windowMs = checkRange('windowMs', opts.windowMs ?? 5000, 100, 3_600_000);
    const sc = checkRange('sampleCapacity', opts.sampleCapacity ?? 256, 2, 65536, true);
    const fc = checkRange('frameCapacity', opts.frameCapacity ?? 1024, 2, 1 << 20, true);
    this.samples = new Array<CounterSample>(sc);
    this.fArrival = new Float64Array(fc);
    this.fRtp = new Float64Array(fc);
    this.fRate = new Float64Array(fc);
  }

  addSample(s: CounterSample): void {
    this.samples[(this.sHead + this.sCount) % this.samples.length] = s;
    if (this.sCount < this.samples.length) this.sCount++;
    else this.sHead = (this.sHead + 1) % this.samples.length;
  }

  /**
   * One delivered frame: arrival time (ms) and RTP timestamp already unwrapped to a continuous
   * count (the caller unwraps 32-bit wrap), with its clock rate.
   */
  addFrame(arrivalMs: number, rtpTime: number, clockRate: number): void {
    const cap = this.fArrival.length;
    const i = (this.fHead + this.fCount) % cap;
    this.fArrival[i] = arrivalMs;
    this.fRtp[i] = rtpTime;
    this.fRate[i] = clockRate;
    if (this.fCount < cap) this.fCount++;
    else this.fHead = (this.fHead + 1) % cap;
  }

  /** Drops the frame history (a new sender: RTP timestamps restart). */
  resetFrames(): void {
    this.fHead = 0;
    this.fCount = 0;
  }

  /** Figures for the window ending at `now`, with `current` the totals at `now`. */
  figures(now: number, current: CounterSample): WindowFigures {
    // Oldest sample inside the window; the window's base is the sample just before it when
    // there is one, so the differences cover the whole window.
    let base: CounterSample | null = null;
    let jMin = Infinity;
    let jMax = -Infinity;
    let jSum = 0;
    let jN = 0;
    for (let k = 0; k < this.sCount; k++) {
      const s = this.samples[(this.sHead + k) % this.samples.length]!;
      if (s.t > now) break;
      if (now - s.t > this.windowMs) {
        base = s;
        continue;
      }
      if (base === null) base = s;
      if (s.jitterMs !== null) {
        jMin = Math.min(jMin, s.jitterMs);
        jMax = Math.max(jMax, s.jitterMs);
        jSum += s.jitterMs;
        jN++;
      }
    }
    if (current.jitterMs !== null) {
      jMin = Math.min(jMin, current.jitterMs);
      jMax = Math.max(jMax, current.jitterMs);
      jSum += current.jitterMs;
      jN++;
    }
    const b = base ?? { t: now, expected: 0, received: 0, bytes: 0, framesDelivered: 0, framesDropped: 0, jitterMs: null };
    const expected = current.expected - b.expected;
    const received = current.received - b.received;
    const lost = Math.max(0, expected - received);
    const delivered = current.framesDelivered - b.framesDelivered;
    const dropped = current.framesDropped - b.framesDropped;
    const span = Math.max(0, now - b.t);
    const cumLost = Math.max(0, current.expected - current.received);
    const cumFrames = current.framesDelivered + current.framesDropped;
    return {
      packets_received: current.received,
      packets_lost: cumLost,
      packet_loss_rate: expected > 0 ? lost / expected : 0,
      packet_loss_rate_cumulative: current.expected > 0 ? cumLost / current.expected : 0,
      jitter_ms: jN === 0
        ? { current: null, min: null, max: null, mean: null }
        : { current: current.jitterMs, min: jMin, max: jMax, mean: jSum / jN },
      frame_drop_rate: delivered + dropped > 0 ? dropped / (delivered + dropped) : 0,
      frame_drop_rate_cumulative: cumFrames > 0 ? current.framesDropped / cumFrames : 0,
      frames_delivered: current.framesDelivered,
      frames_dropped: current.framesDropped,
      stream_bitrate_kbps: span > 0 ? ((current.bytes - b.bytes) * 8) / span : 0,
      fps: this.fps(now),
      window_ms: span,
    };
  }

  private fps(now: number): number | null {
    const cap = this.fArrival.length;
    let first = -1;
    let n = 0;
    for (let k = 0; k < this.fCount; k++) {
      const i = (this.fHead + k) % cap;
      if (now - this.fArrival[i]! > this.windowMs) continue;
      if (first < 0) first = i;
      n++;
    }
    if (n < 2 || first < 0) return null;
    const last = (this.fHead + this.fCount - 1) % cap;
    const rate = this.fRate[last]!;
    const dRtp = this.fRtp[last]! - this.fRtp[first]!;
    if (dRtp > 0 && rate > 0) return ((n - 1) * rate) / dRtp;
    const dT = this.fArrival[last]! - this.fArrival[first]!;
    return dT > 0 ? ((n - 1) * 1000) / dT : null;
  }
}
