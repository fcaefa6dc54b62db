/**
 * Where a moving target's last known state puts it in a camera at another instant: the state
 * extrapolated at constant velocity to site time t and projected. Shared by the pipeline's
 * signature measurement and the online calibration's observation gate.
 */
import type { Camera } from './camera.ts';

export interface MovingState {
  /** Site time of the state, s. */
  t: number;
  enu: readonly number[];
  vel: readonly number[];
}

/**
 * Project `s` extrapolated to site time `t` into `camera`: pixel into uv[0..1]; returns the range
 * from the camera centre (m), or NaN when t − s.t is outside [−maxBackS, maxAheadS], the point is
 * behind the camera or outside the image.
 */
export function projectMoving(camera: Camera, t: number, s: MovingState, uv: Float64Array, maxBackS: number, maxAheadS: number): number {
  const dt = t - s.t;
  if (dt < -maxBackS || dt > maxAheadS) return NaN;
  const e = s.enu[0]! + s.vel[0]! * dt, n = s.enu[1]! + s.vel[1]! * dt, u = s.enu[2]! + s.vel[2]! * dt;
  if (!camera.projectInto(e, n, u, uv) || !camera.inImage(uv[0]!, uv[1]!)) return NaN;
  return Math.hypot(e - camera.C[0]!, n - camera.C[1]!, u - camera.C[2]!);
}
