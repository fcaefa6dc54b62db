/**
 * The pure half of an RTP sender: access units or JPEG files in, serialised RTP datagrams out,
 * with sequence numbers, RTP timestamps on the sender's own clock, packet and octet counts, RTCP
 * sender reports, and the feedback (PLI, FIR, receiver reports) it is sent. No sockets or timers.
 *
 * Clock model: the sender's clock reads s(t) = t + offset + (t − t₀)·drift·10⁻⁶ for shared time t
 * (t₀: when the sender was made). A frame captured at shared time c gets RTP timestamp
 * rtpBase + round(s(c)·clockRate/1000) mod 2³²; a sender report at shared time t carries
 * NTP = Unix(t) + s(t) − t and RTP = rtpBase + round(s(t)·clockRate/1000). Both are the same
 * linear function of the sender clock, so a receiver mapping RTP to NTP through any SR gets
 * Unix(c) + s(c) − c for every frame: the camera's own (possibly wrong, drifting) wall clock.
 */
import { checkRange, MediaError } from '../errors.ts';
import { buildRtcp } from '../rtcp/build.ts';
import { ntpFromUnixMs, ntpMiddle32 } from '../rtcp/ntp.ts';
import { parseRtcp } from '../rtcp/parse.ts';
import type { ReportBlock, RtcpPacket, XrDlrrItem } from '../rtcp/types.ts';
import { serializeRtp } from '../rtp/packet.ts';
import type { SharedClock } from './clock.ts';
import { splitAnnexB } from './annexb.ts';
import { H264Packetizer, type RtpPayload } from './h264.ts';
import { H265Packetizer } from './h265.ts';
import { MjpegPacketizer } from './mjpeg.ts';
import { hashSeed, Rng } from '../../util/rng.ts';

export type SenderCodec = 'h264' | 'h265' | 'mjpeg';

export interface RtpSenderCoreOptions {
  codec: SenderCodec;
  clock: SharedClock;
  /** Payload type: default 96 for H.264/H.265, 26 (static, RFC 3551) for MJPEG. */
  payloadType?: number;
  /** SSRC; default drawn from `seed`. */
  ssrc?: number;
  /** Seed for SSRC, first sequence number and RTP timestamp base. Default 1. */
  seed?: number;
  /** RTP clock rate, Hz. Default 90000. */
  clockRate?: number;
  /** Largest RTP payload, bytes. Default 1200. */
  maxPayload?: number;
  /** This sender's clock error, ms, added to its NTP and RTP time. Default 0. */
  clockOffsetMs?: number;
  /** This sender's clock rate error, ppm (camera_time = (1 + ppm·10⁻⁶)·true time + offset). Default 0. */
  clockDriftPpm?: number;
  /** SDES CNAME. Default `dvs-stream@<ssrc>`. */
  cname?: string;
  /** H.264/H.265: aggregate parameter sets into STAP-A / AP. Default true. */
  stapA?: boolean;
}

export interface SenderCounters {
  frames: number;
  /** Frames the packetizer refused (e.g. a JPEG RFC 2435 cannot carry). */
  refusedFrames: number;
  packets: number;
  octets: number;
  senderReports: number;
  pli: number;
  fir: number;
  receiverReports: number;
  /** RRTR blocks (RFC 3611 §4.4) received from receivers. */
  rrtr: number;
  /** DLRR items (RFC 3611 §4.5) sent in our SRs in answer. */
  dlrr: number;
}

export class RtpSenderCore {
  readonly codec: SenderCodec;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly clockOffsetMs: number;
  readonly clockDriftPpm: number;
  readonly cname: string;
  readonly counters: SenderCounters = { frames: 0, refusedFrames: 0, packets: 0, octets: 0, senderReports: 0, pli: 0, fir: 0, receiverReports: 0, rrtr: 0, dlrr: 0 };
  /** Last reception report block about this sender (from an RR or SR of the receiver). */
  lastReport: ReportBlock | null = null;
  /**
   * Sender-side round-trip time, ms, from the last reception report about us that carried an LSR
   * (RFC 3550 §6.4.1: A − LSR − DLSR with A our own NTP clock at its arrival); null before one.
   */
  roundTripMs: number | null = null;
  /** Message of the last refused frame. */
  lastRefusal: string | null = null;
  private seq: number;
  private readonly rtpBase: number;
  private readonly t0: number;
  /** RRTRs waiting for their DLRR answer: receiver SSRC → LRR (middle 32) and arrival (shared ms). */
  private readonly pendingRrtr = new Map<number, { lrr: number; atMs: number }>();
  private readonly h264: H264Packetizer | null;
  private readonly h265: H265Packetizer | null;
  private readonly mjpeg: MjpegPacketizer | null;

  constructor(private readonly o: RtpSenderCoreOptions) {
    if (o.codec !== 'h264' && o.codec !== 'h265' && o.codec !== 'mjpeg') throw new MediaError('MEDIA_OPTIONS', `codec must be h264, h265 or mjpeg, got ${String(o.codec)}`);
    this.codec = o.codec;
    const rng = new Rng(hashSeed(checkRange('seed', o.seed ?? 1, 0, 0xffffffff, true), 0x5e4d));
    this.ssrc = o.ssrc === undefined ? rng.nextU32() : checkRange('ssrc', o.ssrc, 0, 0xffffffff, true);
    this.seq = rng.nextU32() & 0xffff;
    this.rtpBase = rng.nextU32();
    this.payloadType = checkRange('payloadType', o.payloadType ?? (o.codec === 'mjpeg' ? 26 : 96), 0, 127, true);
    this.clockRate = checkRange('clockRate', o.clockRate ?? 90000, 1000, 1e6, true);
    this.clockOffsetMs = checkRange('clockOffsetMs', o.clockOffsetMs ?? 0, -1e9, 1e9);
    this.clockDriftPpm = checkRange('clockDriftPpm', o.clockDriftPpm ?? 0, -1e5, 1e5);
    this.t0 = o.clock.nowMs();
    this.cname = o.cname ?? `dvs-stream@${this.ssrc.toString(16)}`;
    const maxPayload = o.maxPayload ?? 1200;
    this.h264 = o.codec === 'h264' ? new H264Packetizer({ maxPayload, stapA: o.stapA ?? true }) : null;
    this.h265 = o.codec === 'h265' ? new H265Packetizer({ maxPayload, aggregate: o.stapA ?? true }) : null;
    this.mjpeg = o.codec === 'mjpeg' ? new MjpegPacketizer({ maxPayload }) : null;
  }

  /** Sequence number the next packet will carry. */
  get nextSequenceNumber(): number {
    return this.seq;
  }

  /** This sender's clock reading (ms) at shared-clock time `ms`. */
  senderMs(ms: number): number {
    return ms + this.clockOffsetMs + (ms - this.t0) * this.clockDriftPpm * 1e-6;
  }

  /** RTP timestamp of shared-clock time `ms` on this sender's clock. */
  rtpTimestampAt(ms: number): number {
    const ticks = Math.round((this.senderMs(ms) * this.clockRate) / 1000);
    return (((this.rtpBase + ticks) % 4294967296) + 4294967296) % 4294967296;
  }

  /**
   * Datagrams of one frame: `data` is an Annex-B access unit (H.264/H.265) or a JPEG file (MJPEG);
   * `captureMs` its capture instant on the shared clock. Empty when the frame is refused.
   */
  packetizeFrame(data: Uint8Array, captureMs: number): Uint8Array[] {
    let payloads: RtpPayload[];
    if (this.h264) payloads = this.h264.packetize(splitAnnexB(data));
    else if (this.h265) payloads = this.h265.packetize(splitAnnexB(data));
    else {
      const r = this.mjpeg!.packetize(data);
      if (!r.ok) {
        this.counters.refusedFrames++;
        this.lastRefusal = r.error.message;
        return [];
      }
      payloads = r.value;
    }
    return this.serialize(payloads, captureMs);
  }

  /** Like {@link packetizeFrame} for NAL units already split (no start codes). */
  packetizeNals(nals: readonly Uint8Array[], captureMs: number): Uint8Array[] {
    const p = this.h264 ?? this.h265;
    if (!p) throw new MediaError('MEDIA_ARGUMENT', 'packetizeNals needs an H.264 or H.265 sender');
    return this.serialize(p.packetize(nals), captureMs);
  }

  private serialize(payloads: RtpPayload[], captureMs: number): Uint8Array[] {
    if (payloads.length === 0) return [];
    const timestamp = this.rtpTimestampAt(captureMs);
    const out = payloads.map((p) => {
      const d = serializeRtp({ payloadType: this.payloadType, sequenceNumber: this.seq, timestamp, ssrc: this.ssrc, marker: p.marker, payload: p.payload });
      this.seq = (this.seq + 1) & 0xffff;
      this.counters.packets++;
      this.counters.octets += p.payload.length;
      return d;
    });
    this.counters.frames++;
    return out;
  }

  /** Our NTP wall clock (Unix ms) at shared-clock time `ms`: the clock our SRs carry. */
  private ntpUnixMs(ms: number): number {
    return this.o.clock.unixMs(ms) + this.senderMs(ms) - ms;
  }

  /**
   * SR + SDES CNAME for shared-clock time `nowMs` (RFC 3550 §6.4.1, §6.5.1), plus an XR DLRR
   * block (RFC 3611 §4.5) answering every RRTR received since the previous SR.
   */
  senderReport(nowMs: number): Uint8Array {
    const ntp = ntpFromUnixMs(this.ntpUnixMs(nowMs));
    this.counters.senderReports++;
    const packets: RtcpPacket[] = [
      { type: 'sr', ssrc: this.ssrc, ntpSec: ntp.sec, ntpFrac: ntp.frac, rtpTimestamp: this.rtpTimestampAt(nowMs),
        packetCount: this.counters.packets >>> 0, octetCount: this.counters.octets >>> 0, reports: [] },
      { type: 'sdes', chunks: [{ ssrc: this.ssrc, items: [{ type: 1, text: this.cname }] }] },
    ];
    if (this.pendingRrtr.size > 0) {
      const items: XrDlrrItem[] = [];
      for (const [ssrc, r] of this.pendingRrtr) {
        items.push({ ssrc, lrr: r.lrr, dlrr: Math.min(0xffffffff, Math.max(0, Math.round(((nowMs - r.atMs) * 65536) / 1000))) });
      }
      this.pendingRrtr.clear();
      this.counters.dlrr += items.length;
      packets.push({ type: 'xr', ssrc: this.ssrc, blocks: [{ bt: 5, items }] });
    }
    return buildRtcp(packets);
  }

  /** RTCP BYE (with SDES, as a compound packet must start with SR/RR: an SR first). */
  bye(nowMs: number): Uint8Array {
    const sr = this.senderReport(nowMs);
    const bye = buildRtcp([{ type: 'bye', ssrcs: [this.ssrc], reason: 'end of stream' }]);
    const out = new Uint8Array(sr.length + bye.length);
    out.set(sr);
    out.set(bye, sr.length);
    return out;
  }

  /**
   * Feedback from a receiver. Returns the number of key-frame requests (PLI for our SSRC, FIR
   * entries for our SSRC) it held; malformed datagrams count nothing.
   */
  onRtcp(buf: Uint8Array, nowMs: number = this.o.clock.nowMs()): number {
    const r = parseRtcp(buf);
    if (!r.ok) return 0;
    let requests = 0;
    for (const p of r.value) {
      if (p.type === 'pli' && p.mediaSsrc === this.ssrc) { this.counters.pli++; requests++; }
      else if (p.type === 'fir' && p.entries.some((e) => e.ssrc === this.ssrc)) { this.counters.fir++; requests++; }
      else if (p.type === 'rr' || p.type === 'sr') {
        const b = p.reports.find((x) => x.ssrc === this.ssrc);
        if (b) {
          this.lastReport = b;
          this.counters.receiverReports++;
          if (b.lsr !== 0) {
            const a = ntpFromUnixMs(this.ntpUnixMs(nowMs));
            const rtt = (ntpMiddle32(a.sec, a.frac) - b.lsr - b.dlsr) >>> 0;
            if (rtt <= 0x7fffffff) this.roundTripMs = (rtt * 1000) / 65536;
          }
        }
      } else if (p.type === 'xr') {
        for (const blk of p.blocks) {
          if (blk.bt !== 4 || !('ntpSec' in blk)) continue;
          this.counters.rrtr++;
          // Bounded: a flood of made-up SSRCs cannot grow the map past 64 receivers.
          if (this.pendingRrtr.size >= 64 && !this.pendingRrtr.has(p.ssrc)) continue;
          this.pendingRrtr.set(p.ssrc, { lrr: ntpMiddle32(blk.ntpSec, blk.ntpFrac), atMs: nowMs });
        }
      }
    }
    return requests;
  }
}
