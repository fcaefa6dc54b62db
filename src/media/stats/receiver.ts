/**
 * RFC 3550 receiver statistics for one source: sequence tracking (§A.1), cumulative and
 * interval loss (§A.3), interarrival jitter (§A.8), LSR/DLSR for reception reports (§6.4.1).
 * Time is injected: `arrivalMs` / `nowMs` are wall-clock milliseconds from the caller.
 */
import { checkRange } from '../errors.ts';
import { ntpFromUnixMs, ntpMiddle32 } from '../rtcp/ntp.ts';
import type { ReportBlock } from '../rtcp/types.ts';

const SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export interface ReceiverStatisticsOptions {
  /** RTP clock rate in Hz (90000 for video). */
  clockRate: number;
}

export interface ReceiverStatisticsSnapshot {
  /** Packets counted (duplicates included, as in RFC 3550). */
  received: number;
  /** Extended highest sequence − base + 1. */
  expected: number;
  /** expected − received, may be negative with duplicates. */
  cumulativeLost: number;
  /** cumulativeLost / expected (0 when nothing expected). */
  lossRate: number;
  /** Fraction lost in the last report interval, 0–1 (the 8-bit value / 256). */
  fractionLost: number;
  /** Extended highest sequence number (cycles · 65536 + max seq). */
  highestSeq: number;
  /** Interarrival jitter in RTP units and in milliseconds. */
  jitter: number;
  jitterMs: number;
}

export class ReceiverStatistics {
  private readonly clockRate: number;
  private started = false;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = SEQ_MOD + 1;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private lastFraction = 0;
  private transit = 0;
  private haveTransit = false;
  private jitterTs = 0;
  private lsr = 0;
  private reported = false;
  private srArrivalMs = 0;

  constructor(opts: ReceiverStatisticsOptions) {
    this.clockRate = checkRange('clockRate', opts.clockRate, 1, 10_000_000);
  }

  /** Counts one packet; returns false when A.1 rejects it (a jump awaiting confirmation). */
  onPacket(seq: number, rtpTimestamp: number, arrivalMs: number): boolean {
    seq &= 0xffff;
    if (!this.started) {
      this.initSeq(seq);
      this.started = true;
    } else {
      const udelta = (seq - this.maxSeq) & 0xffff;
      if (udelta < MAX_DROPOUT) {
        if (seq < this.maxSeq) this.cycles += SEQ_MOD; // wrapped
        this.maxSeq = seq;
      } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        // Large jump: accept only if the next packet confirms it (sender restart).
        if (seq === this.badSeq) this.initSeq(seq);
        else {
          this.badSeq = (seq + 1) & 0xffff;
          return false;
        }
      } else if (!this.reported) {
        // Reordered before the first report: a packet older than the first one seen moves the
        // base back (what RFC 3550's probation achieves), so a clean stream never reads −1 lost.
        const behind = (this.baseSeq - seq) & 0xffff;
        if (behind > 0 && behind < MAX_MISORDER) this.baseSeq -= behind;
      }
      // else: duplicate or reordered packet within MAX_MISORDER; counted, max unchanged.
    }
    this.received++;
    // §A.8: D = (Rj − Ri) − (Sj − Si) in timestamp units; J += (|D| − J) / 16.
    const arrival = (arrivalMs * this.clockRate) / 1000;
    const transit = arrival - rtpTimestamp;
    if (this.haveTransit) {
      let d = transit - this.transit;
      // RTP timestamps wrap at 2^32: fold the difference into (−2^31, 2^31].
      d = d - Math.round(d / 4294967296) * 4294967296;
      this.jitterTs += (Math.abs(d) - this.jitterTs) / 16;
    }
    this.transit = transit;
    this.haveTransit = true;
    return true;
  }

  /** Remembers a sender report's NTP time for LSR/DLSR. */
  onSenderReport(ntpSec: number, ntpFrac: number, arrivalMs: number): void {
    this.lsr = ntpMiddle32(ntpSec, ntpFrac);
    this.srArrivalMs = arrivalMs;
  }

  /** Builds the reception report block for `ssrc` and starts a new loss interval (§A.3). */
  reportBlock(ssrc: number, nowMs: number): ReportBlock {
    this.reported = true;
    const expected = this.expected();
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    this.lastFraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    if (this.lastFraction > 255) this.lastFraction = 255;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.received));
    return {
      ssrc,
      fractionLost: this.lastFraction,
      cumulativeLost: lost,
      highestSeq: (this.cycles + this.maxSeq) >>> 0,
      jitter: Math.trunc(this.jitterTs) >>> 0,
      lsr: this.lsr,
      dlsr: this.lsr === 0 ? 0 : Math.max(0, Math.round(((nowMs - this.srArrivalMs) * 65536) / 1000)) >>> 0,
    };
  }

  snapshot(): ReceiverStatisticsSnapshot {
    const expected = this.expected();
    return {
      received: this.received,
      expected,
      cumulativeLost: expected - this.received,
      lossRate: expected > 0 ? (expected - this.received) / expected : 0,
      fractionLost: this.lastFraction / 256,
      highestSeq: this.cycles + this.maxSeq,
      jitter: this.jitterTs,
      jitterMs: (this.jitterTs * 1000) / this.clockRate,
    };
  }

  private expected(): number {
    return this.started ? this.cycles + this.maxSeq - this.baseSeq + 1 : 0;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
    this.reported = false;
  }
}

/**
 * Round-trip time from a reception report about our own SR (RFC 3550 §6.4.1, Figure 2):
 * RTT = A − LSR − DLSR, all in 1/65536 s, A the report's arrival as NTP middle 32 bits.
 * Null when the block carries no LSR.
 */
export function roundTripMs(block: Pick<ReportBlock, 'lsr' | 'dlsr'>, arrivalMs: number): number | null {
  if (block.lsr === 0) return null;
  const n = ntpFromUnixMs(arrivalMs);
  const a = ntpMiddle32(n.sec, n.frac);
  const rtt = (a - block.lsr - block.dlsr) >>> 0;
  if (rtt > 0x7fffffff) return null; // negative: clocks or fields inconsistent
  return (rtt * 1000) / 65536;
}

/** The same from raw middle-32 values (for checking against RFC 3550 Figure 2). */
export function roundTripFromMiddle32(a: number, lsr: number, dlsr: number): number {
  return (((a - lsr - dlsr) >>> 0) * 1000) / 65536;
}
