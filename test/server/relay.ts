/**
 * A small seeded UDP impairment relay for tests: listens on an RTP/RTCP port pair on 127.0.0.1
 * and forwards to the server's pair.
 * - Loss, stratified: in every block of `lossBlock` RTP packets exactly one, at a seeded position,
 *   is dropped, so the loss over any run of n packets is 1/lossBlock within ±1 packet per block
 *   boundary (5 % for 20) — a plain Bernoulli draw would wander by ±0.6 pp over 1 500 packets.
 * - Delay, per frame: every packet of one RTP timestamp is held the same d ~ U(0, maxDelayMs)
 *   (seeded). Frames are further apart than maxDelayMs, so nothing is reordered and the packets
 *   of a frame keep their spacing.
 * - Pacing (with `paceMs`): the frame of RTP time S leaves at t0 + (S − S0)/90 kHz + paceMs + d,
 *   t0 and S0 taken from the first packet: a fixed base latency that absorbs the sender's own
 *   scheduling irregularity (FFmpeg processes on a loaded machine), so the transit seen by the
 *   receiver is constant + d. A frame that arrives after its slot leaves at once (counted `late`).
 * RTCP (sender reports) is forwarded at once, unimpaired; what comes back from the server is read and dropped.
 */
import { createSocket, type Socket } from 'node:dgram';
import { freeUdpPair } from './helpers.ts';
import { Rng } from '../../src/util/rng.ts';

export function mulberry32(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

export interface RelayOptions {
  /** Server RTP port on 127.0.0.1 (RTCP on + 1). */
  target: number;
  seed: number;
  /** Drop one RTP packet per block of this many; 0 = no loss. */
  lossBlock?: number;
  /** Per-frame delay drawn from U(0, maxDelayMs); 0 = none. */
  maxDelayMs?: number;
  /** Base latency of the RTP-clock pacing; 0 = no pacing (delay counted from arrival). */
  paceMs?: number;
}

export interface RelayStats {
  rtpIn: number;
  forwarded: number;
  dropped: number;
  /** Consecutive forwarded packets with different RTP timestamps (frame boundaries). */
  boundaries: number;
  delays: number[];
  /** Packets that arrived after their paced slot. */
  late: number;
}

export class ImpairmentRelay {
  readonly stats: RelayStats = { rtpIn: 0, forwarded: 0, dropped: 0, boundaries: 0, delays: [], late: 0 };
  private t0 = 0;
  private extTs = 0;
  private frameDue = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private lastTs: number | null = null;
  private frameTs: number | null = null;
  private frameDelay = 0;
  private blockPos = 0;
  private dropAt = 0;

  private constructor(
    readonly port: number,
    private readonly o: Required<RelayOptions>,
    private readonly sockets: { inRtp: Socket; inRtcp: Socket; outRtp: Socket; outRtcp: Socket },
    private readonly random: () => number,
  ) {
    if (o.lossBlock > 0) this.dropAt = Math.floor(random() * o.lossBlock);
    sockets.inRtp.on('message', (m) => this.onRtp(m));
    sockets.inRtcp.on('message', (m) => sockets.outRtcp.send(m, o.target + 1, '127.0.0.1'));
    sockets.outRtp.on('message', () => { /* RTCP-less: nothing should come here */ });
    sockets.outRtcp.on('message', () => { /* receiver reports from the server */ });
  }

  static async open(opts: RelayOptions, taken?: Set<number>): Promise<ImpairmentRelay> {
    const o = { lossBlock: 0, maxDelayMs: 0, paceMs: 0, ...opts };
    const port = await freeUdpPair(taken);
    const bind = async (p: number): Promise<Socket> => {
      const s = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(p, '127.0.0.1', () => resolve());
      });
      return s;
    };
    const sockets = { inRtp: await bind(port), inRtcp: await bind(port + 1), outRtp: await bind(0), outRtcp: await bind(0) };
    return new ImpairmentRelay(port, o, sockets, mulberry32(o.seed));
  }

  private onRtp(m: Buffer): void {
    this.stats.rtpIn++;
    if (this.o.lossBlock > 0) {
      const drop = this.blockPos === this.dropAt;
      if (++this.blockPos === this.o.lossBlock) {
        this.blockPos = 0;
        this.dropAt = Math.floor(this.random() * this.o.lossBlock);
      }
      if (drop) {
        this.stats.dropped++;
        return;
      }
    }
    const ts = m.length >= 12 ? m.readUInt32BE(4) : 0;
    const now = performance.now();
    if (this.lastTs === null) this.t0 = now;
    else {
      if (ts !== this.lastTs) this.stats.boundaries++;
      this.extTs += ((ts - this.lastTs) << 0); // signed 32-bit step: unwraps the RTP clock
    }
    this.lastTs = ts;
    this.stats.forwarded++;
    if (this.o.maxDelayMs <= 0 && this.o.paceMs <= 0) {
      this.sockets.outRtp.send(m, this.o.target, '127.0.0.1');
      return;
    }
    if (ts !== this.frameTs) {
      this.frameTs = ts;
      this.frameDelay = this.random() * this.o.maxDelayMs;
      this.stats.delays.push(this.frameDelay);
      this.frameDue = this.o.paceMs > 0 ? this.t0 + this.extTs / 90 + this.o.paceMs + this.frameDelay : now + this.frameDelay;
    }
    const wait = this.frameDue - now;
    if (wait <= 0) {
      if (this.o.paceMs > 0) this.stats.late++;
      this.sockets.outRtp.send(m, this.o.target, '127.0.0.1');
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.sockets.outRtp.send(m, this.o.target, '127.0.0.1');
    }, wait);
    this.timers.add(t);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of Object.values(this.sockets)) s.close();
  }
}

/** Relays hosted on a worker thread: `ports[i]` is where sender i sends; `stats()` asks the thread. */
export async function startRelayWorker(relays: RelayOptions[]): Promise<{ ports: number[]; stats: () => Promise<RelayStats[]>; close: () => Promise<void> }> {
  const { Worker } = await import('node:worker_threads');
  const w = new Worker(new URL('./relay-worker-boot.js', import.meta.url), { workerData: { relays } });
  const ports = await new Promise<number[]>((resolve, reject) => {
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`relay worker exited with ${code} before it was ready`)));
    w.once('message', (m: { type: string; ports: number[] }) => resolve(m.ports));
  });
  return {
    ports,
    stats: () => new Promise<RelayStats[]>((resolve) => {
      w.once('message', (m: { stats: RelayStats[] }) => resolve(m.stats));
      w.postMessage('stats');
    }),
    close: async () => {
      w.postMessage('close');
      await new Promise<void>((r) => {
        const t = setTimeout(() => void w.terminate().then(() => r()), 1000);
        w.once('exit', () => { clearTimeout(t); r(); });
      });
    },
  };
}
