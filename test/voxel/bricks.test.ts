import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipRay, createCpuProjector, createSnapshot, gridOf, maxCellsPerRay, walkRay } from '../../src/voxel/index.ts';
import { walkRayBricks, BRICK } from '../../src/voxel/cpu/walk.ts';
import { poolBricksFor, VoxelTable } from '../../src/voxel/cpu/table.ts';
import { Rng } from '../../src/util/rng.ts';
import { aimedCamera, close, CX, CY, px } from './scene.ts';

test('brick addresses by hand: 4³ bricks, local index x + 4y + 16z', () => {
  assert.equal(BRICK, 4);
  const g = gridOf({ min: [0, 0, 0], max: [10, 9, 5], voxel_m: 1 }); // 10 × 9 × 5 cells → 3 × 3 × 2 bricks
  const brick = new Int32Array(32), local = new Int32Array(32);
  // Along +x at (y, z) = (5.5, 4.5): cells (0..9, 5, 4); bricks (0..2, 1, 1) = 0..2 + 3·1 + 9·1; local (x & 3) + 4·1 + 16·0.
  const n = walkRayBricks(g, 3, 3, -1, 5.5, 4.5, 1, 0, 0, 1, 11, brick, local);
  assert.equal(n, 10);
  assert.deepEqual(Array.from(brick.subarray(0, n)), [12, 12, 12, 12, 13, 13, 13, 13, 14, 14]);
  assert.deepEqual(Array.from(local.subarray(0, n)), [4, 5, 6, 7, 4, 5, 6, 7, 4, 5]);
  // Down −z at (x, y) = (6.5, 2.5): cells (6, 2, 4..0) → brick 1 + 9·(z >> 2), local 2 + 8 + 16·(z & 3).
  const m = walkRayBricks(g, 3, 3, 6.5, 2.5, 9, 0, 0, -1, 4, 9, brick, local);
  assert.deepEqual(Array.from(brick.subarray(0, m)), [10, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(local.subarray(0, m)), [10, 58, 42, 26, 10]);
});

test('walkRayBricks visits the same cells as walkRay on random rays (grid not a multiple of the brick)', () => {
  const g = gridOf({ min: [-30, 2, 1], max: [45, 80, 55], voxel_m: 1.5 }); // 50 × 52 × 36
  const bnx = Math.ceil(g.nx / BRICK), bny = Math.ceil(g.ny / BRICK);
  const rng = new Rng(5);
  const cells = new Int32Array(maxCellsPerRay(g)), brick = new Int32Array(cells.length), local = new Int32Array(cells.length);
  const tt = new Float64Array(2);
  let steps = 0;
  for (let r = 0; r < 400; r++) {
    const o = [-60 + 130 * rng.next(), -20 + 120 * rng.next(), -10 + 80 * rng.next()];
    // Some axis-parallel and exactly diagonal rays too (ties step together).
    const d = r % 10 === 0 ? [1, 0, 0] : r % 10 === 1 ? [-1, -1, 0] : [rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5];
    if (!clipRay(g, o[0]!, o[1]!, o[2]!, d[0]!, d[1]!, d[2]!, 0, Infinity, tt)) continue;
    const n = walkRay(g, o[0]!, o[1]!, o[2]!, d[0]!, d[1]!, d[2]!, tt[0]!, tt[1]!, cells);
    const m = walkRayBricks(g, bnx, bny, o[0]!, o[1]!, o[2]!, d[0]!, d[1]!, d[2]!, tt[0]!, tt[1]!, brick, local);
    assert.equal(m, n, `ray ${r}`);
    for (let i = 0; i < n; i++) {
      const k = cells[i]!, ix = k % g.nx, iy = Math.floor(k / g.nx) % g.ny, iz = Math.floor(k / (g.nx * g.ny));
      const b = brick[i]!, l = local[i]!;
      const want = [(ix >> 2) + bnx * ((iy >> 2) + bny * (iz >> 2)), (ix & 3) | (iy & 3) << 2 | (iz & 3) << 4];
      assert.deepEqual([b, l], want, `ray ${r} step ${i}`);
    }
    steps += n;
  }
  assert.ok(steps > 5000);
});

test('pool size: the whole grid when small, else 16 cells per budgeted voxel, at most 2^25 cells', () => {
  assert.equal(poolBricksFor(25, 64), 16);        // 16·64 cells = 16 bricks < 25
  assert.equal(poolBricksFor(10, 64), 10);        // the whole grid
  assert.equal(poolBricksFor(106_875, 1 << 21), 106_875); // spec volume 300×300×75 at default budget
  assert.equal(poolBricksFor(1 << 30, 1 << 25), (1 << 25) / 64);
});

test('table: sweeping a brick empty returns it to the pool; a later voxel reuses it; clear() resets', () => {
  const g = gridOf({ min: [0, 0, 0], max: [16, 4, 4], voxel_m: 1 }); // 4 bricks in a row
  const t = new VoxelTable(g, 8);  // pool: 16·8/64 = 2 bricks
  assert.equal(t.poolBricks, 2);
  const brick = Int32Array.of(0, 1, 2), local = Int32Array.of(0, 0, 0);
  t.addRay(brick, local, 3, 0, 1, 1, 4, 1, 0, 0); // bricks 0, 1 get slots; brick 2 finds the pool exhausted
  assert.equal(t.size, 2);
  assert.equal(t.dropped, 1);
  assert.equal(t.bricksUsed, 2);
  t.addRay(Int32Array.of(1), Int32Array.of(5), 1, 4, 1, 1, 8, 1, 0, 4); // brick 1 now newer (bucket 4)
  assert.equal(t.sweep(1), 2); // the two bucket-0 voxels expire: brick 0 is empty, its slot free again
  assert.equal(t.bricksUsed, 1);
  t.addRay(Int32Array.of(2), Int32Array.of(63), 1, 4, 2, 2, 12, 1, 0, 4);
  assert.equal(t.size, 2);
  assert.equal(t.bricksUsed, 2);
  const key = new Uint32Array(8), e = new Float32Array(8), lo = new Uint32Array(8), hi = new Uint32Array(8), s = new Uint8Array(8);
  const n = t.read(4, Float64Array.of(1, 1, 1, 1), 1, key, e, lo, hi, s);
  assert.equal(n, 2);
  // brick 1 local 5 = cell (4 + 1, 1, 0) → key 5 + 16·1; brick 2 local 63 = cell (8 + 3, 3, 3) → key 11 + 16·(3 + 4·3).
  assert.deepEqual(Array.from(key.subarray(0, 2)).sort((a, b) => a - b), [5 + 16, 11 + 16 * 15]);
  assert.deepEqual(Array.from(s.subarray(0, 2)), [1, 1]);
  t.reset();
  assert.equal(t.size, 0); assert.equal(t.bricksUsed, 0);
  t.addRay(brick, local, 3, 0, 1, 1, 4, 1, 0, 0);
  assert.equal(t.size, 2);
});

test('a budget too small for the rays: pool exhaustion drops like a full table, then sweeps make room', () => {
  // 100 × 2 × 1 corridor (25 bricks of 4³), maxVoxels 16: pool 4 bricks.
  const volume = { min: [0, 0, 0], max: [400, 8, 4], voxel_m: 4 };
  const proj = createCpuProjector({ volume, maxVoxels: 16 });
  proj.setCamera(0, aimedCamera('a', [-10, 2, 2], [400, 2, 2]));
  assert.equal(proj.accumulate(0, 1.0, px([CX, CY, 1])).steps, 100);
  assert.deepEqual(proj.stats, { occupied: 16, capacity: 16, dropped: 84, evicted: 0, late: 0 });
  proj.setCamera(1, aimedCamera('b', [-10, 6, 2], [400, 6, 2])); // iy 1: same bricks
  proj.accumulate(1, 1.5, px([CX, CY, 2])); // a window later: the first 16 are swept, their bricks freed and reused
  assert.deepEqual(proj.stats, { occupied: 16, capacity: 16, dropped: 168, evicted: 16, late: 0 });
  const snap = createSnapshot(100);
  assert.equal(proj.snapshot(1.5, snap), 16);
  for (let i = 0; i < 16; i++) { assert.equal(snap.iy[i], 1); assert.ok(snap.ix[i]! < 16); close(snap.energy[i]!, 2, 1e-6); }
});

test('maxRangeM ends the rays: the north camera at n = −98 stops at n = −98 + 151 = 53 (iy 63)', () => {
  const volume = { min: [-200, -200, 0], max: [200, 200, 100], voxel_m: 4 };
  const P = [2, 2, 30];
  const cam = aimedCamera('north', [2, -98, 30], P);
  const all = createCpuProjector({ volume });
  all.setCamera(0, cam);
  assert.equal(all.accumulate(0, 8, px([CX, CY, 2])).steps, 75); // iy 25..99
  const near = createCpuProjector({ volume, maxRangeM: 151 });
  near.setCamera(0, cam);
  assert.equal(near.accumulate(0, 8, px([CX, CY, 2])).steps, 63 - 25 + 1);
  const plane = createCpuProjector({ volume, maxRangeM: 150 }); // ends exactly on the plane n = 52: iy 63 not entered
  plane.setCamera(0, cam);
  assert.equal(plane.accumulate(0, 8, px([CX, CY, 2])).steps, 62 - 25 + 1);
  const band = createCpuProjector({ volume, minRangeM: 50, maxRangeM: 151 });
  band.setCamera(0, cam);
  assert.equal(band.accumulate(0, 8, px([CX, CY, 2])).steps, 63 - 38 + 1); // n from −48 (iy 38)
  // Range ending before the volume: missed.
  const short = createCpuProjector({ volume, maxRangeM: 50 });
  short.setCamera(0, aimedCamera('far', [2, -300, 30], P));
  assert.deepEqual(short.accumulate(0, 8, px([CX, CY, 2])), { rays: 1, steps: 0, missed: 1, invalid: 0 });
  assert.throws(() => createCpuProjector({ volume, minRangeM: 50, maxRangeM: 50 }), /maxRangeM/);
  assert.throws(() => createCpuProjector({ volume, maxRangeM: Number.NaN }), /maxRangeM/);
});
