/**
 * RTSP source as a transport: plays over UDP first (mode 'auto') and falls back to
 * TCP-interleaved when the server refuses UDP (461 Unsupported Transport) or when no RTP
 * arrives within `udpFallbackMs` after PLAY (a NAT or firewall eating the datagrams).
 * Credentials stay inside the RTSP client; everything this object reports uses the redacted URL.
 */
import { checkRange } from '../errors.ts';
import type { RtspPlaySession } from '../rtsp/client.ts';
import { splitUrl } from '../rtsp/client.ts';
import { MediaError } from '../errors.ts';
import { systemClock, Timer, type Clock } from './clock.ts';
import { TransportError } from './errors.ts';
import { PortAllocator } from './ports.ts';
import { RtspSession } from './rtsp-session.ts';
import { newCounters, type RtpTransport, type TransportCounters, type TransportHandlers } from './types.ts';

export interface RtspTransportOptions {
  /** rtsp://[user[:password]@]host[:port]/path */
  url: string;
  /** Override the URL's user info. */
  username?: string;
  password?: string;
  /** 'auto' (default): UDP, then TCP-interleaved on 461 or silence; 'udp' or 'tcp' only. */
  transport?: 'auto' | 'udp' | 'tcp';
  /** Silence after PLAY that makes 'auto' switch to TCP. Default 3000 ms. */
  udpFallbackMs?: number;
  /** UDP: fixed client RTP port (RTCP on the next one), e.g. config `rtp_config.port`. Default: from `ports`. */
  clientPort?: number;
  /** Client port pairs for UDP. Default: OS-chosen pairs on `bindAddress`. */
  ports?: PortAllocator;
  /** Local address for UDP sockets when no allocator is given. Default '0.0.0.0'. */
  bindAddress?: string;
  /** Default 1500 (config `max_packet_size`). */
  maxPacketSize?: number;
  /** Deadline for connect … PLAY, and for the TEARDOWN answer. Default 5000 ms (config `connection_timeout_ms`). */
  requestTimeoutMs?: number;
  /** Default false (config `enable_nagle`). */
  nagle?: boolean;
  userAgent?: string;
  clock?: Clock;
}

export class RtspTransport implements RtpTransport {
  readonly kind = 'rtsp' as const;
  readonly description: string;
  /** How many times this transport moved from UDP to TCP. */
  fallbacks = 0;
  private session: RtspSession | null = null;
  private carrierNow: 'udp' | 'tcp';
  private readonly fallbackTimer: Timer;
  private readonly past: TransportCounters = newCounters();
  private closed = false;
  private switching = false;

  private constructor(private readonly opts: Required<Pick<RtspTransportOptions, 'udpFallbackMs' | 'maxPacketSize' | 'requestTimeoutMs' | 'nagle'>> & RtspTransportOptions & { clock: Clock; ports: PortAllocator }, private readonly handlers: TransportHandlers) {
    this.description = splitUrl(opts.url)!.url;
    this.carrierNow = opts.transport === 'tcp' ? 'tcp' : 'udp';
    this.fallbackTimer = new Timer(opts.clock, () => this.checkUdpSilence());
  }

  /** Connects and plays; resolves once RTP can flow (PLAY answered), rejects with a TransportError. */
  static async open(opts: RtspTransportOptions, handlers: TransportHandlers): Promise<RtspTransport> {
    if (!splitUrl(opts.url)) throw new MediaError('MEDIA_OPTIONS', 'RTSP url must be rtsp://host[:port]/path');
    const full = {
      ...opts,
      udpFallbackMs: checkRange('udpFallbackMs', opts.udpFallbackMs ?? 3000, 1, 600_000),
      maxPacketSize: checkRange('maxPacketSize', opts.maxPacketSize ?? 1500, 64, 65535, true),
      requestTimeoutMs: checkRange('requestTimeoutMs', opts.requestTimeoutMs ?? 5000, 1, 600_000),
      nagle: opts.nagle ?? false,
      clock: opts.clock ?? systemClock,
      ports: opts.ports ?? new PortAllocator({ bindAddress: opts.bindAddress ?? '0.0.0.0' }),
    };
    const t = new RtspTransport(full, handlers);
    try {
      await t.play(t.carrierNow);
    } catch (err) {
      if (opts.transport !== 'auto' && opts.transport !== undefined) throw err;
      // RFC 2326 §11.4.16 461 Unsupported Transport: the server offers no UDP; or no local
      // UDP pair could be bound. TCP-interleaved needs neither.
      if (!(err instanceof TransportError) || !['RTSP_TRANSPORT', 'TRANSPORT_PORTS', 'TRANSPORT_BIND'].includes(err.code)) throw err;
      t.fallbacks++;
      await t.play('tcp');
    }
    return t;
  }

  /** Lower transport in use now. */
  get carrier(): 'udp' | 'tcp' {
    return this.carrierNow;
  }

  /** The negotiated session (SDP, track, server transport), null while switching. */
  get playSession(): RtspPlaySession | null {
    return this.session?.session ?? null;
  }

  get counters(): TransportCounters {
    const c = { ...this.past };
    const s = this.session?.counters;
    if (s) for (const k of Object.keys(c) as (keyof TransportCounters)[]) c[k] += s[k];
    return c;
  }

  sendRtcp(data: Uint8Array): boolean {
    return this.session?.sendRtcp(data) ?? false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fallbackTimer.cancel();
    const s = this.session;
    this.session = null;
    await s?.close();
  }

  private async play(carrier: 'udp' | 'tcp'): Promise<void> {
    const o = this.opts;
    const s = new RtspSession({
      url: o.url, transport: carrier, ports: o.ports, bindAddress: o.bindAddress ?? '0.0.0.0', maxPacketSize: o.maxPacketSize,
      requestTimeoutMs: o.requestTimeoutMs, nagle: o.nagle, clock: o.clock,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.userAgent !== undefined ? { userAgent: o.userAgent } : {}),
      ...(o.clientPort !== undefined ? { clientPort: o.clientPort } : {}),
    });
    this.session = s;
    this.carrierNow = carrier;
    let readyCalled = false;
    await s.start({
      ready: (play) => {
        if (this.closed) return;
        readyCalled = true;
        this.handlers.ready({ track: play.track, carrier: carrier === 'udp' ? 'rtsp-udp' : 'rtsp-tcp' });
      },
      rtp: (d, at) => {
        if (!readyCalled) return;
        this.handlers.rtp(d, at);
      },
      rtcp: (d, at) => {
        if (readyCalled) this.handlers.rtcp(d, at);
      },
      closed: (e) => {
        if (this.session !== s || this.closed || this.switching) return;
        this.closed = true;
        this.fallbackTimer.cancel();
        this.handlers.closed(e);
      },
    }).catch(async (err: unknown) => {
      this.session = null;
      await s.close();
      throw err;
    });
    if (this.closed) {
      await s.close();
      throw new TransportError('TRANSPORT_CLOSED', `RTSP ${this.description}: closed while connecting`);
    }
    if (carrier === 'udp' && (o.transport ?? 'auto') === 'auto') this.fallbackTimer.arm(o.clock.now() + o.udpFallbackMs);
  }

  private checkUdpSilence(): void {
    const s = this.session;
    if (this.closed || !s || this.carrierNow !== 'udp' || s.counters.rtpPackets > 0) return;
    void this.fallBack();
  }

  private async fallBack(): Promise<void> {
    const old = this.session;
    if (old) {
      const c = old.counters;
      for (const k of Object.keys(this.past) as (keyof TransportCounters)[]) this.past[k] += c[k];
    }
    this.switching = true;
    this.session = null;
    await old?.close();
    this.switching = false;
    this.fallbacks++;
    try {
      await this.play('tcp');
    } catch (err) {
      if (this.closed) return;
      this.closed = true;
      this.handlers.closed(err instanceof TransportError ? err : new TransportError('TRANSPORT_CONNECT', `RTSP ${this.description}: fallback to TCP failed`));
    }
  }
}
