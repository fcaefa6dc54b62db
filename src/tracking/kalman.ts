/**
 * Predictor/updater pairs over Gaussian states. A {@link Filter} is what the tracker needs:
 * start a state from one detection, predict it to a time, update it with a position measurement.
 * {@link KalmanFilter} is the single-model linear Kalman filter; the IMM (imm.ts) is another Filter.
 */
import { TrackingConfigError, TrackingInputError } from './errors.ts';
import { createUpdateScratch, mulVec, positionUpdate, propagateCovariance, type UpdateResult, type UpdateScratch } from './linalg.ts';
import type { MotionModel } from './models.ts';

/** A Gaussian estimate at time t: mean x (dim) and covariance P (dim×dim, row-major). */
export interface GaussianState {
  t: number;
  readonly dim: number;
  readonly x: Float64Array;
  readonly P: Float64Array;
}

/** Prior spread of the unobserved parts of a state started from one position. */
export interface InitialPrior {
  /** Standard deviation of each velocity component, m/s. */
  velocitySigma: number;
  /** Standard deviation of each acceleration component, m/s² (9-state filters). */
  accelerationSigma: number;
}

export interface Filter<S extends GaussianState = GaussianState> {
  readonly dim: number;
  /** A state at t with position z (covariance R), zero velocity and acceleration spread by the prior. */
  initiate(t: number, z: ArrayLike<number>, R: Float64Array, prior: InitialPrior): S;
  /** Predict s to time t ≥ s.t, in place. */
  predict(s: S, t: number): void;
  /**
   * Update s with the position z (covariance R), in place; res receives the innovation's d² and
   * ln det S (of the combined estimate for an IMM). Returns false, leaving s as it was, when the
   * innovation covariance is singular.
   */
  update(s: S, z: ArrayLike<number>, R: Float64Array, res: UpdateResult): boolean;
}

/** Start an n-state Gaussian at position z. */
export function initialState(n: number, t: number, z: ArrayLike<number>, R: Float64Array, prior: InitialPrior): GaussianState {
  const buf = new Float64Array(n + n * n);
  const s = { t, dim: n, x: buf.subarray(0, n), P: buf.subarray(n) };
  writeInitial(s.x, s.P, n, z, R, prior);
  return s;
}

/** x ← (z, 0, …), P ← blockdiag(R, σ_v²·I, σ_a²·I) (x, P zeroed first). */
export function writeInitial(x: Float64Array, P: Float64Array, n: number, z: ArrayLike<number>, R: Float64Array, prior: InitialPrior): void {
  x.fill(0);
  P.fill(0);
  for (let i = 0; i < 3; i++) {
    x[i] = z[i]!;
    for (let j = 0; j < 3; j++) P[i * n + j] = R[i * 3 + j]!;
    P[(3 + i) * n + 3 + i] = prior.velocitySigma ** 2;
    if (n === 9) P[(6 + i) * n + 6 + i] = prior.accelerationSigma ** 2;
  }
}

/** Single-model Kalman predictor and updater (linear model, position measurement H = [I₃ 0]). */
export class KalmanFilter implements Filter<GaussianState> {
  readonly dim: number;
  private readonly F: Float64Array;
  private readonly Q: Float64Array;
  private readonly tmp: Float64Array;
  private readonly xt: Float64Array;
  private readonly scratch: UpdateScratch;

  constructor(readonly model: MotionModel) {
    if (!model || (model.dim !== 6 && model.dim !== 9)) throw new TrackingConfigError('KalmanFilter needs a motion model of dimension 6 or 9');
    const n = model.dim;
    this.dim = n;
    this.F = new Float64Array(n * n);
    this.Q = new Float64Array(n * n);
    this.tmp = new Float64Array(n * n);
    this.xt = new Float64Array(n);
    this.scratch = createUpdateScratch(n);
  }

  initiate(t: number, z: ArrayLike<number>, R: Float64Array, prior: InitialPrior): GaussianState {
    return initialState(this.dim, t, z, R, prior);
  }

  predict(s: GaussianState, t: number): void {
    const dt = t - s.t;
    if (dt < 0) throw new TrackingInputError(`cannot predict backwards in time (state at ${s.t}, asked for ${t})`);
    if (dt === 0) return;
    predictWith(this.model, dt, s.x, s.P, this.F, this.Q, this.tmp, this.xt);
    s.t = t;
  }

  update(s: GaussianState, z: ArrayLike<number>, R: Float64Array, res: UpdateResult): boolean {
    return positionUpdate(s.x, s.P, this.dim, z, R, this.scratch, res);
  }
}

/** x ← F x, P ← F P Fᵀ + Q for one model (scratch arrays of the model's dimension). */
export function predictWith(model: MotionModel, dt: number, x: Float64Array, P: Float64Array, F: Float64Array, Q: Float64Array, tmp: Float64Array, xt: Float64Array): void {
  const n = model.dim;
  model.transition(dt, F);
  model.noise(dt, Q);
  mulVec(xt, F, x, n);
  x.set(xt);
  propagateCovariance(P, F, Q, n, tmp);
}
