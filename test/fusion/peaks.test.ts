import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeakFinder, type SnapshotLike, type CameraEvidence } from '../../src/fusion/index.ts';
import { Camera } from '../../src/geometry/index.ts';

function snapshot(cells: { v: [number, number, number]; e: number; cams: number[] }[]): SnapshotLike {
  const n = cells.length;
  const s: SnapshotLike = { count: n, ix: new Int32Array(n), iy: new Int32Array(n), iz: new Int32Array(n), energy: new Float32Array(n), maskLo: new Uint32Array(n), maskHi: new Uint32Array(n), support: new Uint8Array(n) };
  cells.forEach((c, i) => {
    [s.ix[i], s.iy[i], s.iz[i]] = c.v;
    s.energy[i] = c.e;
    for (const b of c.cams) { if (b < 32) s.maskLo[i] = s.maskLo[i]! | (1 << b); else s.maskHi[i] = s.maskHi[i]! | (1 << (b - 32)); }
    s.support[i] = c.cams.length;
  });
  return s;
}

const volume = { min: [-100, 0, 0], voxel_m: 4 };

test('a clean sky (few supported voxels): the absolute floor decides; candidates need the support and the energy', () => {
  const cells = Array.from({ length: 20 }, (_, i) => ({ v: [i, 50, 5] as [number, number, number], e: 1, cams: [0] }));
  cells.push({ v: [10, 10, 10], e: 30, cams: [0, 1, 2] }, { v: [40, 40, 10], e: 30, cams: [0, 1] }, { v: [60, 10, 10], e: 10, cams: [0, 1, 2] });
  const s = snapshot(cells);
  const pf = new PeakFinder(volume, { minEnergy: 15, minConsistentRays: 0 });
  assert.equal(pf.threshold(s), 15);
  const peaks = pf.find(s);
  assert.deepEqual(peaks.map((p) => p.voxel), [[10, 10, 10]]); // not the 2-camera one, not the weak one
  assert.deepEqual(peaks[0]!.cameras, [0, 1, 2]);
  assert.deepEqual(peaks[0]!.enu, [-100 + 10.5 * 4, 10.5 * 4, 10.5 * 4]); // voxel centre, no evidence to refine with
  assert.deepEqual(new PeakFinder(volume, { minSupport: 2, minEnergy: 15, minConsistentRays: 0 }).find(s).map((p) => p.voxel), [[10, 10, 10], [40, 40, 10]]);
});

test('a busy sky (many supported voxels): robust mean + k·σ = median + k·1.4826·MAD of the supported energies', () => {
  // 300 chance coincidences with energies 10, 11, 12 in equal shares, one real target at 60, and
  // 500 single-camera voxels that must not count. By hand: median 11, |e − 11| ∈ {1, 0, 1} → MAD 1,
  // threshold 11 + 4·1.4826·1 = 16.93 (histogram bins of 60/1023 ≈ 0.06 bound the error).
  const cells = Array.from({ length: 300 }, (_, i) => ({ v: [i % 100, Math.floor(i / 100) * 10, 20] as [number, number, number], e: 10 + (i % 3), cams: [0, 1, 2] }));
  cells.push(...Array.from({ length: 500 }, (_, i) => ({ v: [i % 100, 60 + Math.floor(i / 100), 40] as [number, number, number], e: 0.5, cams: [3] })));
  cells.push({ v: [50, 90, 30], e: 60, cams: [0, 1, 2, 3] });
  const pf = new PeakFinder(volume, { minEnergy: 5, minConsistentRays: 0 });
  const thr = pf.threshold(snapshot(cells));
  assert.ok(Math.abs(thr - 16.93) < 0.2, `threshold ${thr}`);
  assert.deepEqual(pf.find(snapshot(cells)).map((p) => p.voxel), [[50, 90, 30]]);
});

test('3D non-maximum suppression keeps the strongest of neighbouring cells, not distant ones; cameras above 32 are read from the high mask', () => {
  const bg = Array.from({ length: 50 }, (_, i) => ({ v: [i, 0, 0] as [number, number, number], e: 0.5, cams: [0] }));
  const s = snapshot([...bg,
    { v: [20, 20, 20], e: 50, cams: [0, 1, 40] },
    { v: [21, 21, 20], e: 45, cams: [0, 1, 40] }, // within 2 voxels of the stronger: suppressed
    { v: [24, 20, 20], e: 40, cams: [0, 1, 40] }, // 4 voxels away: kept
  ]);
  const peaks = new PeakFinder(volume, { sigmaK: 1, minConsistentRays: 0 }).find(s);
  assert.deepEqual(peaks.map((p) => p.voxel), [[20, 20, 20], [24, 20, 20]]);
  assert.deepEqual(peaks[0]!.cameras, [0, 1, 40]);
});

test('refinement: rays through the cameras\' motion pixels recover a point off the voxel centre', () => {
  const X: [number, number, number] = [3.1, 301.3, 41.7]; // in voxel (25, 75, 10) of the volume; centre (2, 302, 42)
  const intr = { fx: 1000, fy: 1000, cx: 320, cy: 240, k1: 0, k2: 0 };
  const cams = [
    new Camera({ id: 'a', resolution: [640, 480], pose: { enu: [-60, 0, 6], yaw: 11, pitch: 7, roll: 0 }, intrinsics: intr }),
    new Camera({ id: 'b', resolution: [640, 480], pose: { enu: [60, -10, 7], yaw: -11, pitch: 7, roll: 0 }, intrinsics: intr }),
    new Camera({ id: 'c', resolution: [640, 480], pose: { enu: [-50, -110, 6], yaw: 7, pitch: 6, roll: 0 }, intrinsics: intr }),
  ];
  const evidence: CameraEvidence[] = cams.map((cam) => {
    const [u, v] = cam.project(X)!;
    // The target's pixel plus a weaker noise pixel 2 px away.
    const index = new Uint32Array([Math.round(v) * 640 + Math.round(u), Math.round(v) * 640 + Math.round(u) + 2]);
    return { cam, count: 2, index, energy: new Float32Array([9, 5]) };
  });
  const bg = Array.from({ length: 30 }, (_, i) => ({ v: [i, 0, 0] as [number, number, number], e: 0.5, cams: [0] }));
  const s = snapshot([...bg, { v: [25, 75, 10], e: 27, cams: [0, 1, 2] }]);
  const [peak] = new PeakFinder(volume, { sigmaK: 2 }).find(s, evidence);
  assert.ok(peak && peak.refined);
  const err = Math.hypot(peak.enu[0] - X[0], peak.enu[1] - X[1], peak.enu[2] - X[2]);
  const centreErr = Math.hypot(2 - X[0], 302 - X[1], 42 - X[2]);
  // Pixel rounding (≤ 0.5 px at ~300–420 m with fx = 1000 → ≤ 0.2 m across each ray) bounds the error.
  assert.ok(err < 0.6, `refined error ${err.toFixed(3)} m`);
  assert.ok(centreErr > 1.3 && err < centreErr / 2, `centre error ${centreErr.toFixed(2)} m`);
  assert.equal(peak.rays, 3);
  // A fourth camera whose only pixel near the peak is 12 px off the target's projection: its ray
  // misses the point by far more than maxRayErrorPx (4), so it is dropped and the three others kept.
  const d = new Camera({ id: 'd', resolution: [640, 480], pose: { enu: [50, -100, 7], yaw: -8, pitch: 6, roll: 0 }, intrinsics: intr });
  const [du, dv] = d.project(X)!;
  const ev4 = [...evidence, { cam: d, count: 1, index: new Uint32Array([Math.round(dv) * 640 + Math.round(du) + 12]), energy: new Float32Array([20]) }];
  const s4 = snapshot([...bg, { v: [25, 75, 10], e: 27, cams: [0, 1, 2, 3] }]);
  const [p4] = new PeakFinder(volume, { sigmaK: 2 }).find(s4, ev4);
  assert.ok(p4 && p4.refined && p4.rays === 3, `rays ${p4?.rays}`);
  assert.ok(Math.hypot(p4.enu[0] - X[0], p4.enu[1] - X[1], p4.enu[2] - X[2]) < 0.6);
  // Two of three cameras 10 px off in different directions: no three rays agree, no peak (the
  // default minConsistentRays is 3); with minConsistentRays 0 the peak stands on fewer rays (two
  // rays nearly always meet: an offset along the epipolar line leaves them crossing).
  const bad = evidence.map((e, k) => (k === 0 ? e : { ...e, count: 1, index: new Uint32Array([e.index[0]! + (k === 1 ? 10 : -10 * 640)]) }));
  assert.deepEqual(new PeakFinder(volume, { sigmaK: 2 }).find(s, bad), []);
  const [loose] = new PeakFinder(volume, { sigmaK: 2, minConsistentRays: 0 }).find(s, bad);
  assert.ok(loose && loose.rays < 3, `rays ${loose?.rays}`);
});

test('temporal persistence: a coincidence in one frame per camera is refused, a voxel seen over several frames kept', () => {
  const s = snapshot([
    { v: [10, 10, 10], e: 30, cams: [0, 1, 2] }, // chance: one bucket each
    { v: [40, 40, 10], e: 30, cams: [0, 1, 2] }, // target: 3 cameras in 3 buckets
  ]);
  s.frames = Uint8Array.from([3, 9]);
  s.bucketSupport = Uint8Array.from([3, 0, 0, 0, 3, 3, 3, 0]);
  assert.deepEqual(new PeakFinder(volume, { minConsistentRays: 0 }).find(s).map((p) => p.voxel), [[40, 40, 10]]); // default minFrames 6
  assert.deepEqual(new PeakFinder(volume, { minFrames: 0, minConsistentRays: 0 }).find(s).map((p) => p.voxel), [[10, 10, 10], [40, 40, 10]]);
  assert.deepEqual(new PeakFinder(volume, { minFrames: 10, minConsistentRays: 0 }).find(s).map((p) => p.voxel), []);
  // Pooled buckets with ≥ persistenceSupport (default minSupport = 3) cameras.
  assert.deepEqual(new PeakFinder(volume, { minFrames: 0, minPersistence: 2, minConsistentRays: 0 }).find(s).map((p) => p.voxel), [[40, 40, 10]]);
  assert.deepEqual(new PeakFinder(volume, { minFrames: 0, minPersistence: 4, minConsistentRays: 0 }).find(s).map((p) => p.voxel), []);
  assert.deepEqual(new PeakFinder(volume, { minFrames: 0, minPersistence: 1, persistenceSupport: 4, minConsistentRays: 0 }).find(s).map((p) => p.voxel), []);
  // A snapshot without the fields (older producers) is not filtered.
  delete s.frames; delete s.bucketSupport;
  assert.deepEqual(new PeakFinder(volume, { minPersistence: 2, minConsistentRays: 0 }).find(s).map((p) => p.voxel), [[10, 10, 10], [40, 40, 10]]);
});
