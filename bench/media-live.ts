/**
 * Live ingest cost per stream, socket to whole frame (decode excluded): a LiveStream on a UDP
 * pair (dgram receive, allow-list/latch checks, RtpReceiverCore, its timers, RTCP receiver
 * reports every second, metrics samples every 250 ms) receiving a 1080p30 4 Mb/s H.264 stream
 * in real time. FFmpeg encodes 10 s once; a child Node process replays the datagrams paced by
 * their RTP timestamps (one burst per frame, as an encoder sends). The CPU this process spends
 * while the stream plays, over the stream's duration, is the share of one core.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveStream } from '../src/media/stream/index.ts';
import { freeUdpPair } from '../test/media/peer.ts';

const SECONDS = 10;

async function capture(): Promise<Uint8Array[]> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.setRecvBufferSize(16 << 20);
  const packets: Uint8Array[] = [];
  sock.on('message', (m) => packets.push(new Uint8Array(m)));
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-t', String(SECONDS),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '4M', '-maxrate', '4M', '-bufsize', '4M', '-g', '60', '-pix_fmt', 'yuv420p',
      '-f', 'rtp', `rtp://127.0.0.1:${sock.address().port}?pkt_size=1200`], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`ffmpeg exited ${c}`))));
  });
  await new Promise((r) => setTimeout(r, 200));
  sock.close();
  return packets;
}

export async function benchMediaLive(): Promise<Record<string, number>> {
  const packets = await capture();
  const dir = mkdtempSync(join(tmpdir(), 'dvs-bench-live-'));
  const file = join(dir, 'packets.bin');
  writeFileSync(file, Buffer.concat(packets.flatMap((p) => [Uint8Array.of(p.length >> 8, p.length & 0xff), p])));
  const port = await freeUdpPair();
  let frames = 0;
  const s = new LiveStream({ id: 'bench', source: { kind: 'udp', port, bindAddress: '127.0.0.1' }, codec: 'h264', maxPacketSize: 1500, onFrame: () => frames++ });
  await s.connect();
  // Sender: bursts at each new RTP timestamp's nominal time (90 kHz clock).
  const script = `
    import { readFileSync } from 'node:fs'; import { createSocket } from 'node:dgram';
    const b = readFileSync(${JSON.stringify(file)}); const s = createSocket('udp4'); const list = [];
    for (let o = 0; o < b.length;) { const n = (b[o] << 8) | b[o + 1]; list.push(b.subarray(o + 2, o + 2 + n)); o += 2 + n; }
    const ts = (p) => p.readUInt32BE(4); const ts0 = ts(list[0]); const t0 = performance.now();
    for (let i = 0; i < list.length;) {
      const t = ts(list[i]); const due = t0 + ((t - ts0) >>> 0) / 90;
      const wait = due - performance.now(); if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const burst = []; while (i < list.length && ts(list[i]) === t) burst.push(list[i++]);
      await Promise.all(burst.map((p) => new Promise((r) => s.send(p, ${port}, '127.0.0.1', r))));
    }
    s.close();`;
  const measure = async (code: string): Promise<number> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const c = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
      c.on('error', reject);
      c.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 300));
    const cpu = process.cpuUsage(cpu0);
    return ((cpu.user + cpu.system) / 1e6 / ((performance.now() - t0) / 1000)) * 100;
  };
  // Baseline: the same wait with a silent sender (spawning, idle timers, the runtime itself).
  const idle = await measure(`await new Promise((r) => setTimeout(r, ${SECONDS * 1000}));`);
  const busy = await measure(script);
  const m = s.metrics();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    'media live: packets per second of stream': packets.length / SECONDS,
    'media live: frames delivered': frames,
    'media live: packets lost (receiver)': m.packets_lost,
    'media live: receiver reports sent': m.transport.rtcpSent,
    'media live: process % of one CPU while receiving': busy,
    'media live: process % of one CPU while idle (baseline)': idle,
    'media live: LiveStream % of one CPU per 1080p30 stream': busy - idle,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [k, v] of Object.entries(await benchMediaLive())) console.log(`  ${k.padEnd(56)} ${v.toFixed(2)}`);
}
