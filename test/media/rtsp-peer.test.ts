/**
 * Real peer: the GStreamer RTSP server (python3-gi, test/fixtures/media/rtsp-server.py) with
 * Digest authentication serves an H.264 file; a small socket adapter in this test drives the pure
 * `RtspClient` over TCP-interleaved and over UDP, feeds `RtpReceiverCore`, and ffprobe decodes
 * what came out.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  receiverOptionsFromTrack, RtpReceiverCore, RtspClient, RtspParser, type MediaFrame, type RtspClientAction, type RtspFailure,
} from '../../src/media/index.ts';
import { have, probe, run } from './peer.ts';

const FRAMES = 30;
const PASSWORD = 's3cret pass';
let server: ChildProcess | null = null;
let port = 0;
let dir = '';

function gstRtspAvailable(): boolean {
  return have('gst-launch-1.0') && spawnSync('/usr/bin/python3', ['-c', "import gi; gi.require_version('GstRtspServer', '1.0')"]).status === 0;
}

// Decided when the file loads (setup.sh may install the packages), so that the suite below is
// skipped as a whole, with the reason printed here and given to the runner.
if (!gstRtspAvailable()) spawnSync('bash', ['scripts/setup.sh'], { stdio: 'inherit' });
const skipReason: string | false = gstRtspAvailable() ? false : 'GStreamer RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0) missing and scripts/setup.sh could not install it';
if (skipReason) console.log(`# skipping RTSP peer tests: ${skipReason}`);

before(async () => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), 'dvs-rtsp-'));
  const src = join(dir, 'in.mkv');
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-frames:v', String(FRAMES),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-pix_fmt', 'yuv420p', '-y', src]);
  server = spawn('/usr/bin/python3', ['test/fixtures/media/rtsp-server.py', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server!.on('exit', (c) => reject(new Error(`RTSP server exited ${c}`)));
  });
});

after(() => {
  server?.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function bindPair(): Promise<[UdpSocket, UdpSocket]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const a = createSocket('udp4');
    await new Promise<void>((r) => a.bind(0, '127.0.0.1', () => r()));
    const p = a.address().port;
    if (p % 2 === 1 || p > 65000) {
      a.close();
      continue;
    }
    const b = createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      b.once('error', () => r(false));
      b.bind(p + 1, '127.0.0.1', () => r(true));
    });
    if (ok) return [a, b];
    a.close();
  }
  throw new Error('no free even/odd UDP port pair');
}

interface Outcome {
  frames: MediaFrame[];
  failure: { reason: RtspFailure; status?: number } | null;
  sent: string;
  rx: RtpReceiverCore | null;
}

/** Test adapter: one RTSP session over a TCP connection; stops after FRAMES frames or 1.5 s of silence. */
async function play(url: string, transport: 'tcp' | 'udp'): Promise<Outcome> {
  const pair = transport === 'udp' ? await bindPair() : null;
  const client = new RtspClient({ url, transport, ...(pair ? { clientPorts: [pair[0].address().port, pair[1].address().port] as [number, number] } : {}) });
  const sock = connect(port, '127.0.0.1');
  const parser = new RtspParser();
  const out: Outcome = { frames: [], failure: null, sent: '', rx: null };
  let lastData = performance.now();
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const act = (actions: RtspClientAction[]) => {
    for (const a of actions) {
      if (a.kind === 'send') {
        out.sent += new TextDecoder().decode(a.bytes);
        sock.write(a.bytes);
      } else if (a.kind === 'ready') {
        out.rx = new RtpReceiverCore({ ...receiverOptionsFromTrack(a.session.track), jitterBufferMs: 50 });
      } else if (a.kind === 'failed') {
        out.failure = { reason: a.reason, ...(a.status !== undefined ? { status: a.status } : {}) };
        done();
      } else if (a.kind === 'closed') done();
    }
  };
  const onRtp = (data: Uint8Array) => {
    if (!out.rx) return;
    const now = performance.now();
    lastData = now;
    out.rx.pushRtp(data, now);
    out.frames.push(...out.rx.poll(now).frames);
    if (out.frames.length >= FRAMES && client.state === 'playing') act(client.teardown());
  };
  pair?.[0].on('message', (m) => onRtp(new Uint8Array(m)));
  sock.on('data', (chunk) => {
    for (const e of parser.push(new Uint8Array(chunk))) {
      if (e.kind === 'interleaved') {
        if (e.channel === 0) onRtp(e.data.slice());
        else out.rx?.pushRtcp(e.data, performance.now());
      } else if (e.kind === 'error') done();
      else act(client.onMessage(e, performance.now()));
    }
  });
  sock.on('close', () => done());
  sock.on('connect', () => act(client.start()));
  const timer = setInterval(() => {
    const now = performance.now();
    if (out.rx) out.frames.push(...out.rx.poll(now).frames);
    act(client.keepAlive(now));
    if (client.state === 'playing' && now - lastData > 1500) act(client.teardown());
  }, 50);
  const guard = setTimeout(() => done(), 15000);
  await finished;
  clearInterval(timer);
  clearTimeout(guard);
  if (out.rx) out.frames.push(...out.rx.poll(performance.now() + 1000).frames);
  sock.destroy();
  pair?.forEach((s) => s.close());
  return out;
}

describe('GStreamer RTSP server with Digest authentication', { concurrency: true, skip: skipReason }, () => {
  for (const transport of ['tcp', 'udp'] as const) {
    test(`${transport === 'tcp' ? 'TCP-interleaved' : 'UDP'}: OPTIONS, 401 → Digest, DESCRIBE, SETUP, PLAY; 30 frames decode`, async (t) => {
      const r = await play(`rtsp://cam:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/live`, transport);
      assert.equal(r.failure, null);
      assert.match(r.sent, /Authorization: Digest username="cam", realm="GStreamer RTSP Server"/);
      assert.ok(!r.sent.includes(PASSWORD) && !r.sent.includes(encodeURIComponent(PASSWORD)), 'the password never goes on the wire');
      assert.match(r.sent, /SETUP \S+ RTSP\/1.0[\s\S]*Transport: RTP\/AVP/);
      assert.match(r.sent, /TEARDOWN /);
      assert.equal(r.frames.length, FRAMES);
      assert.equal(r.rx!.statistics().cumulativeLost, 0);
      const file = join(dir, `out-${transport}.h264`);
      writeFileSync(file, Buffer.concat(r.frames.map((f) => f.data)));
      assert.deepEqual(await probe(file, 'h264'), { frames: FRAMES, width: 320, height: 240 });
    });
  }

  test('wrong password and missing credentials fail with reason "auth" (401)', async (t) => {
    const wrong = await play(`rtsp://cam:nope@127.0.0.1:${port}/live`, 'tcp');
    assert.deepEqual(wrong.failure, { reason: 'auth', status: 401 });
    const none = await play(`rtsp://127.0.0.1:${port}/live`, 'tcp');
    assert.deepEqual(none.failure, { reason: 'auth', status: 401 });
  });
});
