import { test } from 'node:test';
import assert from 'node:assert/strict';
import { associateGnn, chiSquare3Cdf } from '../../src/tracking/index.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * Exhaustive optimum: every row either takes a distinct allowed column or misses; the objective is
 * Σ cost(chosen pairs) + Σ missCost(rows that miss).
 */
function bruteForce(cost: Float64Array, rows: number, cols: number, miss: Float64Array): number {
  const used = new Array<boolean>(cols).fill(false);
  let best = Infinity;
  const go = (i: number, acc: number): void => {
    if (i === rows) { best = Math.min(best, acc); return; }
    go(i + 1, acc + miss[i]!);
    for (let j = 0; j < cols; j++) {
      const c = cost[i * cols + j]!;
      if (used[j] || !Number.isFinite(c)) continue;
      used[j] = true; go(i + 1, acc + c); used[j] = false;
    }
  };
  go(0, 0);
  return best;
}

function objective(cost: Float64Array, cols: number, miss: Float64Array, rowToCol: Int32Array): number {
  let s = 0;
  rowToCol.forEach((j, i) => { s += j < 0 ? miss[i]! : cost[i * cols + j]!; });
  return s;
}

test('GNN equals brute force on random gated cost matrices (square, wide, tall)', () => {
  const rng = new Rng(20261201);
  let cases = 0, withExcluded = 0, withMisses = 0;
  for (let trial = 0; trial < 600; trial++) {
    const rows = 1 + Math.floor(rng.next() * 6), cols = 1 + Math.floor(rng.next() * 6);
    const exclude = rng.uniform(0, 0.8);
    const cost = new Float64Array(rows * cols);
    for (let k = 0; k < cost.length; k++) cost[k] = rng.next() < exclude ? Infinity : rng.uniform(-3, 16);
    const miss = new Float64Array(rows);
    for (let i = 0; i < rows; i++) miss[i] = rng.uniform(0, 16);
    const a = associateGnn(cost, rows, cols, miss);
    // Valid: distinct columns, only allowed pairs.
    const usedCols = [...a].filter((j) => j >= 0);
    assert.equal(new Set(usedCols).size, usedCols.length, 'a detection goes to one track at most');
    a.forEach((j, i) => { if (j >= 0) assert.ok(Number.isFinite(cost[i * cols + j]!), 'never an excluded pair'); });
    const want = bruteForce(cost, rows, cols, miss);
    const got = objective(cost, cols, miss, a);
    assert.ok(Math.abs(got - want) < 1e-9, `trial ${trial} (${rows}×${cols}): ${got} vs optimum ${want}`);
    cases++;
    if (cost.some((c) => !Number.isFinite(c))) withExcluded++;
    if (a.some((j) => j < 0)) withMisses++;
  }
  assert.equal(cases, 600);
  assert.ok(withExcluded > 300 && withMisses > 100, `coverage: ${withExcluded} with excluded pairs, ${withMisses} with misses`);
});

test('GNN: a track whose only gated detection costs more than a miss stays unassigned; all-excluded rows miss', () => {
  const I = Infinity;
  // Row 0 can take col 0 (2) or col 1 (9); row 1 only col 0 (1). Miss costs 5.
  // Options: {0→1, 1→0} = 10, {0→0, 1 miss} = 7, {0 miss, 1→0} = 6, both miss = 10 → 6.
  const a = associateGnn(Float64Array.from([2, 9, 1, I]), 2, 2, Float64Array.from([5, 5]));
  assert.deepEqual([...a], [-1, 0]);
  const b = associateGnn(Float64Array.from([I, I, I, I, I, I]), 2, 3, Float64Array.from([1, 1]));
  assert.deepEqual([...b], [-1, -1]);
  assert.deepEqual([...associateGnn(new Float64Array(0), 0, 4, new Float64Array(0))], []);
});

test('chi-square 3 dof CDF at known points', () => {
  // P(χ²₃ ≤ 1) = erf(1/√2) − √(2/π)·e^(−1/2) = 0.198748…; P(χ²₃ ≤ 7.814728) = 0.95.
  assert.ok(Math.abs(chiSquare3Cdf(1) - 0.1987480430987992) < 1e-12);
  assert.ok(Math.abs(chiSquare3Cdf(7.814728) - 0.95) < 1e-7);
  assert.equal(chiSquare3Cdf(0), 0);
});
