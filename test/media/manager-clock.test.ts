/**
 * The manager's reconnection policy on an injected clock: with real (silent, then sending) UDP
 * sockets but a manual clock, every state change lands exactly on the hand-computed schedule:
 * timeout 300, backoff [200, 400] (last repeats), 3 attempts, failed retries every 1000.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { RtpHeader, RtpPacket } from 'werift-rtp';
import { StreamManager, type StreamManagerEvent } from '../../src/media/manager/index.ts';
import type { Clock } from '../../src/media/transport/index.ts';
import { sleep, freeUdpPair, ManualClock } from './peer.ts';

test('state changes at exactly 0, 300, 500, 800, 1200, 1500, 1900, 2200 (failed), retries at 3200 and 4500 → active', async () => {
  const clock = new ManualClock();
  const port = await freeUdpPair();
  const m = new StreamManager({
    connectionTimeoutMs: 300, reconnectAttempts: 3, reconnectBackoffMs: [200, 400], failedRetryMs: 1000,
    bindAddress: '127.0.0.1', rtpPortRange: null, clock,
  });
  const events: StreamManagerEvent[] = [];
  m.on((e) => events.push(e));
  m.add({ id: 'cam', source: { kind: 'udp', port }, codec: 'h264' });
  const tx = createSocket('udp4');
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
  let seq = 0;
  // 50 ms clock steps with a real pause so socket binds and closes complete between them
  // (their continuations then read the clock still at the step's time).
  const settle = async () => {
    await sleep(15);
    for (let k = 0; k < 3; k++) await new Promise((r) => setImmediate(r));
  };
  for (let t = 0; t <= 4600; t += 50) {
    clock.advance(t);
    await settle();
    if (t >= 4500) {
      // A sender appears during the second retry of the failed stream.
      const p = new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq++, timestamp: seq * 6000, ssrc: 9, marker: true }), Buffer.from([0x41, 1, 2, 3])).serialize();
      tx.send(p, port, '127.0.0.1');
      await settle();
    }
  }
  await m.close();
  tx.close();
  const got = events.filter((e) => e.type === 'state' || e.type === 'attempt')
    .map((e) => e.type === 'state' ? `${e.atMs} ${e.to} ${e.attempt}` : `${e.atMs} attempt(${e.state}) ${e.attempt}`);
  assert.deepEqual(got, [
    '0 connecting 0',
    '300 reconnecting 1', '500 attempt(reconnecting) 1',
    '800 reconnecting 2', '1200 attempt(reconnecting) 2',
    '1500 reconnecting 3', '1900 attempt(reconnecting) 3',
    '2200 failed 3', '3200 attempt(failed) 3',
    '4500 attempt(failed) 3', '4500 active 0',
    '4600 stopped 0',
  ]);
});
