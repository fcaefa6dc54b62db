/**
 * One RTSP session over a real TCP connection: drives the pure `RtspClient` (OPTIONS, DESCRIBE,
 * SETUP, PLAY, keep-alive, TEARDOWN) and carries RTP either on a UDP port pair or interleaved
 * on the RTSP connection. `RtspTransport` (rtsp.ts) adds the UDP → TCP fallback on top.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import { connect, isIP, type Socket } from 'node:net';
import type { RtspClientAction, RtspFailure, RtspPlaySession } from '../rtsp/client.ts';
import { RtspClient } from '../rtsp/client.ts';
import { serializeInterleaved } from '../rtsp/message.ts';
import { RtspParser } from '../rtsp/parser.ts';
import type { Clock } from './clock.ts';
import { Timer } from './clock.ts';
import { socketMessage, TransportError, type TransportErrorCode } from './errors.ts';
import type { PortAllocator } from './ports.ts';
import { newCounters, type TransportCounters } from './types.ts';
import { bindUdpSocket, normalizeAddress, UdpRtpTransport } from './udp.ts';

async function bindFixedPair(port: number, address: string): Promise<{ rtp: UdpSocket; rtcp: UdpSocket; ports: [number, number] }> {
  const rtp = await bindUdpSocket(port, address);
  try {
    return { rtp, rtcp: await bindUdpSocket(port + 1, address), ports: [port, port + 1] };
  } catch (err) {
    rtp.close();
    throw err;
  }
}

export interface RtspSessionOptions {
  url: string;
  username?: string;
  password?: string;
  transport: 'udp' | 'tcp';
  ports: PortAllocator;
  /** UDP: fixed client RTP port (RTCP on the next), instead of a pair from `ports`. */
  clientPort?: number;
  bindAddress: string;
  maxPacketSize: number;
  /** Whole handshake (connect … PLAY answered) and TEARDOWN answer deadline. */
  requestTimeoutMs: number;
  nagle: boolean;
  userAgent?: string;
  clock: Clock;
}

export interface RtspSessionHandlers {
  /** PLAY answered; called synchronously before any RTP of the session. */
  ready(session: RtspPlaySession): void;
  rtp(data: Uint8Array, arrivalMs: number): void;
  rtcp(data: Uint8Array, arrivalMs: number): void;
  closed(error: TransportError): void;
}

const FAILURE_CODES: Record<RtspFailure, TransportErrorCode> = {
  auth: 'RTSP_AUTH', status: 'RTSP_STATUS', transport: 'RTSP_TRANSPORT',
  sdp: 'RTSP_PROTOCOL', 'no-video': 'RTSP_PROTOCOL', redirects: 'RTSP_PROTOCOL', protocol: 'RTSP_PROTOCOL',
};

/** Packets held between the first UDP datagram and the PLAY answer (RTP may overtake it). */
const EARLY_LIMIT = 512;

export class RtspSession {
  private cl: RtspClient;
  private readonly own: TransportCounters = newCounters();
  private sock: Socket | null = null;
  private readonly parser = new RtspParser();
  private udp: UdpRtpTransport | null = null;
  private play: RtspPlaySession | null = null;
  private early: { rtcp: boolean; data: Uint8Array; at: number }[] = [];
  private readonly keepAliveTimer: Timer;
  private onReady: ((s: RtspPlaySession) => void) | null = null;
  private onFail: ((e: TransportError) => void) | null = null;
  private onClosed: (() => void) | null = null;
  private handlers: RtspSessionHandlers | null = null;
  private ended = false;

  constructor(private readonly opts: RtspSessionOptions) {
    // Validates the URL now (MediaError); a UDP session gets a client with its real ports in start().
    this.cl = this.newClient([0, 0]);
    this.keepAliveTimer = new Timer(opts.clock, () => this.keepAlive());
  }

  get description(): string {
    return this.cl.redactedUrl;
  }

  /** RTP/RTCP handed on, plus what the UDP socket pair dropped (outside the allow-list, oversize). */
  get counters(): TransportCounters {
    const c = { ...this.own };
    if (this.udp) {
      const u = this.udp.counters;
      c.oversize += u.oversize;
      c.notAllowed += u.notAllowed;
      c.unknownSource += u.unknownSource;
      c.sendErrors += u.sendErrors;
    }
    return c;
  }

  get session(): RtspPlaySession | null {
    return this.play;
  }

  /** Connects and plays; resolves with the negotiated session, rejects with a TransportError. */
  async start(handlers: RtspSessionHandlers): Promise<RtspPlaySession> {
    const o = this.opts;
    this.handlers = handlers;
    const url = new URL(this.cl.redactedUrl);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port === '' ? 554 : Number(url.port);
    const deadline = o.clock.now() + o.requestTimeoutMs;
    const sock = await this.connect(host, port, o.requestTimeoutMs);
    if (o.transport === 'udp') {
      let pair;
      try {
        pair = o.clientPort !== undefined ? await bindFixedPair(o.clientPort, o.bindAddress) : await o.ports.bindPair();
      } catch (err) {
        sock.destroy();
        throw err;
      }
      this.cl = this.newClient(pair.ports);
      const server = normalizeAddress(sock.remoteAddress ?? host);
      this.udp = await UdpRtpTransport.open({
        sockets: { rtp: pair.rtp, rtcp: pair.rtcp }, maxPacketSize: o.maxPacketSize, clock: o.clock,
        allowedSources: isIP(server) ? [server] : null,
        description: `${this.cl.redactedUrl} (udp ${pair.ports[0]}-${pair.ports[1]})`,
      }, {
        ready: () => undefined,
        rtp: (d, at) => this.deliver(false, d, at),
        rtcp: (d, at) => this.deliver(true, d, at),
        closed: (e) => this.end(e),
      });
    }
    const client = this.cl;
    return new Promise<RtspPlaySession>((resolve, reject) => {
      const timer = o.clock.setTimeout(
        () => this.end(new TransportError('TRANSPORT_TIMEOUT', `RTSP ${client.redactedUrl}: no PLAY answer within ${o.requestTimeoutMs} ms`)),
        deadline - o.clock.now(),
      );
      this.onReady = (s) => {
        o.clock.clearTimeout(timer);
        resolve(s);
      };
      this.onFail = (e) => {
        o.clock.clearTimeout(timer);
        reject(e);
      };
      sock.on('data', (chunk: Buffer) => this.onData(chunk));
      sock.on('error', (err) => this.end(new TransportError('TRANSPORT_CONNECT', `RTSP ${client.redactedUrl}: ${socketMessage(err)}`)));
      sock.on('close', () => {
        this.onClosed?.();
        this.end(new TransportError('TRANSPORT_CONNECT', `RTSP ${client.redactedUrl}: connection closed by the server`));
      });
      this.act(client.start());
    });
  }

  private connect(host: string, port: number, timeoutMs: number): Promise<Socket> {
    const clock = this.opts.clock;
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port, noDelay: !this.opts.nagle });
      this.sock = sock;
      const timer = clock.setTimeout(() => {
        sock.destroy();
        reject(new TransportError('TRANSPORT_TIMEOUT', `RTSP ${this.cl.redactedUrl}: no TCP connection within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('error', (err) => {
        clock.clearTimeout(timer);
        sock.destroy();
        reject(new TransportError('TRANSPORT_CONNECT', `RTSP ${this.cl.redactedUrl}: ${socketMessage(err)}`));
      });
      sock.once('connect', () => {
        clock.clearTimeout(timer);
        sock.removeAllListeners('error');
        if (this.ended) {
          sock.destroy();
          reject(new TransportError('TRANSPORT_CLOSED', `RTSP ${this.cl.redactedUrl}: closed while connecting`));
        } else resolve(sock);
      });
    });
  }

  private newClient(clientPorts: [number, number]): RtspClient {
    const o = this.opts;
    return new RtspClient({
      url: o.url, transport: o.transport, clientPorts,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.userAgent !== undefined ? { userAgent: o.userAgent } : {}),
    });
  }

  /** Local UDP ports in use (UDP sessions only). */
  get udpPorts(): [number, number] | null {
    return this.udp ? this.udp.localPorts : null;
  }

  sendRtcp(data: Uint8Array): boolean {
    if (this.ended || !this.play) return false;
    if (this.udp) {
      const ok = this.udp.sendRtcp(data);
      if (ok) this.own.rtcpSent++;
      return ok;
    }
    const ch = this.play.transport.interleaved?.[1];
    if (ch === undefined || !this.sock || data.length > 0xffff) return false;
    this.sock.write(serializeInterleaved(ch, data));
    this.own.rtcpSent++;
    return true;
  }

  /** TEARDOWN (waiting up to requestTimeoutMs for the answer), then closes sockets. Safe twice. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.keepAliveTimer.cancel();
    const sock = this.sock;
    if (sock && !sock.destroyed && this.play && this.cl.state === 'playing') {
      const answered = new Promise<void>((r) => {
        const t = this.opts.clock.setTimeout(r, this.opts.requestTimeoutMs);
        this.onClosed = () => {
          this.opts.clock.clearTimeout(t);
          r();
        };
        for (const a of this.cl.teardown()) if (a.kind === 'send') sock.write(a.bytes);
        else if (a.kind === 'closed') {
          this.opts.clock.clearTimeout(t);
          r();
        }
      });
      await answered;
    }
    sock?.destroy();
    await this.udp?.close();
    this.onFail?.(new TransportError('TRANSPORT_CLOSED', `RTSP ${this.cl.redactedUrl}: closed before PLAY`));
    this.onFail = null;
  }

  private onData(chunk: Buffer): void {
    const now = this.opts.clock.now();
    for (const e of this.parser.push(chunk)) {
      if (e.kind === 'interleaved') {
        const ch = this.play?.transport.interleaved ?? [0, 1];
        if (e.data.length > this.opts.maxPacketSize) {
          this.own.oversize++;
        } else if (e.channel === ch[0]) this.deliver(false, e.data.slice(), now);
        else if (e.channel === ch[1]) this.deliver(true, e.data.slice(), now);
        else this.own.unknownSource++;
      } else if (e.kind === 'error') {
        this.end(new TransportError('RTSP_PROTOCOL', `RTSP ${this.cl.redactedUrl}: ${e.error.message}`));
        return;
      } else {
        this.act(this.cl.onMessage(e, now));
      }
      if (this.ended && !this.onClosed) return;
    }
  }

  private act(actions: RtspClientAction[]): void {
    for (const a of actions) {
      if (a.kind === 'send') this.sock?.write(a.bytes);
      else if (a.kind === 'ready') {
        this.play = a.session;
        const sp = a.session.transport.serverPort;
        if (this.udp && sp) {
          const host = normalizeAddress(this.sock?.remoteAddress ?? '127.0.0.1');
          this.udp.setRemoteRtcp({ address: a.session.transport.source ?? host, port: sp[1] });
        }
        this.armKeepAlive();
        const ready = this.onReady;
        this.onReady = null;
        this.onFail = null;
        ready?.(a.session);
        this.handlers?.ready(a.session);
        // Datagrams that overtook the PLAY answer.
        const early = this.early;
        this.early = [];
        for (const p of early) this.deliver(p.rtcp, p.data, p.at);
      } else if (a.kind === 'failed') {
        this.end(new TransportError(FAILURE_CODES[a.reason], `RTSP ${this.cl.redactedUrl}: ${a.message}`, a.status));
      } else if (a.kind === 'closed') {
        this.onClosed?.();
      }
    }
  }

  private deliver(rtcp: boolean, data: Uint8Array, at: number): void {
    if (this.ended && !this.onClosed) return;
    if (!this.play) {
      if (this.early.length < EARLY_LIMIT) this.early.push({ rtcp, data, at });
      return;
    }
    this.own.bytes += data.length;
    if (rtcp) {
      this.own.rtcpPackets++;
      this.handlers?.rtcp(data, at);
    } else {
      this.own.rtpPackets++;
      this.handlers?.rtp(data, at);
    }
  }

  private armKeepAlive(): void {
    const at = this.cl.nextKeepAliveMs;
    if (at !== null && !this.ended) this.keepAliveTimer.arm(at);
  }

  private keepAlive(): void {
    this.act(this.cl.keepAlive(this.opts.clock.now()));
    this.armKeepAlive();
  }

  /** The session ended on its own: reject a pending start, or report to the handlers. */
  private end(err: TransportError): void {
    if (this.ended) return;
    this.ended = true;
    this.keepAliveTimer.cancel();
    this.sock?.destroy();
    void this.udp?.close();
    const fail = this.onFail;
    this.onFail = null;
    this.onReady = null;
    if (fail) fail(err);
    else this.handlers?.closed(err);
  }
}
