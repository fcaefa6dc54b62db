/**
 * `RtpSender`: the socket adapter around {@link RtpSenderCore}. Frames are sent at their capture
 * time on the shared clock (immediately when that is already past), through an optional seeded
 * {@link Impairment}; sender reports go out every `rtcpIntervalMs` (the first right after the
 * first frame); PLI/FIR from the receiver are counted and handed to `onKeyframeRequest`.
 * RTP goes from one local UDP socket to host:rtpPort, RTCP from a second one to host:rtcpPort;
 * feedback is accepted on both (RFC 5761 demultiplexing on the RTP socket).
 */
import { createSocket, type Socket } from 'node:dgram';
import { checkRange, MediaError } from '../errors.ts';
import { isRtcpPacket } from '../rtp/packet.ts';
import type { SharedClock } from './clock.ts';
import { RtpSenderCore, type RtpSenderCoreOptions } from './core.ts';
import { Impairment, type ImpairmentOptions } from './impair.ts';

export interface RtpSenderOptions extends RtpSenderCoreOptions {
  /** Destination address (IPv4). */
  host: string;
  rtpPort: number;
  /** Default rtpPort + 1. */
  rtcpPort?: number;
  /** Local ports to send from; default 0 (ephemeral). */
  localRtpPort?: number;
  localRtcpPort?: number;
  /** Local address to bind; default 0.0.0.0 (127.0.0.1 when host is loopback). */
  bindAddress?: string;
  impairment?: ImpairmentOptions;
  /** Sender report interval, ms (100–60000). Default 1000. */
  rtcpIntervalMs?: number;
  /**
   * Fixed extra delay of every outgoing RTCP datagram (SR, DLRR, BYE excepted), ms, 0–10000: a
   * one-way delay on the report path, for round-trip-time tests. Default 0.
   */
  rtcpDelayMs?: number;
  /** Called once per PLI or FIR that names this sender. */
  onKeyframeRequest?: () => void;
}

export interface SenderWireStats {
  /** Datagrams handed to the socket (duplicates included). */
  datagrams: number;
  /** RTP packets dropped by the impairment. */
  dropped: number;
  duplicated: number;
  reordered: number;
  /** Frames waiting for their capture time. */
  queuedFrames: number;
  sendErrors: number;
  /** Exceptions thrown by onKeyframeRequest (caught and counted). */
  listenerErrors: number;
  /** Sender-side round-trip time from the receiver's LSR/DLSR, ms (`core.roundTripMs`); null before one. */
  roundTripMs: number | null;
}

interface QueuedFrame {
  data: Uint8Array;
  captureMs: number;
}

export class RtpSender {
  readonly core: RtpSenderCore;
  readonly stats: SenderWireStats = { datagrams: 0, dropped: 0, duplicated: 0, reordered: 0, queuedFrames: 0, sendErrors: 0, listenerErrors: 0, roundTripMs: null };
  /** The last exception thrown by onKeyframeRequest. */
  lastListenerError: unknown = null;
  private readonly clock: SharedClock;
  private readonly impairment: Impairment;
  private readonly queue: QueuedFrame[] = [];
  private frameTimer: NodeJS.Timeout | null = null;
  private rtcpTimer: NodeJS.Timeout | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private held: { data: Uint8Array; delayMs: number } | null = null;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private firstSrSent = false;
  private readonly rtcpPort: number;
  private readonly rtcpDelayMs: number;
  private readonly rtcpDelayTimers = new Set<NodeJS.Timeout>();

  private constructor(private readonly o: RtpSenderOptions, private readonly rtp: Socket, private readonly rtcp: Socket) {
    this.core = new RtpSenderCore(o);
    this.clock = o.clock;
    this.impairment = new Impairment(o.impairment);
    this.rtcpPort = o.rtcpPort ?? o.rtpPort + 1;
    const interval = checkRange('rtcpIntervalMs', o.rtcpIntervalMs ?? 1000, 100, 60000);
    this.rtcpDelayMs = checkRange('rtcpDelayMs', o.rtcpDelayMs ?? 0, 0, 10000);
    const onFeedback = (m: Buffer) => {
      if (!isRtcpPacket(m)) return;
      const n = this.core.onRtcp(m);
      this.stats.roundTripMs = this.core.roundTripMs;
      for (let i = 0; i < n; i++) this.safeCall(o.onKeyframeRequest);
    };
    rtp.on('message', onFeedback);
    rtcp.on('message', onFeedback);
    rtp.on('error', () => { this.stats.sendErrors++; });
    rtcp.on('error', () => { this.stats.sendErrors++; });
    this.rtcpTimer = setInterval(() => { if (this.core.counters.packets > 0) this.sendRtcp(this.core.senderReport(this.clock.nowMs())); }, interval);
  }

  /** Binds the two local sockets. */
  static async open(o: RtpSenderOptions): Promise<RtpSender> {
    checkRange('rtpPort', o.rtpPort, 1, 65535, true);
    if (o.rtcpPort !== undefined) checkRange('rtcpPort', o.rtcpPort, 1, 65535, true);
    const addr = o.bindAddress ?? (o.host.startsWith('127.') ? '127.0.0.1' : '0.0.0.0');
    const bind = (port: number) => new Promise<Socket>((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(port, addr, () => { s.removeListener('error', reject); resolve(s); });
    });
    const rtp = await bind(o.localRtpPort ?? 0);
    let rtcp: Socket;
    try {
      rtcp = await bind(o.localRtcpPort ?? 0);
    } catch (e) {
      rtp.close();
      throw e;
    }
    return new RtpSender(o, rtp, rtcp);
  }

  get localRtpPort(): number {
    return this.rtp.address().port;
  }

  get localRtcpPort(): number {
    return this.rtcp.address().port;
  }

  /**
   * Queues a frame (Annex-B access unit or JPEG) captured at `captureMs` on the shared clock; it
   * leaves at that time, or at once when the time has passed. Frames leave in call order.
   */
  send(data: Uint8Array, captureMs: number): void {
    if (this.closed) throw new MediaError('MEDIA_STATE', 'send() after close()');
    this.queue.push({ data, captureMs });
    this.stats.queuedFrames = this.queue.length;
    if (!this.frameTimer) this.armFrameTimer();
  }

  /**
   * Resolves when every queued frame and delayed packet has been handed to the socket (a packet
   * held back for reordering with nothing after it goes out then).
   */
  idle(): Promise<void> {
    if (this.isIdle()) { this.wakeIdle(); return Promise.resolve(); }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Drops frames still waiting for their capture time and packets still delayed, sends BYE (with
   * a last SR) and closes the sockets. Call `idle()` first to let everything out. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = null;
    if (this.rtcpTimer) clearInterval(this.rtcpTimer);
    this.rtcpTimer = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const t of this.rtcpDelayTimers) clearTimeout(t);
    this.rtcpDelayTimers.clear();
    this.held = null;
    this.queue.length = 0;
    if (this.core.counters.packets > 0) await this.sendAsync(this.rtcp, this.core.bye(this.clock.nowMs()), this.rtcpPort);
    await Promise.all([this.rtp, this.rtcp].map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.wakeIdle();
  }

  private armFrameTimer(): void {
    const head = this.queue[0];
    if (!head) { this.wakeIdle(); return; }
    const wait = Math.max(0, head.captureMs - this.clock.nowMs());
    this.frameTimer = setTimeout(() => this.onFrameTimer(), wait);
  }

  private onFrameTimer(): void {
    this.frameTimer = null;
    if (this.closed) return;
    const now = this.clock.nowMs();
    while (this.queue.length > 0 && this.queue[0]!.captureMs <= now + 0.5) {
      const f = this.queue.shift()!;
      for (const d of this.core.packetizeFrame(f.data, f.captureMs)) this.dispatch(d);
      if (!this.firstSrSent && this.core.counters.packets > 0) {
        this.firstSrSent = true;
        this.sendRtcp(this.core.senderReport(now));
      }
    }
    this.stats.queuedFrames = this.queue.length;
    this.armFrameTimer();
  }

  /** One RTP datagram through the impairment. */
  private dispatch(d: Uint8Array): void {
    const fate = this.impairment.next();
    if (fate.lost) { this.stats.dropped++; return; }
    if (fate.delaysMs.length > 1) this.stats.duplicated++;
    const prevHeld = this.held;
    this.held = null;
    if (fate.holdForNext && !prevHeld) {
      this.stats.reordered++;
      this.held = { data: d, delayMs: fate.delaysMs[0]! };
      for (const extra of fate.delaysMs.slice(1)) this.emit(d, extra);
      return;
    }
    for (const delay of fate.delaysMs) this.emit(d, delay);
    // The held packet goes right after this one (and no earlier than its own delay).
    if (prevHeld) this.emit(prevHeld.data, Math.max(prevHeld.delayMs, fate.delaysMs[0]!));
  }

  private emit(d: Uint8Array, delayMs: number): void {
    if (delayMs < 0.5) { this.sendRtp(d); return; }
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.sendRtp(d);
      if (this.isIdle()) this.wakeIdle();
    }, delayMs);
    this.timers.add(t);
  }

  private sendRtp(d: Uint8Array): void {
    if (this.closed) return;
    this.stats.datagrams++;
    this.rtp.send(d, this.o.rtpPort, this.o.host, (err) => { if (err) this.stats.sendErrors++; });
  }

  private sendRtcp(d: Uint8Array): void {
    if (this.closed) return;
    if (this.rtcpDelayMs > 0) {
      const t = setTimeout(() => {
        this.rtcpDelayTimers.delete(t);
        if (!this.closed) this.rtcp.send(d, this.rtcpPort, this.o.host, (err) => { if (err) this.stats.sendErrors++; });
      }, this.rtcpDelayMs);
      this.rtcpDelayTimers.add(t);
      return;
    }
    this.rtcp.send(d, this.rtcpPort, this.o.host, (err) => { if (err) this.stats.sendErrors++; });
  }

  private sendAsync(s: Socket, d: Uint8Array, port: number): Promise<void> {
    return new Promise((resolve) => s.send(d, port, this.o.host, (err) => { if (err) this.stats.sendErrors++; resolve(); }));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.timers.size === 0 && this.frameTimer === null;
  }

  private wakeIdle(): void {
    if (!this.isIdle() && !this.closed) return;
    // A packet held for reordering with nothing after it goes out now (end of stream).
    if (this.held && !this.closed) {
      const h = this.held;
      this.held = null;
      this.sendRtp(h.data);
    }
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  private safeCall(f: (() => void) | undefined): void {
    // A listener's error must not kill the sender; it is counted.
    try {
      f?.();
    } catch (e) {
      this.stats.listenerErrors++;
      this.lastListenerError = e;
    }
  }
}
