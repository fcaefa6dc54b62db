/**
 * Issue 6 acceptance, live, second way of handling a wrong sender clock: camera c3's clock runs
 * 400 ms ahead (RTP timestamps and sender-report NTP times) and the site config does NOT know it.
 * The sync manager in 'arrival' alignment estimates c3's offset to the master from the minimum
 * transit (arrival − sender-report capture time) of each stream, and the pipeline (timeSource
 * 'sync') groups on that common timeline. Truth as in live.test.ts (frame numbers in the pixels,
 * the sender's start time); the groups must be aligned within ±16 ms. Site times are on the
 * master's clock here, so they are not compared with the truth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAligned, liveRun } from '../server/live-harness.ts';

test("one sender's clock 400 ms ahead, not in the config: the sync manager's arrival alignment of sender-report times aligns it within ±16 ms", { timeout: 40000 }, async () => {
  const run = await liveRun({ offsets: [0, 0, 400], sync: { clockAlignment: 'arrival' }, pipeline: { timeSource: 'sync' } });
  checkAligned(run, 'c3 clock +400 ms, arrival alignment', run.server.epochUnixMs, { siteTruth: false });
  // Control: c3's own (sender-report) capture times are 400 ms ahead of the truth.
  const c3 = run.observed.filter((m) => m.cam === 'c3');
  assert.ok(c3.length > 20);
  for (const m of c3) assert.ok(Math.abs(m.captureMs - m.trueMs - 400) < 3, `c3 capture − truth = ${(m.captureMs - m.trueMs).toFixed(2)} ms`);
  // The offset the sync manager applied: c3's site time − c1's for the same frame number ≈ 11 ms (the phase), not 411.
  const byK = new Map(run.observed.filter((m) => m.cam === 'c1').map((m) => [m.k, m]));
  const d = c3.filter((m) => byK.has(m.k)).map((m) => m.siteMs - byK.get(m.k)!.siteMs);
  console.log(`# arrival alignment: c3 − c1 site time for equal frame numbers: min ${Math.min(...d).toFixed(2)} max ${Math.max(...d).toFixed(2)} ms (true 11 ms)`);
  for (const x of d) assert.ok(Math.abs(x - 11) <= 16, `c3 − c1 = ${x.toFixed(2)} ms`);
});
