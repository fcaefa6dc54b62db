/**
 * UdpRtpTransport and LiveStream against real UDP sockets on loopback. Packets are built and
 * read by werift-rtp (an independent implementation); expected counts are the ones the test
 * sends. 127.0.0.2 (also loopback on Linux) plays a host outside the allow-list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import {
  PictureLossIndication, RtcpPacketConverter, RtcpPayloadSpecificFeedback, RtcpRrPacket, RtcpSenderInfo, RtcpSrPacket, RtpHeader, RtpPacket,
} from 'werift-rtp';
import { LiveStream } from '../../src/media/stream/index.ts';
import { UdpRtpTransport, type TransportHandlers } from '../../src/media/transport/index.ts';
import { sleep } from './peer.ts';

function bind(port: number, address = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, address, () => resolve(s));
  });
}

/** A sender's RTP socket on an even port and its RTCP socket on the next one (OS-chosen). */
async function senderPair(): Promise<[Socket, Socket]> {
  for (let i = 0; i < 50; i++) {
    const a = await bind(0);
    const p = a.address().port;
    if (p % 2 === 0 && p < 65000) {
      try {
        return [a, await bind(p + 1)];
      } catch {
        // neighbour taken
      }
    }
    a.close();
  }
  throw new Error('no free UDP pair');
}

async function freeUdpPair(): Promise<number> {
  const [a, b] = await senderPair();
  const p = a.address().port;
  a.close();
  b.close();
  return p;
}

const rtp = (seq: number, ssrc: number, size = 100, pt = 96, nal = 0x41) =>
  new RtpPacket(new RtpHeader({ payloadType: pt, sequenceNumber: seq & 0xffff, timestamp: seq * 3000, ssrc, marker: true }),
    Buffer.concat([Buffer.from([nal]), Buffer.alloc(size - 1, 0x11)])).serialize();
const sr = (ssrc: number) => new RtcpSrPacket({ ssrc, senderInfo: new RtcpSenderInfo({ ntpTimestamp: 0x0102030405060708n, rtpTimestamp: 1, packetCount: 5, octetCount: 500 }) }).serialize();
const send = (s: Socket, data: Uint8Array, port: number) => new Promise<void>((r) => s.send(data, port, '127.0.0.1', () => r()));

function collector(): { h: TransportHandlers; rtp: Uint8Array[]; rtcp: Uint8Array[] } {
  const c = { rtp: [] as Uint8Array[], rtcp: [] as Uint8Array[], h: null as unknown as TransportHandlers };
  c.h = { ready: () => undefined, rtp: (d) => c.rtp.push(d), rtcp: (d) => c.rtcp.push(d), closed: () => undefined };
  return c;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(10);
}

function received(sock: Socket): Buffer[] {
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  return got;
}

test('allow-list, a second sender, oversize datagrams: dropped and counted; RTCP goes to the sender\'s RTCP address', async (tc) => {
  const c = collector();
  const t = await UdpRtpTransport.open({ port: 0, bindAddress: '127.0.0.1', allowedSources: ['127.0.0.1'], maxPacketSize: 1500 }, c.h);
  const sockets: Socket[] = [];
  tc.after(async () => {
    await t.close();
    for (const s of sockets) s.close();
  });
  const [rtpPort, rtcpPort] = t.localPorts;
  assert.equal(rtcpPort, rtpPort + 1);
  const [a, aRtcp] = await senderPair();
  const b = await bind(0);
  const other = await bind(0, '127.0.0.2');
  sockets.push(a, aRtcp, b, other);
  const aGot = received(aRtcp);

  assert.equal(t.sendRtcp(Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 1])), false, 'no sender known yet: nowhere to send');
  for (let i = 0; i < 5; i++) await send(a, rtp(i, 0xa), rtpPort);
  for (let i = 0; i < 3; i++) await send(b, rtp(i, 0xb), rtpPort); // same host, another port: a second sender
  for (let i = 0; i < 2; i++) await send(other, rtp(i, 0xc), rtpPort); // not on the allow-list
  await send(other, sr(0xc), rtcpPort);
  await send(a, rtp(5, 0xa, 1600), rtpPort); // above max_packet_size
  await until(() => t.counters.rtpPackets + t.counters.unknownSource + t.counters.notAllowed + t.counters.oversize >= 12);
  assert.equal(c.rtp.length, 5);
  assert.deepEqual(c.rtp.map((d) => RtpHeader.deSerialize(Buffer.from(d)).ssrc), [0xa, 0xa, 0xa, 0xa, 0xa]);
  assert.deepEqual({ ...t.counters }, { rtpPackets: 5, rtcpPackets: 0, bytes: 5 * 112, oversize: 1, notAllowed: 3, unknownSource: 3, rtcpSent: 0, sendErrors: 0 });
  assert.deepEqual(t.sender, { address: '127.0.0.1', port: a.address().port });

  // Before any RTCP from the sender: RTP port + 1 (RFC 3550 §11).
  const rr = new RtcpRrPacket({ ssrc: 7, reports: [] }).serialize();
  assert.equal(t.sendRtcp(rr), true);
  await until(() => aGot.length === 1);
  assert.equal(aGot.length, 1);
  assert.ok(RtcpPacketConverter.deSerialize(aGot[0]!)[0] instanceof RtcpRrPacket);

  // The sender's RTCP comes from yet another socket of the same host: answers follow it.
  const d = await bind(0);
  sockets.push(d);
  const dGot = received(d);
  await send(d, sr(0xa), rtcpPort);
  await until(() => c.rtcp.length === 1);
  assert.equal(c.rtcp.length, 1);
  t.sendRtcp(rr);
  await until(() => dGot.length === 1);
  assert.equal(dGot.length, 1, 'RR answered to the address the SR came from');
  assert.equal(aGot.length, 1);

  await t.close();
  await t.close(); // safe twice
  assert.equal(t.sendRtcp(rr), false);
});

test('RTCP multiplexed on the RTP port (RFC 5761): RTP and SR told apart, answers to the same port', async () => {
  const c = collector();
  const t = await UdpRtpTransport.open({ port: 0, bindAddress: '127.0.0.1', rtcpMux: true }, c.h);
  const [p, q] = t.localPorts;
  assert.equal(p, q);
  const a = await bind(0);
  const aGot = received(a);
  await send(a, rtp(1, 0xa), p);
  await send(a, sr(0xa), p);
  await until(() => c.rtp.length + c.rtcp.length === 2);
  assert.equal(c.rtp.length, 1);
  assert.equal(c.rtcp.length, 1);
  t.sendRtcp(new RtcpRrPacket({ ssrc: 7, reports: [] }).serialize());
  await until(() => aGot.length === 1);
  assert.equal(aGot.length, 1);
  await t.close();
  a.close();
});

test('binding a port in use fails with TRANSPORT_BIND', async () => {
  const busy = await bind(0);
  await assert.rejects(UdpRtpTransport.open({ port: busy.address().port, bindAddress: '127.0.0.1', rtcpMux: true }, collector().h), { code: 'TRANSPORT_BIND' });
  busy.close();
});

test('LiveStream: receiver reports with the loss it saw, and PLI while no key frame has come, reach the sender\'s RTCP socket', async () => {
  const port = await freeUdpPair();
  const s = new LiveStream({
    id: 'cam', source: { kind: 'udp', port, bindAddress: '127.0.0.1' }, codec: 'h264', rtcpIntervalMs: 100,
    jitterBufferMs: 50, receiverSsrc: 0x1234,
  });
  await s.connect();
  const [a, aRtcp] = await senderPair();
  const got = received(aRtcp);
  // 20 non-IDR slices (NAL type 1), seq 1000…1019 without 1005: one lost, and never a key frame.
  for (let seq = 1000; seq < 1020; seq++) {
    if (seq !== 1005) await send(a, rtp(seq, 0xabc, 200), port);
    await sleep(5);
  }
  // Receiver reports every 100 ms: wait for two that cover the whole run (a loaded machine is slow).
  const reportsAfter = (n: number) => got.flatMap((g) => RtcpPacketConverter.deSerialize(g))
    .filter((p): p is RtcpRrPacket => p instanceof RtcpRrPacket && p.reports[0]?.highestSequence === 1019).length >= n;
  await until(() => reportsAfter(2), 5000);
  const m = s.metrics();
  await s.close();
  await s.close();
  a.close();
  aRtcp.close();
  const packets = got.flatMap((g) => RtcpPacketConverter.deSerialize(g));
  const blocks = packets.filter((p): p is RtcpRrPacket => p instanceof RtcpRrPacket && p.ssrc === 0x1234).flatMap((p) => p.reports);
  assert.ok(blocks.length >= 2, `${blocks.length} report blocks`);
  const last = blocks[blocks.length - 1]!;
  assert.equal(last.ssrc, 0xabc);
  assert.equal(last.highestSequence, 1019);
  assert.equal(last.packetsLost, 1);
  const plis = packets.filter((p): p is RtcpPayloadSpecificFeedback => p instanceof RtcpPayloadSpecificFeedback && p.feedback instanceof PictureLossIndication);
  assert.ok(plis.length >= 1, 'a PLI was sent');
  assert.equal((plis[0]!.feedback as PictureLossIndication).mediaSsrc, 0xabc);
  assert.equal(m.packets_received, 19);
  assert.equal(m.packets_lost, 1);
  assert.ok(Math.abs(m.packet_loss_rate_cumulative - 1 / 20) < 1e-12);
  assert.equal(m.frames_delivered, 0, 'no key frame: nothing passes the gate');
  assert.ok(m.frame_drop_rate_cumulative === 1 && m.frames_dropped > 0);
  assert.ok(m.keyframe_requests >= 1);
});

test('PortAllocator: even/odd pairs inside the range, skipping ports taken by others and reserved ones; exhaustion; release on close', async () => {
  const { PortAllocator } = await import('../../src/media/transport/index.ts');
  // A range of 3 pairs whose ports are free right now.
  let base = 0;
  for (let i = 0; i < 50 && base === 0; i++) {
    const probe = await bind(0);
    const p = probe.address().port & ~1;
    probe.close();
    if (p > 65000) continue;
    const socks: Socket[] = [];
    try {
      for (let k = 0; k < 6; k++) socks.push(await bind(p + k));
      base = p;
    } catch {
      // some port of the block is taken: try another block
    }
    socks.forEach((s) => s.close());
  }
  assert.ok(base > 0);
  await sleep(10);
  const alloc = new PortAllocator({ range: [base, base + 5], bindAddress: '127.0.0.1' });
  const foreign = await bind(base + 1, '127.0.0.1'); // someone else holds the first pair's RTCP port
  alloc.reserve(base + 2); // a camera's configured port
  const a = await alloc.bindPair();
  assert.deepEqual(a.ports, [base + 4, base + 5]);
  await assert.rejects(alloc.bindPair(), { code: 'TRANSPORT_PORTS' });
  assert.equal(alloc.allocated, 1);
  a.rtp.close();
  a.rtcp.close();
  await sleep(10);
  assert.equal(alloc.allocated, 0);
  alloc.unreserve(base + 2);
  const b = await alloc.bindPair();
  assert.deepEqual(b.ports, [base + 2, base + 3]);
  b.rtp.close();
  b.rtcp.close();
  foreign.close();
});

test('LiveStream with keyframeRequest "fir": an RFC 5104 FIR naming the sender reaches its RTCP socket', async () => {
  const port = await freeUdpPair();
  const s = new LiveStream({
    id: 'fir', source: { kind: 'udp', port, bindAddress: '127.0.0.1' }, codec: 'h264', jitterBufferMs: 50, keyframeRequest: 'fir', receiverSsrc: 0x4321,
  });
  await s.connect();
  const [a, aRtcp] = await senderPair();
  const got = received(aRtcp);
  for (let seq = 0; seq < 5; seq++) await send(a, rtp(seq, 0xdef, 200), port); // P slices only: the gate wants a key frame
  const firs = () => got.flatMap((g) => RtcpPacketConverter.deSerialize(g))
    .filter((p): p is RtcpPayloadSpecificFeedback => p instanceof RtcpPayloadSpecificFeedback && p.feedback.constructor.name === 'FullIntraRequest');
  await until(() => firs().length >= 1, 5000);
  await s.close();
  a.close();
  aRtcp.close();
  const fir = firs()[0]!.feedback as unknown as { senderSsrc: number; fir: { ssrc: number; sequenceNumber: number }[] };
  assert.equal(fir.senderSsrc, 0x4321);
  assert.deepEqual(fir.fir.map((e) => e.ssrc), [0xdef]);
});
