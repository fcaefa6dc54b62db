import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kinematicFeatures, type TrackHistory, type Vec3 } from '../../src/classify/index.ts';
import { Rng } from '../../src/util/rng.ts';

const close = (a: number, b: number, tol: number, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

function sample(times: number[], pos: (t: number) => Vec3, vel?: (t: number) => Vec3): TrackHistory {
  const h: TrackHistory = { t: times, enu: times.map(pos) };
  if (vel) h.vel = times.map(vel);
  return h;
}
const grid = (t0: number, t1: number, hz: number): number[] => Array.from({ length: Math.round((t1 - t0) * hz) + 1 }, (_, k) => t0 + k / hz);

test('straight line at (3, 4, 0) m/s, uneven samples, no velocities given: speed 5, no acceleration, straight', () => {
  const rng = new Rng(1);
  const times = grid(0, 10, 20).filter(() => rng.next() > 0.3);
  const k = kinematicFeatures(sample(times, (t) => [10 + 3 * t, -5 + 4 * t, 50]));
  close(k.meanSpeed, 5, 1e-9, 'mean speed');
  close(k.maxSpeed, 5, 1e-9, 'max speed');
  close(k.meanHorizSpeed, 5, 1e-9);
  close(k.meanAccel, 0, 1e-9, 'accel');
  close(k.meanClimb, 0, 1e-9);
  assert.equal(k.hoverFraction, 0);
  close(k.straightness, 1, 1e-9, 'straightness');
  close(k.curvature, 0, 1e-9, 'curvature');
  close(k.duration_s, times[times.length - 1]! - times[0]!, 1e-12);
});

test('circle of radius 50 m at 10 m/s: accel v²/R = 2, curvature 1/R, straightness chord/arc', () => {
  const R = 50, w = 0.2; // 10 m/s
  const k = kinematicFeatures(sample(grid(0, 20, 20), (t) => [R * Math.cos(w * t), R * Math.sin(w * t), 80]));
  close(k.meanSpeed, 10, 0.05, 'speed');
  close(k.meanAccel, 2, 0.05, 'accel');
  close(k.curvature, 1 / R, 0.0005, 'curvature');
  // 4 rad of arc: chord 2R·sin 2 = 90.93 m over 200 m of path.
  close(k.straightness, (2 * R * Math.sin(2)) / 200, 0.005, 'straightness');
  assert.equal(k.hoverFraction, 0);
});

test('cruise 5 s then hover 5 s (tracker velocities): hover fraction 5.05/10 by time weights', () => {
  const times = grid(0, 10, 10);
  const pos = (t: number): Vec3 => [Math.min(t, 5) * 10, 0, 30];
  const vel = (t: number): Vec3 => (t < 5 - 1e-9 ? [10, 0, 0] : [0, 0, 0]);
  const k = kinematicFeatures(sample(times, pos, vel));
  // Samples at 5.0 … 9.9 carry 0.1 s each, the last one 0.05 s: 5.05 s of 10 s.
  close(k.hoverFraction, 0.505, 1e-9, 'hover fraction');
  close(k.meanSpeed, 4.95, 1e-9, 'mean speed'); // 10 m/s over 4.95 s of weight
  close(k.straightness, 50 / 49.5, 0.02);
});

test('vertical climb at 3 m/s counts as horizontally still; climb rate 3', () => {
  const k = kinematicFeatures(sample(grid(0, 6, 15), (t) => [5, 5, 20 + 3 * t]));
  close(k.meanClimb, 3, 1e-9);
  close(k.maxClimb, 3, 1e-9);
  close(k.hoverFraction, 1, 1e-12);
});

test('fewer than 3 samples: zeros, straightness 1', () => {
  const k = kinematicFeatures({ t: [0, 1], enu: [[0, 0, 0], [1, 0, 0]] });
  assert.equal(k.samples, 2);
  assert.equal(k.meanSpeed, 0);
  assert.equal(k.straightness, 1);
});
