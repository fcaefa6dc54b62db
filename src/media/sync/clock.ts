/**
 * Per-stream media clock → reference clock mapping: the capture time (Unix ms) of an RTP
 * timestamp. Three sources, best first:
 *
 * 1. RFC 7273 `a=mediaclk:direct=<offset>` with an `a=ts-refclk` of ntp, ptp or gps: the RTP
 *    timestamp counts media-clock ticks since the reference clock's epoch (plus offset, mod 2³²);
 *    the number of 2³² wraps is the one that lands nearest the arrival time.
 * 2. RTCP sender reports (RFC 3550 §6.4.1): each pairs an RTP timestamp with the sender's NTP
 *    wall clock; a Theil–Sen line over the last `srWindow` reports gives rate (drift) and offset.
 * 3. Arrival times: the minimum-delay line (lower envelope) of arrival against RTP time, on the
 *    receiver's clock; its slope is the media clock's drift against the receiver.
 *
 * RTP timestamps are unwrapped (32 bits) against the newest one seen. Pure: time enters as arguments.
 */
import { MediaError, checkRange } from '../errors.ts';
import { NTP_UNIX_OFFSET_S, unixMsFromNtp } from '../rtcp/ntp.ts';
import type { MediaClock, RefClock, SdpMedia, SessionDescription } from '../sdp/types.ts';
import { lowerEnvelope, robustSigma, theilSen, type Line } from './fit.ts';

const WRAP = 4294967296;

export type CaptureMethod = 'rfc7273' | 'sender-report' | 'arrival';

export interface CaptureTime {
  /** Unix ms on the sender's reference clock (rfc7273, sender-report) or the receiver's clock (arrival). */
  captureMs: number;
  method: CaptureMethod;
  /** One-sigma-like estimate in ms (see docs/MEDIA-HEALTH.md for what each method includes). */
  uncertaintyMs: number;
}

export interface ClockMapperOptions {
  /** RTP clock rate, Hz. Default 90000. */
  clockRate?: number;
  /** Sender reports in the fit. Default 16. */
  srWindow?: number;
  /** Arrival samples in the fallback fit. Default 900 (30 s at 30 fps). */
  arrivalWindow?: number;
  /** Fitted rates are clamped to nominal·(1 ± maxDriftPpm·1e-6). Default 500. */
  maxDriftPpm?: number;
  /** A sender report further than this (ms) from the current fit restarts the fit (sender restart or clock step). Default 500. */
  srResetMs?: number;
  /** Drift assumed for the uncertainty when the rate is not measured yet (one SR). Default 100 ppm. */
  assumedDriftPpm?: number;
  /** RFC 7273 signalling (media level first, else session level); null/[] = none. */
  mediaClock?: MediaClock | null;
  refClocks?: readonly RefClock[];
  /** TAI − UTC in seconds, for PTP and GPS reference clocks. Default 37 (since 2017). */
  taiUtcOffsetS?: number;
}

interface DirectClock {
  /** Unix ms (UTC) of the reference clock's epoch. */
  epochUnixMs: number;
  offset: number;
  ticksPerSecond: number;
  source: string;
}

/** Unwraps 32-bit RTP timestamps to a continuous count around the newest one seen. */
export class RtpTimestampUnwrapper {
  private last32 = -1;
  private lastExt = 0;

  /** Extended value of `ts`, and remember it as the newest when it is ahead. */
  unwrap(ts: number): number {
    const ext = this.extend(ts);
    if (this.last32 < 0 || ext > this.lastExt) {
      this.last32 = ts >>> 0;
      this.lastExt = ext;
    }
    return ext;
  }

  /** Extended value of `ts` (nearest to the newest one seen), without changing state. */
  extend(ts: number): number {
    const t = ts >>> 0;
    if (this.last32 < 0) return t;
    return this.lastExt + ((t - this.last32) | 0);
  }

  reset(): void {
    this.last32 = -1;
    this.lastExt = 0;
  }
}

/** Reference clock epochs for RFC 7273 direct mapping, null when the source is not usable. */
function directClock(mc: MediaClock | null | undefined, refs: readonly RefClock[], clockRate: number, taiUtcS: number): DirectClock | null {
  if (!mc || mc.kind !== 'direct') return null;
  const ticksPerSecond = mc.rate ? mc.rate.num / mc.rate.den : clockRate;
  for (const r of refs) {
    const src = r.source.toLowerCase();
    // NTP: 1900-01-01 UTC (NTP seconds skip leap seconds like Unix time). PTP: 1970-01-01 TAI.
    // GPS: 1980-01-06 UTC, GPS = TAI − 19 s. 'local' and 'private' say nothing absolute.
    if (src === 'ntp') return { epochUnixMs: -NTP_UNIX_OFFSET_S * 1000, offset: mc.offset, ticksPerSecond, source: src };
    if (src === 'ptp') return { epochUnixMs: -taiUtcS * 1000, offset: mc.offset, ticksPerSecond, source: src };
    if (src === 'gps') return { epochUnixMs: 315964800000 - (taiUtcS - 19) * 1000, offset: mc.offset, ticksPerSecond, source: src };
  }
  return null;
}

export class ClockMapper {
  readonly clockRate: number;
  /** Nominal ms per RTP tick. */
  readonly nominalMsPerTick: number;
  private readonly minSlope: number;
  private readonly maxSlope: number;
  private readonly srResetMs: number;
  private readonly assumedDrift: number;
  private readonly direct: DirectClock | null;
  private readonly unwrapper = new RtpTimestampUnwrapper();
  // Sender reports: ring of (ext ticks − anchor, unix ms − anchor).
  private readonly srX: Float64Array;
  private readonly srY: Float64Array;
  private srCount = 0;
  private srHead = 0;
  private srAnchorX = 0;
  private srAnchorY = 0;
  private srLine: Line | null = null;
  private srSigma = 0;
  private srMeanX = 0;
  private srSxx = 0;
  /** Sender-report fits restarted because a report was far off the fit. */
  srResets = 0;
  // Arrivals: ring of (ext ticks − anchor, arrival ms − anchor).
  private readonly arX: Float64Array;
  private readonly arY: Float64Array;
  private arCount = 0;
  private arHead = 0;
  private arAnchorX = 0;
  private arAnchorY = 0;
  private arLine: Line | null = null;
  private arGap = 0;
  private arDirty = false;
  private lastArrivalMs: number | null = null;

  constructor(opts: ClockMapperOptions = {}) {
    this.clockRate = checkRange('clockRate', opts.clockRate ?? 90000, 1, 1e9);
    this.nominalMsPerTick = 1000 / this.clockRate;
    const maxDrift = checkRange('maxDriftPpm', opts.maxDriftPpm ?? 500, 0, 1e5) * 1e-6;
    this.minSlope = this.nominalMsPerTick / (1 + maxDrift);
    this.maxSlope = this.nominalMsPerTick / Math.max(1e-9, 1 - maxDrift);
    const srWindow = checkRange('srWindow', opts.srWindow ?? 16, 1, 64, true);
    const arWindow = checkRange('arrivalWindow', opts.arrivalWindow ?? 900, 2, 100000, true);
    this.srX = new Float64Array(srWindow);
    this.srY = new Float64Array(srWindow);
    this.arX = new Float64Array(arWindow);
    this.arY = new Float64Array(arWindow);
    this.srResetMs = checkRange('srResetMs', opts.srResetMs ?? 500, 0, 1e9);
    this.assumedDrift = checkRange('assumedDriftPpm', opts.assumedDriftPpm ?? 100, 0, 1e5) * 1e-6;
    const tai = checkRange('taiUtcOffsetS', opts.taiUtcOffsetS ?? 37, 0, 1000);
    this.direct = directClock(opts.mediaClock, opts.refClocks ?? [], this.clockRate, tai);
    if (opts.mediaClock?.kind === 'direct' && opts.mediaClock.rate && !(opts.mediaClock.rate.num > 0)) {
      throw new MediaError('MEDIA_OPTIONS', 'mediaclk rate must be positive');
    }
  }

  /** Mapper options from an SDP video section (RFC 7273 attributes at media level, else session level). */
  static optionsFromSdp(media: SdpMedia, session?: SessionDescription, payloadType?: number): ClockMapperOptions {
    const pt = payloadType ?? media.payloadTypes[0];
    const rate = pt !== undefined ? media.rtpmap.get(pt)?.clockRate : undefined;
    return {
      ...(rate ? { clockRate: rate } : {}),
      mediaClock: media.mediaclk ?? session?.mediaclk ?? null,
      refClocks: media.refclk.length > 0 ? media.refclk : session?.refclk ?? [],
    };
  }

  /** 'rfc7273' when signalled and usable; otherwise the best method with data; null before any. */
  get method(): CaptureMethod | null {
    if (this.direct) return 'rfc7273';
    if (this.srCount > 0) return 'sender-report';
    if (this.arCount > 0) return 'arrival';
    return null;
  }

  /** Reference clock named by RFC 7273 when used (ntp, ptp, gps), else null. */
  get referenceClock(): string | null {
    return this.direct?.source ?? null;
  }

  /**
   * Measured rate error of the media clock in ppm: against the sender's wall clock (sender
   * reports, needs two) or against the receiver's clock (arrival fit, needs two); null otherwise.
   */
  get driftPpm(): number | null {
    let line: Line | null = null;
    if (this.srCount >= 2) line = this.srLine;
    else if (this.srCount === 0 && this.arCount >= 2) line = this.arrivalLine();
    return line ? (this.nominalMsPerTick / line.slope - 1) * 1e6 : null;
  }

  /** Unwrap an RTP timestamp (advancing the unwrapper). */
  unwrap(rtpTimestamp: number): number {
    return this.unwrapper.unwrap(rtpTimestamp);
  }

  /** Extended value of an RTP timestamp near the newest one seen, without advancing. */
  extend(rtpTimestamp: number): number {
    return this.unwrapper.extend(rtpTimestamp);
  }

  /**
   * A sender report of this source. Returns 'reset' when it was further than srResetMs from the
   * current fit and the fit restarted from it; 'rejected' for non-numeric fields.
   */
  onSenderReport(sr: { ntpSec: number; ntpFrac: number; rtpTimestamp: number }): 'accepted' | 'reset' | 'rejected' {
    const y = unixMsFromNtp(sr.ntpSec, sr.ntpFrac);
    if (!Number.isFinite(y) || !Number.isFinite(sr.rtpTimestamp)) return 'rejected';
    const x = this.unwrap(sr.rtpTimestamp);
    let outcome: 'accepted' | 'reset' | 'rejected' = 'accepted';
    if (this.srLine) {
      const predicted = this.srAnchorY + this.srLine.intercept + this.srLine.slope * (x - this.srAnchorX);
      if (Math.abs(y - predicted) > this.srResetMs) {
        this.srCount = 0;
        this.srHead = 0;
        this.srResets++;
        outcome = 'reset';
      }
    }
    if (this.srCount === 0) {
      this.srAnchorX = x;
      this.srAnchorY = y;
    }
    const cap = this.srX.length;
    this.srX[this.srHead] = x - this.srAnchorX;
    this.srY[this.srHead] = y - this.srAnchorY;
    this.srHead = (this.srHead + 1) % cap;
    this.srCount = Math.min(cap, this.srCount + 1);
    this.refitSenderReports();
    return outcome;
  }

  /** A frame (or packet) arrival: feeds the unwrapper and the arrival fit. Returns the extended timestamp (NaN for a non-finite input, which is ignored). */
  onArrival(rtpTimestamp: number, arrivalMs: number): number {
    if (!Number.isFinite(rtpTimestamp) || !Number.isFinite(arrivalMs)) return NaN; // ignored
    const x = this.unwrap(rtpTimestamp);
    if (this.arCount === 0) {
      this.arAnchorX = x;
      this.arAnchorY = arrivalMs;
    }
    const cap = this.arX.length;
    this.arX[this.arHead] = x - this.arAnchorX;
    this.arY[this.arHead] = arrivalMs - this.arAnchorY;
    this.arHead = (this.arHead + 1) % cap;
    this.arCount = Math.min(cap, this.arCount + 1);
    this.arDirty = true;
    this.lastArrivalMs = arrivalMs;
    return x;
  }

  /** Capture time of a 32-bit RTP timestamp (unwrapped near the newest seen). */
  captureTime(rtpTimestamp: number, arrivalHintMs?: number): CaptureTime | null {
    return this.captureTimeExt(this.extend(rtpTimestamp), arrivalHintMs);
  }

  /** Capture time of an extended (unwrapped) timestamp; the hint picks the RFC 7273 wrap count. */
  captureTimeExt(ext: number, arrivalHintMs?: number): CaptureTime | null {
    const tickMs = this.nominalMsPerTick;
    if (this.direct) {
      const hint = arrivalHintMs ?? this.lastArrivalMs;
      if (hint !== null && hint !== undefined) {
        const d = this.direct;
        const periodMs = (WRAP / d.ticksPerSecond) * 1000;
        const base = d.epochUnixMs + ((((ext - d.offset) % WRAP) + WRAP) % WRAP / d.ticksPerSecond) * 1000;
        const k = Math.round((hint - base) / periodMs);
        return { captureMs: base + k * periodMs, method: 'rfc7273', uncertaintyMs: 500 / d.ticksPerSecond };
      }
    }
    if (this.srLine) {
      const dx = ext - this.srAnchorX;
      const captureMs = this.srAnchorY + this.srLine.intercept + this.srLine.slope * dx;
      const s0 = Math.max(this.srSigma, tickMs / 2);
      const extrap = this.srCount >= 2
        ? (s0 / Math.sqrt(this.srSxx)) * Math.abs(dx - this.srMeanX)
        : this.assumedDrift * tickMs * Math.abs(dx - this.srMeanX);
      return { captureMs, method: 'sender-report', uncertaintyMs: Math.hypot(s0, extrap) };
    }
    const line = this.arrivalLine();
    if (line) {
      const dx = ext - this.arAnchorX;
      const captureMs = this.arAnchorY + line.intercept + line.slope * dx;
      const drift = this.arCount >= 2 ? 0 : this.assumedDrift * tickMs * Math.abs(dx);
      return { captureMs, method: 'arrival', uncertaintyMs: Math.hypot(Math.max(this.arGap, tickMs / 2), drift) };
    }
    return null;
  }

  /** Forget fits and unwrap state (sender restart with a new SSRC). */
  reset(): void {
    this.unwrapper.reset();
    this.srCount = this.srHead = 0;
    this.srLine = null;
    this.arCount = this.arHead = 0;
    this.arLine = null;
    this.lastArrivalMs = null;
  }

  private refitSenderReports(): void {
    const n = this.srCount;
    const line = theilSen(this.srX, this.srY, n, this.nominalMsPerTick, this.minSlope, this.maxSlope);
    if (n === 1) line.slope = this.nominalMsPerTick;
    if (n === 1) line.intercept = this.srY[0]! - line.slope * this.srX[0]!;
    const res = new Float64Array(n);
    let mean = 0;
    for (let i = 0; i < n; i++) {
      res[i] = this.srY[i]! - (line.intercept + line.slope * this.srX[i]!);
      mean += this.srX[i]!;
    }
    mean /= n;
    let sxx = 0;
    for (let i = 0; i < n; i++) sxx += (this.srX[i]! - mean) ** 2;
    this.srLine = line;
    this.srSigma = robustSigma(res, n);
    this.srMeanX = mean;
    this.srSxx = Math.max(sxx, 1e-9);
  }

  private arrivalLine(): Line | null {
    if (this.arCount === 0) return null;
    if (this.arDirty) {
      const n = this.arCount;
      const line = lowerEnvelope(this.arX, this.arY, n, this.nominalMsPerTick, this.minSlope, this.maxSlope);
      // Typical height of the points above the envelope (median queueing delay above the minimum).
      const gaps = new Float64Array(n);
      for (let i = 0; i < n; i++) gaps[i] = this.arY[i]! - (line.intercept + line.slope * this.arX[i]!);
      gaps.sort();
      this.arGap = gaps[n >> 1]!;
      this.arLine = line;
      this.arDirty = false;
    }
    return this.arLine;
  }
}
