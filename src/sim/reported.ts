/**
 * What site.yaml claims about each camera: the truth perturbed by the scenario's
 * `report_error`, deterministically per seed. Position is moved by exactly `pos_m` in a random
 * direction, orientation turned by exactly `angle_deg` about a random axis, focal lengths scaled
 * by (1 + f_rel), and the clock offset shifted by `offset_ms`.
 */
import { axisAngleToMatrix, mat3Mul, orientationFromRotation, rotationFromOrientation } from '../geometry/index.ts';
import { Rng, hashSeed } from '../util/rng.ts';
import type { SimCamera } from './scenario.ts';

export interface ReportedCamera {
  pose: { enu: [number, number, number]; yaw: number; pitch: number; roll: number };
  intrinsics: SimCamera['intrinsics'];
  clock: { offset_ms: number; drift_ppm: number };
}

export function reportedCamera(c: SimCamera, seed: number, index: number): ReportedCamera {
  const err = c.report_error;
  const rng = new Rng(hashSeed(seed, 0xe770, index));
  const dir = rng.unitVector();
  const axis = rng.unitVector();
  const enu: [number, number, number] = [
    c.pose.enu[0] + err.pos_m * dir[0],
    c.pose.enu[1] + err.pos_m * dir[1],
    c.pose.enu[2] + err.pos_m * dir[2],
  ];
  let orient = { yaw: c.pose.yaw, pitch: c.pose.pitch, roll: c.pose.roll };
  if (err.angle_deg > 0) {
    const Q = axisAngleToMatrix(axis[0], axis[1], axis[2], (err.angle_deg * Math.PI) / 180);
    // Turn the camera in the world frame: R' = R·Qᵀ maps world→camera for a body turned by Q.
    const R = rotationFromOrientation(c.pose);
    const Qt = new Float64Array([Q[0]!, Q[3]!, Q[6]!, Q[1]!, Q[4]!, Q[7]!, Q[2]!, Q[5]!, Q[8]!]);
    orient = orientationFromRotation(mat3Mul(R, Qt));
  }
  const k = 1 + err.f_rel;
  const clock = c.clock ?? { offset_ms: 0, drift_ppm: 0 };
  return {
    pose: { enu, ...orient },
    intrinsics: { ...c.intrinsics, fx: c.intrinsics.fx * k, fy: c.intrinsics.fy * k },
    clock: { offset_ms: clock.offset_ms + err.offset_ms, drift_ppm: clock.drift_ppm },
  };
}
