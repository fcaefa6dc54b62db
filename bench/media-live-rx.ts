/**
 * Receive side of `bench/media-live.ts`, run as its own process so that its CPU time is the
 * receiver's alone (the sender and the harness live in other processes). Prints
 * `{"ready":true}`, then answers stdin commands:
 *   open       → opens `--streams` LiveStreams on UDP pairs and prints {"ports":[...]};
 *                `--mode bare`: plain dgram sockets that only count datagrams (the floor Node
 *                itself costs); `--mode core`: dgram sockets feeding an RtpReceiverCore polled
 *                on arrivals only (no timers, no metrics, no RTCP); `--mode lanes`: the streams
 *                on `--lanes` ingest-lane worker threads (src/server/lane-pool.ts), as the
 *                media server runs them, frames transferred back to this thread
 *   mark NAME  → prints {"mark":NAME,"t":ms,"cpuUs":user+system µs,"sysUs",...,"wakes":{...}}
 *   exit       → closes the streams and prints their metrics, then exits.
 * Optional `--cpu-prof` is passed by the parent as a Node flag, not here.
 */
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { RtpReceiverCore } from '../src/media/receiver.ts';
import type { LiveStreamHandle } from '../src/media/manager/manager.ts';
import { LiveStream } from '../src/media/stream/index.ts';
import { LanePool } from '../src/server/lane-pool.ts';
import { freeUdpPair } from '../test/media/peer.ts';

const { values } = parseArgs({ options: { streams: { type: 'string', default: '1' }, mode: { type: 'string', default: 'live' }, lanes: { type: 'string', default: '2' } } });
const n = Number(values.streams);
const bare = values.mode === 'bare' || values.mode === 'core';

let frames = 0;
let datagrams = 0;
const streams: LiveStreamHandle[] = [];
const pool = values.mode === 'lanes' ? new LanePool({ lanes: Number(values.lanes) }) : null;
const closers: (() => Promise<void>)[] = [];
const ports: number[] = [];
const taken = new Set<number>();
async function open(): Promise<void> {
  for (let i = 0; i < n; i++) {
    const port = await freeUdpPair(taken);
    ports.push(port);
    if (bare) {
      const s = createSocket('udp4');
      await new Promise<void>((r) => s.bind(port, '127.0.0.1', () => r()));
      s.setRecvBufferSize(4 << 20);
      if (values.mode === 'core') {
        const core = new RtpReceiverCore({ codec: 'h264', jitterBufferMs: 100 });
        s.on('message', (m) => {
          datagrams++;
          const now = performance.now();
          core.pushRtp(m, now);
          const d = core.nextDeadline();
          if (d !== null && d <= now) frames += core.poll(now).frames.length;
        });
      } else s.on('message', () => datagrams++);
      closers.push(() => new Promise<void>((r) => s.close(() => r())));
    } else {
      const o = { id: `bench-${i}`, source: { kind: 'udp', port, bindAddress: '127.0.0.1' }, codec: 'h264', maxPacketSize: 1500, onFrame: () => frames++ } as const;
      const s = pool ? pool.create(i % pool.lanes, o) : new LiveStream(o);
      await s.connect();
      streams.push(s);
      closers.push(() => s.close());
    }
  }
}

/** Voluntary context switches (sleeps that ended in a wake-up) of the main thread and of the others (Linux). */
function switches(): { main: number; others: number } {
  const r = { main: 0, others: 0 };
  try {
    for (const t of readdirSync('/proc/self/task')) {
      const m = /voluntary_ctxt_switches:\s*(\d+)/.exec(readFileSync(`/proc/self/task/${t}/status`, 'utf8'));
      if (!m) continue;
      if (Number(t) === process.pid) r.main += Number(m[1]);
      else r.others += Number(m[1]);
    }
  } catch {
    // not Linux: no figures
  }
  return r;
}
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
out({ ready: true });

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'open') {
    await open();
    out({ ports });
  } else if (cmd === 'mark') {
    const c = process.cpuUsage();
    const packets = bare ? datagrams : streams.reduce((s, x) => s + x.metrics().transport.rtpPackets, 0);
    out({ mark: arg, t: performance.now(), cpuUs: c.user + c.system, sysUs: c.system, frames, packets, wakes: switches() });
  } else if (cmd === 'exit') {
    const m = streams.map((s) => s.metrics());
    await Promise.all(closers.map((c) => c()));
    await pool?.close();
    out({ metrics: m.map((x) => ({ frames: x.frames_delivered, dropped: x.frames_dropped, lost: x.packets_lost, received: x.packets_received, rr: x.transport.rtcpSent, state: x.state })) });
    break;
  }
}
process.exit(0);
