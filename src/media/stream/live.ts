/**
 * One camera's live stream: a transport (UDP, RFC 4571 TCP or RTSP) feeding an
 * `RtpReceiverCore`. Polls the core on its deadlines, sends receiver reports every
 * `rtcpIntervalMs` and key-frame requests when the core asks, hands whole frames to `onFrame`,
 * measures the stream (`metrics()`), and reports silence longer than `connectionTimeoutMs` as a
 * lost connection. Reconnection policy is the stream manager's; a LiveStream can `connect()`
 * again after `disconnect()`, keeping its cumulative metrics.
 */
import { checkRange, MediaError } from '../errors.ts';
import type { MediaFrame } from '../frame.ts';
import { receiverOptionsFromTrack, RtpReceiverCore, type LastSenderReport, type RtpReceiverOptions } from '../receiver.ts';
import type { VideoCodec, VideoTrack } from '../sdp/media.ts';
import { roundTripMs } from '../stats/receiver.ts';
import { systemClock, Timer, type Clock } from '../transport/clock.ts';
import { TransportError } from '../transport/errors.ts';
import type { PortAllocator } from '../transport/ports.ts';
import { newCounters, type RtpTransport, type TransportCounters, type TransportReady } from '../transport/types.ts';
import { StreamMetricsWindow, type CounterSample, type WindowFigures } from './metrics.ts';
import { describeSource, openTransport, type StreamSource } from './source.ts';

export interface LiveStreamOptions {
  /** Camera id, used in events. */
  id: string;
  source: StreamSource;
  /** Codec of pushed RTP (no SDP). Default: 'mjpeg' for payload type 26, else 'h264' (config `rtp_config.codec`). */
  codec?: VideoCodec;
  /** Accept only this payload type (config `rtp_config.payload_type`). Default: any (RTSP: the SDP's). */
  payloadType?: number | null;
  /** Accept only this SSRC (config `rtp_config.ssrc`). Default: lock onto the first. */
  ssrc?: number | null;
  /** Jitter buffer playout delay, 50–200 ms. Default 100 (config `jitter_buffer_ms`). */
  jitterBufferMs?: number;
  /**
   * Packets that continue the sequence without a gap leave the jitter buffer at once, so a frame
   * is delivered when its last packet arrives; `jitterBufferMs` is then the longest wait for a
   * missing packet (reordering), not a delay on every frame. Default true; false holds every
   * packet `jitterBufferMs`.
   */
  earlyRelease?: boolean;
  /** Default 1500 (config `max_packet_size`). */
  maxPacketSize?: number;
  /** Send RTCP receiver reports and key-frame requests. Default true (config `network_qos.enable_rtcp`). */
  enableRtcp?: boolean;
  /** Receiver report period. Default 1000 ms (config `network_qos.rtcp_interval_ms`). */
  rtcpIntervalMs?: number;
  /**
   * Add an RTCP XR Receiver Reference Time Report (RFC 3611 §4.4) to every receiver report, so a
   * sender that supports XR answers with DLRR and the round-trip time becomes measurable. Default true.
   */
  sendRrtr?: boolean;
  /** Key-frame request kind. Default 'pli' (RFC 4585); 'fir' is RFC 5104. */
  keyframeRequest?: 'pli' | 'fir';
  /** Silence (no accepted RTP) after which the connection is reported lost. Default 5000 ms (config `connection_timeout_ms`). */
  connectionTimeoutMs?: number;
  /** Window of the windowed metrics. Default 5000 ms. */
  metricsWindowMs?: number;
  /** Period of the counter samples behind the windowed metrics. Default 250 ms. */
  sampleIntervalMs?: number;
  /**
   * Minimum spacing of timer wake-ups, ms: packets of one frame arrive within a millisecond or
   * two and fall due as many times; one wake-up releases them together. Adds at most this much
   * to the playout delay. Default 4.
   */
  pollGranularityMs?: number;
  /** Local address for UDP sockets. Default '0.0.0.0' (config `bind_address`). */
  bindAddress?: string;
  /** RTSP client port pairs (config `rtp_port_range`). Default: OS-chosen pairs. */
  ports?: PortAllocator;
  /** Nagle on TCP sockets. Default false (config `enable_nagle`). */
  nagle?: boolean;
  /** RTCP SSRC of this receiver. Default random. */
  receiverSsrc?: number;
  clock?: Clock;
  /** Whole, decodable frames, in order. */
  onFrame?: (frame: MediaFrame) => void;
  onEvent?: (event: LiveStreamEvent) => void;
}

export type LiveStreamState = 'idle' | 'connecting' | 'waiting' | 'receiving' | 'lost' | 'closed';

export type LiveStreamEvent =
  | { type: 'ready'; id: string; carrier: TransportReady['carrier']; codec: VideoCodec | null; atMs: number }
  | { type: 'receiving'; id: string; atMs: number }
  | { type: 'lost'; id: string; reason: 'timeout' | 'transport'; message: string; atMs: number }
  | { type: 'resolution'; id: string; width: number; height: number; previous: [number, number] | null; atMs: number }
  | { type: 'codec'; id: string; codec: VideoCodec; previous: VideoCodec; atMs: number };

export interface SenderReportInfo extends LastSenderReport {
  ssrc: number;
  clockRate: number;
}

export interface LiveStreamMetrics extends WindowFigures {
  state: LiveStreamState;
  codec: VideoCodec | null;
  carrier: TransportReady['carrier'] | null;
  ssrc: number | null;
  /**
   * Smoothed round-trip time / 2, ms: RTT samples from XR DLRR blocks answering our RRTRs
   * (RFC 3611 §4.5) or from reception reports about an SR of ours (RFC 3550 LSR/DLSR), smoothed as
   * RFC 6298's SRTT (first sample as is, then SRTT ← 7/8·SRTT + 1/8·sample). Null when the
   * sender answers neither (unknown, not zero).
   */
  network_latency_ms: number | null;
  resolution: [number, number] | null;
  resolution_changes: number;
  codec_switches: number;
  /** Last RTCP sender report of the source (NTP/RTP pair on our clock), for the sync manager. */
  last_sender_report: SenderReportInfo | null;
  keyframe_requests: number;
  /** Transport drops and sends, summed over every connection of this stream. */
  transport: TransportCounters;
  /** Receiver core rejects, summed over every session. */
  rejected: { malformed: number; too_large: number; wrong_payload_type: number; wrong_ssrc: number; late: number; duplicates: number };
  /** Clock time of the last accepted RTP packet, null before any. */
  last_packet_ms: number | null;
  /**
   * Wall time (performance.now(), ms) spent in this stream's socket and timer callbacks, summed
   * over every connection: receive, depacketize, jitter buffer, reports, and the `onFrame`
   * hand-off. The load balancer's measured busy time.
   */
  busy_ms: number;
  /**
   * Clock time of the last frame handed to `onFrame` (its delivery, not its arrival), null
   * before any. With the default clock, `performance.timeOrigin + last_frame_ms` is Unix ms.
   */
  last_frame_ms: number | null;
}

interface Totals {
  expected: number; received: number; bytes: number; framesDelivered: number; framesDropped: number;
  malformed: number; tooLarge: number; wrongPt: number; wrongSsrc: number; late: number; duplicates: number; keyframeRequests: number;
}

const zeroTotals = (): Totals => ({
  expected: 0, received: 0, bytes: 0, framesDelivered: 0, framesDropped: 0,
  malformed: 0, tooLarge: 0, wrongPt: 0, wrongSsrc: 0, late: 0, duplicates: 0, keyframeRequests: 0,
});

/** How early a timer may fire (Node: whole ms from a cached loop time) and still count as on time. */
const EARLY_FIRE_MS = 2;
/** Latest a due receiver report or metrics sample waits for a wake-up it can share, ms. */
const HOUSEKEEPING_SLACK_MS = 50;

export class LiveStream {
  readonly id: string;
  /** Source without credentials. */
  readonly description: string;
  private readonly o: Required<Pick<LiveStreamOptions, 'jitterBufferMs' | 'earlyRelease' | 'maxPacketSize' | 'enableRtcp' | 'rtcpIntervalMs' | 'keyframeRequest' | 'connectionTimeoutMs' | 'sampleIntervalMs' | 'pollGranularityMs' | 'bindAddress' | 'nagle' | 'receiverSsrc' | 'sendRrtr'>>;
  private readonly opts: LiveStreamOptions;
  private readonly clock: Clock;
  private readonly window: StreamMetricsWindow;
  private readonly timer: Timer;
  private st: LiveStreamState = 'idle';
  private transport: RtpTransport | null = null;
  private transportBase: TransportCounters = newCounters();
  private carrier: TransportReady['carrier'] | null = null;
  private track: VideoTrack | null = null;
  private core: RtpReceiverCore | null = null;
  private corePt = -1;
  private codec: VideoCodec | null = null;
  private clockRate = 90000;
  private base: Totals = zeroTotals();
  private keyframeRequests = 0;
  private codecSwitches = 0;
  private resolution: [number, number] | null = null;
  private resolutionChanges = 0;
  /** Smoothed RTT (RFC 6298 SRTT), ms; null before the first sample. */
  private srttMs: number | null = null;
  private lastPacketAt: number | null = null;
  private lastFrameAt: number | null = null;
  private silenceFrom = 0;
  private nextRtcpAt = Infinity;
  private nextSampleAt = Infinity;
  private rtpExt = 0;
  private rtpLast: number | null = null;
  private generation = 0;
  private earlyRtcp: { data: Uint8Array; at: number }[] = [];
  private opening: Promise<void> | null = null;
  private lastTick = -Infinity;
  private busyMs = 0;
  /** Clock time the timer is armed for (Infinity when none). */
  private timerAt = Infinity;
  /** Exceptions thrown by `onFrame` / `onEvent` (caught; the stream goes on). */
  listenerErrors = 0;
  lastListenerError: string | null = null;

  constructor(opts: LiveStreamOptions) {
    if (typeof opts.id !== 'string' || opts.id === '') throw new MediaError('MEDIA_OPTIONS', 'id must be a non-empty string');
    this.opts = opts;
    this.id = opts.id;
    const src = opts.source;
    this.description = describeSource(src.kind === 'udp' ? { ...src, bindAddress: src.bindAddress ?? opts.bindAddress ?? '0.0.0.0' } : src);
    this.o = {
      jitterBufferMs: checkRange('jitterBufferMs', opts.jitterBufferMs ?? 100, 50, 200),
      earlyRelease: opts.earlyRelease ?? true,
      maxPacketSize: checkRange('maxPacketSize', opts.maxPacketSize ?? 1500, 64, 65535, true),
      enableRtcp: opts.enableRtcp ?? true,
      rtcpIntervalMs: checkRange('rtcpIntervalMs', opts.rtcpIntervalMs ?? 1000, 10, 600_000),
      keyframeRequest: opts.keyframeRequest ?? 'pli',
      connectionTimeoutMs: checkRange('connectionTimeoutMs', opts.connectionTimeoutMs ?? 5000, 1, 3_600_000),
      sampleIntervalMs: checkRange('sampleIntervalMs', opts.sampleIntervalMs ?? 250, 10, 60_000),
      pollGranularityMs: checkRange('pollGranularityMs', opts.pollGranularityMs ?? 4, 0, 50),
      bindAddress: opts.bindAddress ?? '0.0.0.0',
      nagle: opts.nagle ?? false,
      sendRrtr: opts.sendRrtr ?? true,
      receiverSsrc: (opts.receiverSsrc ?? ((Math.random() * 0xffffffff) >>> 0 || 1)) >>> 0,
    };
    if (opts.payloadType != null) checkRange('payloadType', opts.payloadType, 0, 127, true);
    if (opts.ssrc != null) checkRange('ssrc', opts.ssrc, 0, 0xffffffff, true);
    this.clock = opts.clock ?? systemClock;
    this.window = new StreamMetricsWindow({ windowMs: opts.metricsWindowMs ?? 5000 });
    this.timer = new Timer(this.clock, () => {
      const t0 = performance.now();
      this.tick();
      this.busyMs += performance.now() - t0;
    });
  }

  get state(): LiveStreamState {
    return this.st;
  }

  /** Opens the transport. Rejects with a TransportError (state back to 'idle'). */
  connect(): Promise<void> {
    if (this.st === 'closed') return Promise.reject(new MediaError('MEDIA_STATE', `stream ${this.id} is closed`));
    if (this.st !== 'idle') return Promise.reject(new MediaError('MEDIA_STATE', `stream ${this.id} is already ${this.st}`));
    this.st = 'connecting';
    const p = this.open();
    this.opening = p;
    const clear = () => {
      if (this.opening === p) this.opening = null;
    };
    p.then(clear, clear);
    return p;
  }

  private async open(): Promise<void> {
    const gen = ++this.generation;
    const live = () => gen === this.generation;
    let t: RtpTransport;
    try {
      t = await openTransport(this.opts.source, {
        maxPacketSize: this.o.maxPacketSize, connectTimeoutMs: this.o.connectionTimeoutMs, nagle: this.o.nagle,
        bindAddress: this.o.bindAddress, ports: this.opts.ports, clock: this.clock,
      }, {
        ready: (info) => live() && this.onReady(info),
        rtp: (d, at) => {
          if (!live()) return;
          const t0 = performance.now();
          this.onRtp(d, at);
          this.busyMs += performance.now() - t0;
        },
        rtcp: (d, at) => {
          if (!live()) return;
          const t0 = performance.now();
          this.onRtcp(d, at);
          this.busyMs += performance.now() - t0;
        },
        closed: (e) => live() && this.onTransportClosed(e),
      });
    } catch (err) {
      if (live()) this.st = 'idle';
      throw err;
    }
    if (!live()) {
      await t.close(); // disconnect() or close() while connecting
      throw new TransportError('TRANSPORT_CLOSED', `stream ${this.id}: disconnected while connecting`);
    }
    this.transport = t;
    const now = this.clock.now();
    this.silenceFrom = now;
    if (this.st === 'connecting') this.st = 'waiting';
    this.nextRtcpAt = now + this.o.rtcpIntervalMs;
    this.nextSampleAt = now;
    this.schedule();
  }

  /** Closes the transport (RTSP: TEARDOWN); frames still held are delivered. Safe to repeat. */
  async disconnect(): Promise<void> {
    const opening = this.opening;
    if (this.st === 'closed' || this.st === 'idle') {
      if (opening) await opening.catch(() => undefined);
      return;
    }
    this.generation++;
    this.st = 'idle';
    // A connect still under way closes what it opened once it sees it is stale: wait for that,
    // so the ports are free when this resolves.
    if (opening) await opening.catch(() => undefined);
    this.timer.cancel();
    this.timerAt = Infinity;
    this.retireCore(this.clock.now());
    const t = this.transport;
    this.transport = null;
    if (t) {
      await t.close();
      this.addTransportCounters(t.counters);
    }
  }

  async close(): Promise<void> {
    if (this.st === 'closed') return;
    await this.disconnect();
    this.st = 'closed';
  }

  metrics(): LiveStreamMetrics {
    const now = this.clock.now();
    const cur = this.sample(now);
    const t = this.transport ? this.sumTransport(this.transport.counters) : { ...this.transportBase };
    const tot = this.totals();
    const sr = this.core?.lastSenderReport ?? null;
    return {
      state: this.st,
      codec: this.codec,
      carrier: this.carrier,
      ssrc: this.core?.sourceSsrc ?? null,
      ...this.window.figures(now, cur),
      network_latency_ms: this.srttMs === null ? null : this.srttMs / 2,
      resolution: this.resolution ? [this.resolution[0], this.resolution[1]] : null,
      resolution_changes: this.resolutionChanges,
      codec_switches: this.codecSwitches,
      last_sender_report: sr && this.core?.sourceSsrc != null ? { ...sr, ssrc: this.core.sourceSsrc, clockRate: this.clockRate } : null,
      keyframe_requests: this.keyframeRequests,
      transport: t,
      rejected: {
        malformed: tot.malformed, too_large: tot.tooLarge, wrong_payload_type: tot.wrongPt, wrong_ssrc: tot.wrongSsrc,
        late: tot.late, duplicates: tot.duplicates,
      },
      last_packet_ms: this.lastPacketAt,
      last_frame_ms: this.lastFrameAt,
      busy_ms: this.busyMs,
    };
  }

  // ------------------------------------------------------------------ transport callbacks

  private onReady(info: TransportReady): void {
    const now = this.clock.now();
    this.retireCore(now); // a new session (RTSP fallback): its sequence numbers start afresh
    this.carrier = info.carrier;
    this.track = info.track;
    if (info.track) this.setCore(this.newCore(receiverOptionsFromTrack(info.track), info.track.payloadType), now);
    this.emit({ type: 'ready', id: this.id, carrier: info.carrier, codec: info.track?.codec ?? this.opts.codec ?? null, atMs: now });
  }

  private onRtp(data: Uint8Array, at: number): void {
    const pt = data.length > 1 ? data[1]! & 0x7f : -1;
    if (!this.core) this.setCore(this.pushedCore(pt), at);
    else if (!this.track && this.opts.codec === undefined && this.opts.payloadType == null && pt !== this.corePt && (pt === 26) !== (this.corePt === 26)) {
      // Pushed RTP without a configured codec switched between JPEG (static PT 26) and a dynamic type.
      this.retireCore(at);
      this.setCore(this.pushedCore(pt), at);
    }
    const core = this.core!;
    const r = core.pushRtp(data, at);
    if (r === 'accepted' || r === 'duplicate' || r === 'late' || r === 'reset') {
      this.lastPacketAt = at;
      if (this.st === 'waiting' || this.st === 'lost' || this.st === 'connecting') {
        this.st = 'receiving';
        this.emit({ type: 'receiving', id: this.id, atMs: at });
      }
      if (r === 'reset') {
        // Sender restart (RFC 3550 §A.1 jump): its RTP clock restarts too.
        this.window.resetFrames();
        this.rtpLast = null;
      }
    }
    // Whatever fell due since the last wake-up is done in this one.
    this.schedule(this.service(at));
  }

  private onRtcp(data: Uint8Array, at: number): void {
    if (!this.core) {
      // Pushed RTP: the sender's first SR often precedes its first RTP packet.
      if (this.earlyRtcp.length < 8) this.earlyRtcp.push({ data, at });
      return;
    }
    for (const p of this.core.pushRtcp(data, at)) {
      if (p.type === 'xr') {
        // RFC 3611 §4.5: DLRR naming us answers an RRTR we sent; LRR/DLRR play LSR/DLSR's parts
        // (our RRTRs carry Date.now(), so the arrival is read on the same clock).
        for (const blk of p.blocks) {
          if (blk.bt !== 5 || !('items' in blk)) continue;
          for (const it of blk.items) {
            if (it.ssrc === this.o.receiverSsrc) this.rttSample(roundTripMs({ lsr: it.lrr, dlsr: it.dlrr }, Date.now()));
          }
        }
        continue;
      }
      if (p.type !== 'rr' && p.type !== 'sr') continue;
      for (const b of p.reports) {
        if (b.ssrc !== this.o.receiverSsrc) continue;
        // RFC 3550 §6.4.1: only meaningful for a report about an SR of ours (we send RRs, so
        // this only fires if a peer reports LSR for us anyway).
        this.rttSample(roundTripMs(b, Date.now()));
      }
    }
  }

  /**
   * One RTT sample, ms (null: none in this block), into the RFC 6298 smoothed RTT. Samples over
   * 60 s are dropped: a made-up or stale LRR/LSR, not a network (the field allows ~9 h).
   */
  private rttSample(rtt: number | null): void {
    if (rtt === null || rtt > 60_000) return;
    this.srttMs = this.srttMs === null ? rtt : this.srttMs + (rtt - this.srttMs) / 8;
  }

  private onTransportClosed(e: TransportError): void {
    if (this.st === 'idle' || this.st === 'closed') return;
    this.st = 'lost';
    this.emit({ type: 'lost', id: this.id, reason: 'transport', message: e.message, atMs: this.clock.now() });
  }

  // ------------------------------------------------------------------ timers

  private tick(): void {
    const target = this.timerAt;
    this.timerAt = Infinity;
    if (!this.transport || this.st === 'idle' || this.st === 'closed') return;
    // Node's timers count whole milliseconds from the loop's cached time, so they fire up to
    // about a millisecond before their time on this clock: count that as on time, or the
    // frame due then would cost a second wake-up a granule later.
    let now = this.clock.now();
    if (target > now && target - now < EARLY_FIRE_MS) now = target;
    this.lastTick = now;
    const d = this.service(now);
    if ((this.st === 'waiting' || this.st === 'receiving') && now - (this.lastPacketAt ?? this.silenceFrom) >= this.o.connectionTimeoutMs
      && now - this.silenceFrom >= this.o.connectionTimeoutMs) {
      this.st = 'lost';
      const since = this.lastPacketAt !== null && this.lastPacketAt >= this.silenceFrom ? 'since the last packet' : 'since connecting';
      this.emit({ type: 'lost', id: this.id, reason: 'timeout', message: `no RTP for ${this.o.connectionTimeoutMs} ms ${since}`, atMs: now });
    }
    this.schedule(d);
  }

  /**
   * Work due at `now`: frames whose playout time has come, a receiver report, a metrics sample.
   * Called from every wake-up (timer or datagram), so that a datagram arriving after a due time
   * saves the timer's wake-up. Returns the core's next frame deadline.
   */
  private service(now: number): number | null {
    let core = this.core;
    let d = core ? core.nextFrameDeadline() : null;
    if (d !== null && d <= now) {
      this.pollCore(now);
      core = this.core; // a listener may have disconnected the stream
      d = core ? core.nextFrameDeadline() : null;
    }
    if (now >= this.nextRtcpAt) {
      if (this.o.enableRtcp && core && core.sourceSsrc !== null && this.transport) this.transport.sendRtcp(core.buildReceiverReport(now, this.o.sendRrtr ? Date.now() : undefined));
      this.nextRtcpAt = Math.max(this.nextRtcpAt + this.o.rtcpIntervalMs, now + 1);
    }
    if (now >= this.nextSampleAt) {
      this.window.addSample(this.sample(now));
      this.nextSampleAt = Math.max(this.nextSampleAt + this.o.sampleIntervalMs, now + 1);
    }
    return d;
  }

  /**
   * Arms the one timer for the earliest pending item: playout deadline, silence timeout, and
   * report and sample times plus a little slack (the frame timer or a datagram nearly always
   * does them first, so they seldom need a wake-up of their own). An earlier pending time is
   * kept, never moved later: Node wakes for a cancelled timer anyway. Called per datagram;
   * unchanged times cost a few comparisons.
   */
  private schedule(d: number | null = this.core?.nextFrameDeadline() ?? null): void {
    if (!this.transport || this.st === 'idle' || this.st === 'closed') return;
    let at = Math.min(this.nextRtcpAt + Math.min(HOUSEKEEPING_SLACK_MS, this.o.rtcpIntervalMs / 4),
      this.nextSampleAt + Math.min(HOUSEKEEPING_SLACK_MS, this.o.sampleIntervalMs / 4));
    if (d !== null) at = Math.min(at, d);
    if (this.st === 'waiting' || this.st === 'receiving') {
      at = Math.min(at, Math.max(this.lastPacketAt ?? this.silenceFrom, this.silenceFrom) + this.o.connectionTimeoutMs);
    }
    at = Math.max(at, this.lastTick + this.o.pollGranularityMs);
    if (this.timer.pending && this.timerAt <= at) return;
    this.timerAt = at;
    this.timer.arm(at);
  }

  private pollCore(now: number): void {
    const core = this.core!;
    const r = core.poll(now);
    for (const f of r.frames) this.onFrame(f, now);
    if (r.requestKeyframe && this.o.enableRtcp && this.transport) {
      this.transport.sendRtcp(core.buildKeyframeRequest(this.o.keyframeRequest));
      this.keyframeRequests++;
    }
  }

  private onFrame(f: MediaFrame, now: number): void {
    if (this.rtpLast === null) this.rtpExt = f.timestamp;
    else this.rtpExt += (f.timestamp - this.rtpLast) | 0; // signed 32-bit step: wrap-safe
    this.rtpLast = f.timestamp;
    this.window.addFrame(f.arrivalMs ?? now, this.rtpExt, this.clockRate);
    this.lastFrameAt = now;
    if (f.width !== undefined && f.height !== undefined) {
      const prev = this.resolution;
      if (!prev || prev[0] !== f.width || prev[1] !== f.height) {
        this.resolution = [f.width, f.height];
        if (prev) {
          this.resolutionChanges++;
          this.emit({ type: 'resolution', id: this.id, width: f.width, height: f.height, previous: prev, atMs: now });
        }
      }
    }
    try {
      this.opts.onFrame?.(f);
    } catch (err) {
      this.noteListenerError(err); // a consumer's fault must not stop the stream
    }
  }

  // ------------------------------------------------------------------ receiver cores

  private pushedCore(pt: number): RtpReceiverCore {
    const codec: VideoCodec = this.opts.codec ?? (pt === 26 ? 'mjpeg' : 'h264');
    return this.newCore({ codec, payloadType: this.opts.payloadType ?? null }, pt);
  }

  private newCore(base: RtpReceiverOptions, pt: number): RtpReceiverCore {
    this.corePt = pt;
    return new RtpReceiverCore({
      ...base,
      ...(this.opts.payloadType != null ? { payloadType: this.opts.payloadType } : {}),
      ssrc: this.opts.ssrc ?? null,
      jitterBufferMs: this.o.jitterBufferMs,
      jitterEarlyRelease: this.o.earlyRelease,
      maxPacketSize: Math.max(64, this.o.maxPacketSize),
      receiverSsrc: this.o.receiverSsrc,
    });
  }

  private setCore(core: RtpReceiverCore, now: number): void {
    const prev = this.codec;
    this.core = core;
    this.codec = core.codec;
    this.clockRate = this.track?.clockRate ?? 90000;
    this.rtpLast = null;
    this.window.resetFrames();
    const early = this.earlyRtcp;
    this.earlyRtcp = [];
    for (const r of early) this.onRtcp(r.data, r.at);
    if (prev !== null && prev !== core.codec) {
      this.codecSwitches++;
      this.emit({ type: 'codec', id: this.id, codec: core.codec, previous: prev, atMs: now });
    }
  }

  /** Delivers what the core still holds and folds its counters into the stream's totals. */
  private retireCore(now: number): void {
    const core = this.core;
    if (!core) return;
    const r = core.poll(now + 60_000);
    for (const f of r.frames) this.onFrame(f, now);
    const s = core.statistics();
    const c = core.counters;
    const j = core.jitterStats();
    const b = this.base;
    b.expected += s.expected;
    b.received += s.received;
    b.bytes += c.bytes;
    b.framesDelivered += c.framesDelivered;
    b.framesDropped += c.framesDropped;
    b.malformed += c.malformed;
    b.tooLarge += c.tooLarge;
    b.wrongPt += c.wrongPayloadType;
    b.wrongSsrc += c.wrongSsrc;
    b.late += j.late;
    b.duplicates += j.duplicates;
    this.core = null;
    this.earlyRtcp = [];
  }

  private totals(): Totals {
    const t = { ...this.base };
    const core = this.core;
    if (core) {
      const s = core.statistics();
      const c = core.counters;
      const j = core.jitterStats();
      t.expected += s.expected;
      t.received += s.received;
      t.bytes += c.bytes;
      t.framesDelivered += c.framesDelivered;
      t.framesDropped += c.framesDropped;
      t.malformed += c.malformed;
      t.tooLarge += c.tooLarge;
      t.wrongPt += c.wrongPayloadType;
      t.wrongSsrc += c.wrongSsrc;
      t.late += j.late;
      t.duplicates += j.duplicates;
    }
    return t;
  }

  private sample(now: number): CounterSample {
    const t = this.totals();
    const s = this.core?.statistics();
    return {
      t: now, expected: t.expected, received: t.received, bytes: t.bytes, framesDelivered: t.framesDelivered, framesDropped: t.framesDropped,
      jitterMs: s && s.received >= 2 ? s.jitterMs : null,
    };
  }

  private sumTransport(c: TransportCounters): TransportCounters {
    const out = { ...this.transportBase };
    for (const k of Object.keys(out) as (keyof TransportCounters)[]) out[k] += c[k];
    return out;
  }

  private addTransportCounters(c: TransportCounters): void {
    this.transportBase = this.sumTransport(c);
  }

  private emit(e: LiveStreamEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch (err) {
      this.noteListenerError(err);
    }
  }

  private noteListenerError(err: unknown): void {
    this.listenerErrors++;
    this.lastListenerError = err instanceof Error ? err.message : String(err);
  }
}
