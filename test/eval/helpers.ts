/** Shared test helpers for test/eval: a seeded PRNG and hand-placed cameras. */
import assert from 'node:assert/strict';
import { Camera } from '../../src/geometry/index.ts';
import { Rng } from '../../src/util/rng.ts';

/** The project's seeded PRNG (src/util/rng.ts, mulberry32) as a function returning [0, 1). */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

export const close = (a: number | null, b: number, tol: number, what = ''): void =>
  assert.ok(a !== null && Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

/**
 * Four cameras on the east axis at e = 0, 100, 200, 300 (height 0) looking north, 1000×1000 px,
 * f = 500 px, no distortion: a point 1000 m north is on camera c's image iff |e − c| ≤ 1000
 * (u = 500·(e − c)/1000 + 499.5 ∈ [−0.5, 999.5]). A fifth camera at e = 150 looks south, so a
 * point north of it is behind it; a projection that forgot the depth test would put that point
 * on its image (the mirrored ray), so it must never count.
 */
export const lineCameraParams = [0, 100, 200, 300].map((e, i) => ({
  id: `cam${i + 1}`, resolution: [1000, 1000] as [number, number],
  pose: { enu: [e, 0, 0] as [number, number, number], yaw: 0, pitch: 0, roll: 0 },
  intrinsics: { fx: 500, fy: 500, cx: 499.5, cy: 499.5, k1: 0, k2: 0 },
})).concat([{
  id: 'back', resolution: [1000, 1000], pose: { enu: [150, 0, 0], yaw: 180, pitch: 0, roll: 0 },
  intrinsics: { fx: 500, fy: 500, cx: 499.5, cy: 499.5, k1: 0, k2: 0 },
}]);

export function lineCameras(): Camera[] {
  return lineCameraParams.map((p) => new Camera(p));
}

/** t = k/10 for k = from..to, as the simulator writes them. */
export function grid(from: number, to: number): number[] {
  const out: number[] = [];
  for (let k = from; k <= to; k++) out.push(k / 10);
  return out;
}
