/**
 * carryMetrics: a stream's cumulative metrics across a change of stream object (a lane move),
 * checked against sums and rates worked by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carryMetrics } from '../../src/media/manager/manager.ts';
import { LiveStream, type LiveStreamMetrics } from '../../src/media/stream/index.ts';

const blank = (): LiveStreamMetrics => new LiveStream({ id: 'x', source: { kind: 'udp', port: 40000 } }).metrics();

test('carryMetrics: counters summed, cumulative rates from the sums, windowed and latest values from the current object', () => {
  const a = blank();
  Object.assign(a, {
    packets_received: 900, packets_lost: 100, packet_loss_rate: 0.2, packet_loss_rate_cumulative: 0.1,
    frames_delivered: 95, frames_dropped: 5, frame_drop_rate_cumulative: 0.05, keyframe_requests: 2, busy_ms: 40,
    resolution: [1920, 1080], codec: 'h264', resolution_changes: 1, last_packet_ms: 1000, last_frame_ms: 990,
  });
  a.transport = { ...a.transport, rtpPackets: 900, bytes: 1_000_000, unknownSource: 3 };
  a.rejected = { ...a.rejected, duplicates: 4 };
  const b = blank();
  Object.assign(b, { packets_received: 300, packets_lost: 0, packet_loss_rate: 0, frames_delivered: 10, frames_dropped: 0, busy_ms: 5, fps: 30, last_packet_ms: null });
  b.transport = { ...b.transport, rtpPackets: 300, bytes: 250_000 };
  b.rejected = { ...b.rejected, duplicates: 1 };
  const m = carryMetrics(a, b);
  assert.equal(m.packets_received, 1200);
  assert.equal(m.packets_lost, 100);
  assert.equal(m.packet_loss_rate_cumulative, 100 / 1300);
  assert.equal(m.packet_loss_rate, 0, 'windowed: the current object');
  assert.equal(m.fps, 30);
  assert.equal(m.frames_delivered, 105);
  assert.equal(m.frame_drop_rate_cumulative, 5 / 110);
  assert.equal(m.keyframe_requests, 2);
  assert.equal(m.busy_ms, 45);
  assert.equal(m.transport.rtpPackets, 1200);
  assert.equal(m.transport.bytes, 1_250_000);
  assert.equal(m.transport.unknownSource, 3);
  assert.equal(m.rejected.duplicates, 5);
  assert.deepEqual(m.resolution, [1920, 1080], 'until the new object has its own');
  assert.equal(m.codec, 'h264');
  assert.equal(m.resolution_changes, 1);
  assert.equal(m.last_packet_ms, 1000);
  assert.equal(carryMetrics(null, b), b);
});
