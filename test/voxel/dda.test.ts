import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellOfKey, clipRay, gridOf, maxCellsPerRay, walkRay, type VoxelGrid } from '../../src/voxel/index.ts';
import { Rng } from '../../src/util/rng.ts';

const unit4 = gridOf({ min: [0, 0, 0], max: [4, 4, 4], voxel_m: 1 });

/** Cells of the ray o + t·d (t ≥ tMin, ≤ tMax) as [ix, iy, iz], or null when it misses the box. */
function walk(g: VoxelGrid, o: number[], d: number[], tMin = 0, tMax = Infinity, cap = 64): number[][] | null {
  const tt = new Float64Array(2);
  if (!clipRay(g, o[0]!, o[1]!, o[2]!, d[0]!, d[1]!, d[2]!, tMin, tMax, tt)) return null;
  const cells = new Int32Array(cap);
  const n = walkRay(g, o[0]!, o[1]!, o[2]!, d[0]!, d[1]!, d[2]!, tt[0]!, tt[1]!, cells);
  const out: number[][] = [];
  const c = [0, 0, 0];
  for (let i = 0; i < n; i++) { cellOfKey(g, cells[i]!, c); out.push([...c]); }
  return out;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

test('axis-aligned rays from outside, from inside, and in the negative direction', () => {
  assert.deepEqual(walk(unit4, [-1, 0.5, 0.5], [1, 0, 0]), range(0, 3).map((i) => [i, 0, 0]));
  assert.deepEqual(walk(unit4, [2.5, 3.5, 1.5], [0, -1, 0]), [[2, 3, 1], [2, 2, 1], [2, 1, 1], [2, 0, 1]]);
  assert.deepEqual(walk(unit4, [2.5, 0.5, 0.5], [-1, 0, 0]), [[2, 0, 0], [1, 0, 0], [0, 0, 0]]);
  assert.deepEqual(walk(unit4, [0.5, 0.5, 9], [0, 0, -1]), [[0, 0, 3], [0, 0, 2], [0, 0, 1], [0, 0, 0]]);
});

test('a ray starting on a plane between cells starts in the cell it moves into', () => {
  assert.deepEqual(walk(unit4, [2, 0.5, 0.5], [-1, 0, 0]), [[1, 0, 0], [0, 0, 0]]);
  assert.deepEqual(walk(unit4, [2, 0.5, 0.5], [1, 0, 0]), [[2, 0, 0], [3, 0, 0]]);
});

test('oblique rays visit the cells computed by hand (2D slope 1/2, 3D slopes 1:2:3), both ways', () => {
  // y = 0.25 + x/2: crosses x=1 (y .75), y=1 (x 1.5), x=2, x=3 (y 1.75), y=2 (x 3.5), exits at x=4.
  const s = 1 / Math.sqrt(5);
  assert.deepEqual(walk(unit4, [0, 0.25, 0.5], [2 * s, s, 0]), [[0, 0, 0], [1, 0, 0], [1, 1, 0], [2, 1, 0], [3, 1, 0], [3, 2, 0]]);
  // (0.15, 0.2, 0.35) + s·(1, 2, 3): z crossings at s = .2167 .55 .8833, y at .4 .9, x at .85; exits z=4 at 1.2167.
  const want = [[0, 0, 0], [0, 0, 1], [0, 1, 1], [0, 1, 2], [1, 1, 2], [1, 1, 3], [1, 2, 3]];
  assert.deepEqual(walk(unit4, [0.15, 0.2, 0.35], [1, 2, 3]), want);
  const end = 1.2; // still inside the last cell, walk back to before the start
  assert.deepEqual(walk(unit4, [0.15 + end, 0.2 + 2 * end, 0.35 + 3 * end], [-1, -2, -3]), [...want].reverse());
});

test('exact diagonals through edges and corners step the tied axes together', () => {
  const h = Math.SQRT1_2;
  assert.deepEqual(walk(unit4, [0, 0, 0.5], [h, h, 0]), [[0, 0, 0], [1, 1, 0], [2, 2, 0], [3, 3, 0]]);
  const k = 1 / Math.sqrt(3);
  assert.deepEqual(walk(unit4, [-1, -1, -1], [k, k, k]), range(0, 3).map((i) => [i, i, i]));
  assert.deepEqual(walk(unit4, [4, 4, 0.5], [-h, -h, 0]), [[3, 3, 0], [2, 2, 0], [1, 1, 0], [0, 0, 0]]);
});

test('grazing rays: on an inner plane, on the min and max faces, along a max edge', () => {
  assert.deepEqual(walk(unit4, [-1, 2, 0.5], [1, 0, 0]), range(0, 3).map((i) => [i, 2, 0]));
  assert.deepEqual(walk(unit4, [-1, 0, 0.5], [1, 0, 0]), range(0, 3).map((i) => [i, 0, 0]));
  assert.deepEqual(walk(unit4, [-1, 4, 0.5], [1, 0, 0]), range(0, 3).map((i) => [i, 3, 0]));
  assert.deepEqual(walk(unit4, [5, 4, 4], [-1, 0, 0]), range(0, 3).reverse().map((i) => [i, 3, 3]));
});

test('misses: parallel just outside a face, beside the box, box behind the origin, touching one corner', () => {
  assert.equal(walk(unit4, [-1, 4.0001, 0.5], [1, 0, 0]), null);
  assert.equal(walk(unit4, [-1, 5, 0.5], [1, 0.1, 0]), null);
  assert.equal(walk(unit4, [6, 0.5, 0.5], [1, 0, 0]), null);
  assert.equal(walk(unit4, [-1, 1, 0.5], [Math.SQRT1_2, -Math.SQRT1_2, 0]), null); // meets (0, 0) only
  assert.equal(walk(unit4, [2, 2, 2], [0, 0, 0]), null); // degenerate direction, t bound infinite: no segment
});

test('segments ending inside the box stop at the end point; a full scratch buffer stops the walk', () => {
  assert.deepEqual(walk(unit4, [0.5, 0.5, 0.5], [1, 0, 0], 0, 2), [[0, 0, 0], [1, 0, 0], [2, 0, 0]]);
  assert.deepEqual(walk(unit4, [0.5, 0.5, 0.5], [1, 0, 0], 0, 1.5), [[0, 0, 0], [1, 0, 0]]); // ends on x = 2
  assert.deepEqual(walk(unit4, [0.5, 0.5, 0.5], [1, 0, 0], 1, 2), [[1, 0, 0], [2, 0, 0]]);
  assert.deepEqual(walk(unit4, [-1, 0.5, 0.5], [1, 0, 0], 0, Infinity, 2), [[0, 0, 0], [1, 0, 0]]);
});

test('offset origin and 4 m voxels: the grid is placed at volume.min', () => {
  const g = gridOf({ min: [-10, 5, 0], max: [10, 25, 8], voxel_m: 4 });
  assert.deepEqual([g.nx, g.ny, g.nz], [5, 5, 2]);
  assert.deepEqual(walk(g, [-12, 7, 1], [1, 0, 0]), range(0, 4).map((i) => [i, 0, 0]));
  // From (−9, 6, 7) towards +n, −u with slope 1/4: u crosses 4 at n = 18 → iy 3.
  const d = [0, 4 / Math.hypot(4, 1), -1 / Math.hypot(4, 1)];
  assert.deepEqual(walk(g, [-9, 6, 7], d), [[0, 0, 1], [0, 1, 1], [0, 2, 1], [0, 3, 1], [0, 3, 0], [0, 4, 0]]);
});

/** Independent truth: the parameter interval of segment ∩ cell box by per-axis intervals. */
function overlap(o: number[], d: number[], t0: number, t1: number, lo: number[], hi: number[]): [number, number] {
  let a = t0, b = t1;
  for (let k = 0; k < 3; k++) {
    if (d[k] === 0) { if (o[k]! < lo[k]! || o[k]! > hi[k]!) return [1, 0]; continue; }
    const p = (lo[k]! - o[k]!) / d[k]!, q = (hi[k]! - o[k]!) / d[k]!;
    a = Math.max(a, Math.min(p, q)); b = Math.min(b, Math.max(p, q));
  }
  return [a, b];
}

test('random rays visit exactly the cells they cross with positive length, in order (brute force)', () => {
  const g = gridOf({ min: [-3, 2, 1], max: [4.5, 8, 5.5], voxel_m: 1.5 }); // 5 × 4 × 3
  const rng = new Rng(11);
  const cells = new Int32Array(maxCellsPerRay(g));
  const tt = new Float64Array(2);
  let hits = 0;
  for (let r = 0; r < 500; r++) {
    const o = [-6 + 13 * rng.next(), -1 + 12 * rng.next(), -2 + 10 * rng.next()];
    const target = [-3 + 7.5 * rng.next(), 2 + 6 * rng.next(), 1 + 4.5 * rng.next()];
    const d = [target[0]! - o[0]!, target[1]! - o[1]!, target[2]! - o[2]!];
    const tMax = rng.next() < 0.3 ? 0.5 + rng.next() : Infinity; // some segments end inside
    const truth: { key: number; t: number }[] = [];
    const tEnd = Math.min(tMax, 1e6);
    for (let iz = 0; iz < g.nz; iz++) for (let iy = 0; iy < g.ny; iy++) for (let ix = 0; ix < g.nx; ix++) {
      const lo = [g.minE + ix * 1.5, g.minN + iy * 1.5, g.minU + iz * 1.5];
      const [a, b] = overlap(o, d, 0, tEnd, lo, [lo[0]! + 1.5, lo[1]! + 1.5, lo[2]! + 1.5]);
      if (b - a > 1e-9) truth.push({ key: ix + g.nx * (iy + g.ny * iz), t: a });
    }
    truth.sort((x, y) => x.t - y.t);
    const hit = clipRay(g, o[0]!, o[1]!, o[2]!, d[0]!, d[1]!, d[2]!, 0, tMax, tt);
    const n = hit ? walkRay(g, o[0]!, o[1]!, o[2]!, d[0]!, d[1]!, d[2]!, tt[0]!, tt[1]!, cells) : 0;
    assert.deepEqual(Array.from(cells.subarray(0, n)), truth.map((x) => x.key), `ray ${r}`);
    assert.ok(n <= g.nx + g.ny + g.nz - 2);
    if (n > 0) hits++;
  }
  assert.ok(hits > 250, `enough rays met the box (${hits})`);
});
