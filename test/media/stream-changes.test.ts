/**
 * Resolution changes and codec switches seen by a LiveStream on one UDP flow. Two FFmpeg
 * encodings (320×240 then 160×120 H.264, then MJPEG) are captured, renumbered into one
 * continuous RTP stream (sequence, timestamp, SSRC rewritten; payloads untouched) and sent from
 * one socket. Truth: the sizes and codecs FFmpeg was asked for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { MediaFrame } from '../../src/media/index.ts';
import { LiveStream, type LiveStreamEvent } from '../../src/media/stream/index.ts';
import { captureUdp, run, sleep, freeUdpPair } from './peer.ts';

async function encode(size: string, codec: string[]): Promise<Uint8Array[]> {
  const cap = await captureUdp();
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=15`, '-frames:v', '10', ...codec,
    '-f', 'rtp', `rtp://127.0.0.1:${cap.rtpPort}?rtcpport=${cap.rtcpPort}&pkt_size=1200`]);
  await sleep(100);
  await cap.close();
  return cap.rtp.map((d) => d.data);
}

test('320×240 → 160×120 H.264 → MJPEG on one flow: one resolution change, one codec switch, events', async () => {
  const h264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '5', '-pix_fmt', 'yuv420p'];
  const parts = [
    await encode('320x240', h264),
    await encode('160x120', h264),
    await encode('160x120', ['-c:v', 'mjpeg', '-q:v', '5', '-huffman', 'default', '-pix_fmt', 'yuvj420p']),
  ];
  const port = await freeUdpPair();
  const frames: MediaFrame[] = [];
  const events: LiveStreamEvent[] = [];
  const s = new LiveStream({ id: 'chg', source: { kind: 'udp', port, bindAddress: '127.0.0.1' }, jitterBufferMs: 50, onFrame: (f) => frames.push(f), onEvent: (e) => events.push(e) });
  await s.connect();
  const tx = createSocket('udp4');
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
  let seq = 100;
  let ts = 0;
  for (const part of parts) {
    const ts0 = new DataView(part[0]!.buffer, part[0]!.byteOffset).getUint32(4);
    for (const d of part) {
      const p = Buffer.from(d);
      const rel = (p.readUInt32BE(4) - ts0) >>> 0;
      p.writeUInt16BE(seq++ & 0xffff, 2);
      p.writeUInt32BE((ts + rel) >>> 0, 4);
      p.writeUInt32BE(0x77777777, 8);
      await new Promise<void>((r) => tx.send(p, port, '127.0.0.1', () => r()));
      await sleep(1);
    }
    ts += 10 * 6000 + 6000;
    await sleep(150); // the part's last frame leaves the jitter buffer
  }
  await sleep(200);
  const m = s.metrics();
  await s.close();
  tx.close();
  const sizes = [...new Set(frames.map((f) => `${f.codec} ${f.width}x${f.height}`))];
  assert.deepEqual(sizes, ['h264 320x240', 'h264 160x120', 'mjpeg 160x120']);
  assert.equal(m.resolution_changes, 1);
  assert.equal(m.codec_switches, 1);
  assert.equal(m.codec, 'mjpeg');
  assert.deepEqual(m.resolution, [160, 120]);
  const res = events.filter((e) => e.type === 'resolution');
  assert.deepEqual(res.map((e) => e.type === 'resolution' && [e.previous, e.width, e.height]), [[[320, 240], 160, 120]]);
  const cod = events.filter((e) => e.type === 'codec');
  assert.deepEqual(cod.map((e) => e.type === 'codec' && [e.previous, e.codec]), [['h264', 'mjpeg']]);
  assert.equal(frames.filter((f) => f.codec === 'h264').length, 20);
  assert.equal(frames.filter((f) => f.codec === 'mjpeg').length, 10);
});
