/**
 * Synthetic targets for the classifier tests, built from physical descriptions (not from the
 * simulator's code): a flapping bird on a wandering path, a drone cruising then hovering, with
 * seeded measurement noise and camera frames that drop at random (uneven sampling).
 */
import { Rng } from '../../src/util/rng.ts';
import type { IntensitySeries, TrackHistory, Vec3 } from '../../src/classify/index.ts';

export interface CameraDesc {
  id: string;
  fps: number;
  /** Camera position, ENU metres. */
  at: Vec3;
  /** Fraction of frames lost (uneven sampling). */
  drop?: number;
  focalPx?: number;
}

export interface TargetDesc {
  /** Position at time t, ENU metres. */
  pos: (t: number) => Vec3;
  /** Mean contrast (grey levels, negative = darker than the sky). */
  contrast: number;
  /** Wing beat: frequency Hz and relative depth of the contrast modulation (0 = steady). */
  flapHz: number;
  /** Depth, or depth as a function of time (flap-gliding). */
  flapDepth: number | ((t: number) => number);
  /** Wing span / body size, metres (apparent area ∝ (size·focal/range)²; flapping scales it too). */
  sizeM: number;
  /** Noise σ of the measured contrast, grey levels. */
  noise: number;
  /** Position noise σ of the 3D fixes, metres; fixes come at `fixHz`. */
  posNoise: number;
  fixHz: number;
}

export function synthesize(d: TargetDesc, cams: CameraDesc[], t0: number, t1: number, seed: number): { history: TrackHistory; signatures: IntensitySeries[] } {
  const rng = new Rng(seed);
  const history: TrackHistory = { t: [], enu: [] };
  for (let k = 0; t0 + k / d.fixHz <= t1 + 1e-9; k++) {
    const t = t0 + k / d.fixHz;
    const p = d.pos(t);
    history.t.push(t);
    history.enu.push([p[0] + d.posNoise * rng.normal(), p[1] + d.posNoise * rng.normal(), p[2] + d.posNoise * rng.normal()]);
  }
  const signatures = cams.map((c, ci): IntensitySeries => {
    const phase = 2 * Math.PI * rng.next(); // each camera sees the wings from its own side
    const s: IntensitySeries & { areaPx: number[]; rangeM: number[] } = { camera: c.id, t: [], contrast: [], areaPx: [], rangeM: [] };
    if (c.focalPx) s.focalPx = c.focalPx;
    const jitter = 0.002 * (ci + 1); // per-camera clock offset, s
    for (let k = 0; t0 + k / c.fps <= t1; k++) {
      if (c.drop && rng.next() < c.drop) continue;
      const t = t0 + jitter + k / c.fps;
      const depth = typeof d.flapDepth === 'number' ? d.flapDepth : d.flapDepth(t);
      const wing = depth * Math.cos(2 * Math.PI * d.flapHz * t + phase);
      const p = d.pos(t);
      const range = Math.hypot(p[0] - c.at[0], p[1] - c.at[1], p[2] - c.at[2]);
      const f = c.focalPx ?? 1000;
      s.t.push(t);
      s.contrast.push(d.contrast * (1 + wing) + d.noise * rng.normal());
      s.areaPx.push(((d.sizeM * f) / range) ** 2 * (1 + 1.5 * wing) * (1 + 0.05 * rng.normal()));
      s.rangeM.push(range);
    }
    return s;
  });
  return { history, signatures };
}

export const CAMS30: CameraDesc[] = [
  { id: 'cam01', fps: 30, at: [0, 0, 8], drop: 0.05, focalPx: 5500 },
  { id: 'cam02', fps: 30, at: [130, 10, 6], drop: 0.05, focalPx: 5500 },
  { id: 'cam03', fps: 30, at: [-10, 125, 10], drop: 0.05, focalPx: 5500 },
];

/** A bird: 7 m/s eastward with a 15 m sideways meander over 12 s and 3 m vertical bobbing. */
export const birdPath = (t: number): Vec3 => [100 + 7 * t, 800 + 15 * Math.sin((2 * Math.PI * t) / 12), 60 + 3 * Math.sin((2 * Math.PI * t) / 7)];

/** A drone: cruises north at 8 m/s for 6 s, decelerates over 2 s, then hovers. */
export const dronePath = (t: number): Vec3 => {
  const n = t < 6 ? 8 * t : t < 8 ? 48 + 8 * (t - 6) - 2 * (t - 6) ** 2 : 56;
  return [200, 900 + n, 100];
};
