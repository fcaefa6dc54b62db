/**
 * H.265 sender (RFC 7798): FFmpeg's RTP receiver decodes what RtpSender sends (FU + AP) to the
 * same pictures as the elementary stream; createH265Depacketizer rebuilds the same stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessUnitSplitter, annexBBytes, buildSenderSdp, H265Packetizer, RtpSender, RtpSenderCore, systemClock } from '../../src/media/sender/index.ts';
import { createH265Depacketizer, parseRtp, type MediaFrame } from '../../src/media/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { frameMd5 } from './peer.ts';
import { encodeFrames, freePortPair, patternFrames } from './sender-helpers.ts';

const W = 320, H = 240, FPS = 15, N = 20;

test('packetizer: AP of VPS+SPS+PPS, FU fragments rebuild the NAL unit, headers per RFC 7798', () => {
  const vps = Uint8Array.of(0x40, 0x01, 0x0c, 0x01), sps = Uint8Array.of(0x42, 0x01, 0x01, 0x02), pps = Uint8Array.of(0x44, 0x01, 0xc1);
  const idr = new Uint8Array(2000).map((_, i) => (i * 13) & 0xff);
  idr[0] = 0x26; idr[1] = 0x01; // IDR_W_RADL (19), LayerId 0, TID 1
  const p = new H265Packetizer({ maxPayload: 800 }).packetize([vps, sps, pps, idr]);
  // AP: 2 + (2+4) + (2+4) + (2+3) = 19 bytes; FU: 1998 bytes in 797-byte chunks = 3 packets.
  assert.equal(p.length, 4);
  assert.deepEqual([...p[0]!.payload], [0x60, 0x01, 0, 4, ...vps, 0, 4, ...sps, 0, 3, ...pps]);
  assert.deepEqual(p.slice(1).map((x) => [x.payload[0], x.payload[1], x.payload[2]]), [[0x62, 0x01, 0x93], [0x62, 0x01, 0x13], [0x62, 0x01, 0x53]]);
  assert.deepEqual([...Buffer.concat(p.slice(1).map((x) => x.payload.subarray(3)))], [...idr.subarray(2)]);
  assert.deepEqual(p.map((x) => x.marker), [false, false, false, true]);
});

test('H.265: FFmpeg decodes what RtpSender sends bit-identically; createH265Depacketizer agrees', async (t) => {
  const dir = tmpDir(t);
  const es = await encodeFrames(dir, 'v', patternFrames(W, H, N), W, H, FPS, 'h265', ['-g', '10']);
  const sp = new AccessUnitSplitter('h265');
  const bytes = readFileSync(es);
  const aus = [];
  for (let o = 0; o < bytes.length; o += 999) aus.push(...sp.push(bytes.subarray(o, o + 999)));
  aus.push(...sp.flush());
  assert.equal(aus.length, N);
  const expected = await frameMd5(es, 'hevc');
  assert.equal(expected.length, N);

  const core = new RtpSenderCore({ codec: 'h265', clock: systemClock(), maxPayload: 600 });
  const depack = createH265Depacketizer();
  const got: MediaFrame[] = [];
  let fu = 0, ap = 0;
  aus.forEach((au, k) => {
    for (const d of core.packetizeFrame(annexBBytes(au.nals), k * 66.667)) {
      const p = parseRtp(d);
      assert.ok(p.ok);
      const type = (p.value.payload[0]! >> 1) & 0x3f;
      if (type === 49) fu++;
      if (type === 48) ap++;
      got.push(...depack.push(p.value));
    }
  });
  got.push(...depack.flush());
  assert.ok(fu > 0 && ap >= 1, `FU ${fu}, AP ${ap}`);
  assert.equal(got.length, N);
  assert.ok(got.every((f) => f.complete && f.width === W && f.height === H));
  const rebuilt = join(dir, 'rebuilt.hevc');
  writeFileSync(rebuilt, Buffer.concat(got.map((f) => f.data)));
  assert.deepEqual(await frameMd5(rebuilt, 'hevc'), expected, 'own depacketizer: same pictures');

  const port = await freePortPair();
  const sdpPath = join(dir, 'h265.sdp');
  writeFileSync(sdpPath, buildSenderSdp({ codec: 'h265', address: '127.0.0.1', rtpPort: port, payloadType: 96 }));
  const rx = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file,udp,rtp', '-i', sdpPath, '-f', 'framemd5', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  rx.stdout.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => rx.on('close', () => r()));
  await new Promise((r) => setTimeout(r, 200));
  const clock = systemClock();
  const sender = await RtpSender.open({ codec: 'h265', clock, host: '127.0.0.1', rtpPort: port });
  const t0 = clock.nowMs() + 1500;
  aus.forEach((au, k) => sender.send(annexBBytes(au.nals), t0 + (k * 1000) / FPS));
  await sender.idle();
  await new Promise((r) => setTimeout(r, 300));
  await sender.close(); // BYE ends FFmpeg's input
  const kill = setTimeout(() => rx.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(kill);
  const md5 = out.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(',').pop()!.trim());
  assert.deepEqual(md5, expected, 'FFmpeg RTP receiver: same pictures');
});
