/**
 * Media ingest cost (decode excluded): RTP parse + statistics + jitter buffer + H.264
 * depacketization + key-frame gate for a 1080p30 4 Mb/s H.264 stream, as a share of one core.
 * FFmpeg encodes 10 s of test pattern and sends it once over loopback RTP; the captured
 * datagrams are then replayed through the receiver core with their nominal arrival times
 * (one poll per packet, the worst case for a live adapter). The UDP socket receive itself
 * (kernel + libuv, one `message` event per datagram) is measured separately.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRtp, RtpReceiverCore } from '../src/media/index.ts';

const SECONDS = 10;

async function capture(): Promise<Uint8Array[]> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.setRecvBufferSize(16 << 20);
  const packets: Uint8Array[] = [];
  sock.on('message', (m) => packets.push(new Uint8Array(m)));
  const port = sock.address().port;
  await new Promise<void>((resolve, reject) => {
    const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30`, '-t', String(SECONDS),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '4M', '-maxrate', '4M', '-bufsize', '4M', '-g', '60', '-pix_fmt', 'yuv420p',
      '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`ffmpeg exited ${c}`))));
  });
  await new Promise((r) => setTimeout(r, 200));
  sock.close();
  return packets;
}

export async function benchMedia(): Promise<Record<string, number>> {
  const packets = await capture();
  const first = parseRtp(packets[0]!);
  if (!first.ok) throw new Error('bench: first packet unparsable');
  const ts0 = first.value.timestamp;
  // Nominal arrival: the packet's RTP time, plus 10 µs per packet inside the frame.
  const arrival = new Float64Array(packets.length);
  let prevTs = -1, k = 0;
  packets.forEach((p, i) => {
    const ts = ((p[4]! << 24) | (p[5]! << 16) | (p[6]! << 8) | p[7]!) >>> 0;
    k = ts === prevTs ? k + 1 : 0;
    prevTs = ts;
    arrival[i] = ((ts - ts0) >>> 0) / 90 + k * 0.01;
  });
  const bytes = packets.reduce((s, p) => s + p.length, 0);
  const passes = 5;
  let frames = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let pass = 0; pass < passes; pass++) {
    const rx = new RtpReceiverCore({ codec: 'h264', payloadType: 96, jitterBufferMs: 100 });
    for (let i = 0; i < packets.length; i++) {
      rx.pushRtp(packets[i]!, arrival[i]!);
      frames += rx.poll(arrival[i]!).frames.length;
    }
    frames += rx.poll(arrival[packets.length - 1]! + 1000).frames.length;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6 / passes;
  const udp = await benchUdpReceive(packets);
  return {
    'media: packets per second of stream': packets.length / SECONDS,
    'media: stream bitrate (Mb/s, RTP bytes)': (bytes * 8) / SECONDS / 1e6,
    'media: frames delivered per pass': frames / passes,
    'media: core time per packet (µs)': (cpuS / packets.length) * 1e6,
    'media: core % of one CPU per 1080p30 stream': (cpuS / SECONDS) * 100,
    'media: core wall % per stream': (wall / passes / SECONDS) * 100,
    'media: UDP socket receive % of one CPU per stream': udp.percent,
    'media: UDP datagrams received of those sent (%)': udp.receivedPct,
  };
}

/**
 * Loopback UDP receive cost: a child Node process sends the captured datagrams (paced in
 * bursts of 8 per millisecond so the receive buffer does not overflow); the CPU this process spends receiving them
 * (one `message` event each, nothing else) is scaled to the stream's duration.
 */
async function benchUdpReceive(packets: Uint8Array[]): Promise<{ percent: number; receivedPct: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'dvs-bench-media-'));
  const file = join(dir, 'packets.bin');
  const parts: Uint8Array[] = [];
  for (const p of packets) parts.push(Uint8Array.of(p.length >> 8, p.length & 0xff), p);
  writeFileSync(file, Buffer.concat(parts));
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.setRecvBufferSize(16 << 20);
  const port = sock.address().port;
  let got = 0;
  let cpuFirst: NodeJS.CpuUsage | null = null;
  let cpuLast: NodeJS.CpuUsage | null = null;
  // CPU between the first and the last datagram: excludes spawning the sender.
  sock.on('message', () => {
    got++;
    // process.cpuUsage() is a getrusage syscall: call it only at the first and last datagram.
    if (got === 1) cpuFirst = process.cpuUsage();
    else if (got === packets.length) cpuLast = process.cpuUsage();
  });
  const script = `
    import { readFileSync } from 'node:fs'; import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
    const b = readFileSync(${JSON.stringify(file)}); const s = createSocket('udp4'); const list = [];
    for (let o = 0; o < b.length;) { const n = (b[o] << 8) | b[o + 1]; list.push(b.subarray(o + 2, o + 2 + n)); o += 2 + n; }
    for (let i = 0; i < list.length; i += 8) {
      await Promise.all(list.slice(i, i + 8).map((p) => new Promise((r) => s.send(p, ${port}, '127.0.0.1', r))));
      await new Promise((r) => setTimeout(r, 1));
    }
    s.close();`;
  await new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    c.on('error', reject);
    c.on('close', () => resolve());
  });
  await new Promise((r) => setTimeout(r, 200));
  if (cpuLast === null && got > 1) cpuLast = process.cpuUsage(); // some were lost: includes ≤ 200 ms idle
  sock.close();
  rmSync(dir, { recursive: true, force: true });
  const a = cpuFirst as NodeJS.CpuUsage | null;
  const b = cpuLast as NodeJS.CpuUsage | null;
  if (!a || !b || got < 2) return { percent: NaN, receivedPct: (got / packets.length) * 100 };
  const perPacketS = (b.user + b.system - a.user - a.system) / 1e6 / (got - 1);
  return { percent: ((perPacketS * packets.length) / SECONDS) * 100, receivedPct: (got / packets.length) * 100 };
}
