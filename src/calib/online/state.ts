/**
 * Calibration state of the online refiner: conversions between the geometry module's Camera,
 * the bundle adjustment's BaCamera and the served JSON, the change between two states, and the
 * similarity that maps a candidate back onto an anchor calibration.
 */
import { orientationFromRotation, rotationAngleBetween, type Camera, type CameraParams } from '../../geometry/index.ts';
import { applySimilarity, mul3, transpose3, umeyama, type Similarity } from '../solvers/index.ts';
import type { BaCamera, BaTrajectory } from '../bundle.ts';
import type { CameraCalibration } from './types.ts';

export function baFromCamera(c: Camera): BaCamera {
  return {
    R: Float64Array.from(c.R), C: Float64Array.from(c.C), fx: c.fx, fy: c.fy, cx: c.cx, cy: c.cy,
    k1: c.k1, k2: c.k2, k3: c.k3, p1: c.p1, p2: c.p2, a: c.clock.a, b: c.clock.b,
    lineS: c.lineS, rsUp: c.rsDirection === 'up', height: c.height,
  };
}

export function cloneBa(c: BaCamera): BaCamera {
  return { ...c, R: Float64Array.from(c.R), C: Float64Array.from(c.C) };
}

const r = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

export function calibrationOf(id: string, c: BaCamera): CameraCalibration {
  const o = orientationFromRotation(c.R);
  return {
    id,
    pose: { enu: [r(c.C[0]!, 4), r(c.C[1]!, 4), r(c.C[2]!, 4)], yaw: r(o.yaw, 5), pitch: r(o.pitch, 5), roll: r(o.roll, 5) },
    intrinsics: { fx: r(c.fx, 3), fy: r(c.fy, 3), cx: r(c.cx, 3), cy: r(c.cy, 3), k1: r(c.k1, 6), k2: r(c.k2, 6), p1: c.p1, p2: c.p2, k3: c.k3 },
    clock: { offset_ms: r(c.b * 1000, 4), drift_ppm: r((c.a - 1) * 1e6, 4) },
  };
}

export interface StateDelta {
  positionM: number;
  orientationDeg: number;
  focalPct: number;
  clockMs: number;
}

export function delta(before: BaCamera, after: BaCamera): StateDelta {
  return {
    positionM: Math.hypot(after.C[0]! - before.C[0]!, after.C[1]! - before.C[1]!, after.C[2]! - before.C[2]!),
    orientationDeg: (rotationAngleBetween(before.R, after.R) * 180) / Math.PI,
    focalPct: (after.fx / before.fx - 1) * 100,
    clockMs: (after.b - before.b) * 1000,
  };
}

/**
 * The similarity that best maps the cameras' centres, and points one baseline along their
 * optical axes (weight 0.25), onto the anchor's; null with fewer than two cameras.
 */
export function anchorSimilarity(cams: readonly BaCamera[], anchor: readonly BaCamera[]): Similarity | null {
  if (cams.length < 2) return null;
  let L = 0;
  for (const c of anchor) L = Math.max(L, Math.hypot(c.C[0]! - anchor[0]!.C[0]!, c.C[1]! - anchor[0]!.C[1]!, c.C[2]! - anchor[0]!.C[2]!));
  if (!(L > 0)) return null;
  const src: number[] = [], dst: number[] = [], w: number[] = [];
  for (let i = 0; i < cams.length; i++) {
    const c = cams[i]!, a = anchor[i]!;
    src.push(c.C[0]!, c.C[1]!, c.C[2]!); dst.push(a.C[0]!, a.C[1]!, a.C[2]!); w.push(1);
    src.push(c.C[0]! + L * c.R[6]!, c.C[1]! + L * c.R[7]!, c.C[2]! + L * c.R[8]!);
    dst.push(a.C[0]! + L * a.R[6]!, a.C[1]! + L * a.R[7]!, a.C[2]! + L * a.R[8]!); w.push(0.25);
  }
  return umeyama(src, dst, w);
}

/** Apply a similarity to cameras (centres, rotations) and trajectory knots, in place. */
export function applyToState(T: Similarity, cams: BaCamera[], traj?: BaTrajectory): void {
  const Rt = transpose3(T.R);
  for (const c of cams) { c.C = applySimilarity(T, c.C); c.R = mul3(c.R, Rt); }
  if (traj) {
    const K = traj.X;
    for (let k = 0; k < K.length; k += 3) K.set(applySimilarity(T, K.subarray(k, k + 3)), k);
  }
}

/**
 * Geometry-module camera parameters for a served calibration, keeping what the refiner does not
 * estimate (resolution, rolling shutter) from `base`: how a consumer (the live pipeline) would
 * build its Camera from an accepted version.
 */
export function cameraParamsOf(cal: CameraCalibration, base: Camera): CameraParams {
  return {
    id: base.id, resolution: [base.width, base.height], pose: { ...cal.pose, enu: [...cal.pose.enu] }, intrinsics: { ...cal.intrinsics },
    ...(base.params.rolling_shutter ? { rolling_shutter: base.params.rolling_shutter } : {}), clock: { ...cal.clock },
  };
}
