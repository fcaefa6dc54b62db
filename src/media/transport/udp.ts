/**
 * RTP/RTCP over UDP (RFC 3550 §11): a socket pair (RTP on `port`, RTCP on `port + 1`) or one
 * socket with RTP/RTCP multiplexing (RFC 5761), bound to `bindAddress`. Datagrams from outside
 * the allow-list, from a second sender, or above `maxPacketSize` are dropped and counted.
 * Receiver RTCP (RR, PLI, FIR) goes back to the sender's RTCP address.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { isRtcpPacket } from '../rtp/packet.ts';
import { checkRange, MediaError } from '../errors.ts';
import { systemClock, type Clock } from './clock.ts';
import { socketMessage, TransportError } from './errors.ts';
import { newCounters, type RtpTransport, type TransportCounters, type TransportHandlers } from './types.ts';

export interface UdpEndpoint {
  address: string;
  port: number;
}

export interface UdpRtpTransportOptions {
  /** Local RTP port; 0 picks a free one. Ignored when `sockets` is given. */
  port?: number;
  /** Sockets already bound (e.g. from a `PortAllocator`); the transport owns them from now on. */
  sockets?: { rtp: Socket; rtcp: Socket | null };
  /** One socket for RTP and RTCP (RFC 5761). Default false: RTCP on port + 1. */
  rtcpMux?: boolean;
  /** Local address to bind. Default '0.0.0.0' (config `media_server.network.bind_address`). */
  bindAddress?: string;
  /** Sender addresses (IP literals) accepted; null accepts any. Default null. */
  allowedSources?: readonly string[] | null;
  /**
   * Lock onto the address:port of the first accepted RTP datagram and count later datagrams
   * from any other endpoint as `unknownSource`. Default true.
   */
  latchSource?: boolean;
  /** Longer datagrams are dropped and counted. Default 1500 (config `max_packet_size`). */
  maxPacketSize?: number;
  /** Kernel receive buffer asked for, bytes. Default 4 MiB. */
  receiveBufferBytes?: number;
  /** Where RTCP goes before the sender's RTCP address is learnt (RTSP: server_port). */
  remoteRtcp?: UdpEndpoint | null;
  /** Text for logs and snapshots. Default "udp://bind:port". */
  description?: string;
  clock?: Clock;
}

/** Maps IPv4-mapped IPv6 addresses to plain IPv4 so allow-lists compare as written. */
export function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

function bindSocket(port: number, address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4', reuseAddr: false });
    const onError = (err: Error) => {
      s.close();
      reject(new TransportError('TRANSPORT_BIND', `cannot bind UDP ${address}:${port}: ${socketMessage(err)}`));
    };
    s.once('error', onError);
    s.bind(port, address, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

export { bindSocket as bindUdpSocket };

export class UdpRtpTransport implements RtpTransport {
  readonly kind = 'udp' as const;
  readonly description: string;
  readonly counters: TransportCounters = newCounters();
  private readonly rtpSock: Socket;
  private readonly rtcpSock: Socket | null;
  private readonly allowed: Set<string> | null;
  private readonly latch: boolean;
  private readonly maxPacket: number;
  private readonly clock: Clock;
  private source: UdpEndpoint | null = null;
  private rtcpDest: UdpEndpoint | null;
  private learntRtcp = false;
  private closed = false;

  private constructor(socks: { rtp: Socket; rtcp: Socket | null }, opts: UdpRtpTransportOptions, private readonly handlers: TransportHandlers) {
    this.rtpSock = socks.rtp;
    this.rtcpSock = socks.rtcp;
    this.allowed = opts.allowedSources ? new Set(opts.allowedSources.map(normalizeAddress)) : null;
    this.latch = opts.latchSource ?? true;
    this.maxPacket = opts.maxPacketSize ?? 1500;
    this.clock = opts.clock ?? systemClock;
    this.rtcpDest = opts.remoteRtcp ?? null;
    const a = this.rtpSock.address();
    this.description = opts.description ?? `udp://${a.address}:${a.port}`;
    const buf = opts.receiveBufferBytes ?? 4 << 20;
    for (const s of [this.rtpSock, this.rtcpSock]) {
      if (!s) continue;
      try {
        s.setRecvBufferSize(buf);
      } catch {
        // The kernel may cap the size (net.core.rmem_max); the default buffer still works.
      }
      s.on('error', (err) => this.fail(new TransportError('TRANSPORT_CONNECT', `UDP socket error: ${socketMessage(err)}`)));
    }
    this.rtpSock.on('message', (m, r) => this.onDatagram(m, r, this.rtcpSock === null));
    this.rtcpSock?.on('message', (m, r) => this.onDatagram(m, r, true));
  }

  /** Binds the sockets and starts delivering to `handlers` (after calling `ready`). */
  static async open(opts: UdpRtpTransportOptions, handlers: TransportHandlers): Promise<UdpRtpTransport> {
    const maxPacket = checkRange('maxPacketSize', opts.maxPacketSize ?? 1500, 64, 65535, true);
    const bindAddress = opts.bindAddress ?? '0.0.0.0';
    if (isIP(bindAddress) === 0) throw new MediaError('MEDIA_OPTIONS', `bindAddress must be an IP address, got ${JSON.stringify(bindAddress)}`);
    for (const a of opts.allowedSources ?? []) {
      if (isIP(a) === 0) throw new MediaError('MEDIA_OPTIONS', `allowedSources entries must be IP addresses, got ${JSON.stringify(a)}`);
    }
    let socks = opts.sockets;
    if (!socks) {
      const port = checkRange('port', opts.port ?? 0, 0, 65535, true);
      const rtp = await bindSocket(port, bindAddress);
      let rtcp: Socket | null = null;
      if (!opts.rtcpMux) {
        try {
          rtcp = await bindSocket(rtp.address().port + 1, bindAddress);
        } catch (err) {
          rtp.close();
          throw err;
        }
      }
      socks = { rtp, rtcp };
    }
    const t = new UdpRtpTransport(socks, { ...opts, maxPacketSize: maxPacket }, handlers);
    handlers.ready({ track: null, carrier: 'udp' });
    return t;
  }

  /** Local RTP and RTCP ports (the same with RTCP-mux). */
  get localPorts(): [number, number] {
    const p = this.rtpSock.address().port;
    return [p, this.rtcpSock ? this.rtcpSock.address().port : p];
  }

  /** The sender in use (first accepted RTP datagram), null before. */
  get sender(): UdpEndpoint | null {
    return this.source;
  }

  /** Where RTCP goes until the sender's own RTCP address is seen (RTSP: the server_port pair). */
  setRemoteRtcp(dest: UdpEndpoint): void {
    if (!this.learntRtcp) this.rtcpDest = dest;
  }

  sendRtcp(data: Uint8Array): boolean {
    const dest = this.rtcpDest ?? (this.source ? { address: this.source.address, port: this.rtcpSock ? this.source.port + 1 : this.source.port } : null);
    if (this.closed || !dest || dest.port > 65535) return false;
    const sock = this.rtcpSock ?? this.rtpSock;
    sock.send(data, dest.port, dest.address, (err) => {
      if (err) this.counters.sendErrors++;
    });
    this.counters.rtcpSent++;
    return true;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const done = [this.rtpSock, this.rtcpSock].filter((s): s is Socket => s !== null)
      .map((s) => new Promise<void>((r) => {
        try {
          s.close(() => r());
        } catch {
          r(); // already closed by the OS side
        }
      }));
    return Promise.all(done).then(() => undefined);
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo, rtcpSocket: boolean): void {
    if (this.closed) return;
    if (msg.length > this.maxPacket) {
      this.counters.oversize++;
      return;
    }
    const address = normalizeAddress(rinfo.address);
    if (this.allowed && !this.allowed.has(address)) {
      this.counters.notAllowed++;
      return;
    }
    const now = this.clock.now();
    // RFC 5761 §4: on a multiplexed socket, payload types 64–95 (second byte 192–223) are RTCP.
    const isRtcp = rtcpSocket && (this.rtcpSock !== null || isRtcpPacket(msg));
    if (isRtcp) {
      // RTCP may come from another port of the same host (the sender's RTCP socket).
      if (this.latch && this.source && this.source.address !== address) {
        this.counters.unknownSource++;
        return;
      }
      // Symmetric RTCP: answer where the sender's RTCP comes from.
      this.rtcpDest = { address, port: rinfo.port };
      this.learntRtcp = true;
      this.counters.rtcpPackets++;
      this.counters.bytes += msg.length;
      this.handlers.rtcp(msg, now);
      return;
    }
    if (this.latch) {
      if (!this.source) this.source = { address, port: rinfo.port };
      else if (this.source.address !== address || this.source.port !== rinfo.port) {
        this.counters.unknownSource++;
        return;
      }
    } else if (!this.source || this.source.address !== address || this.source.port !== rinfo.port) {
      this.source = { address, port: rinfo.port };
    }
    this.counters.rtpPackets++;
    this.counters.bytes += msg.length;
    this.handlers.rtp(msg, now);
  }

  private fail(err: TransportError): void {
    if (this.closed) return;
    void this.close();
    this.handlers.closed(err);
  }
}
