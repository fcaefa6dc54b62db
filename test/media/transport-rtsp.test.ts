/**
 * Real peer: the GStreamer RTSP server (python3-gi) with Digest authentication, driven by
 * LiveStream/RtspTransport over real sockets: UDP (client ports from a PortAllocator range),
 * TCP-interleaved, the UDP → TCP fallback (1) when UDP never arrives — a TCP proxy rewrites
 * client_port in SETUP so the server's datagrams go to a socket pair that swallows them, as a
 * NAT would — and (2) when the server offers TCP only (461), and the stream manager's
 * snapshots and errors without the password. Judges: ffprobe, the server's own answers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaFrame } from '../../src/media/index.ts';
import { StreamManager, type StreamManagerEvent } from '../../src/media/manager/index.ts';
import { LiveStream, type LiveStreamEvent, type LiveStreamOptions } from '../../src/media/stream/index.ts';
import { PortAllocator } from '../../src/media/transport/index.ts';
import { have, probe, run, sleep } from './peer.ts';

const FRAMES = 30;
const PASSWORD = 's3cret pass';
const ENC = encodeURIComponent(PASSWORD);
const servers: ChildProcess[] = [];
let port = 0; // UDP and TCP
let tcpOnlyPort = 0; // TCP-interleaved only: UDP SETUP answered 461
let dir = '';

function gstRtspAvailable(): boolean {
  return have('gst-launch-1.0') && spawnSync('/usr/bin/python3', ['-c', "import gi; gi.require_version('GstRtspServer', '1.0')"]).status === 0;
}

function startServer(script: string, src: string): Promise<number> {
  const p = spawn('/usr/bin/python3', [script, src], { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(p);
  return new Promise<number>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    p.on('exit', (c) => reject(new Error(`RTSP server exited ${c}`)));
  });
}

// Decided when the file loads (setup.sh may install the packages), so that the suite below is
// skipped as a whole, with the reason printed here and given to the runner.
if (!gstRtspAvailable()) spawnSync('bash', ['scripts/setup.sh'], { stdio: 'inherit' });
const skipReason: string | false = gstRtspAvailable() ? false : 'GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0) missing and scripts/setup.sh could not install it';
if (skipReason) console.log(`# skipping RTSP transport tests: ${skipReason}`);

before(async () => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), 'dvs-rtsp-live-'));
  const src = join(dir, 'in.mkv');
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-frames:v', String(FRAMES),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-pix_fmt', 'yuv420p', '-y', src]);
  // The same fixture, with the media factory limited to TCP lower transport.
  const fixture = readFileSync('test/fixtures/media/rtsp-server.py', 'utf8');
  const tcpOnly = join(dir, 'rtsp-server-tcp-only.py');
  assert.ok(fixture.includes('factory.set_shared(False)'));
  writeFileSync(tcpOnly, fixture.replace('factory.set_shared(False)', 'factory.set_shared(False)\nfactory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)'));
  [port, tcpOnlyPort] = await Promise.all([startServer('test/fixtures/media/rtsp-server.py', src), startServer(tcpOnly, src)]);
});

after(() => {
  for (const s of servers) s.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A port range with free ports in it (the allocator skips any that are taken meanwhile). */
async function freeRange(): Promise<[number, number]> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port & ~1;
  s.close();
  return p > 65000 ? [40000, 40040] : [p, p + 40];
}

interface Played {
  frames: MediaFrame[];
  events: LiveStreamEvent[];
  metrics: ReturnType<LiveStream['metrics']>;
}

/** Plays until FRAMES frames came (or `ms`), then disconnects (TEARDOWN). */
async function play(opts: Omit<LiveStreamOptions, 'id'>, ms = 8000): Promise<Played> {
  const frames: MediaFrame[] = [];
  const events: LiveStreamEvent[] = [];
  const s = new LiveStream({ id: 'rtsp', jitterBufferMs: 50, rtcpIntervalMs: 200, ...opts, onFrame: (f) => frames.push(f), onEvent: (e) => events.push(e) });
  await s.connect();
  const end = Date.now() + ms;
  while (frames.length < FRAMES && Date.now() < end) await sleep(20);
  await sleep(100);
  const metrics = s.metrics();
  await s.close();
  return { frames, events, metrics };
}

async function decodes(name: string, frames: MediaFrame[]): Promise<{ frames: number; width: number; height: number }> {
  const file = join(dir, `${name}.h264`);
  writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
  return probe(file, 'h264');
}

/** TCP proxy to the RTSP server that points the server's UDP at `sink` instead of the client. */
async function udpEatingProxy(sink: [number, number]): Promise<{ port: number; server: Server }> {
  const server = createServer((c) => {
    const up = connect(port, '127.0.0.1');
    c.on('data', (d: Buffer) => {
      // Only request text is rewritten; interleaved binary passes untouched.
      if (d.includes('SETUP ')) d = Buffer.from(d.toString('latin1').replace(/client_port=\d+-\d+/, `client_port=${sink[0]}-${sink[1]}`), 'latin1');
      up.write(d);
    });
    up.on('data', (d) => c.write(d));
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

async function sinkPair(): Promise<{ socks: [UdpSocket, UdpSocket]; ports: [number, number]; count: () => number }> {
  const alloc = new PortAllocator({ bindAddress: '127.0.0.1' });
  const p = await alloc.bindPair();
  let n = 0;
  p.rtp.on('message', () => n++);
  return { socks: [p.rtp, p.rtcp], ports: p.ports, count: () => n };
}

describe('RTSP transports against the GStreamer RTSP server (Digest)', { concurrency: true, skip: skipReason }, () => {
  test('UDP: client ports from the configured range, 30 frames decode, RR sent to the server, TEARDOWN', async (t) => {
    const range = await freeRange();
    const ports = new PortAllocator({ range, bindAddress: '127.0.0.1' });
    const r = await play({ source: { kind: 'rtsp', url: `rtsp://cam:${ENC}@127.0.0.1:${port}/live`, transport: 'udp' }, ports, bindAddress: '127.0.0.1' });
    assert.equal(r.frames.length, FRAMES);
    assert.deepEqual(await decodes('udp', r.frames), { frames: FRAMES, width: 320, height: 240 });
    assert.equal(r.metrics.carrier, 'rtsp-udp');
    assert.equal(r.metrics.packets_lost, 0);
    assert.ok(r.metrics.transport.rtcpSent >= 1);
    assert.equal(r.metrics.transport.notAllowed, 0);
    assert.equal(ports.allocated, 0, 'the port pair was released on close');
    assert.ok(!JSON.stringify(r).includes(PASSWORD) && !JSON.stringify(r).includes(ENC));
  });

  test('UDP with a fixed client port (rtp_config.port): bound while playing, free after TEARDOWN', async (t) => {
    const probe = await new PortAllocator({ bindAddress: '127.0.0.1' }).bindPair();
    const p = probe.ports[0];
    await Promise.all([probe.rtp, probe.rtcp].map((s) => new Promise<void>((r) => s.close(() => r()))));
    let busyWhilePlaying: string | null = null;
    const frames: MediaFrame[] = [];
    const s = new LiveStream({
      id: 'fixed', source: { kind: 'rtsp', url: `rtsp://cam:${ENC}@127.0.0.1:${port}/live`, transport: 'udp', clientPort: p }, bindAddress: '127.0.0.1',
      jitterBufferMs: 50, onFrame: (f) => frames.push(f),
    });
    await s.connect();
    const tryBind = () => new Promise<string>((r) => {
      const u = createSocket('udp4');
      u.once('error', (e: Error & { code?: string }) => r(e.code ?? 'error'));
      u.bind(p, '127.0.0.1', () => u.close(() => r('free')));
    });
    busyWhilePlaying = await tryBind();
    const end = Date.now() + 8000;
    while (frames.length < FRAMES && Date.now() < end) await sleep(20);
    await s.close();
    assert.equal(busyWhilePlaying, 'EADDRINUSE');
    assert.equal(frames.length, FRAMES);
    assert.equal(await tryBind(), 'free');
  });

  test('TCP-interleaved: 30 frames decode', async (t) => {
    const r = await play({ source: { kind: 'rtsp', url: `rtsp://cam:${ENC}@127.0.0.1:${port}/live`, transport: 'tcp' } });
    assert.equal(r.frames.length, FRAMES);
    assert.deepEqual(await decodes('tcp', r.frames), { frames: FRAMES, width: 320, height: 240 });
    assert.equal(r.metrics.carrier, 'rtsp-tcp');
    assert.ok(r.metrics.transport.rtcpSent >= 1);
  });

  test('auto: UDP that never arrives (server sends elsewhere) → TCP-interleaved after udpFallbackMs', async (t) => {
    const sink = await sinkPair();
    const proxy = await udpEatingProxy(sink.ports);
    t.after(() => {
      proxy.server.close();
      sink.socks.forEach((s) => s.close());
    });
    const r = await play({
      source: { kind: 'rtsp', url: `rtsp://cam:${ENC}@127.0.0.1:${proxy.port}/live`, transport: 'auto', udpFallbackMs: 800 },
      bindAddress: '127.0.0.1',
    }, 10_000);
    assert.ok(sink.count() > 0, 'the server did send RTP over UDP, to where the client could not get it');
    const readies = r.events.filter((e) => e.type === 'ready');
    t.diagnostic(`UDP session ready → TCP session ready: ${(readies[1]!.atMs - readies[0]!.atMs).toFixed(0)} ms (udpFallbackMs 800)`);
    assert.deepEqual(r.events.filter((e) => e.type === 'ready').map((e) => e.type === 'ready' && e.carrier), ['rtsp-udp', 'rtsp-tcp']);
    assert.equal(r.metrics.carrier, 'rtsp-tcp');
    assert.equal(r.frames.length, FRAMES);
    assert.deepEqual(await decodes('fallback', r.frames), { frames: FRAMES, width: 320, height: 240 });
  });

  test('auto: a server that offers TCP only answers SETUP/UDP with 461 → TCP-interleaved at once', async (t) => {
    const r = await play({ source: { kind: 'rtsp', url: `rtsp://cam:${ENC}@127.0.0.1:${tcpOnlyPort}/live`, transport: 'auto' }, bindAddress: '127.0.0.1' });
    assert.deepEqual(r.events.filter((e) => e.type === 'ready').map((e) => e.type === 'ready' && e.carrier), ['rtsp-tcp']);
    assert.equal(r.frames.length, FRAMES);
    assert.deepEqual(await decodes('tcp-only', r.frames), { frames: FRAMES, width: 320, height: 240 });
  });

  test('udp only against the TCP-only server fails with RTSP_TRANSPORT (461)', async (t) => {
    const s = new LiveStream({ id: 'x', source: { kind: 'rtsp', url: `rtsp://cam:${ENC}@127.0.0.1:${tcpOnlyPort}/live`, transport: 'udp' }, bindAddress: '127.0.0.1' });
    await assert.rejects(s.connect(), (e: Error & { code?: string; status?: number }) => e.code === 'RTSP_TRANSPORT' && e.status === 461);
    await s.close();
  });

  test('manager: wrong password → failed with RTSP_AUTH; no password in snapshots, events or errors', async (t) => {
    const m = new StreamManager({ reconnectAttempts: 1, reconnectBackoffMs: [50], connectionTimeoutMs: 2000, rtpPortRange: null, bindAddress: '127.0.0.1' });
    const events: StreamManagerEvent[] = [];
    m.on((e) => events.push(e));
    m.add({ id: 'bad', source: { kind: 'rtsp', url: `rtsp://cam:Zq7-not-it@127.0.0.1:${port}/live`, transport: 'tcp' } });
    m.add({ id: 'good', source: { kind: 'rtsp', url: `rtsp://cam:${ENC}@127.0.0.1:${port}/live`, transport: 'tcp' } });
    const end = Date.now() + 8000;
    while ((m.get('bad').state !== 'failed' || m.get('good').state !== 'active') && Date.now() < end) await sleep(20);
    const list = m.list();
    await m.close();
    const bad = list.find((s) => s.id === 'bad')!;
    assert.equal(bad.state, 'failed');
    assert.match(bad.last_error ?? '', /credentials rejected/);
    assert.equal(bad.source, `rtsp://127.0.0.1:${port}/live`);
    assert.equal(list.find((s) => s.id === 'good')!.state, 'active');
    const text = JSON.stringify({ list, events });
    assert.ok(!text.includes(PASSWORD) && !text.includes(ENC) && !text.includes('Zq7-not-it'), 'no credentials anywhere');
  });
});
