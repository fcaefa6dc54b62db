/** StreamMetricsWindow against hand-computed figures (no network). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamMetricsWindow, type CounterSample } from '../../src/media/stream/index.ts';

/** Sample k at t = 250·k: 100 packets expected per step, 5 lost per step up to k = 4, then 10. */
function sample(k: number): CounterSample {
  return {
    t: 250 * k, expected: 100 * k, received: k <= 4 ? 95 * k : 380 + 90 * (k - 4), bytes: 1000 * k,
    framesDelivered: 10 * k, framesDropped: k >= 6 ? 10 : 0, jitterMs: k,
  };
}

test('windowed and cumulative loss, drop rate, bitrate, jitter min/max/mean, fps', () => {
  const w = new StreamMetricsWindow({ windowMs: 1000 });
  for (let k = 0; k <= 7; k++) w.addSample(sample(k));
  for (let i = 0; i < 30; i++) w.addFrame(i * (1000 / 15), 1_000_000 + i * 6000, 90000); // 15 fps
  const f = w.figures(2000, sample(8));
  // Window base: the newest sample older than 1000 ms, k = 3 (t = 750).
  // Packets k 3→8: expected 500, received 740 − 285 = 455 → 45 lost = 9 %.
  assert.ok(Math.abs(f.packet_loss_rate - 0.09) < 1e-12);
  assert.ok(Math.abs(f.packet_loss_rate_cumulative - 60 / 800) < 1e-12);
  assert.equal(f.packets_received, 740);
  assert.equal(f.packets_lost, 60);
  // 5000 bytes over 1250 ms = 32 kbit/s.
  assert.ok(Math.abs(f.stream_bitrate_kbps - 32) < 1e-12);
  assert.equal(f.window_ms, 1250);
  // Frames k 3→8: 50 delivered, 10 dropped; since the start 80 and 10.
  assert.ok(Math.abs(f.frame_drop_rate - 10 / 60) < 1e-12);
  assert.ok(Math.abs(f.frame_drop_rate_cumulative - 10 / 90) < 1e-12);
  // Jitter samples inside the window: k = 4…7, plus the current 8.
  assert.deepEqual(f.jitter_ms, { current: 8, min: 4, max: 8, mean: 6 });
  // Frames 15…29 arrived within the last second: 14 intervals of 6000 ticks at 90 kHz.
  assert.equal(f.fps, 15);
});

test('fps falls back to arrival times when RTP timestamps do not advance; empty windows give zeros and nulls', () => {
  const w = new StreamMetricsWindow({ windowMs: 1000 });
  const none = w.figures(0, { t: 0, expected: 0, received: 0, bytes: 0, framesDelivered: 0, framesDropped: 0, jitterMs: null });
  assert.deepEqual([none.packet_loss_rate, none.frame_drop_rate, none.stream_bitrate_kbps, none.fps, none.jitter_ms.mean], [0, 0, 0, null, null]);
  for (let i = 0; i < 11; i++) w.addFrame(100 + i * 40, 5, 90000); // 25 frames/s by arrival, one RTP timestamp
  assert.equal(w.figures(600, sample(0)).fps, 25);
  w.resetFrames();
  assert.equal(w.figures(600, sample(0)).fps, null);
});

test('the sample ring keeps the newest samples when it overflows', () => {
  const w = new StreamMetricsWindow({ windowMs: 1000, sampleCapacity: 4 });
  for (let k = 0; k <= 20; k++) w.addSample(sample(k));
  // Held: k = 17…20. At t = 5250 (k = 21) the base is k = 17 (t = 4250, exactly 1000 ms old is inside).
  const f = w.figures(5250, sample(21));
  assert.equal(f.window_ms, 1000);
  assert.ok(Math.abs(f.packet_loss_rate - 0.1) < 1e-12);
});
