/**
 * Client UDP port pairs for RTSP sessions: an even RTP port and the next odd one for RTCP
 * (RFC 3550 §11), inside `rtp_port_range` (config `media_server.network.rtp_port_range`).
 * Ports taken by anyone else are skipped by trying to bind them; a pair is free again when its
 * sockets close.
 */
import type { Socket } from 'node:dgram';
import { checkRange, MediaError } from '../errors.ts';
import { TransportError } from './errors.ts';
import { bindUdpSocket } from './udp.ts';

export interface PortAllocatorOptions {
  /** Inclusive [first, last] port range; null lets the OS choose (any even/odd pair). Default null. */
  range?: readonly [number, number] | null;
  /** Local address the sockets bind. Default '0.0.0.0'. */
  bindAddress?: string;
}

export interface BoundPair {
  rtp: Socket;
  rtcp: Socket;
  ports: [number, number];
}

export class PortAllocator {
  readonly range: readonly [number, number] | null;
  readonly bindAddress: string;
  private readonly inUse = new Set<number>();
  private readonly reserved = new Map<number, number>();
  private cursor: number;

  constructor(opts: PortAllocatorOptions = {}) {
    this.range = opts.range ?? null;
    this.bindAddress = opts.bindAddress ?? '0.0.0.0';
    if (this.range) {
      const [lo, hi] = this.range;
      checkRange('range[0]', lo, 1, 65535, true);
      checkRange('range[1]', hi, 1, 65535, true);
      if (hi - lo < 1) throw new MediaError('MEDIA_OPTIONS', `rtp_port_range [${lo}, ${hi}] holds no RTP/RTCP pair`);
    }
    this.cursor = this.range ? this.range[0] + (this.range[0] & 1) : 0;
  }

  /**
   * Keeps `port` (a camera's configured RTP/RTCP port) out of the pairs handed out, whether or
   * not its stream is running; counted per caller.
   */
  reserve(port: number): void {
    this.reserved.set(port, (this.reserved.get(port) ?? 0) + 1);
  }

  unreserve(port: number): void {
    const n = (this.reserved.get(port) ?? 0) - 1;
    if (n > 0) this.reserved.set(port, n);
    else this.reserved.delete(port);
  }

  /** Ports currently reserved (each once, ascending). */
  reservedPorts(): number[] {
    return [...this.reserved.keys()].sort((a, b) => a - b);
  }

  /** Replaces every reservation with `ports` (each counted once): a copy of another allocator's. */
  setReserved(ports: readonly number[]): void {
    this.reserved.clear();
    for (const p of ports) this.reserve(p);
  }

  /** Pairs currently handed out. */
  get allocated(): number {
    return this.inUse.size;
  }

  /** Binds a free even/odd pair; throws TRANSPORT_PORTS when the range is exhausted. */
  async bindPair(): Promise<BoundPair> {
    if (!this.range) return this.bindEphemeral();
    const [lo, hi] = this.range;
    const first = lo + (lo & 1);
    const count = Math.floor((hi - first + 1) / 2);
    for (let i = 0; i < count; i++) {
      const p = this.cursor;
      this.cursor = p + 2 > hi - 1 ? first : p + 2;
      if (this.inUse.has(p) || this.reserved.has(p) || this.reserved.has(p + 1)) continue;
      const pair = await this.tryPair(p);
      if (pair) return pair;
    }
    throw new TransportError('TRANSPORT_PORTS', `no free RTP/RTCP port pair in [${lo}, ${hi}]`);
  }

  private async tryPair(p: number): Promise<BoundPair | null> {
    let rtp: Socket;
    try {
      rtp = await bindUdpSocket(p, this.bindAddress);
    } catch {
      return null; // taken by someone else
    }
    let rtcp: Socket;
    try {
      rtcp = await bindUdpSocket(p + 1, this.bindAddress);
    } catch {
      rtp.close();
      return null;
    }
    this.inUse.add(p);
    let open = 2;
    const release = () => {
      if (--open === 0) this.inUse.delete(p);
    };
    rtp.once('close', release);
    rtcp.once('close', release);
    return { rtp, rtcp, ports: [p, p + 1] };
  }

  private async bindEphemeral(): Promise<BoundPair> {
    for (let attempt = 0; attempt < 32; attempt++) {
      const rtp = await bindUdpSocket(0, this.bindAddress);
      const p = rtp.address().port;
      if (p % 2 === 1 || p >= 65535) {
        rtp.close();
        continue;
      }
      try {
        const rtcp = await bindUdpSocket(p + 1, this.bindAddress);
        return { rtp, rtcp, ports: [p, p + 1] };
      } catch {
        rtp.close();
      }
    }
    throw new TransportError('TRANSPORT_PORTS', 'no free even/odd UDP port pair from the OS');
  }
}
