/**
 * RTP over TCP with RFC 4571 framing: a small test server frames the datagrams FFmpeg's RTP
 * muxer sent (captured on loopback) and writes them in odd-sized chunks; LiveStream connects
 * with TcpRtpTransport. Judges: ffprobe on the frames, FFmpeg's frame count, werift-rtp reading
 * the receiver report that came back over the same connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RtcpPacketConverter, RtcpRrPacket } from 'werift-rtp';
import type { MediaFrame } from '../../src/media/index.ts';
import { LiveStream, type LiveStreamEvent } from '../../src/media/stream/index.ts';
import { TcpRtpTransport } from '../../src/media/transport/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { captureUdp, probe, run, sleep } from './peer.ts';

const FRAMES = 30;

function frame(p: Uint8Array): Buffer {
  const b = Buffer.alloc(p.length + 2);
  b.writeUInt16BE(p.length, 0);
  b.set(p, 2);
  return b;
}

test('RFC 4571 server with FFmpeg\'s packets: every frame decodes, RR comes back framed, peer close is a lost connection', async (t) => {
  const dir = tmpDir(t);
  const cap = await captureUdp();
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-frames:v', String(FRAMES),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '15', '-pix_fmt', 'yuv420p',
    '-f', 'rtp', `rtp://127.0.0.1:${cap.rtpPort}?rtcpport=${cap.rtcpPort}&pkt_size=1200`]);
  await sleep(100);
  await cap.close();
  assert.ok(cap.rtp.length > FRAMES && cap.rtcp.length >= 1);

  // The whole stream (SR first, as FFmpeg sent it; one oversize frame in the middle), cut into 7-byte-odd chunks.
  const half = Math.floor(cap.rtp.length / 2);
  const stream = Buffer.concat([
    frame(cap.rtcp[0]!.data), ...cap.rtp.slice(0, half).map((d) => frame(d.data)),
    frame(new Uint8Array(1600).fill(0x80)), ...cap.rtp.slice(half).map((d) => frame(d.data)),
  ]);
  let peer: Socket | null = null;
  const back: Buffer[] = [];
  let written!: () => void;
  const allWritten = new Promise<void>((r) => (written = r));
  const server = createServer((s) => {
    peer = s;
    s.on('data', (d) => back.push(d));
    void (async () => {
      for (let off = 0; off < stream.length; off += 1337) {
        s.write(stream.subarray(off, off + 1337));
        await sleep(2);
      }
      written();
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  t.after(() => server.close());

  const frames: MediaFrame[] = [];
  const events: LiveStreamEvent[] = [];
  const s = new LiveStream({
    id: 'tcp', source: { kind: 'tcp', host: '127.0.0.1', port }, codec: 'h264', rtcpIntervalMs: 100, receiverSsrc: 0x5151,
    onFrame: (f) => frames.push(f), onEvent: (e) => events.push(e),
  });
  await s.connect();
  await allWritten;
  for (let i = 0; i < 250 && (frames.length < FRAMES || back.length === 0); i++) await sleep(20);
  await sleep(150);
  const m = s.metrics();
  (peer as Socket | null)?.destroy(); // the sender goes away
  await sleep(100);
  assert.deepEqual(events.map((e) => e.type), ['ready', 'receiving', 'lost']);
  const lost = events[2]!;
  assert.ok(lost.type === 'lost' && lost.reason === 'transport');
  await s.close();

  assert.equal(frames.length, FRAMES);
  const file = join(dir, 'tcp.h264');
  writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
  assert.deepEqual(await probe(file, 'h264'), { frames: FRAMES, width: 320, height: 240 });
  assert.equal(m.carrier, 'tcp');
  assert.equal(m.packets_received, cap.rtp.length);
  assert.equal(m.packets_lost, 0);
  assert.equal(m.transport.oversize, 1);
  assert.ok(m.last_sender_report !== null, 'the SR sent before the first RTP packet was kept');

  // What came back: RFC 4571 frames holding RTCP, read by werift.
  const all = Buffer.concat(back);
  const rtcp: Buffer[] = [];
  for (let off = 0; off + 2 <= all.length;) {
    const len = all.readUInt16BE(off);
    rtcp.push(all.subarray(off + 2, off + 2 + len));
    off += 2 + len;
  }
  const rrs = rtcp.flatMap((b) => RtcpPacketConverter.deSerialize(b)).filter((p): p is RtcpRrPacket => p instanceof RtcpRrPacket);
  assert.ok(rrs.length >= 1, `${rrs.length} RRs`);
  assert.ok(rrs.every((r) => r.ssrc === 0x5151));
  const block = rrs[rrs.length - 1]!.reports[0]!;
  assert.equal(block.packetsLost, 0);
  assert.equal(block.ssrc, m.ssrc);
});

test('TcpRtpTransport: refused connection is TRANSPORT_CONNECT', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  const h = { ready: () => undefined, rtp: () => undefined, rtcp: () => undefined, closed: () => undefined };
  await assert.rejects(TcpRtpTransport.open({ host: '127.0.0.1', port }, h), { code: 'TRANSPORT_CONNECT' });
});
