/** Hand-built geometry for the projector tests: small pinhole cameras aimed at known points. */
import { Camera, type ClockParams, type RollingShutterParams } from '../../src/geometry/index.ts';
import type { MotionPixelsLike } from '../../src/voxel/index.ts';

export const W = 101, H = 81, CX = 50, CY = 40;

/** A 101×81 camera, f = 100 px, no distortion, whose optical axis points from c at target. */
export function aimedCamera(id: string, c: number[], target: number[], extra: { clock?: ClockParams; rolling_shutter?: RollingShutterParams } = {}): Camera {
  const de = target[0]! - c[0]!, dn = target[1]! - c[1]!, du = target[2]! - c[2]!;
  const yaw = (Math.atan2(de, dn) * 180) / Math.PI;
  const pitch = (Math.atan2(du, Math.hypot(de, dn)) * 180) / Math.PI;
  return new Camera({
    id, resolution: [W, H], pose: { enu: c, yaw, pitch, roll: 0 },
    intrinsics: { fx: 100, fy: 100, cx: CX, cy: CY, k1: 0, k2: 0 }, ...extra,
  });
}

/** Motion pixels from [u, v, energy] triples. */
export function px(...list: [number, number, number][]): MotionPixelsLike {
  return {
    count: list.length,
    index: Uint32Array.from(list.map(([u, v]) => v * W + u)),
    energy: Float32Array.from(list.map(([, , e]) => e)),
  };
}

export const close = (a: number, b: number, tol: number, what = '') => {
  if (!(Math.abs(a - b) <= tol)) throw new Error(`${what}: ${a} vs ${b} (tol ${tol})`);
};
