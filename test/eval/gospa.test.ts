import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gospa } from '../../src/eval/gospa.ts';
import { close, rng } from './helpers.ts';

// c = 50 m, p = 2, α = 2: a missed or false point costs c^p/α = 1250 m².
const C = 50, P = 2, A = 2;

test('empty sets: 0; only truth: all missed; only estimates: all false', () => {
  const e = gospa([], [], C, P, A);
  assert.equal(e.distance, 0);
  const m = gospa([[0, 0, 0], [100, 0, 0]], [], C, P, A);
  close(m.distance, Math.sqrt(2500), 1e-9); // 2 × 1250
  assert.equal(m.missedCount, 2); assert.equal(m.missed, 2500); assert.equal(m.false, 0);
  const f = gospa([], [[0, 0, 0]], C, P, A);
  close(f.distance, Math.sqrt(1250), 1e-9);
  assert.equal(f.falseCount, 1); assert.equal(f.false, 1250);
});

test('one match 5 m off, one missed drone, one false estimate: d² = 25 + 1250 + 1250', () => {
  const X = [[0, 0, 0], [100, 0, 0]];
  const Y = [[3, 4, 0], [0, 0, 1000]];
  const g = gospa(X, Y, C, P, A);
  close(g.distance, Math.sqrt(2525), 1e-9);
  close(g.localization, 25, 1e-9);
  assert.equal(g.missed, 1250); assert.equal(g.false, 1250);
  assert.equal(g.missedCount, 1); assert.equal(g.falseCount, 1);
  assert.deepEqual(g.xToY, [0, -1]);
  // Without the false estimate: 25 + 1250.
  close(gospa(X, [[3, 4, 0]], C, P, A).distance, Math.sqrt(1275), 1e-9);
});

test('a pair at or beyond c counts as one missed plus one false, never as localisation', () => {
  const g = gospa([[0, 0, 0]], [[60, 0, 0]], C, P, A);
  close(g.distance, 50, 1e-9); // min(60, 50)² = 2500 = 1250 + 1250
  assert.equal(g.localization, 0); assert.equal(g.missed, 1250); assert.equal(g.false, 1250);
});

test('the assignment is optimal, not greedy: X = {0, 10}, Y = {9, 19} on a line', () => {
  // Greedy nearest-first pairs 10–9 (1 m) then 0–19 (19 m): 1 + 361 = 362.
  // Optimal pairs 0–9 and 10–19: 81 + 81 = 162.
  const g = gospa([[0, 0, 0], [10, 0, 0]], [[9, 0, 0], [19, 0, 0]], C, P, A);
  close(g.distance, Math.sqrt(162), 1e-9);
  assert.deepEqual(g.xToY, [0, 1]);
});

test('α = 1 and p = 1: the cardinality penalty is c^p/α per unmatched point', () => {
  close(gospa([[0, 0, 0]], [[0, 0, 0], [500, 0, 0]], C, 2, 1).distance, 50, 1e-9); // (0 + 2500/1)^½
  close(gospa([[0, 0, 0], [100, 0, 0]], [[3, 4, 0]], C, 1, 2).distance, 5 + 25, 1e-9); // 5 + 50/2
});

test('components add up to d^p for α = 2 on random sets, and d is symmetric in X and Y', () => {
  const r = rng(99);
  for (let k = 0; k < 200; k++) {
    const pts = (n: number) => Array.from({ length: n }, () => [r() * 200, r() * 200, r() * 50]);
    const X = pts(Math.floor(r() * 6)), Y = pts(Math.floor(r() * 6));
    const g = gospa(X, Y, C, P, A);
    close(g.localization + g.missed + g.false, g.distance ** 2, 1e-6, `case ${k}`);
    close(gospa(Y, X, C, P, A).distance, g.distance, 1e-9, `symmetry ${k}`);
  }
});
