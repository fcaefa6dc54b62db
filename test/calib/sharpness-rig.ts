/**
 * The rig both rendered sharpness tests use: four 480×360 cameras (fx 520) on the corners of a
 * 120 × 240 m box, 4 m up, aimed across it; one 0.7 m drone flying through. Each test picks the
 * aims, frame rates, true clock offsets and the offsets the site.yaml will claim (report_error).
 */
import { parseScenario, type Scenario } from '../../src/sim/index.ts';

export interface RigCamera {
  yaw: number;
  fps: number;
  /** True clock offset, ms. */
  offset_ms: number;
  /** How far off the written site.yaml claims the offset, ms. */
  err_ms: number;
}

const CENTRES = [[-60, 0, 4], [60, 0, 4], [-70, 230, 4], [70, 240, 4]];

export function sharpnessRig(name: string, seed: number, duration_s: number, cams: readonly RigCamera[], path: number[][]): Scenario {
  const r = parseScenario(JSON.stringify({
    name, seed, duration_s,
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-120, 20, 0], max: [120, 260, 100], voxel_m: 2 } },
    sky: { brightness: 180, gradient: 20, clouds: 0 },
    cameras: cams.map((c, i) => ({
      id: `c${i + 1}`, resolution: [480, 360], fps: c.fps, pose: { enu: CENTRES[i], yaw: c.yaw, pitch: 14, roll: 0 },
      intrinsics: { fx: 520, fy: 520, cx: 239.5, cy: 179.5, k1: -0.02, k2: 0 },
      clock: { offset_ms: c.offset_ms, drift_ppm: 0 }, noise_sigma: 2, codec: 'h264', bitrate_kbps: 2000,
      report_error: { pos_m: 0, angle_deg: 0, f_rel: 0, offset_ms: c.err_ms },
    })),
    targets: [{ id: 'd', class: 'drone', size_m: 0.7, intensity: -90, path }],
  }));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}
