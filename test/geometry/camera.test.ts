import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera, CameraClock, axisAngleToMatrix, mat3Mul, mat3Transpose, orientationFromRotation, rotationAngleBetween, rotationFromOrientation } from '../../src/geometry/index.ts';

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);
const noDist = { fx: 1000, fy: 1000, cx: 640, cy: 360, k1: 0, k2: 0 };

test('yaw 0 looks north: a point 100 m north, 10 m east, 5 m up lands right of and above centre', () => {
  const cam = new Camera({ id: 'c', resolution: [1280, 720], pose: { enu: [0, 0, 0], yaw: 0, pitch: 0, roll: 0 }, intrinsics: noDist });
  const uv = cam.project([10, 100, 5]);
  assert.ok(uv);
  // By hand: camera frame p = (10, −5, 100) → x = 0.1, y = −0.05 → u = 1000·0.1+640, v = 1000·(−0.05)+360
  close(uv[0], 740, 1e-9); close(uv[1], 310, 1e-9);
});

test('yaw 90 looks east with south on the right; pitch raises the axis; camera position is subtracted', () => {
  const cam = new Camera({ id: 'c', resolution: [1280, 720], pose: { enu: [100, 50, 10], yaw: 90, pitch: 0, roll: 0 }, intrinsics: noDist });
  const uv = cam.project([300, 30, 10]); // 200 m east of the camera, 20 m south
  assert.ok(uv);
  close(uv[0], 640 + 1000 * (20 / 200), 1e-9); close(uv[1], 360, 1e-9);
  const up = new Camera({ id: 'c', resolution: [1280, 720], pose: { enu: [0, 0, 0], yaw: 0, pitch: 30, roll: 0 }, intrinsics: noDist });
  const onAxis = up.project([0, Math.cos(Math.PI / 6) * 500, Math.sin(Math.PI / 6) * 500]);
  assert.ok(onAxis);
  close(onAxis[0], 640, 1e-9); close(onAxis[1], 360, 1e-9);
  // A point on the horizon straight ahead is 30° below the axis: v = cy + f·tan 30°.
  const horizon = up.project([0, 1000, 0]);
  assert.ok(horizon);
  close(horizon[1], 360 + 1000 * Math.tan(Math.PI / 6), 1e-9);
});

test('positive roll turns the right side down: a point below the axis moves to the right', () => {
  const cam = new Camera({ id: 'c', resolution: [1280, 720], pose: { enu: [0, 0, 0], yaw: 0, pitch: 0, roll: 90 }, intrinsics: noDist });
  const uv = cam.project([0, 100, -10]); // 10 m below the axis at 100 m
  assert.ok(uv);
  close(uv[0], 640 + 100, 1e-9); close(uv[1], 360, 1e-9);
});

test('distortion matches the OpenCV polynomial computed by hand', () => {
  const k = { fx: 800, fy: 810, cx: 320, cy: 240, k1: -0.2, k2: 0.05, p1: 0.001, p2: -0.002, k3: 0.01 };
  const cam = new Camera({ id: 'c', resolution: [640, 480], pose: { enu: [0, 0, 0], yaw: 0, pitch: 0, roll: 0 }, intrinsics: k });
  // Normalized point (0.2, −0.1): world point (0.2·d, d, 0.1·d) for yaw 0 (down = −u).
  const x = 0.2, y = -0.1, r2 = 0.05;
  const radial = 1 + -0.2 * r2 + 0.05 * r2 * r2 + 0.01 * r2 * r2 * r2; // 0.99012625
  const xd = x * radial + 2 * 0.001 * x * y + -0.002 * (r2 + 2 * x * x);
  const yd = y * radial + 0.001 * (r2 + 2 * y * y) + 2 * -0.002 * x * y;
  const uv = cam.project([0.2 * 50, 50, 0.1 * 50]);
  assert.ok(uv);
  close(uv[0], 800 * xd + 320, 1e-9); close(uv[1], 810 * yd + 240, 1e-9);
  close(radial, 0.99012625, 1e-12);
});

test('project → unproject round trip is within 1e-6 px over the whole image with strong distortion', () => {
  // Strong barrel distortion (wide consumer lens), still monotone over the whole frame.
  const cam = new Camera({
    id: 'g', resolution: [1920, 1080],
    pose: { enu: [12, -7, 6], yaw: 33, pitch: 11, roll: -4 },
    intrinsics: { fx: 1100, fy: 1110, cx: 970.27, cy: 531.28, k1: -0.21, k2: 0.06, p1: -0.000136, p2: 0.000175, k3: -0.004 },
  });
  const dir = [0, 0, 0], uvw = [0, 0, 0];
  let worst = 0;
  for (let v = 0; v < 1080; v += 53) {
    for (let u = 0; u < 1920; u += 61) {
      assert.ok(cam.unprojectInto(u, v, dir), `unproject ${u},${v}`);
      const d = 250;
      assert.ok(cam.projectInto(12 + d * dir[0]!, -7 + d * dir[1]!, 6 + d * dir[2]!, uvw));
      worst = Math.max(worst, Math.hypot(uvw[0]! - u, uvw[1]! - v));
    }
  }
  assert.ok(worst < 1e-6, `worst round-trip error ${worst} px`);
});

test('a pixel beyond the range where the distortion polynomial is invertible is refused, not guessed', () => {
  // The dataset's GoPro calibration: r·(1+k1r²+k2r⁴+k3r⁶) peaks near r_d ≈ 1.18, below the corner's r_d ≈ 1.2.
  const cam = new Camera({
    id: 'g', resolution: [1920, 1080], pose: { enu: [0, 0, 0], yaw: 0, pitch: 0, roll: 0 },
    intrinsics: { fx: 874.47, fy: 894.11, cx: 970.27, cy: 531.28, k1: -0.2607, k2: 0.0749, p1: -0.000136, p2: 0.000175, k3: -0.00906 },
  });
  assert.equal(cam.unproject(0, 0), null);
  assert.ok(cam.unproject(970, 531));
});

test('unprojected ray of the principal point is the optical axis; rays are unit length', () => {
  const cam = new Camera({ id: 'c', resolution: [640, 480], pose: { enu: [0, 0, 0], yaw: 90, pitch: 10, roll: 5 }, intrinsics: { ...noDist, cx: 320, cy: 240, k1: -0.1, k2: 0.01 } });
  const d = cam.unproject(320, 240);
  assert.ok(d);
  const c10 = Math.cos(Math.PI / 18);
  close(d[0], c10, 1e-12); close(d[1], 0, 1e-12); close(d[2], Math.sin(Math.PI / 18), 1e-12);
  const e = cam.unproject(5, 470);
  assert.ok(e);
  close(Math.hypot(...e), 1, 1e-12);
});

test('points behind or on the camera plane are rejected; inImage uses pixel-centre convention', () => {
  const cam = new Camera({ id: 'c', resolution: [640, 480], pose: { enu: [0, 0, 0], yaw: 0, pitch: 0, roll: 0 }, intrinsics: { ...noDist, cx: 319.5, cy: 239.5 } });
  assert.equal(cam.project([0, -10, 0]), null);
  assert.equal(cam.project([5, 0, 3]), null); // depth exactly 0
  const out = [0, 0, 0];
  assert.equal(cam.projectInto(0, -1e-9, 0, out), false);
  assert.ok(cam.inImage(-0.5, -0.5));
  assert.ok(cam.inImage(639.49, 479.49));
  assert.ok(!cam.inImage(639.51, 100));
  assert.ok(!cam.inImage(100, -0.51));
});

test('rolling shutter: row v is exposed v·line_us later (down) or (H−1−v)·line_us later (up)', () => {
  const base = { id: 'c', resolution: [640, 480], pose: { enu: [0, 0, 0], yaw: 0, pitch: 0, roll: 0 }, intrinsics: noDist };
  const down = new Camera({ ...base, rolling_shutter: { line_us: 20, direction: 'down' } });
  close(down.rowTime(10, 0), 10, 1e-15); close(down.rowTime(10, 100), 10.002, 1e-12);
  const up = new Camera({ ...base, rolling_shutter: { line_us: 20, direction: 'up' } });
  close(up.rowTime(10, 479), 10, 1e-15); close(up.rowTime(10, 0), 10 + 479 * 20e-6, 1e-12);
  const global = new Camera(base);
  assert.equal(global.rowTime(3, 400), 3);
});

test('clock: camera_time = a·site + b with b = offset_ms/1000, a = 1 + drift_ppm·1e-6', () => {
  const c = new CameraClock({ offset_ms: 250, drift_ppm: 100 });
  close(c.cameraTime(100), 100 * 1.0001 + 0.25, 1e-12);
  close(c.siteTime(c.cameraTime(42.5)), 42.5, 1e-12);
  close(c.params.offset_ms, 250, 1e-9); close(c.params.drift_ppm, 100, 1e-6);
});

test('rotation helpers: orientation round trip, orthonormality, Rodrigues angle', () => {
  for (const o of [{ yaw: 10, pitch: 8, roll: 0 }, { yaw: -135, pitch: -20, roll: 33 }, { yaw: 179, pitch: 75, roll: -170 }]) {
    const R = rotationFromOrientation(o);
    const RRt = mat3Mul(R, mat3Transpose(R));
    for (let i = 0; i < 9; i++) close(RRt[i]!, i % 4 === 0 ? 1 : 0, 1e-12);
    const back = orientationFromRotation(R);
    close(back.yaw, o.yaw, 1e-9); close(back.pitch, o.pitch, 1e-9); close(back.roll, o.roll, 1e-9);
  }
  const A = rotationFromOrientation({ yaw: 20, pitch: 5, roll: 1 });
  const Q = axisAngleToMatrix(0.3, -0.5, 0.8, (5 * Math.PI) / 180);
  close(rotationAngleBetween(A, mat3Mul(Q, A)), (5 * Math.PI) / 180, 1e-12);
});
