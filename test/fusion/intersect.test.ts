import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intersectRays } from '../../src/fusion/intersect.ts';

const unit = (v: number[]) => { const n = Math.hypot(...v); return v.map((x) => x / n); };

test('rays from three camera centres through a known point meet exactly there', () => {
  const X = [120, 950, 85];
  const C = [[0, 0, 8], [130, 10, 6], [-10, 125, 10]];
  const origins = C.flat();
  const dirs = C.flatMap((c) => unit([X[0]! - c[0]!, X[1]! - c[1]!, X[2]! - c[2]!]));
  const r = intersectRays(origins, dirs, [1, 1, 1], 3);
  assert.ok(r.ok && r.inFront);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(r.point[i]! - X[i]!) < 1e-6, `${r.point} vs ${X}`);
  assert.ok(r.rmsM < 1e-6);
});

test('two skew rays: the midpoint of the common perpendicular, computed by hand', () => {
  // Ray A along +x through (0,0,0); ray B along +y through (0,0,2): closest points (0,0,0) and (0,0,2).
  const r = intersectRays([-5, 0, 0, 0, -5, 2], [1, 0, 0, 0, 1, 0], [1, 1], 2);
  assert.ok(r.ok);
  assert.deepEqual(r.point.map((x) => Math.round(x * 1e9) / 1e9), [0, 0, 1]);
  assert.ok(Math.abs(r.rmsM - 1) < 1e-12); // each ray is 1 m from the midpoint
  // Weights pull the point toward the heavier ray: w=3 on A → z = 2·1/(3+1) = 0.5.
  const w = intersectRays([-5, 0, 0, 0, -5, 2], [1, 0, 0, 0, 1, 0], [3, 1], 2);
  assert.ok(Math.abs(w.point[2] - 0.5) < 1e-12);
});

test('parallel rays and single rays are degenerate, not solved', () => {
  assert.equal(intersectRays([0, 0, 0, 1, 0, 0], [0, 1, 0, 0, 1, 0], [1, 1], 2).ok, false);
  assert.equal(intersectRays([0, 0, 0], [0, 1, 0], [1], 1).ok, false);
});

test('a point behind a ray origin is flagged', () => {
  const r = intersectRays([0, 10, 0, 10, 10, 0], unit([1, 1, 0]).concat(unit([-1, 1, 0])), [1, 1], 2);
  assert.ok(r.ok);
  assert.ok(r.inFront); // they meet at (5, 15, 0), in front of both
  const back = intersectRays([0, 10, 0, 10, 10, 0], unit([-1, -1, 0]).concat(unit([1, -1, 0])), [1, 1], 2);
  assert.ok(back.ok && !back.inFront);
});
