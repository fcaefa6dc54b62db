/**
 * Temporal persistence in the snapshot (docs/VOXEL.md "Persistence"): `frames` = (camera, window
 * bucket) pairs of the voxel, `bucketSupport` = cameras per bucket over the voxel's neighbourhood.
 * Hand-computed on the three-camera scene of projector.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCpuProjector, createSnapshot, type ProjectorOptions, type VoxelSnapshot } from '../../src/voxel/index.ts';
import { aimedCamera, CX, CY, px } from './scene.ts';

// 100 × 100 × 25 voxels of 4 m; P = centre of voxel (50, 50, 7). Window 0.25 s: buckets of 1/16 s.
const volume = { min: [-200, -200, 0], max: [200, 200, 100], voxel_m: 4 };
const P = [2, 2, 30];
const key = (x: number, y: number, z: number) => x + 100 * (y + 100 * z);

function scene(opts: Omit<ProjectorOptions, 'volume'> = {}) {
  const proj = createCpuProjector({ volume, ...opts });
  proj.setCamera(0, aimedCamera('north', [2, -98, 30], P));  // its line: voxels (50, 25..99, 7)
  proj.setCamera(31, aimedCamera('east', [-98, 2, 30], P, { clock: { offset_ms: 250, drift_ppm: 0 } })); // (0..99, 50, 7)
  proj.setCamera(40, aimedCamera('high', [62, 82, 60], P));  // oblique, through (50, 51, 7) next to P
  return proj;
}

/** Each camera sees P in one frame at every listed site time. */
function feed(proj: ReturnType<typeof scene>, times: number[]) {
  for (const t of times) {
    proj.accumulate(0, t, px([CX, CY, 2]));
    proj.accumulate(31, t + 0.25, px([CX, CY, 3])); // clock 0.25 s ahead
    proj.accumulate(40, t, px([CX, CY, 5]));
  }
}

function at(snap: VoxelSnapshot, k: number) {
  for (let i = 0; i < snap.count; i++) {
    if (snap.key[i] === k) return { support: snap.support[i]!, frames: snap.frames![i]!, buckets: snap.bucketSupport ? [...snap.bucketSupport.subarray(4 * i, 4 * i + 4)] : undefined };
  }
  return undefined;
}

test('three cameras in one frame: support 3, frames 3, one bucket with 3 cameras', () => {
  const proj = scene();
  feed(proj, [8.0]); // bucket 128 (8.0 / (1/16))
  const snap = createSnapshot(10_000, { bucketSupport: true });
  proj.snapshot(8.0, snap);
  assert.deepEqual(at(snap, key(50, 50, 7)), { support: 3, frames: 3, buckets: [3, 0, 0, 0] });
  // Later in the window the bucket moves back: at 8.13 (bucket 130) it is j = 2.
  proj.snapshot(8.13, snap);
  assert.deepEqual(at(snap, key(50, 50, 7)), { support: 3, frames: 3, buckets: [0, 0, 3, 0] });
});

test('three cameras over three frames (buckets 128, 129, 130): frames 9, three buckets with 3 cameras', () => {
  const proj = scene();
  feed(proj, [8.0, 8.0625, 8.125]);
  const snap = createSnapshot(10_000, { bucketSupport: true });
  proj.snapshot(8.13, snap);
  // j = 0 is bucket 130, j = 3 is bucket 127 (nothing).
  assert.deepEqual(at(snap, key(50, 50, 7)), { support: 3, frames: 9, buckets: [3, 3, 3, 0] });
  // Two frames of one camera in one bucket count once (a pair is a camera and a bucket).
  const one = scene();
  feed(one, [8.0, 8.03]);
  one.snapshot(8.03, snap);
  assert.deepEqual(at(snap, key(50, 50, 7)), { support: 3, frames: 3, buckets: [3, 0, 0, 0] });
  // After a full window the first frames have left: at 8.26 (bucket 132) buckets 129..132 count.
  proj.snapshot(8.26, snap);
  assert.deepEqual(at(snap, key(50, 50, 7)), { support: 3, frames: 6, buckets: [0, 0, 3, 3] });
});

test('pooling: the neighbourhood lends its cameras; radius 0 is the voxel alone; below persistenceMinSupport 0 is written', () => {
  // (50, 51, 7) is crossed by north and high (support 2); east's line is next to it at iy 50.
  const snap = createSnapshot(10_000, { bucketSupport: true });
  const r1 = scene({ persistenceMinSupport: 2 });
  feed(r1, [8.0]);
  r1.snapshot(8.0, snap);
  assert.deepEqual(at(snap, key(50, 51, 7)), { support: 2, frames: 2, buckets: [3, 0, 0, 0] });
  const r0 = scene({ persistenceMinSupport: 2, persistenceRadiusVox: 0 });
  feed(r0, [8.0]);
  r0.snapshot(8.0, snap);
  assert.deepEqual(at(snap, key(50, 51, 7)), { support: 2, frames: 2, buckets: [2, 0, 0, 0] });
  const dflt = scene(); // persistenceMinSupport 3: a 2-camera voxel gets zeros
  feed(dflt, [8.0]);
  dflt.snapshot(8.0, snap);
  assert.deepEqual(at(snap, key(50, 51, 7)), { support: 2, frames: 2, buckets: [0, 0, 0, 0] });
  // A plain snapshot has frames but no bucketSupport (no pooling cost).
  const plain = createSnapshot(10_000);
  dflt.snapshot(8.0, plain);
  assert.equal(plain.bucketSupport, undefined);
  assert.deepEqual(at(plain, key(50, 50, 7)), { support: 3, frames: 3, buckets: undefined });
  assert.throws(() => createCpuProjector({ volume, persistenceRadiusVox: -1 }), RangeError);
  assert.throws(() => createCpuProjector({ volume, persistenceMinSupport: 1.5 }), RangeError);
});
