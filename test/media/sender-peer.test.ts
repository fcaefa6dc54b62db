/**
 * Real peer for the sender: FFmpeg receives what `RtpSender` puts on loopback UDP (through an SDP
 * file written by `buildSenderSdp`) and decodes it; the decoded pictures must be bit-identical
 * (framemd5) to decoding the elementary stream directly. The project's own depacketizers are the
 * second receiver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AccessUnitSplitter, annexBBytes, buildSenderSdp, JpegSplitter, parseJpeg, RtpSender, RtpSenderCore, systemClock,
} from '../../src/media/sender/index.ts';
import { createH264Depacketizer, createMjpegDepacketizer, parseRtp, type MediaFrame } from '../../src/media/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { frameMd5 } from './peer.ts';
import { encodeFrames, freePortPair, patternFrames } from './sender-helpers.ts';

const W = 320, H = 240, FPS = 15, N = 24;

/** Starts `ffmpeg -i x.sdp -f framemd5` and returns a function that stops it and yields the MD5s. */
function ffmpegReceiver(sdpPath: string): { stop: () => Promise<string[]>; ready: Promise<void> } {
  const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file,udp,rtp',     '-i', sdpPath, '-f', 'framemd5', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  const exited = new Promise<void>((r) => p.on('close', () => r()));
  return {
    // FFmpeg opens its UDP sockets within a fraction of a second; the sender starts 1.5 s later.
    ready: new Promise((r) => setTimeout(r, 200)),
    // The sender's RTCP BYE ends FFmpeg's input (rtpdec treats BYE as end of stream).
    stop: async () => {
      const t = setTimeout(() => p.stdin.write('q'), 5000);
      const t2 = setTimeout(() => p.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(t);
      clearTimeout(t2);
      assert.ok(!/error|invalid/i.test(err) || err.trim() === '', `ffmpeg receiver complained: ${err.slice(-500)}`);
      return out.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(',').pop()!.trim());
    },
  };
}

async function sendAndReceive(dir: string, codec: 'h264' | 'mjpeg', frames: Uint8Array[], maxPayload: number): Promise<{ md5: string[]; sender: RtpSender }> {
  const port = await freePortPair();
  const sdpPath = join(dir, `${codec}.sdp`);
  const clock = systemClock();
  const pt = codec === 'h264' ? 96 : 26;
  writeFileSync(sdpPath, buildSenderSdp({ codec, address: '127.0.0.1', rtpPort: port, payloadType: pt }));
  const rx = ffmpegReceiver(sdpPath);
  await rx.ready;
  const sender = await RtpSender.open({ codec, clock, host: '127.0.0.1', rtpPort: port, maxPayload, seed: 7 });
  const t0 = clock.nowMs() + 1500;
  frames.forEach((f, k) => sender.send(f, t0 + (k * 1000) / FPS));
  await sender.idle();
  // BYE travels on the RTCP socket: give FFmpeg time to read the last RTP packets first.
  await new Promise((r) => setTimeout(r, 300));
  await sender.close();
  const md5 = await rx.stop();
  return { md5, sender };
}

test('H.264: FFmpeg decodes what RtpSender sends (FU-A + STAP-A) bit-identically; createH264Depacketizer agrees', async (t) => {
  const dir = tmpDir(t);
  const es = await encodeFrames(dir, 'v', patternFrames(W, H, N), W, H, FPS, 'h264', ['-g', '8', '-b:v', '800k']);
  const sp = new AccessUnitSplitter('h264');
  const bytes = readFileSync(es);
  // Arbitrary chunking, as a pipe delivers it.
  const aus = [];
  for (let o = 0; o < bytes.length; o += 777) aus.push(...sp.push(bytes.subarray(o, o + 777)));
  aus.push(...sp.flush());
  assert.equal(aus.length, N, 'one access unit per encoded frame');
  assert.equal(aus.filter((a) => a.keyframe).length, 3, 'IDR every 8 frames');
  const expected = await frameMd5(es, 'h264');
  assert.equal(expected.length, N);

  // Own depacketizer, no sockets: every datagram parses, frames rebuild to the same pictures.
  const core = new RtpSenderCore({ codec: 'h264', clock: systemClock(), maxPayload: 500, seed: 3 });
  const depack = createH264Depacketizer();
  const got: MediaFrame[] = [];
  let fuA = 0, stapA = 0;
  aus.forEach((au, k) => {
    for (const d of core.packetizeFrame(annexBBytes(au.nals), k * 66.667)) {
      assert.ok(d.length <= 512, 'datagram within MTU');
      const p = parseRtp(d);
      assert.ok(p.ok);
      const type = p.value.payload[0]! & 0x1f;
      if (type === 28) fuA++;
      if (type === 24) stapA++;
      got.push(...depack.push(p.value));
    }
  });
  got.push(...depack.flush());
  assert.ok(fuA > 0 && stapA === 3, `FU-A ${fuA}, STAP-A ${stapA} (SPS+PPS before each IDR)`);
  assert.equal(got.length, N);
  assert.ok(got.every((f) => f.complete));
  assert.deepEqual(got.map((f) => f.keyframe), aus.map((a) => a.keyframe));
  const rebuilt = join(dir, 'rebuilt.h264');
  writeFileSync(rebuilt, Buffer.concat(got.map((f) => f.data)));
  assert.deepEqual(await frameMd5(rebuilt, 'h264'), expected, 'own depacketizer: same pictures');

  // Real peer over UDP.
  const { md5, sender } = await sendAndReceive(dir, 'h264', aus.map((a) => annexBBytes(a.nals)), 1200);
  assert.equal(sender.core.counters.frames, N);
  assert.deepEqual(md5, expected, 'FFmpeg RTP receiver: same pictures');
});

test('MJPEG: FFmpeg decodes RFC 2435 packets (in-band tables, Q=255) bit-identically; restart header (type 65) too', async (t) => {
  const dir = tmpDir(t);
  const file = await encodeFrames(dir, 'v', patternFrames(W, H, N), W, H, FPS, 'mjpeg');
  const bytes = readFileSync(file);
  const sp = new JpegSplitter();
  const jpegs: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += 1000) jpegs.push(...sp.push(bytes.subarray(o, o + 1000)));
  assert.equal(jpegs.length, N);
  const j0 = parseJpeg(jpegs[0]!);
  assert.ok(j0.ok, j0.ok ? '' : j0.error.message);
  assert.deepEqual([j0.value.type, j0.value.width, j0.value.height], [1, W, H]);
  const expected = await frameMd5(file, 'mjpeg');

  // A DRI equal to the picture's MCU count is a valid restart interval with no RST marker in the
  // scan: the same picture, carried as type 65 with a restart marker header.
  const mcus = (W / 16) * (H / 16);
  const withDri = jpegs.map((j) => {
    const dri = Uint8Array.of(0xff, 0xdd, 0, 4, mcus >> 8, mcus & 0xff);
    return Buffer.concat([j.subarray(0, 2), dri, j.subarray(2)]);
  });
  for (const [name, list] of [['plain', jpegs], ['restart', withDri]] as const) {
    const core = new RtpSenderCore({ codec: 'mjpeg', clock: systemClock(), maxPayload: 1000 });
    const depack = createMjpegDepacketizer();
    const got: MediaFrame[] = [];
    list.forEach((j, k) => {
      const ds = core.packetizeFrame(j, k * 66.667);
      assert.ok(ds.length > 1, 'several fragments per frame');
      for (const d of ds) {
        const p = parseRtp(d);
        assert.ok(p.ok);
        assert.equal(p.value.payload[4], name === 'plain' ? 1 : 65, 'RFC 2435 type');
        assert.equal(p.value.payload[5], 255, 'Q = 255: tables in band');
        got.push(...depack.push(p.value));
      }
    });
    assert.equal(got.length, N);
    assert.ok(got.every((f) => f.complete && f.width === W && f.height === H));
    const rebuilt = join(dir, `${name}.mjpeg`);
    writeFileSync(rebuilt, Buffer.concat(got.map((f) => f.data)));
    assert.deepEqual(await frameMd5(rebuilt, 'mjpeg'), expected, `${name}: own depacketizer rebuilds the same pictures`);
  }

  const plain = await sendAndReceive(dir, 'mjpeg', jpegs, 1200);
  assert.deepEqual(plain.md5, expected, 'FFmpeg RTP receiver: same pictures');
  const rst = await sendAndReceive(dir, 'mjpeg', withDri, 1200);
  assert.deepEqual(rst.md5, expected, 'FFmpeg RTP receiver with restart headers: same pictures');
});
