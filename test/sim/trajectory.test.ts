/**
 * Target paths: a smooth curve through the scenario's waypoints. Checked against what a smooth
 * interpolant must do — hit every waypoint, have no kink (equal one-sided slopes), reduce to
 * uniform straight-line motion between two points — not against the spline formula itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trajectory } from '../../src/sim/index.ts';

/** Uneven time steps and sharp turns: a path where a sloppy interpolant would show. */
const WAYPOINTS = [
  [0, -80, 950, 80],
  [3, 40, 1050, 100],
  [10, 160, 1000, 125],
  [11.5, 200, 920, 95],
  [20, 90, 900, 75],
  [27, -30, 980, 90],
];

const close = (a: readonly number[], b: readonly number[], tol: number, msg: string) => {
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(a[k]! - b[k]!) <= tol, `${msg}: [${a.join(', ')}] vs [${b.join(', ')}]`);
};

test('the path passes exactly through every waypoint', () => {
  const tr = new Trajectory(WAYPOINTS);
  for (const [t, e, n, u] of WAYPOINTS) close(tr.position(t!), [e!, n!, u!], 1e-9, `t=${t}`);
});

test('the path is C1: at each interior waypoint the left and right slopes agree', () => {
  const tr = new Trajectory(WAYPOINTS);
  const h = 1e-4;
  for (let i = 1; i < WAYPOINTS.length - 1; i++) {
    const t = WAYPOINTS[i]![0]!;
    const p = tr.position(t), l = tr.position(t - h), r = tr.position(t + h);
    const left = [0, 1, 2].map((k) => (p[k]! - l[k]!) / h);
    const right = [0, 1, 2].map((k) => (r[k]! - p[k]!) / h);
    // One-sided differences differ by about h·|acceleration| (< 1e-2 here); a corner as in
    // piecewise-linear interpolation would differ by metres per second.
    close(left, right, 1e-2, `slopes at waypoint ${i} (t=${t})`);
    // ...and the curve really moves there (not a stop-and-go spline with zero tangents).
    assert.ok(Math.hypot(left[0]!, left[1]!, left[2]!) > 1, `moving at waypoint ${i}`);
  }
});

test('the sensitivity of the C1 check: piecewise-linear motion would fail it', () => {
  // Chord slopes into and out of waypoint 1 differ by tens of m/s: the 1e-2 tolerance above
  // is far below the kink a non-smooth interpolant would leave.
  const [a, b, c] = WAYPOINTS as number[][];
  const inSlope = (b![1]! - a![1]!) / (b![0]! - a![0]!), outSlope = (c![1]! - b![1]!) / (c![0]! - b![0]!);
  assert.ok(Math.abs(inSlope - outSlope) > 10);
});

test('a 2-waypoint path is a straight line at constant speed', () => {
  const tr = new Trajectory([[2, 0, 0, 0], [6, 40, -20, 8]]);
  // Hand values: p(t) = (t − 2)/4 · (40, −20, 8).
  close(tr.position(2.5), [5, -2.5, 1], 1e-9, 't=2.5');
  close(tr.position(3), [10, -5, 2], 1e-9, 't=3');
  close(tr.position(4), [20, -10, 4], 1e-9, 't=4');
  close(tr.position(5.5), [35, -17.5, 7], 1e-9, 't=5.5');
  close(tr.velocity(2.3), [10, -5, 2], 1e-6, 'velocity at 2.3');
  close(tr.velocity(5.1), [10, -5, 2], 1e-6, 'velocity at 5.1');
});

test('outside its time span the position is clamped to the first and last waypoint', () => {
  const tr = new Trajectory(WAYPOINTS);
  close(tr.position(-5), [-80, 950, 80], 1e-9, 'before');
  close(tr.position(-1e9), [-80, 950, 80], 1e-9, 'long before');
  close(tr.position(27.001), [-30, 980, 90], 1e-9, 'just after');
  close(tr.position(1e9), [-30, 980, 90], 1e-9, 'long after');
  const one = new Trajectory([[4, 1, 2, 3]]);
  for (const t of [0, 4, 9]) close(one.position(t), [1, 2, 3], 0, `single waypoint, t=${t}`);
});

test('isActive: true from the first to the last waypoint time, inclusive, false outside', () => {
  const tr = new Trajectory([[2, 0, 0, 0], [5, 1, 1, 1], [6, 2, 2, 2]]);
  assert.equal(tr.startTime, 2);
  assert.equal(tr.endTime, 6);
  const cases: [number, boolean][] = [[-1, false], [1.999, false], [2, true], [3.3, true], [5, true], [6, true], [6.001, false], [100, false]];
  for (const [t, want] of cases) assert.equal(tr.isActive(t), want, `t=${t}`);
});

test('positionInto writes into a preallocated array and agrees with position()', () => {
  const tr = new Trajectory(WAYPOINTS);
  const out = new Float64Array(3);
  tr.positionInto(7.25, out);
  assert.deepEqual([...out], tr.position(7.25));
});

/** Deviation of a 2-waypoint meandering path from its straight line e = t, n = u = 0. */
function deviation(tr: Trajectory, t: number): [number, number, number] {
  const p = tr.position(t);
  return [p[0] - t, p[1], p[2]];
}

test('meander 0: no deviation from the smooth path, whatever the seed', () => {
  for (const seed of [0, 1, 99]) {
    const tr = new Trajectory([[0, 0, 0, 0], [120, 120, 0, 0]], 0, seed);
    for (let t = 0; t <= 120; t += 0.7) close(deviation(tr, t), [0, 0, 0], 1e-9, `seed ${seed} t=${t}`);
  }
});

test('meander M: a real, slow wander of the order of M, deterministic per seed', () => {
  const M = 20;
  for (let seed = 0; seed < 12; seed++) {
    const tr = new Trajectory([[0, 0, 0, 0], [120, 120, 0, 0]], M, seed);
    let max = 0, maxStep = 0;
    let prev = deviation(tr, 0);
    for (let t = 0.05; t <= 120; t += 0.05) {
      const d = deviation(tr, t);
      max = Math.max(max, Math.hypot(...d));
      maxStep = Math.max(maxStep, Math.hypot(d[0] - prev[0], d[1] - prev[1], d[2] - prev[2]));
      prev = d;
    }
    assert.ok(max > 0.3 * M, `seed ${seed}: the path wanders (max ${max.toFixed(1)} m)`);
    assert.ok(max < 2.5 * M, `seed ${seed}: the wander stays of the order of M (max ${max.toFixed(1)} m)`);
    // Continuous, no jumps: 50 ms samples at most 2 m apart (40 m/s).
    assert.ok(maxStep < 2, `seed ${seed}: continuous wander (${(maxStep / 0.05).toFixed(1)} m/s)`);
    const again = new Trajectory([[0, 0, 0, 0], [120, 120, 0, 0]], M, seed);
    for (const t of [0, 13.7, 64, 120]) assert.deepEqual(again.position(t), tr.position(t), `seed ${seed} repeatable`);
  }
  const a = new Trajectory([[0, 0, 0, 0], [120, 120, 0, 0]], M, 1);
  const b = new Trajectory([[0, 0, 0, 0], [120, 120, 0, 0]], M, 2);
  assert.ok(Math.hypot(...deviation(a, 30).map((x, k) => x - deviation(b, 30)[k]!)) > 0.01, 'other seed, other wander');
});

test('meander scales with M', () => {
  const small = new Trajectory([[0, 0, 0, 0], [60, 60, 0, 0]], 1, 5);
  const big = new Trajectory([[0, 0, 0, 0], [60, 60, 0, 0]], 10, 5);
  for (const t of [3, 17, 42]) close(deviation(big, t), deviation(small, t).map((x) => 10 * x), 1e-9, `t=${t}`);
});
