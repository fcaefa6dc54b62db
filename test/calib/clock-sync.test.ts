import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateClockPair } from '../../src/calib/clock-sync.ts';
import { observe, rig } from './synthetic.ts';

// The pairwise estimate is the coarse stage: it must land well inside one frame (66 ms) and
// within a few hundred ppm so that the bundle adjustment (which refines clocks jointly with the
// geometry, see bundle.test.ts) starts in its basin.

test('clock pair: recovers a 12.3 s offset and 150 ppm drift between two 15 fps cameras (σ = 0.3 px)', () => {
  const [c1, c2] = rig();
  const A = observe(c1!, 100, 160, 0.3, 1);
  const B = observe(c2!, 90, 170, 0.3, 2);
  const r = estimateClockPair(A, B, { maxShiftS: 60, threshold: 2 })!;
  assert.ok(r);
  // Truth: t_B = a·s + b with s = t_A (camera 1 runs on site time).
  const aTrue = 1 + 150e-6, bTrue = 12.3456;
  // Compare the predicted B time at the middle of the overlap (what the data constrain best) and the drift.
  const tm = 130;
  const err = (r.a * tm + r.b) - (aTrue * tm + bTrue);
  assert.ok(Math.abs(err) < 0.008, `time error ${err * 1000} ms`);
  assert.ok(Math.abs((r.a - aTrue) * 1e6) < 200, `drift ${(r.a - 1) * 1e6} ppm`);
  assert.ok(r.inliers > 0.8 * r.paired);
  assert.ok(r.runnerUpCost > 2 * r.bestCost, `ambiguous: ${r.bestCost} vs ${r.runnerUpCost}`);
});

test('clock pair: 12.5 fps against 15 fps, −23.5 s offset, −200 ppm', () => {
  const cams = rig();
  const A = observe(cams[0]!, 50, 120, 0.3, 3);
  const B = observe(cams[2]!, 40, 130, 0.3, 4);
  const r = estimateClockPair(A, B, { maxShiftS: 40, threshold: 2 })!;
  const aTrue = 1 - 200e-6, bTrue = -23.4567;
  const tm = 85;
  const err = (r.a * tm + r.b) - (aTrue * tm + bTrue);
  assert.ok(Math.abs(err) < 0.008, `time error ${err * 1000} ms`);
  assert.ok(Math.abs((r.a - aTrue) * 1e6) < 200, `drift ${(r.a - 1) * 1e6} ppm`);
});
