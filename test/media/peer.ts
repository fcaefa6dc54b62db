/**
 * Test adapters for real peers: a UDP capture on 127.0.0.1 (RTP and RTCP sockets) and a
 * child-process runner. Arrival times are recorded so the pure cores can be fed afterwards
 * exactly as a live transport would have fed them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../src/media/transport/index.ts';

export interface Datagram {
  data: Uint8Array;
  arrivalMs: number;
}

export interface UdpCapture {
  rtpPort: number;
  rtcpPort: number;
  rtp: Datagram[];
  rtcp: Datagram[];
  close(): Promise<void>;
}

function bind(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      s.setRecvBufferSize(8 << 20);
      resolve(s);
    });
  });
}

/** Binds two ephemeral UDP sockets on loopback and records every datagram with its arrival time. */
export async function captureUdp(): Promise<UdpCapture> {
  const a = await bind();
  const b = await bind();
  const cap: UdpCapture = {
    rtpPort: a.address().port,
    rtcpPort: b.address().port,
    rtp: [],
    rtcp: [],
    close: () => Promise.all([a, b].map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
  a.on('message', (m) => cap.rtp.push({ data: new Uint8Array(m), arrivalMs: performance.now() }));
  b.on('message', (m) => cap.rtcp.push({ data: new Uint8Array(m), arrivalMs: performance.now() }));
  return cap;
}

/** Runs a command to completion; rejects with its stderr on a non-zero exit. */
export function run(cmd: string, args: string[], timeoutMs = 30000): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** ffprobe: decoded frame count, width and height of a file (an independent decoder). */
export async function probe(path: string, format?: string): Promise<{ frames: number; width: number; height: number }> {
  const args = ['-v', 'error', ...(format ? ['-f', format] : []), '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', path];
  const j = JSON.parse(await run('ffprobe', args)) as { streams: { nb_read_frames: string; width: number; height: number }[] };
  const s = j.streams[0]!;
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height };
}

/** Decodes a file with FFmpeg and returns the per-frame MD5 lines of the raw pictures. */
export async function frameMd5(path: string, format?: string): Promise<string[]> {
  const out = await run('ffmpeg', ['-v', 'error', ...(format ? ['-f', format] : []), '-i', path, '-f', 'framemd5', '-']);
  return out.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(',').pop()!.trim());
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Decodes a file fully with FFmpeg; returns what the decoder complained about (empty when clean). */
export async function decodeErrors(path: string, format?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-v', 'error', ...(format ? ['-f', format] : []), '-i', path, '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', () => resolve(err.trim()));
  });
}

/**
 * An even UDP port whose odd neighbour was free too (RTP + RTCP) on 127.0.0.1 a moment ago
 * (bound and released: the OS chose it). Ports in `taken` are skipped and the result is added.
 */
export async function freeUdpPair(taken: Set<number> = new Set()): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const a = createSocket('udp4');
    await new Promise<void>((r) => a.bind(0, '127.0.0.1', () => r()));
    const p = a.address().port;
    const b = createSocket('udp4');
    const ok = p % 2 === 0 && p < 65000 && !taken.has(p) && await new Promise<boolean>((r) => {
      b.once('error', () => r(false));
      b.bind(p + 1, '127.0.0.1', () => r(true));
    });
    a.close();
    b.close();
    if (ok) {
      taken.add(p);
      return p;
    }
  }
  throw new Error('no free UDP pair');
}

/** A hand-driven clock for the media layer's timers (src/media/transport Clock). */
export class ManualClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.next++;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  /** Runs due timers in time order up to `to`; the clock reads each timer's time while it runs. */
  advance(to: number): void {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const first = this.timers[0];
      if (!first || first.at > to) break;
      this.timers.shift();
      this.t = first.at;
      first.fn();
    }
    this.t = Math.max(this.t, to);
  }
}
