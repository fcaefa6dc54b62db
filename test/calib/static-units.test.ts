/**
 * The pieces of src/calib/static against truths built by hand: rotations from bearings with a
 * known turn, Lucas–Kanade on an analytic texture shifted by a known sub-pixel amount, skyline
 * profiles of an analytically area-sampled edge, skyline alignment of profiles moved by a known
 * rotation (through the geometry module's camera), the median against a brute-force sort.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera, axisAngleToMatrix, mat3Mul, rotationAngleBetween } from '../../src/geometry/index.ts';
import { MedianBackground, loadCv, alignSkyline, extractSkyline, fitRotation, otsuThreshold, ransacRotation, refineMatch, type SkylineProfile } from '../../src/calib/static/index.ts';
import { Rng } from '../../src/util/rng.ts';

const DEG = Math.PI / 180;

function randomBearings(n: number, rng: Rng): Float64Array {
  const b = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const x = rng.uniform(-0.6, 0.6), y = rng.uniform(-0.35, 0.35), s = 1 / Math.hypot(x, y, 1);
    b[3 * i] = x * s; b[3 * i + 1] = y * s; b[3 * i + 2] = s;
  }
  return b;
}

function rotate(D: ArrayLike<number>, b: Float64Array): Float64Array {
  const o = new Float64Array(b.length);
  for (let i = 0; i < b.length / 3; i++) for (let r = 0; r < 3; r++) o[3 * i + r] = D[3 * r]! * b[3 * i]! + D[3 * r + 1]! * b[3 * i + 1]! + D[3 * r + 2]! * b[3 * i + 2]!;
  return o;
}

test('fitRotation recovers a known turn exactly from clean bearings', () => {
  const rng = new Rng(5);
  const D = axisAngleToMatrix(0.3, -1, 0.2, 0.4 * DEG);
  const b0 = randomBearings(40, rng);
  const R = fitRotation(b0, rotate(D, b0));
  assert.ok(rotationAngleBetween(R, D) < 1e-7); // acos near 1 resolves ~1e-8 rad
});

test('ransacRotation finds the turn among 30 % gross outliers and names them', () => {
  const rng = new Rng(9);
  const D = axisAngleToMatrix(-0.2, 1, 0.1, 2 * DEG);
  const n = 100;
  const b0 = randomBearings(n, rng), b1 = rotate(D, b0);
  const bad = new Set<number>();
  for (let i = 0; i < n; i += 3) { // every third point is replaced by a random direction
    const r = randomBearings(1, rng);
    b1.set(r, 3 * i);
    bad.add(i);
  }
  const res = ransacRotation(b0, b1, 1e-4, 3)!;
  assert.ok(rotationAngleBetween(res.R, D) < 1e-7);
  assert.equal(res.inliers.length, n - bad.size);
  for (const i of res.inliers) assert.ok(!bad.has(i));
});

test('refineMatch tracks an analytic texture to a known sub-pixel shift', () => {
  const W = 64, H = 64;
  // Smooth texture: a sum of Gaussian blobs evaluated at each pixel centre.
  const blobs = [[20, 22, 4, 90], [36, 30, 3, -70], [30, 40, 5, 60], [44, 20, 3.5, 50]];
  const tex = (x: number, y: number) => 100 + blobs.reduce((s, [bx, by, r, a]) => s + a! * Math.exp(-((x - bx!) ** 2 + (y - by!) ** 2) / (2 * r! * r!)), 0);
  const dx = 0.37, dy = -0.61;
  const ref = new Float64Array(W * H), cur = new Float64Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) { ref[y * W + x] = tex(x, y); cur[y * W + x] = tex(x - dx, y - dy); }
  // The patch of ref centred on (30, 30) lies at (30 + dx, 30 + dy) in cur.
  const r = refineMatch(ref, cur, W, H, 30, 30, 31, 29, 7);
  assert.ok(r.ok);
  assert.ok(Math.abs(r.x - (30 + dx)) < 0.02 && Math.abs(r.y - (30 + dy)) < 0.02, `tracked to ${r.x}, ${r.y}`);
  // A flat patch cannot be tracked.
  const flat = new Float64Array(W * H).fill(100);
  assert.equal(refineMatch(flat, flat, W, H, 30, 30, 30, 30).ok, false);
});

test('extractSkyline finds an area-sampled edge to a few hundredths of a pixel; clouds above do not stop it', () => {
  const W = 200, H = 120;
  const edge = (u: number) => 60.3 + 7 * Math.sin(u / 25); // boundary row (rows grow downward)
  const img = new Uint8Array(W * H);
  const S = 32; // sub-samples per pixel side for the area integral
  for (let v = 0; v < H; v++) for (let u = 0; u < W; u++) {
    let skyArea = 0;
    for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
      const x = u - 0.5 + (i + 0.5) / S, y = v - 0.5 + (j + 0.5) / S;
      if (y < edge(x)) skyArea++;
    }
    const a = skyArea / (S * S);
    // A brighter cloud band in the sky (rows 10–30) that must not be taken for the boundary.
    const sky = v >= 10 && v < 30 ? 230 : 190;
    img[v * W + u] = Math.round(a * sky + (1 - a) * 70);
  }
  const p = extractSkyline(img, W, H);
  let worst = 0, n = 0;
  for (let u = 0; u < W; u++) {
    // Truth: the mean boundary row over the pixel's width.
    let m = 0;
    for (let i = 0; i < 64; i++) m += edge(u - 0.5 + (i + 0.5) / 64);
    m /= 64;
    assert.ok(Number.isFinite(p.row[u]!), `column ${u} has a boundary`);
    worst = Math.max(worst, Math.abs(p.row[u]! - m));
    n++;
  }
  // 8-bit rounding of the mixed pixels limits it to about 1/120 px per mixed pixel.
  assert.ok(worst < 0.03, `worst boundary error ${worst.toFixed(4)} px over ${n} columns`);
  assert.ok(p.threshold > 70 && p.threshold < 190);
});

test('otsuThreshold separates two modes', () => {
  const v = new Uint8Array(1000);
  for (let i = 0; i < 1000; i++) v[i] = i < 600 ? 60 + (i % 7) : 180 + (i % 5);
  const th = otsuThreshold(v);
  assert.ok(th > 66 && th < 180, `threshold ${th}`);
});

test('alignSkyline recovers a known small rotation from profiles moved through the camera model', () => {
  const W = 640, H = 360;
  const pose = { enu: [0, 0, 5], yaw: 20, pitch: 3, roll: 0 };
  const intr = { fx: 520, fy: 520, cx: 319.5, cy: 179.5, k1: -0.05, k2: 0.01 };
  const cam0 = new Camera({ id: 'c', resolution: [W, H], pose, intrinsics: intr });
  const D = axisAngleToMatrix(0.4, 1, -0.3, 0.25 * DEG); // camera-frame turn
  const R1 = mat3Mul(D, cam0.R);
  // Same camera with the turned rotation: build it from a pose, then check it matches R1.
  const cam1 = new Camera({ id: 'c', resolution: [W, H], pose: { ...pose, ...orientationOf(R1) }, intrinsics: intr });
  assert.ok(rotationAngleBetween(cam1.R, R1) < 1e-7);
  // A synthetic skyline: a ridge with peaks, as boundary rows in the reference view.
  const refRow = (u: number) => 150 + 12 * Math.sin(u / 31) + 6 * Math.abs(Math.sin(u / 9)) + 3 * Math.sin(u / 4.3);
  const ref: SkylineProfile = { width: W, row: new Float64Array(W), contrast: new Float64Array(W).fill(80), threshold: 128 };
  for (let u = 0; u < W; u++) ref.row[u] = refRow(u);
  // Move densely sampled boundary points into the second view, then resample at whole columns.
  const pts: [number, number][] = [];
  const dir = new Float64Array(3);
  for (let u = -20; u < W + 20; u += 0.05) {
    cam0.unprojectInto(u, refRow(u), dir);
    const p = cam1.project([dir[0]! * 1000, dir[1]! * 1000, 5 + dir[2]! * 1000]);
    if (p) pts.push(p);
  }
  pts.sort((a, b) => a[0] - b[0]);
  const cur: SkylineProfile = { width: W, row: new Float64Array(W).fill(NaN), contrast: new Float64Array(W).fill(80), threshold: 128 };
  for (let k = 1; k < pts.length; k++) {
    const [ua, va] = pts[k - 1]!, [ub, vb] = pts[k]!;
    for (let u = Math.ceil(ua); u <= ub && u < W; u++) if (u >= 0) cur.row[u] = va + ((vb - va) * (u - ua)) / (ub - ua);
  }
  const al = alignSkyline(cam0, ref, cur)!;
  assert.ok(al, 'aligned');
  const err = rotationAngleBetween(al.R, D) / DEG;
  assert.ok(err < 0.005, `rotation error ${err.toFixed(5)}°, rms ${al.rmsPx}`);
  assert.ok(Math.abs(al.angleDeg - 0.25) < 0.005);
});

test('MedianBackground equals a brute-force per-pixel median', () => {
  const rng = new Rng(2);
  const W = 17, H = 9, depth = 5;
  const bg = new MedianBackground(W, H, depth);
  const frames: Uint8Array[] = [];
  for (let f = 0; f < 8; f++) { // more frames than the depth: only the last five count
    const fr = new Uint8Array(W * H);
    for (let i = 0; i < fr.length; i++) fr[i] = Math.floor(rng.next() * 256);
    frames.push(fr);
    bg.push(fr);
  }
  const med = bg.median()!;
  for (let i = 0; i < W * H; i++) {
    const vals = frames.slice(-depth).map((f) => f[i]!).sort((a, b) => a - b);
    assert.equal(med[i], vals[2]);
  }
  bg.clear();
  assert.equal(bg.median(), null);
  assert.throws(() => new MedianBackground(W, H, 0), RangeError);
});

/** Yaw/pitch/roll of a world→camera rotation, by the CONTRACTS §1 definitions written out here. */
function orientationOf(R: ArrayLike<number>): { yaw: number; pitch: number; roll: number } {
  const f = [R[6]!, R[7]!, R[8]!];
  const pitch = Math.asin(f[2]!), yaw = Math.atan2(f[0]!, f[1]!);
  const r0 = [Math.cos(yaw), -Math.sin(yaw), 0];
  const d0 = [f[1]! * r0[2]! - f[2]! * r0[1]!, f[2]! * r0[0]! - f[0]! * r0[2]!, f[0]! * r0[1]! - f[1]! * r0[0]!];
  const roll = Math.atan2(R[0]! * d0[0]! + R[1]! * d0[1]! + R[2]! * d0[2]!, R[0]! * r0[0]! + R[1]! * r0[1]! + R[2]! * r0[2]!);
  return { yaw: yaw / DEG, pitch: pitch / DEG, roll: roll / DEG };
}

test('loading OpenCV.js leaves the process without its Emscripten exception handlers', async () => {
  const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
  const { cv } = await loadCv();
  assert.equal(typeof cv.ORB, 'function');
  assert.deepEqual([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')], before);
  // Same runtime on a second call.
  assert.equal((await loadCv()).cv, cv);
});
