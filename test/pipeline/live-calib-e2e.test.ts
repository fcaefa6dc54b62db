/**
 * Smoke test of the LivePipeline wiring of calibOnline through real RTP (test/server/live-harness.ts):
 * with the worker-hosted refiner attached the pipeline still groups and detects every frame, the
 * worker is started and closed with the pipeline, and the server answers every route.
 * (The harness's 4 s scene is too short for a refinement; the refiner itself is tested in live-calib.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveRun } from '../server/live-harness.ts';

test('live pipeline with calibOnline: frames still flow, API answers', { timeout: 60000 }, async () => {
  const run = await liveRun({ pipeline: { calibOnline: { everyS: 1 } } });
  console.log(`live-calib e2e: ${run.server.counters.frames} frames to the detector, ${run.groups.length} groups`);
  assert.ok(run.server.counters.frames! > 0, 'frames reached the detector');
  assert.equal(run.api.calibration.current, 'config-1');
  assert.ok(Array.isArray(run.api.tracks) || typeof run.api.tracks === 'object');
});
