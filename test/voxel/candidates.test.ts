/**
 * The snapshot's fast path (candidate tracking: only voxels that gained a camera and could
 * qualify are visited) against a full scan of every live brick: the same voxels, energies, masks,
 * supports and persistence counts, in the same order, tick after tick. Random rays from four
 * cameras around a point, rays timed after the tick they are read at (rolling shutter, late
 * frames), and a budget small enough that sweeps run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { createCpuProjector, createSnapshot, type VoxelSnapshot } from '../../src/voxel/index.ts';
import { aimedCamera, H, W } from './scene.ts';

const volume = { min: [-200, -200, 0], max: [200, 200, 100], voxel_m: 4 };
const P = [2, 2, 30];

function rig(candidateTracking: boolean, maxVoxels: number) {
  const proj = createCpuProjector({ volume, maxVoxels, candidateTracking, windowS: 0.25 });
  proj.setCamera(0, aimedCamera('n', [2, -98, 30], P));
  proj.setCamera(1, aimedCamera('e', [-98, 2, 30], P, { rolling_shutter: { line_time_us: 200 } as never }));
  proj.setCamera(5, aimedCamera('h', [62, 82, 60], P));
  proj.setCamera(33, aimedCamera('s', [10, 150, 20], P, { clock: { offset_ms: 40, drift_ppm: 0 } }));
  return proj;
}

function rows(s: VoxelSnapshot) {
  const out: string[] = [];
  for (let i = 0; i < s.count; i++) {
    out.push([s.key[i], s.energy[i], s.maskLo[i], s.maskHi[i], s.support[i], s.frames?.[i], ...(s.bucketSupport ? s.bucketSupport.subarray(4 * i, 4 * i + 4) : [])].join(','));
  }
  return out;
}

for (const maxVoxels of [1 << 20, 3000]) {
  test(`fast snapshot equals a full scan, tick after tick (budget ${maxVoxels} voxels)`, () => {
    const rng = new Rng(maxVoxels);
    const fast = rig(true, maxVoxels), full = rig(false, maxVoxels);
    const a = createSnapshot(1 << 16), b = createSnapshot(1 << 16);
    let compared = 0, nonEmpty = 0;
    for (let tick = 0; tick < 120; tick++) {
      const t = tick / 15;
      for (const cam of [0, 1, 5, 33]) {
        // A few pixels per frame: most near the centre (rays through P's neighbourhood), some anywhere.
        const n = 1 + (rng.nextU32() % 6);
        const index = new Uint32Array(n), energy = new Float32Array(n);
        for (let k = 0; k < n; k++) {
          const near = rng.nextU32() % 3 !== 0;
          const u = near ? 48 + (rng.nextU32() % 5) : rng.nextU32() % W;
          const v = near ? 38 + (rng.nextU32() % 5) : rng.nextU32() % H;
          index[k] = v * W + u; energy[k] = 1 + (rng.nextU32() % 1000) / 100;
        }
        // Frames up to 60 ms after the tick they are read at (some land in a later bucket).
        const ft = t + ((rng.nextU32() % 60) - 10) / 1000;
        const px = { count: n, index, energy };
        fast.accumulate(cam, ft, px);
        full.accumulate(cam, ft, px);
      }
      for (const minSupport of tick % 17 === 16 ? [2, 3] : [3]) {
        fast.snapshot(t, a, minSupport);
        full.snapshot(t, b, minSupport);
        assert.deepEqual(rows(a), rows(b), `tick ${tick}, minSupport ${minSupport}`);
        compared++;
        if (a.count > 0) nonEmpty++;
      }
    }
    assert.ok(nonEmpty > 60, `snapshots with voxels: ${nonEmpty} of ${compared}`);
    if (maxVoxels === 3000) assert.ok(fast.stats.evicted > 0, 'the small budget swept');
  });
}
