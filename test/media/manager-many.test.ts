/**
 * 16 streams at once through one StreamManager (max_concurrent_streams 16): real UDP senders
 * (one socket each, 30 frames/s × 3 packets, RTP built by werift-rtp) for 3 s. All must be
 * active with no loss reported, counts matching what each sender sent; a 17th is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { RtpHeader, RtpPacket } from 'werift-rtp';
import { StreamManager } from '../../src/media/manager/index.ts';
import { sleep, freeUdpPair } from './peer.ts';

test('16 concurrent UDP streams: all active, 0 lost, received = sent; the 17th refused', async () => {
  const N = 16;
  const m = new StreamManager({ maxConcurrentStreams: N, connectionTimeoutMs: 3000, bindAddress: '127.0.0.1', rtpPortRange: null, jitterBufferMs: 50 });
  const ports: number[] = [];
  for (let i = 0; i < N; i++) {
    ports.push(await freeUdpPair());
    m.add({ id: `cam${String(i).padStart(2, '0')}`, source: { kind: 'udp', port: ports[i]! }, codec: 'h264' });
  }
  assert.throws(() => m.add({ id: 'cam16', source: { kind: 'udp', port: 1 } }), { code: 'STREAM_LIMIT' });
  const tx: Socket[] = [];
  for (let i = 0; i < N; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    tx.push(s);
  }
  await sleep(100); // every stream bound
  const t0 = performance.now();
  let seq = 0;
  for (let f = 0; f < 90; f++) {
    const wait = t0 + (f * 1000) / 30 - performance.now();
    if (wait > 0) await sleep(wait);
    for (let k = 0; k < 3; k++, seq++) {
      for (let i = 0; i < N; i++) {
        const p = new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: f * 3000, ssrc: 1000 + i, marker: k === 2 }),
          Buffer.alloc(300, 0x41)).serialize();
        tx[i]!.send(p, ports[i]!, '127.0.0.1');
      }
    }
  }
  await sleep(300);
  const list = m.list();
  await m.close();
  tx.forEach((s) => s.close());
  assert.equal(list.length, N);
  for (const s of list) {
    assert.equal(s.state, 'active', `${s.id}: ${s.state} ${s.last_error ?? ''}`);
    assert.equal(s.metrics.packets_received, 270, s.id);
    assert.equal(s.metrics.packets_lost, 0, s.id);
    assert.equal(s.metrics.packet_loss_rate, 0, s.id);
    assert.equal(s.metrics.ssrc, 1000 + Number(s.id.slice(3)));
  }
});
