import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCpuProjector, createSnapshot, voxelIndexOf, gridOf, type VoxelSnapshot } from '../../src/voxel/index.ts';
import { aimedCamera, close, CX, CY, px } from './scene.ts';

// 100 × 100 × 25 voxels of 4 m. P is the centre of voxel (50, 50, 7).
const volume = { min: [-200, -200, 0], max: [200, 200, 100], voxel_m: 4 };
const grid = gridOf(volume);
const P = [2, 2, 30];
const keyP = 50 + 100 * (50 + 100 * 7);

/** Snapshot as a map key → {energy, lo, hi, support}. */
function voxels(snap: VoxelSnapshot) {
  const m = new Map<number, { energy: number; lo: number; hi: number; support: number; ix: number; iy: number; iz: number }>();
  for (let i = 0; i < snap.count; i++) {
    m.set(snap.key[i]!, { energy: snap.energy[i]!, lo: snap.maskLo[i]!, hi: snap.maskHi[i]!, support: snap.support[i]!, ix: snap.ix[i]!, iy: snap.iy[i]!, iz: snap.iz[i]! });
  }
  return m;
}

/** Three cameras (indices 0, 31, 40: both mask words, the sign bit of the low word) aimed at P. */
function threeCameras() {
  const proj = createCpuProjector({ volume }); // window 0.25 s → buckets of 1/16 s, τ = 0.125 s
  const north = aimedCamera('north', [2, -98, 30], P);                                        // looks along +n
  const east = aimedCamera('east', [-98, 2, 30], P, { clock: { offset_ms: 250, drift_ppm: 0 } }); // looks along +e
  const high = aimedCamera('high', [62, 82, 60], P);                                          // from above, oblique
  for (const cam of [north, east, high]) {
    const uv = cam.project(P);
    assert.ok(uv);
    close(uv[0], CX, 1e-9, 'P on the axis'); close(uv[1], CY, 1e-9, 'P on the axis');
  }
  proj.setCamera(0, north); proj.setCamera(31, east); proj.setCamera(40, high);
  return proj;
}

test('three cameras seeing P: its voxel has all three in the mask and the sum of energies; no other voxel has three', () => {
  const proj = threeCameras();
  assert.deepEqual(proj.accumulate(0, 8.0, px([CX, CY, 2])), { rays: 1, steps: 75, missed: 0, invalid: 0 }); // n from −98 to 200: iy 25..99
  proj.accumulate(31, 8.25, px([CX, CY, 3])); // its clock runs 0.25 s ahead: site time 8.0
  proj.accumulate(40, 8.0, px([CX, CY, 5]));
  const snap = createSnapshot(10_000);
  proj.snapshot(8.0, snap);
  const m = voxels(snap);
  const vp = m.get(keyP);
  assert.ok(vp);
  assert.equal(vp.support, 3);
  close(vp.energy, 10, 1e-5, 'energy 2 + 3 + 5');
  assert.equal(vp.lo, (1 | 2 ** 31) >>> 0);
  assert.equal(vp.hi, 1 << 8);
  assert.deepEqual([vp.ix, vp.iy, vp.iz], [50, 50, 7]);
  // The north camera's own line n ∈ [−98, 200] at (e, u) = (2, 30): voxels (50, 25..99, 7) hold its 2.
  for (let iy = 25; iy <= 99; iy++) assert.ok(m.get(50 + 100 * (iy + 100 * 7)), `north line iy ${iy}`);
  const alone = m.get(50 + 100 * (90 + 100 * 7));
  assert.ok(alone);
  assert.equal(alone.support, 1); close(alone.energy, 2, 1e-6, 'north only'); assert.equal(alone.lo, 1);
  for (const [key, v] of m) if (key !== keyP) assert.ok(v.support < 3, `voxel ${key} support ${v.support}`);
  for (let dz = -1; dz <= 1; dz++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
    const n = m.get(keyP + dx + 100 * (dy + 100 * dz));
    if (dx || dy || dz) assert.ok(!n || n.support < 3);
  }
  assert.equal(proj.snapshot(8.0, snap, 3), 1);
  assert.equal(snap.key[0], keyP);
  assert.equal(voxelIndexOf(grid, P[0]!, P[1]!, P[2]!), keyP);
});

test('energy decays as e^(−Δt/τ) and contributions older than the window leave the mask', () => {
  const proj = threeCameras();
  proj.accumulate(0, 8.0, px([CX, CY, 2]));
  proj.accumulate(31, 8.375, px([CX, CY, 3])); // site 8.125
  proj.accumulate(40, 8.125, px([CX, CY, 5]));
  const snap = createSnapshot(10_000);
  proj.snapshot(8.2, snap, 3);
  assert.equal(snap.count, 1);
  close(snap.energy[0]!, 2 * Math.exp(-0.2 / 0.125) + 8 * Math.exp(-0.075 / 0.125), 1e-5, 'decayed sum');
  // At 8.25 the contribution of 8.0 is a full window old: gone from mask and energy.
  const m = voxels((proj.snapshot(8.25, snap), snap));
  const vp = m.get(keyP);
  assert.ok(vp);
  assert.equal(vp.support, 2);
  assert.equal(vp.lo, 2 ** 31); assert.equal(vp.hi, 1 << 8);
  close(vp.energy, 8 * Math.exp(-1), 1e-5, 'only 3 + 5 left');
  assert.equal(m.get(50 + 100 * (90 + 100 * 7)), undefined, 'north-only voxel expired');
  proj.snapshot(8.375, snap);
  assert.equal(snap.count, 0);
});

test('window guarantee: younger than windowS·3/4 always counts, windowS or older never (any phase)', () => {
  const proj = createCpuProjector({ volume, windowS: 0.2, decayTauS: 1 });
  proj.setCamera(0, aimedCamera('north', [2, -98, 30], P));
  const snap = createSnapshot(200);
  for (let k = 0; k < 40; k++) {
    const t = 100 + k * 0.0137;
    proj.clear();
    proj.accumulate(0, t, px([CX, CY, 1]));
    assert.equal(proj.snapshot(t + 0.1499, snap), 75, `age 0.1499 phase ${k}`);
    close(snap.energy[0]!, Math.exp(-0.1499), 1e-6);
    assert.equal(proj.snapshot(t + 0.2, snap), 0, `age 0.2 phase ${k}`);
  }
});

test('a camera counts once per voxel per frame (max of its pixels); separate frames add up', () => {
  const proj = createCpuProjector({ volume });
  proj.setCamera(0, aimedCamera('north', [2, -98, 30], P));
  const snap = createSnapshot(10_000);
  // Pixel (51, 40) is 0.01 rad east of the axis: east offset 0.01·(n + 98) stays below e = 4 up to n = 102 (iy 75).
  for (const order of [[[CX, CY, 2], [CX + 1, CY, 3]], [[CX + 1, CY, 3], [CX, CY, 2]]] as [number, number, number][][]) {
    proj.clear();
    const r = proj.accumulate(0, 8.0, px(...order));
    assert.equal(r.rays, 2);
    const m = voxels((proj.snapshot(8.0, snap), snap));
    close(m.get(keyP)!.energy, 3, 1e-6, 'max, not sum');
    assert.equal(m.get(keyP)!.support, 1);
    close(m.get(50 + 100 * (80 + 100 * 7))!.energy, 2, 1e-6, 'axis ray alone');
    close(m.get(51 + 100 * (80 + 100 * 7))!.energy, 3, 1e-6, 'offset ray alone');
  }
  proj.accumulate(0, 8.0 + 1 / 32, px([CX, CY, 2])); // next frame
  const m = voxels((proj.snapshot(8.0 + 1 / 32, snap), snap));
  close(m.get(keyP)!.energy, 3 * Math.exp(-0.25) + 2, 1e-5, 'frames add');
});

test('rolling shutter: a pixel takes the site time of its row (down and up), through the camera clock', () => {
  const snap = createSnapshot(10_000);
  // line_us 2500: row 40 is exposed 0.1 s after the frame stamp; clock a = 1.25, b = 0.5 s.
  const clock = { offset_ms: 500, drift_ppm: 250_000 };
  for (const [direction, v, offset] of [['down', 40, 0.1], ['up', 10, 0.175]] as const) {
    const proj = createCpuProjector({ volume });
    proj.setCamera(0, aimedCamera('rs', [2, -98, 30], P, { clock, rolling_shutter: { line_us: 2500, direction } }));
    const frameCam = 10.5; // camera clock → frame site time (10.5 − 0.5)/1.25 = 8.0
    proj.accumulate(0, frameCam, px([CX, v, 4]));
    const tPix = (frameCam + offset - 0.5) / 1.25;
    const n = proj.snapshot(tPix, snap);
    assert.ok(n > 10);
    for (let i = 0; i < n; i++) close(snap.energy[i]!, 4, 1e-5, `${direction}: no decay at the row's time`);
    proj.snapshot(tPix + 0.05, snap);
    close(snap.energy[0]!, 4 * Math.exp(-0.05 / 0.125), 1e-5, `${direction}: decay from the row's time`);
  }
});

test('weights: 0 excludes a camera, 0.5 halves its energies; unregistered cameras are skipped', () => {
  const proj = threeCameras();
  const snap = createSnapshot(10_000);
  proj.setCameraWeight(31, 0);
  proj.setCameraWeight(40, 0.5);
  assert.deepEqual(proj.accumulate(31, 8.25, px([CX, CY, 3])), { rays: 0, steps: 0, missed: 0, invalid: 1 });
  proj.accumulate(40, 8.0, px([CX, CY, 5]));
  assert.deepEqual(proj.accumulate(7, 8.0, px([CX, CY, 5], [1, 1, 1])), { rays: 0, steps: 0, missed: 0, invalid: 2 });
  const m = voxels((proj.snapshot(8.0, snap), snap));
  assert.equal(m.get(keyP)!.support, 1);
  assert.equal(m.get(keyP)!.hi, 1 << 8);
  close(m.get(keyP)!.energy, 2.5, 1e-6);
});

test('pixels outside the image, bad energies, rays behind the camera or missing the volume', () => {
  const proj = createCpuProjector({ volume });
  proj.setCamera(0, aimedCamera('north', [2, -98, 30], P));
  const bad = px([CX, CY, 2], [CX, CY, 0], [CX, CY, Number.NaN], [CX, CY, -1]);
  bad.index[1] = 101 * 81; // one past the last pixel
  bad.energy[1] = 1;
  assert.deepEqual(proj.accumulate(0, 8, bad), { rays: 1, steps: 75, missed: 0, invalid: 3 });
  // Outside the volume looking away: the line behind the camera crosses the volume, the ray does not.
  proj.setCamera(1, aimedCamera('away', [2, -300, 30], [2, -400, 30]));
  assert.deepEqual(proj.accumulate(1, 8, px([CX, CY, 1], [0, 0, 1], [100, 80, 1])), { rays: 3, steps: 0, missed: 3, invalid: 0 });
  // Outside, looking up steeply: rises above u = 100 before reaching n = −200.
  proj.setCamera(2, aimedCamera('sky', [2, -300, 30], [2, -260, 100]));
  assert.deepEqual(proj.accumulate(2, 8, px([CX, CY, 1])), { rays: 1, steps: 0, missed: 1, invalid: 0 });
  const snap = createSnapshot(1000);
  assert.equal(proj.snapshot(8, snap), 75);
  assert.equal(snap.matched, 75);
});

test('minRangeM skips the voxels next to the camera', () => {
  const proj = createCpuProjector({ volume, minRangeM: 50 });
  proj.setCamera(0, aimedCamera('north', [2, -98, 30], P));
  // The ray starts at n = −48 (iy 38) instead of −98 (iy 25).
  assert.equal(proj.accumulate(0, 8, px([CX, CY, 2])).steps, 100 - 38);
});

test('programmer misuse throws clear errors; close() is safe twice', () => {
  assert.throws(() => createCpuProjector({ volume, maxCameras: 65 }), RangeError);
  assert.throws(() => createCpuProjector({ volume: { min: [0, 0, 0], max: [0, 1, 1], voxel_m: 1 } }), RangeError);
  assert.throws(() => createCpuProjector({ volume, windowS: 0 }), RangeError);
  const proj = createCpuProjector({ volume, maxCameras: 8 });
  const cam = aimedCamera('north', [2, -98, 30], P);
  assert.throws(() => proj.setCamera(8, cam), /0\.\.7/);
  assert.throws(() => proj.setCamera(-1, cam), RangeError);
  assert.throws(() => proj.setCameraWeight(0, -1), RangeError);
  assert.throws(() => proj.accumulate(1.5, 0, px()), RangeError);
  const p = px([CX, CY, 1]);
  assert.throws(() => proj.accumulate(0, 0, { ...p, count: 2 }), /pixels.count/);
  proj.close();
  proj.close();
  assert.throws(() => proj.accumulate(0, 0, p), { name: 'VoxelStateError' });
  assert.equal(proj.stats.occupied, 0);
});
