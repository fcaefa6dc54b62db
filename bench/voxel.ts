/**
 * Voxel projector throughput (CPU backend): rays/s and DDA voxel steps/s for 4 cameras
 * 1920×1080, fx 3000, at the corners of a 1200×1200×300 m volume at 4 m, looking across it
 * (~1 km), 2000 random motion pixels per camera per frame at 30 fps, default window and budget.
 */
import { Camera } from '../src/geometry/index.ts';
import { Rng } from '../src/util/rng.ts';
import { createCpuProjector, createSnapshot, type MotionPixelsLike, type VoxelProjector } from '../src/voxel/index.ts';

const W = 1920, H = 1080, PIXELS = 2000, FPS = 30;

function cameras(): Camera[] {
  const corners: [number, number, number][] = [[-50, -50, 45], [1250, -50, 315], [1250, 1250, 225], [-50, 1250, 135]];
  return corners.map(([e, n, yaw], i) => new Camera({
    id: `c${i}`, resolution: [W, H], pose: { enu: [e, n, 5], yaw, pitch: 8, roll: 0 },
    intrinsics: { fx: 3000, fy: 3000, cx: 960, cy: 540, k1: -0.03, k2: 0.01 },
    rolling_shutter: { line_us: 15, direction: 'down' },
  }));
}

function frames(count: number, seed: number): MotionPixelsLike[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const index = new Uint32Array(PIXELS), energy = new Float32Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) { index[i] = rng.nextU32() % (W * H); energy[i] = 3 + 5 * rng.next(); }
    return { count: PIXELS, index, energy };
  });
}

function run(proj: VoxelProjector, cams: Camera[], input: MotionPixelsLike[], frameCount: number, t0: number) {
  let rays = 0, steps = 0;
  const start = performance.now();
  for (let f = 0; f < frameCount; f++) {
    for (let c = 0; c < cams.length; c++) {
      const r = proj.accumulate(c, t0 + f / FPS, input[(f * cams.length + c) % input.length]!);
      rays += r.rays; steps += r.steps;
    }
  }
  return { rays, steps, s: (performance.now() - start) / 1000 };
}

export function benchVoxel(frameCount = 30): Record<string, number> {
  const cams = cameras();
  const input = frames(64, 5);
  const out: Record<string, number> = {};
  for (const cache of [false, true]) {
    const proj = createCpuProjector({ volume: { min: [0, 0, 0], max: [1200, 1200, 300], voxel_m: 4 }, rayCache: cache });
    cams.forEach((c, i) => proj.setCamera(i, c));
    run(proj, cams, input, 8, 0); // warm-up (JIT, first pages of the table)
    proj.clear();
    const r = run(proj, cams, input, frameCount, 10);
    const tag = cache ? 'voxel.cached' : 'voxel';
    out[`${tag}.rays_per_s`] = r.rays / r.s;
    out[`${tag}.steps_per_s`] = r.steps / r.s;
    if (cache) continue;
    out['voxel.steps_per_ray'] = r.steps / r.rays;
    out['voxel.realtime_cameras_at_2000px_30fps'] = r.rays / r.s / (PIXELS * FPS);
    const st = proj.stats;
    out['voxel.occupied'] = st.occupied;
    out['voxel.dropped_per_frame'] = st.dropped / (frameCount * cams.length);
    out['voxel.evicted_per_frame'] = st.evicted / (frameCount * cams.length);
    const snap = createSnapshot(1 << 16);
    const t = 10 + (frameCount - 1) / FPS;
    const s0 = performance.now();
    proj.snapshot(t, snap, 3);
    out['voxel.snapshot_ms'] = performance.now() - s0;
    out['voxel.snapshot_support3'] = snap.matched;
    proj.close();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(benchVoxel());
