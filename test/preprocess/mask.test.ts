/** Privacy-mask rasterisation against hand-counted pixels and polygon areas. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rasterizeMasks } from '../../src/preprocess/index.ts';

const masked = (m: Uint8Array | null, w: number) => {
  const out: [number, number][] = [];
  if (m) m.forEach((x, i) => { if (x === 0) out.push([i % w, Math.floor(i / w)]); });
  return out;
};

test('a square from (10,10) to (20,20) masks exactly the 10 × 10 pixels whose centres it holds', () => {
  const m = rasterizeMasks([[[10, 10], [20, 10], [20, 20], [10, 20]]], 32, 24);
  const px = masked(m, 32);
  assert.equal(px.length, 100);
  assert.ok(px.every(([u, v]) => u >= 10 && u < 20 && v >= 10 && v < 20));
  assert.ok(m!.every((x) => x === 0 || x === 255));
});

test('a small triangle, counted by hand', () => {
  // Vertices (1,1), (5,1), (1,5): centres (u,v) with u ≥ 1, v ≥ 1, u + v < 6 (half-open hypotenuse).
  const px = masked(rasterizeMasks([[[1, 1], [5, 1], [1, 5]]], 8, 8), 8);
  const want: [number, number][] = [];
  for (let v = 1; v < 8; v++) for (let u = 1; u < 8; u++) if (u + v < 6) want.push([u, v]);
  assert.deepEqual(px, want);
});

test('masked pixel count ≈ polygon area; parts outside the frame are clipped; overlaps are a union', () => {
  const star: [number, number][] = [];
  for (let k = 0; k < 10; k++) {
    const r = k % 2 ? 20 : 45, a = (Math.PI * k) / 5;
    star.push([100 + r * Math.cos(a), 60 + r * Math.sin(a)]);
  }
  let area = 0;
  for (let i = 0; i < star.length; i++) {
    const [x0, y0] = star[i]!, [x1, y1] = star[(i + 1) % star.length]!;
    area += (x0 * y1 - x1 * y0) / 2;
  }
  const n = masked(rasterizeMasks([star], 200, 120), 200).length;
  assert.ok(Math.abs(n - Math.abs(area)) < 0.03 * Math.abs(area), `${n} px vs area ${Math.abs(area).toFixed(1)}`);
  // A rectangle hanging off the top-left corner keeps only its inside part: u in [0,6), v in [0,4).
  assert.equal(masked(rasterizeMasks([[[-10, -10], [6, -10], [6, 4], [-10, 4]]], 50, 50), 50).length, 24);
  // Two overlapping 10×10 squares sharing a 5×10 strip: 150 pixels.
  const two = rasterizeMasks([[[0, 0], [10, 0], [10, 10], [0, 10]], [[5, 0], [15, 0], [15, 10], [5, 10]]], 40, 40);
  assert.equal(masked(two, 40).length, 150);
});

test('polygons that hold no pixel centre give no mask', () => {
  assert.equal(rasterizeMasks([], 10, 10), null);
  assert.equal(rasterizeMasks([[[2.1, 2.1], [2.9, 2.1], [2.9, 2.9]]], 10, 10), null);
  assert.equal(rasterizeMasks([[[20, 20], [30, 20], [30, 30]]], 10, 10), null);
});
