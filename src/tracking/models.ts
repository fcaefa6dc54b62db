/**
 * Motion (transition) models in ENU metres. State layout, always the same so that models of
 * different order share one space: x = [e, n, u, vₑ, vₙ, vᵤ, aₑ, aₙ, aᵤ] (the first 6 for a
 * 6-state model). Each model writes F(Δt) and Q(Δt) into caller-supplied dim×dim arrays.
 */
import { TrackingConfigError } from './errors.ts';

export interface MotionModel {
  readonly name: string;
  /** State dimension: 6 (position, velocity) or 9 (… and acceleration). */
  readonly dim: 6 | 9;
  /** Transition matrix F(Δt), row-major dim×dim. */
  transition(dt: number, out: Float64Array): void;
  /** Process noise covariance Q(Δt), row-major dim×dim. */
  noise(dt: number, out: Float64Array): void;
}

export interface ConstantVelocityOptions {
  /**
   * Power spectral density of the white-noise acceleration driving each horizontal axis,
   * m²/s³. Over Δt the velocity random-walks with variance q·Δt. Default 0.5.
   */
  q?: number;
  /** The same for the vertical axis, m²/s³. Default: q. */
  qVertical?: number;
  /**
   * 6 (plain CV) or 9: embedded in the constant-acceleration space for an IMM, where the
   * acceleration is reset to exactly zero at every prediction (F and Q are zero in that block).
   * Default 6.
   */
  dim?: 6 | 9;
}

/**
 * Constant velocity, continuous white-noise acceleration (Bar-Shalom, Li, Kirubarajan 2001, §6.2.2).
 * Per axis with PSD q: F = [[1, Δt], [0, 1]], Q = q·[[Δt³/3, Δt²/2], [Δt²/2, Δt]].
 */
export class ConstantVelocity implements MotionModel {
  readonly name = 'cv';
  readonly dim: 6 | 9;
  private readonly q: [number, number, number];

  constructor(opts: ConstantVelocityOptions = {}) {
    const q = opts.q ?? 0.5;
    const qv = opts.qVertical ?? q;
    checkPsd('ConstantVelocity.q', q);
    checkPsd('ConstantVelocity.qVertical', qv);
    const dim = opts.dim ?? 6;
    if (dim !== 6 && dim !== 9) throw new TrackingConfigError(`ConstantVelocity.dim must be 6 or 9, got ${String(dim)}`);
    this.dim = dim;
    this.q = [q, q, qv];
  }

  transition(dt: number, F: Float64Array): void {
    const n = this.dim;
    F.fill(0);
    for (let k = 0; k < 3; k++) {
      F[k * n + k] = 1;
      F[k * n + 3 + k] = dt;
      F[(3 + k) * n + 3 + k] = 1;
    }
  }

  noise(dt: number, Q: Float64Array): void {
    const n = this.dim;
    Q.fill(0);
    const dt2 = dt * dt, dt3 = dt2 * dt;
    for (let k = 0; k < 3; k++) {
      const q = this.q[k]!;
      Q[k * n + k] = q * dt3 / 3;
      Q[k * n + 3 + k] = Q[(3 + k) * n + k] = q * dt2 / 2;
      Q[(3 + k) * n + 3 + k] = q * dt;
    }
  }
}

export interface ConstantAccelerationOptions {
  /** Power spectral density of the white-noise jerk on each horizontal axis, m²/s⁵. Default 5. */
  q?: number;
  /** The same for the vertical axis, m²/s⁵. Default: q. */
  qVertical?: number;
}

/**
 * Constant acceleration (Wiener-process acceleration), continuous white-noise jerk.
 * Per axis with PSD q: F = [[1, Δt, Δt²/2], [0, 1, Δt], [0, 0, 1]],
 * Q = q·[[Δt⁵/20, Δt⁴/8, Δt³/6], [Δt⁴/8, Δt³/3, Δt²/2], [Δt³/6, Δt²/2, Δt]].
 */
export class ConstantAcceleration implements MotionModel {
  readonly name = 'ca';
  readonly dim = 9 as const;
  private readonly q: [number, number, number];

  constructor(opts: ConstantAccelerationOptions = {}) {
    const q = opts.q ?? 5;
    const qv = opts.qVertical ?? q;
    checkPsd('ConstantAcceleration.q', q);
    checkPsd('ConstantAcceleration.qVertical', qv);
    this.q = [q, q, qv];
  }

  transition(dt: number, F: Float64Array): void {
    F.fill(0);
    for (let k = 0; k < 3; k++) {
      F[k * 9 + k] = 1;
      F[k * 9 + 3 + k] = dt;
      F[k * 9 + 6 + k] = dt * dt / 2;
      F[(3 + k) * 9 + 3 + k] = 1;
      F[(3 + k) * 9 + 6 + k] = dt;
      F[(6 + k) * 9 + 6 + k] = 1;
    }
  }

  noise(dt: number, Q: Float64Array): void {
    Q.fill(0);
    const dt2 = dt * dt, dt3 = dt2 * dt, dt4 = dt3 * dt, dt5 = dt4 * dt;
    const block = [dt5 / 20, dt4 / 8, dt3 / 6, dt4 / 8, dt3 / 3, dt2 / 2, dt3 / 6, dt2 / 2, dt];
    for (let k = 0; k < 3; k++) {
      const q = this.q[k]!;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) Q[(3 * a + k) * 9 + 3 * b + k] = q * block[a * 3 + b]!;
    }
  }
}

function checkPsd(name: string, v: number): void {
  if (!(v >= 0 && Number.isFinite(v))) throw new TrackingConfigError(`${name} must be a finite number ≥ 0, got ${String(v)}`);
}
