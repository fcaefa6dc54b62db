/**
 * Injected impairment over real loopback UDP (arrival times on an injected clock, so the
 * machine's own scheduling noise does not add to them), as the acceptance states it: 5 % loss
 * must read as packet_loss_rate 5 % ± 1 point; 30 ms of delay jitter (each packet held a
 * uniform 0–30 ms before sending, without reordering) must read as the RFC 3550 jitter of that distribution,
 * E|X − Y| = 30/3 = 10 ms for X, Y ~ U(0, 30), within ± 25 %.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { RtpHeader, RtpPacket } from 'werift-rtp';
import { LiveStream } from '../../src/media/stream/index.ts';
import type { Clock } from '../../src/media/transport/index.ts';
import { freeUdpPair, ManualClock } from './peer.ts';
import { Rng } from '../../src/util/rng.ts';

/** Seeded PRNG (the project's Rng, mulberry32) so a run is repeatable. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/**
 * 30 frames/s × `perFrame` packets for `seconds`, RTP timestamps on the 90 kHz frame clock;
 * `drop(i)` skips packet i, `delay()` is its network delay in ms. The packets go through a real
 * socket one at a time; the stream's clock is set to each packet's arrival time before it is
 * sent, so the times the stream sees are exactly the impaired ones, whatever the machine's load.
 */
async function send(s: LiveStream, clock: ManualClock, port: number, seconds: number, perFrame: number, drop: (i: number) => boolean, delay: () => number): Promise<number> {
  const tx = createSocket('udp4');
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
  const list: { at: number; data: Buffer }[] = [];
  let i = 0;
  for (let f = 0; f < seconds * 30; f++) {
    for (let k = 0; k < perFrame; k++, i++) {
      if (drop(i)) continue;
      const data = new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: i & 0xffff, timestamp: f * 3000, ssrc: 0x5eed, marker: k === perFrame - 1 }),
        Buffer.concat([Buffer.from([0x41]), Buffer.alloc(199, k)])).serialize();
      list.push({ at: 1000 + (f * 1000) / 30 + k * 0.1 + delay(), data });
    }
  }
  list.sort((a, b) => a.at - b.at);
  let n = 0;
  for (const p of list) {
    clock.advance(p.at);
    tx.send(p.data, port, '127.0.0.1');
    n++;
    for (let w = 0; w < 2000 && s.metrics().transport.rtpPackets < n; w++) await new Promise((r) => setImmediate(r));
  }
  clock.advance(list[list.length - 1]!.at + 300);
  tx.close();
  return i;
}

describe('impairment read back from the metrics', { concurrency: true }, () => {
  test('every 20th packet dropped: packet_loss_rate 5 % ± 1 point over the window, 5 % cumulative', async (t) => {
    const port = await freeUdpPair();
    const clock = new ManualClock();
    const s = new LiveStream({ id: 'loss', source: { kind: 'udp', port, bindAddress: '127.0.0.1' }, codec: 'h264', metricsWindowMs: 2000, clock });
    await s.connect();
    const sent = await send(s, clock, port, 4, 5, (i) => i % 20 === 10, () => 0);
    const m = s.metrics();
    await s.close();
    t.diagnostic(`packet_loss_rate over the window ${(m.packet_loss_rate * 100).toFixed(2)} %`);
    assert.equal(sent, 600);
    // Expected spans packet 0 … 599 (599 is sent): 30 missing of 600.
    assert.equal(m.packets_lost, 30);
    assert.ok(Math.abs(m.packet_loss_rate_cumulative - 0.05) < 1e-12);
    assert.ok(Math.abs(m.packet_loss_rate - 0.05) <= 0.01, `windowed ${m.packet_loss_rate}`);
  });

  // One packet per frame, 33 ms apart: a 0–30 ms delay never reorders, so consecutive arrivals
  // are consecutive packets with independent delays, the case E|X − Y| describes.
  test('uniform 0–30 ms delay per packet: mean RFC 3550 jitter 10 ms ± 25 %', async (t) => {
    const port = await freeUdpPair();
    const clock = new ManualClock();
    const s = new LiveStream({ id: 'jitter', source: { kind: 'udp', port, bindAddress: '127.0.0.1' }, codec: 'h264', metricsWindowMs: 4000, clock });
    await s.connect();
    const r = rng(7);
    await send(s, clock, port, 5, 1, () => false, () => r() * 30);
    const m = s.metrics();
    await s.close();
    const j = m.jitter_ms;
    t.diagnostic(`jitter over the window: mean ${j.mean?.toFixed(2)} ms, min ${j.min?.toFixed(2)}, max ${j.max?.toFixed(2)}`);
    assert.ok(j.mean !== null && j.mean >= 7.5 && j.mean <= 12.5, `mean jitter ${j.mean?.toFixed(2)} ms (min ${j.min?.toFixed(2)}, max ${j.max?.toFixed(2)})`);
    assert.equal(m.packets_lost, 0, 'reordered, not lost');
  });
});
