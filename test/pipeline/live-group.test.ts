/**
 * FrameGrouper (the live pipeline's grouping, pure): groups worked out by hand from frame times.
 * Times in seconds; arrival clock in ms passed explicitly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameGrouper, type FrameGroup } from '../../src/pipeline/live-group.ts';

const TOL = 0.016;
const names = (g: FrameGroup<string>) => g.frames.map((f) => f?.payload ?? null);

test('three cameras, phases 0 / 5 / 11 ms, arriving out of order across cameras: frame k of each camera grouped together', () => {
  const dropped: string[] = [];
  const g = new FrameGrouper<string>({ cameras: ['a', 'b', 'c'], toleranceS: TOL, maxWaitMs: 500 }, (f, why) => dropped.push(`${f.payload}:${why}`));
  const P = 1 / 15;
  // b's frames come 30 ms after a's, c's 200 ms after (a slower path); a is the reference.
  const events: Array<[number, string, number]> = [];
  for (let k = 0; k < 5; k++) {
    events.push([1000 + k * 66.7, 'a', k * P]);
    events.push([1030 + k * 66.7, 'b', k * P + 0.005]);
    events.push([1200 + k * 66.7, 'c', k * P + 0.011]);
  }
  events.sort((x, y) => x[0] - y[0]);
  const out: FrameGroup<string>[] = [];
  for (const [at, cam, t] of events) {
    assert.ok(g.add(cam, t, at, `${cam}${Math.round((t - (cam === 'b' ? 0.005 : cam === 'c' ? 0.011 : 0)) / P)}`));
    out.push(...g.poll(at, 'a'));
  }
  // Group k needs c's frame k+1 (later than T + 16 ms) to be decided, so frames 0..3 are out; 4 waits.
  assert.deepEqual(out.map(names), [0, 1, 2, 3].map((k) => [`a${k}`, `b${k}`, `c${k}`]));
  for (const x of out) { assert.equal(x.complete, true); assert.ok(Math.abs(x.spreadMs - 11) < 1e-6); assert.equal(x.anchor, 'a'); }
  // After maxWait from a4's arrival (1266.8 ms) the last group goes out with what is there.
  assert.deepEqual(g.poll(1266.8 + 499, 'a'), []);
  const last = g.poll(1266.8 + 500, 'a');
  assert.deepEqual(last.map(names), [['a4', 'b4', 'c4']]);
  assert.deepEqual(dropped, []);
  assert.deepEqual(g.counters, { groups: 5, complete: 5, unmatched: 0, overflow: 0, late: 0 });
});

test('a 30 fps camera against a 15 fps reference: the nearest frame within ±16 ms joins, the one between is dropped', () => {
  const dropped: string[] = [];
  const g = new FrameGrouper<string>({ cameras: ['ref', 'fast'], toleranceS: TOL }, (f, why) => dropped.push(`${f.payload}:${why}`));
  // ref at 0, 66.7, 133.3 ms; fast at 3, 36.3, 69.7, 103, 136.3, 169.7 ms (phase 3 ms).
  for (let k = 0; k < 3; k++) g.add('ref', k / 15, 0, `r${k}`);
  for (let k = 0; k < 6; k++) g.add('fast', 0.003 + k / 30, 0, `f${k}`);
  const out = g.poll(1, 'ref');
  // T = 0: f0 (3 ms). T = 66.7: f1 (−30.3 ms) out of tolerance → dropped, f2 (+3 ms) joins. T = 133.3: f4; f3 dropped.
  assert.deepEqual(out.map(names), [['r0', 'f0'], ['r1', 'f2'], ['r2', 'f4']]);
  assert.deepEqual(dropped, ['f1:unmatched', 'f3:unmatched']);
  assert.equal(g.pending('fast'), 1); // f5 waits for the next reference frame
});

test('a camera with no frame within tolerance leaves a null slot (incomplete); a late frame is dropped as late', () => {
  const dropped: string[] = [];
  const g = new FrameGrouper<string>({ cameras: ['a', 'b'], toleranceS: TOL, maxWaitMs: 100, absentMs: 1000 }, (f, why) => dropped.push(`${f.payload}:${why}`));
  g.add('a', 1.0, 0, 'a@1.000');
  g.add('b', 1.030, 0, 'b@1.030'); // 30 ms after: beyond +16 ms, so b is decided and has nothing for T = 1.0
  const out = g.poll(0, 'a');
  assert.equal(out.length, 1);
  assert.deepEqual(names(out[0]!), ['a@1.000', null]);
  assert.equal(out[0]!.complete, false);
  assert.equal(out[0]!.spreadMs, 0);
  // A frame of b at 0.980 s now is older than the last anchor − 16 ms: too late to group.
  assert.equal(g.add('b', 0.980, 5, 'b@0.980'), false);
  assert.deepEqual(dropped, ['b@0.980:late']);
  assert.equal(g.counters.late, 1);
});

test('waiting: no group while another camera may still deliver; absent cameras and a silent reference do not block', () => {
  const g = new FrameGrouper<string>({ cameras: ['a', 'b', 'c'], toleranceS: TOL, maxWaitMs: 400, absentMs: 1000 });
  g.add('a', 2.0, 0, 'a0');
  g.add('b', 2.004, 10, 'b0');
  // c has never sent: it counts as seen at the first add (0 ms), so absent from 1000 ms on;
  // a's frame has waited maxWait at 400 ms, which decides first.
  assert.deepEqual(g.poll(399, 'a'), []);
  assert.deepEqual(g.poll(400, 'a').map(names), [['a0', 'b0', null]]);
  // Reference 'a' falls silent; b and c go on. b's frame at 2.5 s waits for the reference until
  // maxWait (or until a is absent), then anchors a group itself.
  g.add('b', 2.5, 1000, 'b1');
  g.add('c', 2.51, 1005, 'c1');
  assert.deepEqual(g.poll(1399, 'a'), []);
  const out = g.poll(1400, 'a');
  assert.deepEqual(out.map(names), [[null, 'b1', 'c1']]);
  assert.equal(out[0]!.anchor, 'b');
});

test('per-camera order is kept and maxPending bounds what a camera holds', () => {
  const dropped: string[] = [];
  const g = new FrameGrouper<string>({ cameras: ['a', 'b'], toleranceS: TOL, maxPending: 3 }, (f, why) => dropped.push(`${f.payload}:${why}`));
  g.add('b', 0.2, 0, 'b2');
  g.add('b', 0.1, 0, 'b1'); // stepped back by a clock refit: sorted in
  g.add('b', 0.3, 0, 'b3');
  g.add('b', 0.4, 0, 'b4'); // fourth: the oldest (b1) goes
  assert.deepEqual(dropped, ['b1:overflow']);
  g.add('a', 0.2, 0, 'a2');
  assert.deepEqual(g.poll(0, 'a').map(names), [['a2', 'b2']]);
  assert.throws(() => new FrameGrouper({ cameras: ['x', 'x'], toleranceS: TOL }), RangeError);
  assert.throws(() => new FrameGrouper({ cameras: ['x'], toleranceS: -1 }), RangeError);
});
