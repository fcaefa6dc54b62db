/**
 * Live ingest cost per stream, socket to whole frame (decode excluded): LiveStreams on UDP pairs
 * (dgram receive, allow-list/latch checks, RtpReceiverCore, its timers, RTCP receiver reports
 * every second, metrics samples every 250 ms) receiving 1080p30 4 Mb/s H.264 in real time.
 *
 * Three processes, so that only the receiver's CPU is counted:
 * - this one: FFmpeg encodes 10 s once (libx264, 4 Mb/s, GOP 60, 1200-byte packets); the
 *   datagrams are captured to a file;
 * - the receiver (`bench/media-live-rx.ts`): the streams, reporting `process.cpuUsage()` (all
 *   of its threads: main, GC helpers, libuv) on command;
 * - the sender: a small Node program replaying the captured datagrams to each stream's port,
 *   one burst per frame at its RTP time as an encoder sends, looping with sequence numbers and
 *   timestamps continued (so the stream never restarts), streams spread evenly over a frame
 *   period as unsynchronised cameras would be.
 * The figure is the receiver's CPU over a steady window (after `warmup` seconds of the stream,
 * so JIT compilation is excluded) minus its CPU over an idle window taken before the streams are
 * opened (the runtime alone: Node, the tsx loader thread), divided by the number of streams.
 * Wake-ups (voluntary context switches from /proc) are printed too: on a VM each one costs
 * 100–200 µs of CPU, far more than the packet work, and they are what the figure mostly counts.
 * By default one stream and then 16 (the concurrent load) are measured.
 *
 * Direct use: `node --import tsx bench/media-live.ts [--streams N[,N…]] [--seconds S] [--warmup S]
 * [--mode live|bare|core|lanes] [--lanes N] [--cpu-prof DIR]` (`bare`: plain dgram sockets that
 * only count, Node's floor; `core`: dgram + RtpReceiverCore polled on arrivals, no timers;
 * `lanes`: the streams on N ingest-lane worker threads as the media server runs them, the CPU
 * of every thread of the process counted). DVS_BENCH_RX_FLAGS adds
 * Node flags to the receiver (e.g. --trace-gc).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const CAPTURE_SECONDS = 10;

async function capture(): Promise<Uint8Array[]> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.setRecvBufferSize(16 << 20);
  const packets: Uint8Array[] = [];
  sock.on('message', (m) => packets.push(new Uint8Array(m)));
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-t', String(CAPTURE_SECONDS),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '4M', '-maxrate', '4M', '-bufsize', '4M', '-g', '60', '-pix_fmt', 'yuv420p',
      '-f', 'rtp', `rtp://127.0.0.1:${sock.address().port}?pkt_size=1200`], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`ffmpeg exited ${c}`))));
  });
  await new Promise((r) => setTimeout(r, 200));
  sock.close();
  return packets;
}

// Sender: per stream its own socket and its own copy of the packets (rewritten in place per loop).
const SENDER = `
  import { readFileSync } from 'node:fs'; import { createSocket } from 'node:dgram';
  const [file, portsArg, loopsArg] = process.argv.slice(1); const ports = JSON.parse(portsArg); const loops = Number(loopsArg);
  const b = readFileSync(file); const list = [];
  for (let o = 0; o < b.length;) { const n = (b[o] << 8) | b[o + 1]; list.push(b.subarray(o + 2, o + 2 + n)); o += 2 + n; }
  const ts = (p) => p.readUInt32BE(4); const ts0 = ts(list[0]);
  const span = ((ts(list[list.length - 1]) - ts0) >>> 0) + 3000; // one loop in 90 kHz ticks
  const frames = []; // [due offset ms, first index, end index]
  for (let i = 0; i < list.length;) { const t = ts(list[i]); const j0 = i; while (i < list.length && ts(list[i]) === t) i++; frames.push([((t - ts0) >>> 0) / 90, j0, i]); }
  const streams = ports.map((port, k) => ({ port, sock: createSocket('udp4'), pk: list.map((p) => Buffer.from(p)), offset: (k * 1000) / 30 / ports.length }));
  const send = (s, p) => new Promise((r) => s.sock.send(p, s.port, '127.0.0.1', r));
  const t0 = performance.now() + 50;
  const events = [];
  for (let loop = 0; loop < loops; loop++) for (const s of streams) for (const f of frames) events.push([loop * span / 90 + f[0] + s.offset, s, f, loop]);
  events.sort((a, b) => a[0] - b[0]);
  for (const [due, s, f, loop] of events) {
    const wait = t0 + due - performance.now(); if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const burst = [];
    for (let i = f[1]; i < f[2]; i++) {
      const p = s.pk[i], src = list[i];
      const seq = (((src[2] << 8) | src[3]) + loop * list.length) & 0xffff; p[2] = seq >> 8; p[3] = seq & 0xff;
      p.writeUInt32BE(((ts(src) + loop * span) >>> 0), 4);
      burst.push(send(s, p));
    }
    await Promise.all(burst);
  }
  for (const s of streams) s.sock.close();`;

export interface MediaLiveOptions {
  /** Streams received at once by the receiver process; several counts run one after the other. Default [1, 16]. */
  streams?: number | number[];
  /** Measured steady window, s. Default 20. */
  seconds?: number;
  /** Stream time before the window (JIT warm-up), s. Default 5. */
  warmup?: number;
  /** Idle window before the sender starts, s. Default 3. */
  idle?: number;
  mode?: 'live' | 'bare' | 'core' | 'lanes';
  /** Mode 'lanes': ingest-lane worker threads. Default 2. */
  lanes?: number;
  /** Write a V8 CPU profile of the receiver into this folder. */
  cpuProf?: string;
}

export async function benchMediaLive(o: MediaLiveOptions = {}): Promise<Record<string, number>> {
  const counts = typeof o.streams === 'number' ? [o.streams] : o.streams ?? [1, 16];
  const packets = await capture();
  const dir = mkdtempSync(join(tmpdir(), 'dvs-bench-live-'));
  const file = join(dir, 'packets.bin');
  writeFileSync(file, Buffer.concat(packets.flatMap((p) => [Uint8Array.of(p.length >> 8, p.length & 0xff), p])));
  const out: Record<string, number> = {};
  try {
    for (const n of counts) {
      const r = await runReceiver(file, n, o);
      for (const [k, v] of Object.entries(r)) out[k.replace('media live:', o.mode === 'lanes' ? `media lanes ×${n} on ${o.lanes ?? 2} threads:` : `media live ×${n}:`)] = v;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function runReceiver(file: string, n: number, o: MediaLiveOptions): Promise<Record<string, number>> {
  const seconds = o.seconds ?? 20;
  const warmup = o.warmup ?? 5;
  const idleS = o.idle ?? 3;
  const mode = o.mode ?? 'live';
  const flags = ['--import', 'tsx', ...(process.env.DVS_BENCH_RX_FLAGS?.split(' ').filter(Boolean) ?? []), ...(o.cpuProf ? ['--cpu-prof', '--cpu-prof-interval', '250', '--cpu-prof-dir', o.cpuProf] : [])];
  const rx = spawn(process.execPath, [...flags, new URL('./media-live-rx.ts', import.meta.url).pathname, '--streams', String(n), '--mode', mode, '--lanes', String(o.lanes ?? 2)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: rx.stdout! })[Symbol.asyncIterator]();
  const read = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const r = await lines.next();
      if (r.done) throw new Error('bench: receiver ended early');
      if (r.value.startsWith('{')) return JSON.parse(r.value) as Record<string, unknown>;
      process.stderr.write(`receiver: ${r.value}\n`); // e.g. --trace-gc from DVS_BENCH_RX_FLAGS
    }
  };
  type Mark = { t: number; cpuUs: number; sysUs: number; frames: number; packets: number; wakes: { main: number; others: number } };
  const mark = async (name: string): Promise<Mark> => {
    rx.stdin!.write(`mark ${name}\n`);
    return (await read()) as unknown as Mark;
  };
  const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
  try {
    await read(); // ready: the runtime alone, no stream open yet
    await sleep(1);
    const i0 = await mark('idle0');
    await sleep(idleS);
    const i1 = await mark('idle1');
    rx.stdin!.write('open\n');
    const { ports } = (await read()) as { ports: number[] };
    const loops = Math.ceil((warmup + seconds + 1) / CAPTURE_SECONDS);
    const sender = spawn(process.execPath, ['--input-type=module', '-e', SENDER, file, JSON.stringify(ports), String(loops)], { stdio: 'inherit' });
    const senderDone = new Promise<void>((r) => sender.on('close', () => r()));
    await sleep(warmup);
    const b0 = await mark('busy0');
    await sleep(seconds);
    const b1 = await mark('busy1');
    await senderDone;
    await sleep(0.5);
    rx.stdin!.write('exit\n');
    const { metrics } = (await read()) as { metrics: { frames: number; dropped: number; lost: number; received: number; rr: number; state: string }[] };
    await new Promise<void>((r) => (rx.exitCode !== null ? r() : rx.on('close', () => r())));
    const pct = (a: Mark, b: Mark) => ((b.cpuUs - a.cpuUs) / 1000 / (b.t - a.t)) * 100;
    const busy = pct(b0, b1);
    const idle = pct(i0, i1);
    const pps = (b1.packets - b0.packets) / ((b1.t - b0.t) / 1000) / n;
    const sum = (k: 'frames' | 'dropped' | 'lost' | 'received' | 'rr') => metrics.reduce((s, m) => s + m[k], 0);
    const r: Record<string, number> = {
      'media live: streams received at once': n,
      'media live: packets per second per stream (window)': pps,
      'media live: receiver % of one CPU while receiving (window)': busy,
      'media live: of which kernel (system time) % while receiving': ((b1.sysUs - b0.sysUs) / 1000 / (b1.t - b0.t)) * 100,
      'media live: receiver % of one CPU while idle (before)': idle,
      'media live: receiver main-thread wake-ups per second (window)': (b1.wakes.main - b0.wakes.main) / ((b1.t - b0.t) / 1000),
      'media live: receiver other-thread wake-ups per second (window)': (b1.wakes.others - b0.wakes.others) / ((b1.t - b0.t) / 1000),
      'media live: receiver main-thread wake-ups per second (idle)': (i1.wakes.main - i0.wakes.main) / ((i1.t - i0.t) / 1000),
      'media live: receiver CPU µs per packet (net of idle)': ((busy - idle) / 100 / (pps * n)) * 1e6,
      'media live: receiver % of one CPU per 1080p30 4 Mb/s stream': (busy - idle) / n,
    };
    if (mode === 'live' || mode === 'lanes') {
      Object.assign(r, {
        'media live: frames delivered (all streams)': sum('frames'),
        'media live: frames dropped (all streams)': sum('dropped'),
        'media live: packets received (all streams)': sum('received'),
        'media live: packets lost (all streams)': sum('lost'),
        'media live: receiver reports sent (all streams)': sum('rr'),
      });
    }
    return r;
  } finally {
    if (rx.exitCode === null) rx.kill();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { streams: { type: 'string' }, seconds: { type: 'string' }, warmup: { type: 'string' }, mode: { type: 'string' }, lanes: { type: 'string' }, 'cpu-prof': { type: 'string' } } });
  const opts: MediaLiveOptions = {};
  if (values.streams) opts.streams = values.streams.split(',').map(Number);
  if (values.seconds) opts.seconds = Number(values.seconds);
  if (values.warmup) opts.warmup = Number(values.warmup);
  if (values.mode === 'bare' || values.mode === 'live' || values.mode === 'core' || values.mode === 'lanes') opts.mode = values.mode;
  if (values.lanes) opts.lanes = Number(values.lanes);
  if (values['cpu-prof']) opts.cpuProf = values['cpu-prof'];
  for (const [k, v] of Object.entries(await benchMediaLive(opts))) console.log(`  ${k.padEnd(66)} ${v.toFixed(2)}`);
}
