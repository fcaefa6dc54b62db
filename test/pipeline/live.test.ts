/**
 * Issue 6 acceptance, live: frames handed to the detection pipeline by the media server are
 * aligned within ±16 ms, with real peers on loopback.
 *
 * Peer: test/server/live-sender.ts in its own process — three H.264 cameras (FFmpeg x264,
 * 320×240, 15 fps) sent by RtpSender on one shared sender clock, with RTCP sender reports. Frame k
 * of camera c is captured at start + phase_c + k·66.7 ms (phases 0, 5, 11 ms) and carries k in
 * its pixels. Truth for every frame the pipeline hands to the Detector is read from its pixels
 * (the frame number) and the sender's printed start time — nothing from the server's clock
 * mapping. A wrong pairing is a whole frame (≥ 55 ms) off.
 *
 * Case 1: shared clock. Case 2: camera c3's clock runs 400 ms ahead (its RTP timestamps and
 * sender-report NTP times say so); the site config carries that clock offset (clock.offset_ms:
 * 400, as `dvs calib` would give), and the pipeline puts c3's sender-report capture times back
 * on the site timeline. Control: c3's sender-report capture times themselves are 400 ms off the
 * truth, so the alignment is not an accident of arrival order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAligned, liveRun } from '../server/live-harness.ts';

test('shared sender clock: every frame group handed to the pipeline is aligned within ±16 ms', { timeout: 30000 }, async () => {
  const run = await liveRun({});
  checkAligned(run, 'shared clock', run.server.epochUnixMs);
});

test("one sender's clock 400 ms ahead (SR + RTP): aligned within ±16 ms through its sender reports and the configured clock offset", { timeout: 30000 }, async () => {
  const run = await liveRun({ offsets: [0, 0, 400], configOffsets: [0, 0, 400] });
  checkAligned(run, 'c3 clock +400 ms', run.server.epochUnixMs);
  // Control: c3's reported capture times (its own clock, from its sender reports) are 400 ms ahead of the truth.
  const c3 = run.observed.filter((m) => m.cam === 'c3');
  assert.ok(c3.length > 30);
  for (const m of c3) assert.ok(Math.abs(m.captureMs - m.trueMs - 400) < 3, `c3 capture − truth = ${(m.captureMs - m.trueMs).toFixed(2)} ms`);
  // The clock offset the pipeline used is the one GET /api/v1/calibration reports.
  const cal = run.api.calibration.cameras.find((c: { id: string }) => c.id === 'c3');
  assert.deepEqual(cal.clock, { offset_ms: 400, drift_ppm: 0 });
});
