/** Camera model throughput: projections and unprojections (with distortion) per second. */
import { Camera } from '../src/geometry/index.ts';

export function benchGeometry(): Record<string, number> {
  const cam = new Camera({
    id: 'b', resolution: [1920, 1080], pose: { enu: [0, 0, 8], yaw: 3, pitch: 5, roll: 0.2 },
    intrinsics: { fx: 3000, fy: 3000, cx: 960, cy: 540, k1: -0.03, k2: 0.01, p1: 1e-4, p2: -1e-4 },
  });
  const out = new Float64Array(3);
  const N = 2_000_000;
  let sink = 0;
  let t0 = performance.now();
  for (let i = 0; i < N; i++) { cam.projectInto(100 + (i % 500), 1000, 90 + (i % 40), out); sink += out[0]!; }
  const proj = N / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < N; i++) { cam.unprojectInto(i % 1920, (i >> 4) % 1080, out); sink += out[2]!; }
  const unproj = N / ((performance.now() - t0) / 1000);
  if (sink === 42) console.log('');
  return { 'geometry.project_per_s': proj, 'geometry.unproject_per_s': unproj };
}
