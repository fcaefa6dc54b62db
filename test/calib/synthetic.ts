/** Synthetic two-view and multi-view scenes with known geometry for the calibration tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.ts';
import { axisAngleToMatrix, mat3Mul, orientationFromRotation, rotationFromOrientation } from '../../src/geometry/index.ts';

export interface Scene {
  R: Float64Array;
  t: Float64Array;
  /** World points = camera-1 frame, flat xyz. */
  X: Float64Array;
  /** Normalized points in camera 1 and 2, flat xy. */
  n1: Float64Array;
  n2: Float64Array;
}

/** Random relative pose (rotation up to ~20°, baseline ~1) and N points 4–12 units in front of both. */
export function twoViewScene(seed: number, N: number): Scene {
  const rng = new Rng(seed);
  const ax = rng.unitVector();
  const R = axisAngleToMatrix(ax[0], ax[1], ax[2], rng.uniform(0.05, 0.35));
  const td = rng.unitVector();
  const t = new Float64Array([td[0], td[1], td[2] * 0.3]);
  const X = new Float64Array(3 * N), n1 = new Float64Array(2 * N), n2 = new Float64Array(2 * N);
  for (let i = 0; i < N;) {
    const p = [rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(4, 12)];
    const q = [0, 1, 2].map((r) => R[r * 3]! * p[0]! + R[r * 3 + 1]! * p[1]! + R[r * 3 + 2]! * p[2]! + t[r]!);
    if (q[2]! < 1) continue;
    X.set(p, 3 * i);
    n1[2 * i] = p[0]! / p[2]!; n1[2 * i + 1] = p[1]! / p[2]!;
    n2[2 * i] = q[0]! / q[2]!; n2[2 * i + 1] = q[1]! / q[2]!;
    i++;
  }
  return { R, t, X, n1, n2 };
}

/** Pixels from normalized points with f and principal point, plus Gaussian noise σ (px). */
export function toPixels(n: Float64Array, f: number, cx: number, cy: number, sigma: number, rng: Rng): Float64Array {
  const o = new Float64Array(n.length);
  for (let i = 0; i < n.length; i += 2) {
    o[i] = f * n[i]! + cx + sigma * rng.normal();
    o[i + 1] = f * n[i + 1]! + cy + sigma * rng.normal();
  }
  return o;
}

/** Replace a fraction of correspondences in `p` by uniform points in a w×h box; returns the outlier mask. */
export function corrupt(p: Float64Array, frac: number, w: number, h: number, rng: Rng): Uint8Array {
  const n = p.length / 2;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (rng.next() < frac) { mask[i] = 1; p[2 * i] = rng.uniform(0, w); p[2 * i + 1] = rng.uniform(0, h); }
  }
  return mask;
}

export function frob(A: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < A.length; i++) s += A[i]! * A[i]!;
  return Math.sqrt(s);
}

/** Distance between two matrices defined up to scale and sign (both normalized first). */
export function distUpToScale(A: ArrayLike<number>, B: ArrayLike<number>): number {
  const na = frob(A), nb = frob(B);
  let dp = 0, dm = 0;
  for (let i = 0; i < A.length; i++) {
    dp += (A[i]! / na - B[i]! / nb) ** 2;
    dm += (A[i]! / na + B[i]! / nb) ** 2;
  }
  return Math.sqrt(Math.min(dp, dm));
}

import { Camera, type CameraParams } from '../../src/geometry/index.ts';
import type { Track2D } from '../../src/calib/tracks.ts';

/** A smooth, curved 3D target path (ENU metres) over site time s. */
export function targetPath(s: number): [number, number, number] {
  return [
    120 + 90 * Math.sin(0.21 * s) + 30 * Math.sin(0.53 * s + 1),
    230 + 110 * Math.cos(0.17 * s) + 30 * Math.sin(0.41 * s),
    70 + 35 * Math.sin(0.37 * s) + 10 * Math.cos(0.23 * s),
  ];
}

/** Orientation that looks from `from` at `to` (roll given). */
export function lookAt(from: ArrayLike<number>, to: ArrayLike<number>, roll = 0): { yaw: number; pitch: number; roll: number } {
  const dx = to[0]! - from[0]!, dy = to[1]! - from[1]!, dz = to[2]! - from[2]!;
  return { yaw: (Math.atan2(dx, dy) * 180) / Math.PI, pitch: (Math.atan2(dz, Math.hypot(dx, dy)) * 180) / Math.PI, roll };
}

export interface RigCamera {
  params: CameraParams;
  fps: number;
}

/** A 4-camera rig on 100–150 m baselines looking at the target path, with distinct clocks. */
export function rig(): RigCamera[] {
  const at = [120, 230, 70];
  const mk = (id: string, enu: number[], fps: number, clock: { offset_ms: number; drift_ppm: number }, f: number, k1: number, roll: number): RigCamera => ({
    fps,
    params: {
      id, resolution: [1280, 720],
      pose: { enu, ...lookAt(enu, at, roll) },
      intrinsics: { fx: f, fy: f, cx: 640, cy: 360, k1, k2: 0.01 },
      clock,
    },
  });
  return [
    mk('c1', [0, 0, 3], 15, { offset_ms: 0, drift_ppm: 0 }, 900, -0.05, 0),
    mk('c2', [140, -20, 5], 15, { offset_ms: 12345.6, drift_ppm: 150 }, 950, -0.04, 2),
    mk('c3', [-60, 120, 4], 12.5, { offset_ms: -23456.7, drift_ppm: -200 }, 850, -0.06, -3),
    mk('c4', [90, 110, 8], 15, { offset_ms: 1777.7, drift_ppm: 80 }, 1000, -0.03, 1),
  ];
}

/**
 * Observe the path with a camera: frames at camera times k/fps (k ≥ 0) whose site time falls
 * in [s0, s1], projected by the geometry module's Camera (independent of the calibration code),
 * pixel noise σ, samples outside the image dropped.
 */
export function observe(rc: RigCamera, s0: number, s1: number, sigma: number, seed: number, path = targetPath): Track2D {
  const cam = new Camera(rc.params);
  const rng = new Rng(seed);
  const t: number[] = [], x: number[] = [], y: number[] = [];
  const k0 = Math.max(0, Math.ceil(cam.clock.cameraTime(s0) * rc.fps));
  const k1 = Math.floor(cam.clock.cameraTime(s1) * rc.fps);
  const o = [0, 0, 0];
  for (let k = k0; k <= k1; k++) {
    const tc = k / rc.fps;
    const s = cam.clock.siteTime(tc);
    const p = path(s);
    if (!cam.projectInto(p[0], p[1], p[2], o) || !cam.inImage(o[0]!, o[1]!)) continue;
    t.push(tc); x.push(o[0]! + sigma * rng.normal()); y.push(o[1]! + sigma * rng.normal());
  }
  return { id: rc.params.id, t: Float64Array.from(t), x: Float64Array.from(x), y: Float64Array.from(y) };
}

/** World→camera rotation looking from C at T (rows: right, down, forward; z up in the world). */
export function lookAtRotation(C: number[], T: number[]): Float64Array {
  const f = [T[0]! - C[0]!, T[1]! - C[1]!, T[2]! - C[2]!];
  const n = Math.hypot(f[0]!, f[1]!, f[2]!);
  const z = f.map((x) => x / n);
  let r = [z[1]!, -z[0]!, 0];
  const rn = Math.hypot(r[0]!, r[1]!);
  r = r.map((x) => x / rn);
  const d = [z[1]! * r[2]! - z[2]! * r[1]!, z[2]! * r[0]! - z[0]! * r[2]!, z[0]! * r[1]! - z[1]! * r[0]!];
  return Float64Array.from([...r, ...d, ...z]);
}

/**
 * The rig's cameras as a site would claim them: each centre moved `posM` in a random direction,
 * rotated `deg` about a random axis, focal lengths scaled by 1 + fRel, clock offsets shifted by
 * ±clockMs·(0.6 + 0.2·i) (camera 0's clock kept). `keepFirst` leaves camera 0 exact (its draws
 * are still made, so the others come out the same).
 */
export function perturbedRig(cams: RigCamera[], seed: number, posM: number, deg: number, fRel: number, clockMs: number, keepFirst = false): CameraParams[] {
  const rng = new Rng(seed);
  return cams.map((c, i) => {
    const p = c.params;
    const d = rng.unitVector(), ax = rng.unitVector();
    if (keepFirst && i === 0) return p;
    const R = mat3Mul(rotationFromOrientation(p.pose), axisAngleToMatrix(ax[0], ax[1], ax[2], (deg * Math.PI) / 180));
    return {
      ...p,
      pose: { enu: [0, 1, 2].map((k) => p.pose.enu[k]! + posM * d[k]!), ...orientationFromRotation(R) },
      intrinsics: { ...p.intrinsics, fx: p.intrinsics.fx * (1 + fRel), fy: p.intrinsics.fy * (1 + fRel) },
      clock: { offset_ms: p.clock!.offset_ms + (i === 0 ? 0 : (i % 2 ? 1 : -1) * clockMs * (0.6 + 0.2 * i)), drift_ppm: p.clock!.drift_ppm },
    };
  });
}

/**
 * CONTRACTS §7 track CSVs (t,x,y) of the rig's cameras watching the target from 100 to 180 s
 * (0.4 px noise, seed 50 + camera index) in `dir`/det; returns that folder.
 */
export function writeRigTrackCsvs(dir: string, cams: RigCamera[]): string {
  const det = join(dir, 'det');
  mkdirSync(det, { recursive: true });
  cams.forEach((c, i) => {
    const tr = observe(c, 100, 180, 0.4, 50 + i);
    const lines = ['t,x,y'];
    for (let k = 0; k < tr.t.length; k++) lines.push(`${tr.t[k]!.toFixed(6)},${tr.x[k]!.toFixed(3)},${tr.y[k]!.toFixed(3)}`);
    writeFileSync(join(det, `${c.params.id}.csv`), lines.join('\n') + '\n');
  });
  return det;
}
