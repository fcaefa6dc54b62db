/**
 * What a target looks like at an instant: position from its trajectory, apparent size and
 * contrast. Drones are steady (rotor blur gives no flicker at these frame rates): an ellipse
 * `size_m` wide and 0.4·`size_m` tall. Birds beat their wings at 3–8 Hz: span and contrast
 * swing with the wing phase, so their intensity flickers at the wing-beat frequency.
 */
import { Rng, hashSeed } from '../util/rng.ts';
import type { SimTarget } from './scenario.ts';
import { Trajectory } from './trajectory.ts';

export interface TargetAppearance {
  /** Width and height of the sprite, metres. */
  widthM: number;
  heightM: number;
  /** Grey-level contrast against the sky. */
  contrast: number;
}

export class SimulatedTarget {
  readonly id: string;
  readonly cls: 'drone' | 'bird';
  readonly trajectory: Trajectory;
  /** Wing-beat frequency, Hz (0 for drones). */
  readonly flapHz: number;
  private readonly flapPhase: number;

  constructor(readonly spec: SimTarget, scenarioSeed: number, index: number) {
    this.id = spec.id;
    this.cls = spec.class;
    const rng = new Rng(hashSeed(scenarioSeed, 0x7a4, index));
    const meander = spec.meander_m ?? (spec.class === 'bird' ? 20 : 0);
    this.trajectory = new Trajectory(spec.path, meander, rng.nextU32());
    this.flapHz = spec.class === 'bird' ? spec.flap_hz ?? rng.uniform(3, 8) : 0;
    this.flapPhase = rng.uniform(0, 2 * Math.PI);
  }

  appearanceAt(t: number, out: TargetAppearance): TargetAppearance {
    const s = this.spec;
    if (this.cls === 'drone') {
      out.widthM = s.size_m;
      out.heightM = 0.4 * s.size_m;
      out.contrast = s.intensity;
      return out;
    }
    // Wing phase: 1 = wings spread level (largest, darkest), 0 = wings raised or folded.
    const w = 0.5 + 0.5 * Math.cos(2 * Math.PI * this.flapHz * t + this.flapPhase);
    out.widthM = s.size_m * (0.55 + 0.45 * w);
    out.heightM = s.size_m * (0.22 + 0.18 * (1 - w));
    out.contrast = s.intensity * (0.65 + 0.35 * w);
    return out;
  }
}
