import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlobGrouper, createBlobList } from '../../src/preprocess/index.ts';

const W = 10, H = 8;
const list = (pix: [number, number, number][]) => ({
  count: pix.length,
  index: Uint32Array.from(pix.map(([u, v]) => v * W + u)),
  energy: Float32Array.from(pix.map(([, , e]) => e)),
});

test('a 2×2 cluster becomes one blob at its energy-weighted centroid with its peak energy', () => {
  const g = new BlobGrouper(W, H, 16);
  const out = createBlobList(16);
  // By hand: ū = (5·2 + 7·3 + 5·2 + 3·3)/20 = 2.5 → 3;  v̄ = (5·2 + 7·2 + 5·3 + 3·3)/20 = 2.4 → 2.
  assert.equal(g.group(list([[2, 2, 5], [3, 2, 7], [2, 3, 5], [3, 3, 3]]), out), 1);
  assert.equal(out.index[0], 2 * W + 3);
  assert.equal(out.energy[0], 7);
  assert.equal(out.size[0], 4);
});

test('8-connectivity: diagonal neighbours join, a one-pixel gap separates, rows do not wrap', () => {
  const g = new BlobGrouper(W, H, 16);
  const out = createBlobList(16);
  // (6,5)–(7,6) diagonal: one blob; (4,1) stands alone.
  // (9,3) and (0,4) are consecutive indices (39, 40) but on opposite edges: separate.
  const n = g.group(list([[9, 3, 1], [0, 4, 2], [4, 1, 3], [6, 5, 4], [7, 6, 6]]), out);
  assert.equal(n, 4);
  const sizes = Array.from(out.size.subarray(0, n));
  assert.deepEqual(sizes, [1, 1, 1, 2]);
  // The diagonal pair: centroid (6·4 + 7·6)/10 = 6.6 → 7, (5·4 + 6·6)/10 = 5.6 → 6; peak 6.
  assert.equal(out.index[3], 6 * W + 7);
  assert.equal(out.energy[3], 6);
});

test('a U shape whose arms meet only at the bottom is one blob; the grouper is reusable', () => {
  const g = new BlobGrouper(W, H, 16);
  const out = createBlobList(16);
  // Arms at u = 1 and u = 3 on rows 0–1, joined through row 2 (1,2)(2,2)(3,2): raster order sees
  // the arms as separate until the bottom row merges them.
  const u = list([[1, 0, 1], [3, 0, 1], [1, 1, 1], [3, 1, 1], [1, 2, 1], [2, 2, 1], [3, 2, 1]]);
  assert.equal(g.group(u, out), 1);
  assert.equal(out.size[0], 7);
  assert.equal(g.group(list([[5, 5, 2]]), out), 1); // earlier pixels left no trace
  assert.equal(out.index[0], 5 * W + 5);
  assert.throws(() => g.group(list([[0, 8, 1]]), out), /outside/);
});
