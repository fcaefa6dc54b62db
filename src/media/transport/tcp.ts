/**
 * RTP/RTCP over a TCP connection with RFC 4571 framing (16-bit length before each packet), as a
 * client connecting to the sender. RTP and RTCP share the connection and are told apart as in
 * RFC 5761 §4; receiver RTCP goes back framed the same way.
 */
import { connect, type Socket } from 'node:net';
import { checkRange } from '../errors.ts';
import { frameRfc4571, Rfc4571Deframer } from '../rtp/framing.ts';
import { isRtcpPacket } from '../rtp/packet.ts';
import { systemClock, type Clock } from './clock.ts';
import { socketMessage, TransportError } from './errors.ts';
import { newCounters, type RtpTransport, type TransportCounters, type TransportHandlers } from './types.ts';

export interface TcpRtpTransportOptions {
  host: string;
  port: number;
  /** Longer frames are dropped and counted. Default 1500 (config `max_packet_size`). */
  maxPacketSize?: number;
  /** Give up connecting after this long. Default 5000 ms (config `connection_timeout_ms`). */
  connectTimeoutMs?: number;
  /** Nagle's algorithm on the socket. Default false (config `enable_nagle`). */
  nagle?: boolean;
  clock?: Clock;
}

export class TcpRtpTransport implements RtpTransport {
  readonly kind = 'tcp' as const;
  readonly description: string;
  readonly counters: TransportCounters = newCounters();
  private readonly deframer = new Rfc4571Deframer();
  private closed = false;

  private constructor(private readonly sock: Socket, opts: TcpRtpTransportOptions, private readonly handlers: TransportHandlers, private readonly maxPacket: number, private readonly clock: Clock) {
    this.description = `tcp://${opts.host}:${opts.port}`;
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (err) => this.fail(new TransportError('TRANSPORT_CONNECT', `RFC 4571 connection error: ${socketMessage(err)}`)));
    sock.on('close', () => this.fail(new TransportError('TRANSPORT_CONNECT', 'RFC 4571 connection closed by the peer')));
  }

  static open(opts: TcpRtpTransportOptions, handlers: TransportHandlers): Promise<TcpRtpTransport> {
    const maxPacket = checkRange('maxPacketSize', opts.maxPacketSize ?? 1500, 64, 65535, true);
    checkRange('port', opts.port, 1, 65535, true);
    const clock = opts.clock ?? systemClock;
    const timeout = opts.connectTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const sock = connect({ host: opts.host, port: opts.port, noDelay: !(opts.nagle ?? false) });
      const timer = clock.setTimeout(() => {
        sock.destroy();
        reject(new TransportError('TRANSPORT_TIMEOUT', `no TCP connection to ${opts.host}:${opts.port} within ${timeout} ms`));
      }, timeout);
      sock.once('error', (err) => {
        clock.clearTimeout(timer);
        sock.destroy();
        reject(new TransportError('TRANSPORT_CONNECT', `cannot connect to ${opts.host}:${opts.port}: ${socketMessage(err)}`));
      });
      sock.once('connect', () => {
        clock.clearTimeout(timer);
        sock.removeAllListeners('error');
        const t = new TcpRtpTransport(sock, opts, handlers, maxPacket, clock);
        handlers.ready({ track: null, carrier: 'tcp' });
        resolve(t);
      });
    });
  }

  sendRtcp(data: Uint8Array): boolean {
    if (this.closed || data.length > 0xffff) return false;
    this.sock.write(frameRfc4571(data));
    this.counters.rtcpSent++;
    return true;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((r) => {
      this.sock.once('close', () => r());
      this.sock.destroy();
      if (this.sock.destroyed && this.sock.closed) r();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const now = this.clock.now();
    for (const p of this.deframer.push(chunk)) {
      if (p.length > this.maxPacket) {
        this.counters.oversize++;
        continue;
      }
      this.counters.bytes += p.length;
      if (isRtcpPacket(p)) {
        this.counters.rtcpPackets++;
        this.handlers.rtcp(p, now);
      } else {
        this.counters.rtpPackets++;
        this.handlers.rtp(p, now);
      }
      if (this.closed) return;
    }
  }

  private fail(err: TransportError): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.destroy();
    this.handlers.closed(err);
  }
}
