/**
 * What site.yaml claims about a camera (`report_error`, CONTRACTS §4–5): measured against the
 * truth with plain geometry — the distance between claimed and true centre, the angle between
 * claimed and true orientation — not by redoing the perturbation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rotationAngleBetween, rotationFromOrientation } from '../../src/geometry/index.ts';
import { parseScenario, reportedCamera, type SimCamera } from '../../src/sim/index.ts';

const DEG = Math.PI / 180;

function camera(over: Record<string, unknown> = {}): SimCamera {
  const r = parseScenario(JSON.stringify({
    name: 'rep', seed: 1, duration_s: 1,
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-10, -10, 0], max: [10, 10, 10], voxel_m: 1 } },
    cameras: [{
      id: 'cam01', resolution: [1920, 1080], fps: 30,
      pose: { enu: [12.5, -40, 6], yaw: 33, pitch: 8, roll: 1.5 },
      intrinsics: { fx: 1500, fy: 1490, cx: 960, cy: 540, k1: -0.05, k2: 0.01 },
      clock: { offset_ms: 35, drift_ppm: 12 },
      ...over,
    }],
  }));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value.cameras[0]!;
}

const ERR = { pos_m: 5, angle_deg: 5, f_rel: 0.1, offset_ms: 1500 };

const dist = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
const angleDeg = (a: { yaw: number; pitch: number; roll: number }, b: { yaw: number; pitch: number; roll: number }) =>
  rotationAngleBetween(rotationFromOrientation(a), rotationFromOrientation(b)) / DEG;

test('report_error {5 m, 5°, +10 %, +1500 ms}: each claimed quantity off by exactly that much', () => {
  const c = camera({ report_error: ERR });
  for (let seed = 0; seed < 20; seed++) {
    const rep = reportedCamera(c, seed, seed % 3);
    assert.ok(Math.abs(dist(rep.pose.enu, [12.5, -40, 6]) - 5) < 1e-9, `seed ${seed}: position off by ${dist(rep.pose.enu, [12.5, -40, 6])} m`);
    const a = angleDeg(rep.pose, { yaw: 33, pitch: 8, roll: 1.5 });
    assert.ok(Math.abs(a - 5) < 1e-9, `seed ${seed}: orientation off by ${a}°`);
    assert.ok(Math.abs(rep.intrinsics.fx - 1650) < 1e-9);
    assert.ok(Math.abs(rep.intrinsics.fy - 1639) < 1e-9);
    // The rest of the intrinsics is claimed as true.
    assert.equal(rep.intrinsics.cx, 960);
    assert.equal(rep.intrinsics.cy, 540);
    assert.equal(rep.intrinsics.k1, -0.05);
    assert.equal(rep.intrinsics.k2, 0.01);
    assert.deepEqual(rep.clock, { offset_ms: 1535, drift_ppm: 12 });
  }
});

test('the claimed orientation stays a valid site.yaml orientation and exactly 5° off, even near the zenith', () => {
  for (const pose of [
    { enu: [0, 0, 0], yaw: -170, pitch: 88, roll: 0 },
    { enu: [0, 0, 0], yaw: 359, pitch: -87, roll: -179 },
    { enu: [0, 0, 0], yaw: 0, pitch: 0, roll: 179.5 },
  ]) {
    const c = camera({ pose, report_error: ERR });
    for (let seed = 0; seed < 10; seed++) {
      const rep = reportedCamera(c, seed, 0);
      const a = angleDeg(rep.pose, pose);
      assert.ok(Math.abs(a - 5) < 1e-7, `${JSON.stringify(pose)} seed ${seed}: ${a}°`);
      assert.ok(rep.pose.yaw >= -360 && rep.pose.yaw <= 360, `yaw ${rep.pose.yaw}`);
      assert.ok(rep.pose.pitch >= -90 && rep.pose.pitch <= 90, `pitch ${rep.pose.pitch}`);
      assert.ok(rep.pose.roll >= -180 && rep.pose.roll <= 180, `roll ${rep.pose.roll}`);
    }
  }
});

test('zero report_error: the claim is the truth', () => {
  const c = camera();
  const rep = reportedCamera(c, 7, 2);
  assert.deepEqual(rep, {
    pose: { enu: [12.5, -40, 6], yaw: 33, pitch: 8, roll: 1.5 },
    intrinsics: { fx: 1500, fy: 1490, cx: 960, cy: 540, k1: -0.05, k2: 0.01 },
    clock: { offset_ms: 35, drift_ppm: 12 },
  });
});

test('a camera without a clock claims the true clock (offset 0) plus offset_ms', () => {
  const c = camera({ clock: undefined, report_error: { offset_ms: -250 } });
  assert.deepEqual(reportedCamera(c, 3, 0).clock, { offset_ms: -250, drift_ppm: 0 });
});

test('the error directions depend on seed and camera; the same seed and camera give the same claim', () => {
  const c = camera({ report_error: ERR });
  const a = reportedCamera(c, 11, 0);
  assert.deepEqual(reportedCamera(c, 11, 0), a);
  const others = [reportedCamera(c, 12, 0), reportedCamera(c, 11, 1), reportedCamera(c, 11, 2)];
  for (const o of others) {
    assert.ok(dist(o.pose.enu, a.pose.enu) > 0.1, 'position moved in another direction');
    assert.ok(angleDeg(o.pose, a.pose) > 0.1, 'orientation turned about another axis');
  }
});

test('the position error points in all directions: over many seeds the unit offsets average out', () => {
  const c = camera({ report_error: ERR });
  const sum = [0, 0, 0];
  const n = 400;
  let up = 0;
  for (let seed = 0; seed < n; seed++) {
    const e = reportedCamera(c, seed, 0).pose.enu;
    const d = [(e[0] - 12.5) / 5, (e[1] + 40) / 5, (e[2] - 6) / 5];
    for (let k = 0; k < 3; k++) sum[k]! += d[k]!;
    if (d[2]! > 0) up++;
  }
  // A uniform direction has mean 0 with a per-axis standard error of sqrt(1/3/n) ≈ 0.029.
  assert.ok(Math.hypot(sum[0]!, sum[1]!, sum[2]!) / n < 0.15, `mean direction ${sum.map((s) => s / n)}`);
  assert.ok(up > n * 0.35 && up < n * 0.65, `${up} of ${n} offsets point up`);
});
