import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestWithin, quantile } from '../../src/eval/stats.ts';

test('quantile: median of odd and even counts, p90 by linear interpolation (R type 7)', () => {
  assert.equal(quantile([], 0.5), null);
  assert.equal(quantile([7], 0.9), 7);
  assert.equal(quantile([1, 2, 3], 0.5), 2);
  assert.equal(quantile([1, 2, 3, 10], 0.5), 2.5);
  // numpy.percentile([1..10], 90) = 9.1
  assert.ok(Math.abs(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)! - 9.1) < 1e-12);
});

test('nearestWithin: nearest time within the tolerance, ties to the earlier, decimal slack', () => {
  const ts = [1.0, 1.2, 1.3, 2.0];
  assert.equal(nearestWithin(ts, 1.24, 0.1), 1);
  assert.equal(nearestWithin(ts, 1.25, 0.1), 1); // tie → earlier
  assert.equal(nearestWithin(ts, 1.26, 0.1), 2);
  assert.equal(nearestWithin(ts, 1.7, 0.1), -1);
  assert.equal(nearestWithin(ts, 0.9, 0.1), 0); // 1.0 − 0.9 = 0.09999999999999998
  assert.equal(nearestWithin([12.2], 12.3, 0.1), 0); // 12.3 − 12.2 = 0.10000000000000142
  assert.equal(nearestWithin(ts, 2.2, 0.1), -1);
  assert.equal(nearestWithin([], 1, 0.1), -1);
  assert.equal(nearestWithin(ts, 5, 0.1), -1);
});
