import { test } from 'node:test';
import assert from 'node:assert/strict';
import { solveAssignment } from '../../src/eval/assignment.ts';
import { rng } from './helpers.ts';

/** Exhaustive minimum over all injective maps of the smaller side into the larger. */
function bruteForce(cost: number[][]): number {
  const rows = cost.length, cols = cost[0]!.length;
  const t = rows <= cols ? cost : cost[0]!.map((_, j) => cost.map((row) => row[j]!));
  const r = t.length, c = t[0]!.length;
  const used = new Array<boolean>(c).fill(false);
  let best = Infinity;
  const go = (i: number, acc: number): void => {
    if (i === r) { best = Math.min(best, acc); return; }
    for (let j = 0; j < c; j++) {
      if (used[j]) continue;
      used[j] = true; go(i + 1, acc + t[i]![j]!); used[j] = false;
    }
  };
  go(0, 0);
  return best;
}

function checkValid(cost: number[][], rowToCol: number[]): void {
  const rows = cost.length, cols = cost[0]!.length;
  const cols_ = rowToCol.filter((j) => j >= 0);
  assert.equal(new Set(cols_).size, cols_.length, 'columns used once');
  assert.equal(cols_.length, Math.min(rows, cols), 'the smaller side is fully assigned');
  for (const j of cols_) assert.ok(j < cols);
}

test('a 3×3 case by hand: the greedy choice (row 0 takes its cheapest 1) is not optimal', () => {
  // Greedy: 0→0 (1), 1→1 (8), 2→2 (9) = 18. Optimal: 0→1 (2), 1→0 (2), 2→2 (9) = 13.
  const cost = [[1, 2, 9], [2, 8, 9], [9, 9, 9]];
  const a = solveAssignment(cost);
  assert.equal(a.total, 13);
  assert.deepEqual(a.rowToCol, [1, 0, 2]);
});

test('Hungarian equals brute force on random square and rectangular matrices up to 8 wide', () => {
  const r = rng(12345);
  for (let trial = 0; trial < 400; trial++) {
    const rows = 1 + Math.floor(r() * 8), cols = 1 + Math.floor(r() * 8);
    const ints = trial % 2 === 0; // integer matrices have many ties
    const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => (ints ? Math.floor(r() * 5) : r() * 100 - 20)));
    const a = solveAssignment(cost);
    checkValid(cost, a.rowToCol);
    const want = bruteForce(cost);
    assert.ok(Math.abs(a.total - want) < 1e-9, `trial ${trial} ${rows}×${cols}: ${a.total} vs ${want}`);
  }
});

test('20×20 and 20×5: the optimum of a planted permutation is found', () => {
  // Zero cost on a hidden permutation, cost ≥ 1 elsewhere: the optimum is exactly 0 and unique.
  const r = rng(7);
  const n = 20;
  const perm = Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5);
  const cost = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (perm[i] === j ? 0 : 1 + r() * 10)));
  const a = solveAssignment(cost);
  assert.equal(a.total, 0);
  assert.deepEqual(a.rowToCol, perm);
  const tall = cost.map((row) => row.slice(0, 5)); // 20 rows, 5 columns: rows perm⁻¹(0..4) get them
  const b = solveAssignment(tall);
  assert.equal(b.total, 0);
  for (let i = 0; i < n; i++) assert.equal(b.rowToCol[i], perm[i]! < 5 ? perm[i] : -1);
});

test('degenerate shapes and bad costs', () => {
  assert.deepEqual(solveAssignment([]), { rowToCol: [], total: 0 });
  assert.deepEqual(solveAssignment([[], []]), { rowToCol: [-1, -1], total: 0 });
  assert.deepEqual(solveAssignment([[4, 3, 5]]), { rowToCol: [1], total: 3 });
  assert.deepEqual(solveAssignment([[4], [3], [5]]), { rowToCol: [-1, 0, -1], total: 3 });
  assert.throws(() => solveAssignment([[1, Infinity]]), RangeError);
  assert.throws(() => solveAssignment([[1, 2], [3]]), RangeError);
});
