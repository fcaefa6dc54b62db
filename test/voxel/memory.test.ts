import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellOfKey, createCpuProjector, createSnapshot, gridOf, keyOfCell, voxelCenter, voxelIndexOf } from '../../src/voxel/index.ts';
import { aimedCamera, CX, CY, px } from './scene.ts';

// A 100 × 2 × 1 corridor of 4 m voxels; two cameras look along it, one per row of voxels.
const volume = { min: [0, 0, 0], max: [400, 8, 4], voxel_m: 4 };
const rowA = aimedCamera('a', [-10, 2, 2], [400, 2, 2]); // iy 0, all 100 ix
const rowB = aimedCamera('b', [-10, 6, 2], [400, 6, 2]); // iy 1

function setup() {
  const proj = createCpuProjector({ volume, maxVoxels: 64 });
  proj.setCamera(0, rowA); proj.setCamera(1, rowB);
  return proj;
}

test('full table, nothing expired: new voxels are dropped and counted, held ones keep updating', () => {
  const proj = setup();
  assert.equal(proj.accumulate(0, 1.0, px([CX, CY, 1])).steps, 100);
  assert.deepEqual(proj.stats, { occupied: 64, capacity: 64, dropped: 36, evicted: 0, late: 0 });
  const snap = createSnapshot(100);
  assert.equal(proj.snapshot(1.0, snap), 64);
  const cell = [0, 0, 0];
  const held = Array.from(snap.key.subarray(0, 64), (k) => (cellOfKey(volume, k, cell), cell[0]!)).sort((a, b) => a - b);
  assert.deepEqual(held, Array.from({ length: 64 }, (_, i) => i), 'the first 64 along the ray');
  proj.accumulate(1, 1.1, px([CX, CY, 1])); // 0.1 s later the first ray is still inside the window
  assert.deepEqual(proj.stats, { occupied: 64, capacity: 64, dropped: 136, evicted: 0, late: 0 });
  proj.accumulate(0, 1.12, px([CX, CY, 1]));
  assert.equal(proj.stats.dropped, 172);
  assert.equal(proj.snapshot(1.12, snap), 64);
  assert.ok(Math.abs(snap.energy[0]! - (1 + Math.exp(-0.12 / 0.125))) < 1e-5);
});

test('full table: expired voxels are swept to make room for new ones', () => {
  const proj = setup();
  proj.accumulate(0, 1.0, px([CX, CY, 1]));
  proj.accumulate(1, 1.5, px([CX, CY, 1])); // the first ray is a full window old
  assert.deepEqual(proj.stats, { occupied: 64, capacity: 64, dropped: 72, evicted: 64, late: 0 });
  const snap = createSnapshot(100);
  assert.equal(proj.snapshot(1.5, snap), 64);
  for (let i = 0; i < 64; i++) assert.equal(snap.iy[i], 1);
});

test('sweep(t) removes only what left the window at t; clear() empties the table', () => {
  const proj = setup();
  proj.accumulate(0, 1.0, px([CX, CY, 1]));
  assert.equal(proj.sweep(1.1), 0);
  assert.equal(proj.sweep(1.25), 64);
  assert.equal(proj.stats.occupied, 0);
  proj.accumulate(1, 2.0, px([CX, CY, 1]));
  proj.clear();
  assert.deepEqual(proj.stats, { occupied: 0, capacity: 64, dropped: 0, evicted: 0, late: 0 });
});

test('a contribution older than the voxel window on arrival is late and ignored', () => {
  const proj = createCpuProjector({ volume });
  proj.setCamera(0, rowA); proj.setCamera(1, rowA);
  proj.accumulate(0, 2.0, px([CX, CY, 1]));
  proj.accumulate(1, 1.7, px([CX, CY, 1])); // 0.3 s behind: late in every voxel
  assert.equal(proj.stats.late, 100);
  proj.accumulate(1, 1.9, px([CX, CY, 1])); // 0.1 s behind: counted, decayed to 2.0
  const snap = createSnapshot(200);
  proj.snapshot(2.0, snap, 2);
  assert.equal(snap.count, 100);
  assert.ok(Math.abs(snap.energy[0]! - (1 + Math.exp(-0.1 / 0.125))) < 1e-5);
});

test('a snapshot too small reports how many matched', () => {
  const proj = createCpuProjector({ volume });
  proj.setCamera(0, rowA);
  proj.accumulate(0, 1.0, px([CX, CY, 1]));
  const snap = createSnapshot(10);
  assert.equal(proj.snapshot(1.0, snap), 10);
  assert.equal(snap.count, 10);
  assert.equal(snap.matched, 100);
});

test('ray cache: cached rays give the same voxels as computed ones, frame after frame', () => {
  const a = createCpuProjector({ volume, rayCache: true });
  const b = createCpuProjector({ volume });
  for (const p of [a, b]) { p.setCamera(0, rowA); p.setCamera(1, rowB); }
  const pixels = px([CX, CY, 1], [CX + 3, CY - 2, 2], [0, 0, 1], [100, 80, 1]);
  for (let f = 0; f < 3; f++) {
    for (const p of [a, b]) { p.accumulate(0, 1 + f / 30, pixels); p.accumulate(1, 1 + f / 30, pixels); }
  }
  const sa = createSnapshot(1000), sb = createSnapshot(1000);
  a.snapshot(1.1, sa); b.snapshot(1.1, sb);
  const dump = (s: typeof sa) => Array.from({ length: s.count }, (_, i) => `${s.key[i]}:${s.energy[i]!.toFixed(5)}:${s.support[i]}`).sort();
  assert.ok(sa.count > 100);
  assert.deepEqual(dump(sa), dump(sb));
});

test('grid helpers: key ↔ cell ↔ centre by hand', () => {
  const vol = { min: [-200, -200, 0], max: [1000, 1000, 300], voxel_m: 4 };
  const g = gridOf(vol);
  assert.deepEqual([g.nx, g.ny, g.nz, g.cells], [300, 300, 75, 6_750_000]);
  assert.equal(voxelIndexOf(vol, -199, -199, 1), 0);
  assert.equal(voxelIndexOf(g, 1000, 1000, 300), 6_750_000 - 1); // the max corner belongs to the last voxel
  assert.equal(voxelIndexOf(g, -200.001, 0, 0), -1);
  assert.equal(voxelIndexOf(g, 6, 2, 9), 51 + 300 * (50 + 300 * 2));
  const c = [0, 0, 0];
  cellOfKey(g, 51 + 300 * (50 + 300 * 2), c);
  assert.deepEqual(c, [51, 50, 2]);
  assert.equal(keyOfCell(g, 51, 50, 2), 51 + 300 * (50 + 300 * 2));
  assert.equal(keyOfCell(g, 300, 0, 0), -1);
  voxelCenter(g, 51, 50, 2, c);
  assert.deepEqual(c, [6, 2, 10]);
  assert.throws(() => gridOf({ min: [0, 0, 0], max: [1e4, 1e4, 1e4], voxel_m: 1 }), /2\^31/);
});
