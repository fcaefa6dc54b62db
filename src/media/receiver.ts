/**
 * One incoming video stream as a pure core: RTP datagrams and RTCP in, whole decodable frames
 * out. Composes parser → SSRC/PT filter → statistics → jitter buffer → depacketizer →
 * key-frame gate, and builds the RTCP the receiver sends (RR + SDES, PLI, FIR). Transports
 * (UDP, TCP, RTSP-interleaved) feed it and call `poll` when `nextDeadline` comes due.
 */
import { checkRange } from './errors.ts';
import type { Depacketizer, DepacketizerPacket, MediaFrame } from './frame.ts';
import { createH264Depacketizer } from './h264/depacketizer.ts';
import { h264ParametersFromFmtp } from './h264/parameters.ts';
import { createH265Depacketizer } from './h265/depacketizer.ts';
import { h265ParametersFromFmtp } from './h265/parameters.ts';
import { JitterBuffer, type JitterBufferStats, type JitterVisitor } from './jitter/buffer.ts';
import { KeyframeGate, type KeyframeGateStats } from './jitter/gate.ts';
import { createMjpegDepacketizer } from './mjpeg/depacketizer.ts';
import { buildRtcp } from './rtcp/build.ts';
import { parseRtcp } from './rtcp/parse.ts';
import { ntpFromUnixMs } from './rtcp/ntp.ts';
import type { RtcpPacket, SenderReport } from './rtcp/types.ts';
import { readU32, rtpPayloadBounds } from './rtp/packet.ts';
import type { VideoCodec, VideoTrack } from './sdp/media.ts';
import { ReceiverStatistics, type ReceiverStatisticsSnapshot } from './stats/receiver.ts';

export interface RtpReceiverOptions {
  codec: VideoCodec;
  /** Accept only this payload type; null accepts any. Default null. */
  payloadType?: number | null;
  /** Accept only this SSRC; null locks onto the first SSRC seen. Default null. */
  ssrc?: number | null;
  /** RTP clock rate in Hz. Default 90000. */
  clockRate?: number;
  /** Playout delay in ms, 50–200. Default 100. */
  jitterBufferMs?: number;
  /** Jitter buffer: release in-sequence packets at once, delay only behind a gap (see JitterBuffer). Default false. */
  jitterEarlyRelease?: boolean;
  /** Jitter buffer ring size in packets. Default 2048. */
  jitterCapacity?: number;
  /** Datagrams longer than this are dropped and counted. Default 65536. */
  maxPacketSize?: number;
  /** Out-of-band parameter sets (H.264 SPS/PPS, H.265 VPS/SPS/PPS). */
  parameterSets?: readonly Uint8Array[];
  /** H.265 DONL fields present. Default false. */
  donl?: boolean;
  /** Frames above this many bytes are dropped as incomplete. Default 16 MiB. */
  maxFrameBytes?: number;
  /** Minimum spacing of key-frame requests in ms. Default 500. */
  keyframeRequestIntervalMs?: number;
  /** SSRC this receiver uses in its own RTCP. Default 1. */
  receiverSsrc?: number;
  /** CNAME sent in SDES. Default "dvs". */
  cname?: string;
}

export type RtpPushOutcome = 'accepted' | 'duplicate' | 'late' | 'reset' | 'malformed' | 'too-large' | 'wrong-payload-type' | 'wrong-ssrc';

export interface ReceiverCounters {
  datagrams: number;
  bytes: number;
  malformed: number;
  tooLarge: number;
  wrongPayloadType: number;
  wrongSsrc: number;
  rtcpPackets: number;
  rtcpMalformed: number;
  framesDelivered: number;
  framesDropped: number;
}

export interface ReceiverPoll {
  /** Whole frames to decode, in order. */
  frames: MediaFrame[];
  /** Frames withheld (damaged or waiting for a key frame). */
  dropped: number;
  /** Send `buildKeyframeRequest()` to the sender now. */
  requestKeyframe: boolean;
}

export interface LastSenderReport {
  ntpSec: number;
  ntpFrac: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  arrivalMs: number;
}

/** Receiver options derived from an SDP video track (codec, PT, clock, parameter sets). */
export function receiverOptionsFromTrack(track: VideoTrack): RtpReceiverOptions {
  const base: RtpReceiverOptions = { codec: track.codec, payloadType: track.payloadType, clockRate: track.clockRate };
  if (track.codec === 'h264') return { ...base, parameterSets: h264ParametersFromFmtp(track.fmtp).parameterSets };
  if (track.codec === 'h265') {
    const p = h265ParametersFromFmtp(track.fmtp);
    return { ...base, parameterSets: p.parameterSets, donl: p.donl };
  }
  return base;
}

export function createDepacketizer(o: Pick<RtpReceiverOptions, 'codec' | 'parameterSets' | 'donl' | 'maxFrameBytes'>): Depacketizer {
  const common = o.maxFrameBytes !== undefined ? { maxFrameBytes: o.maxFrameBytes } : {};
  switch (o.codec) {
    case 'h264': return createH264Depacketizer({ ...common, parameterSets: o.parameterSets ?? [] });
    case 'h265': return createH265Depacketizer({ ...common, parameterSets: o.parameterSets ?? [], donl: o.donl ?? false });
    case 'mjpeg': return createMjpegDepacketizer(common);
  }
}

const sameTimestamp = (a: DepacketizerPacket, b: DepacketizerPacket): boolean => a.timestamp === b.timestamp;

export class RtpReceiverCore {
  readonly codec: VideoCodec;
  readonly counters: ReceiverCounters = {
    datagrams: 0, bytes: 0, malformed: 0, tooLarge: 0, wrongPayloadType: 0, wrongSsrc: 0,
    rtcpPackets: 0, rtcpMalformed: 0, framesDelivered: 0, framesDropped: 0,
  };
  private readonly pt: number | null;
  private ssrc: number | null;
  private readonly maxPacket: number;
  private readonly receiverSsrc: number;
  private readonly cname: string;
  private readonly stats: ReceiverStatistics;
  private readonly jitter: JitterBuffer<DepacketizerPacket>;
  private readonly depack: Depacketizer;
  private readonly gate: KeyframeGate;
  private sr: LastSenderReport | null = null;
  /** Earliest arrival per RTP timestamp of frames under construction (a handful at most). */
  private readonly firstArrival = new Map<number, number>();
  private firSeq = 0;
  /** Payload start/end of the datagram being pushed (read in place, no packet object). */
  private readonly bounds = new Int32Array(2);
  /** What `poll` is filling, and its time, while the jitter buffer drains into `released`. */
  private pollOut: ReceiverPoll | null = null;
  private pollNow = 0;
  private readonly assembled: MediaFrame[] = [];
  private readonly released: JitterVisitor<DepacketizerPacket> = {
    packet: (p, _seq, arrivalMs) => this.onReleased(p, arrivalMs),
    lost: () => {
      if (this.gate.noteLoss(this.pollNow) && this.codec !== 'mjpeg') this.pollOut!.requestKeyframe = true;
    },
    reset: () => {
      this.emitAssembled(this.depack.flush());
      this.depack.reset();
    },
  };

  constructor(opts: RtpReceiverOptions) {
    this.codec = opts.codec;
    this.pt = opts.payloadType ?? null;
    if (this.pt !== null) checkRange('payloadType', this.pt, 0, 127, true);
    this.ssrc = opts.ssrc ?? null;
    this.maxPacket = checkRange('maxPacketSize', opts.maxPacketSize ?? 65536, 64, 65536, true);
    this.receiverSsrc = (opts.receiverSsrc ?? 1) >>> 0;
    this.cname = opts.cname ?? 'dvs';
    this.stats = new ReceiverStatistics({ clockRate: opts.clockRate ?? 90000 });
    this.jitter = new JitterBuffer({
      ...(opts.jitterBufferMs !== undefined ? { delayMs: opts.jitterBufferMs } : {}),
      ...(opts.jitterCapacity !== undefined ? { capacity: opts.jitterCapacity } : {}),
      ...(opts.jitterEarlyRelease !== undefined ? { earlyRelease: opts.jitterEarlyRelease } : {}),
    });
    this.depack = createDepacketizer(opts);
    this.gate = new KeyframeGate(opts.keyframeRequestIntervalMs !== undefined ? { keyframeRequestIntervalMs: opts.keyframeRequestIntervalMs } : {});
  }

  /** The SSRC being received (configured or locked), null before the first packet. */
  get sourceSsrc(): number | null {
    return this.ssrc;
  }

  get lastSenderReport(): LastSenderReport | null {
    return this.sr;
  }

  /** Feeds one RTP datagram received at `nowMs`. The payload is kept by reference until released. */
  pushRtp(datagram: Uint8Array, nowMs: number): RtpPushOutcome {
    this.counters.datagrams++;
    this.counters.bytes += datagram.length;
    if (datagram.length > this.maxPacket) {
      this.counters.tooLarge++;
      return 'too-large';
    }
    // The fixed header is read in place (the same checks as parseRtp); only the payload view
    // and a four-field record are made per packet.
    const b = this.bounds;
    if (!rtpPayloadBounds(datagram, b)) {
      this.counters.malformed++;
      return 'malformed';
    }
    const b1 = datagram[1]!;
    if (this.pt !== null && (b1 & 0x7f) !== this.pt) {
      this.counters.wrongPayloadType++;
      return 'wrong-payload-type';
    }
    const ssrc = readU32(datagram, 8);
    if (this.ssrc === null) this.ssrc = ssrc;
    else if (ssrc !== this.ssrc) {
      this.counters.wrongSsrc++;
      return 'wrong-ssrc';
    }
    const sequenceNumber = (datagram[2]! << 8) | datagram[3]!;
    const timestamp = readU32(datagram, 4);
    this.stats.onPacket(sequenceNumber, timestamp, nowMs);
    const start = b[0]!;
    const packet: DepacketizerPacket = {
      sequenceNumber, timestamp, marker: (b1 & 0x80) !== 0,
      payload: new Uint8Array(datagram.buffer, datagram.byteOffset + start, b[1]! - start),
    };
    return this.jitter.push(packet, nowMs);
  }

  /** Feeds one RTCP datagram; sender reports of our source update LSR/DLSR and the SR clock. */
  pushRtcp(datagram: Uint8Array, nowMs: number): RtcpPacket[] {
    const r = parseRtcp(datagram);
    if (!r.ok) {
      this.counters.rtcpMalformed++;
      return [];
    }
    this.counters.rtcpPackets += r.value.length;
    for (const p of r.value) {
      if (p.type === 'sr' && (this.ssrc === null || p.ssrc === this.ssrc)) this.onSenderReport(p, nowMs);
    }
    return r.value;
  }

  /** Releases due packets and returns the whole frames they completed. */
  poll(nowMs: number): ReceiverPoll {
    const out: ReceiverPoll = { frames: [], dropped: 0, requestKeyframe: false };
    this.pollOut = out;
    this.pollNow = nowMs;
    try {
      this.jitter.drain(nowMs, this.released);
    } finally {
      this.pollOut = null;
    }
    return out;
  }

  private onReleased(p: DepacketizerPacket, arrivalMs: number): void {
    const ts = p.timestamp;
    const seen = this.firstArrival.get(ts);
    if (seen === undefined || arrivalMs < seen) {
      if (seen === undefined && this.firstArrival.size >= 16) this.firstArrival.clear(); // frames that never ended
      this.firstArrival.set(ts, arrivalMs);
    }
    const d = this.depack;
    if (d.pushInto) {
      const a = this.assembled;
      d.pushInto(p, a);
      if (a.length > 0) {
        this.emitAssembled(a);
        a.length = 0;
      }
    } else this.emitAssembled(d.push(p));
  }

  private emitAssembled(frames: readonly MediaFrame[]): void {
    for (const f of frames) this.gateFrame(f, this.pollNow, this.pollOut!);
  }

  /** When `poll` next has work (ms, same clock as `nowMs`), or null when idle. */
  nextDeadline(): number | null {
    return this.jitter.nextDeadline();
  }

  /**
   * When the frame at the head of the jitter buffer has wholly fallen due (its last packet
   * received so far), or null when idle: the time to poll for one wake-up per frame.
   */
  nextFrameDeadline(): number | null {
    return this.jitter.nextGroupDeadline(sameTimestamp);
  }

  /**
   * RR (with one block when a source is known) + SDES CNAME, as one compound datagram; with
   * `rrtrUnixMs` (our wall clock now, Unix ms) also an XR carrying an RRTR block (RFC 3611 §4.4)
   * so an XR-capable sender can answer with DLRR for receiver-side round-trip time.
   */
  buildReceiverReport(nowMs: number, rrtrUnixMs?: number): Uint8Array {
    const reports = this.ssrc === null ? [] : [this.stats.reportBlock(this.ssrc, nowMs)];
    const packets: RtcpPacket[] = [
      { type: 'rr', ssrc: this.receiverSsrc, reports },
      { type: 'sdes', chunks: [{ ssrc: this.receiverSsrc, items: [{ type: 1, text: this.cname }] }] },
    ];
    if (rrtrUnixMs !== undefined) {
      const n = ntpFromUnixMs(rrtrUnixMs);
      packets.push({ type: 'xr', ssrc: this.receiverSsrc, blocks: [{ bt: 4, ntpSec: n.sec, ntpFrac: n.frac }] });
    }
    return buildRtcp(packets);
  }

  /** PLI (RFC 4585) or FIR (RFC 5104) for the current source, prefixed by an RR as RTCP requires. */
  buildKeyframeRequest(kind: 'pli' | 'fir' = 'pli'): Uint8Array {
    const media = this.ssrc ?? 0;
    const fb: RtcpPacket = kind === 'pli'
      ? { type: 'pli', senderSsrc: this.receiverSsrc, mediaSsrc: media }
      : { type: 'fir', senderSsrc: this.receiverSsrc, entries: [{ ssrc: media, seq: this.firSeq++ & 0xff }] };
    return buildRtcp([{ type: 'rr', ssrc: this.receiverSsrc, reports: [] }, fb]);
  }

  statistics(): ReceiverStatisticsSnapshot {
    return this.stats.snapshot();
  }

  jitterStats(): Readonly<JitterBufferStats> {
    return this.jitter.stats;
  }

  gateStats(): Readonly<KeyframeGateStats> {
    return this.gate.stats;
  }

  private onSenderReport(p: SenderReport, nowMs: number): void {
    this.stats.onSenderReport(p.ntpSec, p.ntpFrac, nowMs);
    this.sr = { ntpSec: p.ntpSec, ntpFrac: p.ntpFrac, rtpTimestamp: p.rtpTimestamp, packetCount: p.packetCount, octetCount: p.octetCount, arrivalMs: nowMs };
  }

  private gateFrame(f: MediaFrame, nowMs: number, out: ReceiverPoll): void {
    const arrival = this.firstArrival.get(f.timestamp);
    if (arrival !== undefined) {
      f.arrivalMs = arrival;
      this.firstArrival.delete(f.timestamp);
    }
    const d = this.gate.push(f, nowMs);
    if (d.deliver) {
      out.frames.push(f);
      this.counters.framesDelivered++;
    } else {
      out.dropped++;
      this.counters.framesDropped++;
    }
    // Every JPEG is a key frame: nothing to ask the sender for.
    if (d.requestKeyframe && this.codec !== 'mjpeg') out.requestKeyframe = true;
  }
}
