/**
 * Issue 6 acceptance, live: camera c3's clock runs 400 ms ahead (its RTP timestamps and the NTP
 * times of its sender reports say so); the site config carries that clock offset
 * (clock.offset_ms: 400, as `dvs calib` would give), and the pipeline puts c3's sender-report
 * capture times back on the site timeline: the frame groups handed to the Detector stay aligned
 * within ±16 ms. Control: c3's sender-report capture times themselves are 400 ms off the truth,
 * so the alignment is not an accident. Peer and truth as in live.test.ts (test/server/live-harness.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAligned, liveRun } from '../server/live-harness.ts';

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
