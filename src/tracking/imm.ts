/**
 * Interacting Multiple Model filter (Blom & Bar-Shalom 1988) as one more predictor/updater pair.
 * All modes live in one common 9-state space (a constant-velocity mode embeds itself with its
 * acceleration held at zero). The mode switches form a Markov chain whose per-step matrix comes
 * from the mean time spent in each mode: Πᵢᵢ(Δt) = exp(−Δt/τᵢ), the rest of row i spread evenly
 * over the other modes.
 *
 * predict(Δt): c̄ⱼ = Σᵢ Πᵢⱼ μᵢ;  μᵢ|ⱼ = Πᵢⱼ μᵢ / c̄ⱼ;  x⁰ⱼ = Σᵢ μᵢ|ⱼ xᵢ;
 *              P⁰ⱼ = Σᵢ μᵢ|ⱼ (Pᵢ + (xᵢ − x⁰ⱼ)(xᵢ − x⁰ⱼ)ᵀ); each mode predicts with its model; μ ← c̄.
 * update(z):   each mode updates; Λⱼ = N(νⱼ; 0, Sⱼ); μⱼ ∝ Λⱼ μⱼ.
 * The combined estimate (moment-matched mixture) is kept in the state's x and P.
 */
import { TrackingConfigError, TrackingInputError } from './errors.ts';
import { predictWith, writeInitial, type Filter, type GaussianState, type InitialPrior } from './kalman.ts';
import { createUpdateScratch, innovation, positionUpdate, type UpdateResult, type UpdateScratch } from './linalg.ts';
import type { MotionModel } from './models.ts';

export interface ImmState extends GaussianState {
  /** Per-mode estimates, in the order of the filter's models. */
  readonly modes: GaussianState[];
  /** Mode probabilities (sum 1). */
  readonly mu: Float64Array;
}

export interface ImmOptions {
  /** The modes, all of dimension 9 (e.g. ConstantVelocity({dim: 9}) and ConstantAcceleration). */
  models: MotionModel[];
  /** Mean time spent in each mode before switching, seconds. Default 4 s for every mode. */
  sojournS?: number[];
  /** Initial mode probabilities. Default: uniform. */
  initialProbabilities?: number[];
  /** Lower bound on every mode probability after an update, so no mode dies out. Default 1e-4. */
  minProbability?: number;
}

const LOG_2PI_3 = 3 * Math.log(2 * Math.PI);

export class ImmFilter implements Filter<ImmState> {
  readonly dim = 9;
  readonly models: readonly MotionModel[];
  private readonly sojourn: Float64Array;
  private readonly mu0: Float64Array;
  private readonly minP: number;
  private readonly r: number;
  // Scratch.
  private readonly F = new Float64Array(81);
  private readonly Q = new Float64Array(81);
  private readonly tmp = new Float64Array(81);
  private readonly xt = new Float64Array(9);
  private readonly Pi: Float64Array;
  private readonly cbar: Float64Array;
  private readonly mix: Float64Array;
  private readonly mixedX: Float64Array[];
  private readonly mixedP: Float64Array[];
  private readonly logL: Float64Array;
  private readonly scratch: UpdateScratch = createUpdateScratch(9);
  private readonly res: UpdateResult = { d2: 0, logDetS: 0 };

  constructor(opts: ImmOptions) {
    const models = opts?.models;
    if (!Array.isArray(models) || models.length < 2) throw new TrackingConfigError('ImmFilter needs at least two models');
    for (const m of models) if (m.dim !== 9) throw new TrackingConfigError(`ImmFilter: model "${m.name}" has dimension ${m.dim}; every mode must be 9-dimensional (use ConstantVelocity({dim: 9}))`);
    const r = models.length;
    this.r = r;
    this.models = models;
    const soj = opts.sojournS ?? models.map(() => 4);
    if (soj.length !== r || !soj.every((s) => s > 0 && Number.isFinite(s))) throw new TrackingConfigError('ImmFilter.sojournS: one positive finite time per model');
    this.sojourn = Float64Array.from(soj);
    const p0 = opts.initialProbabilities ?? models.map(() => 1 / r);
    const sum = p0.reduce((a, b) => a + b, 0);
    if (p0.length !== r || !p0.every((p) => p >= 0) || !(Math.abs(sum - 1) < 1e-9)) throw new TrackingConfigError('ImmFilter.initialProbabilities: one probability ≥ 0 per model, summing to 1');
    this.mu0 = Float64Array.from(p0);
    this.minP = opts.minProbability ?? 1e-4;
    if (!(this.minP >= 0 && this.minP * r < 1)) throw new TrackingConfigError('ImmFilter.minProbability must be ≥ 0 and below 1/models');
    this.Pi = new Float64Array(r * r);
    this.cbar = new Float64Array(r);
    this.mix = new Float64Array(r * r);
    this.mixedX = models.map(() => new Float64Array(9));
    this.mixedP = models.map(() => new Float64Array(81));
    this.logL = new Float64Array(r);
  }

  /** The Markov transition matrix over Δt (row i: from mode i), into out (r×r). */
  transitionMatrix(dt: number, out: Float64Array = new Float64Array(this.r * this.r)): Float64Array {
    const r = this.r;
    for (let i = 0; i < r; i++) {
      const stay = Math.exp(-dt / this.sojourn[i]!);
      for (let j = 0; j < r; j++) out[i * r + j] = i === j ? stay : (1 - stay) / (r - 1);
    }
    return out;
  }

  initiate(t: number, z: ArrayLike<number>, R: Float64Array, prior: InitialPrior): ImmState {
    // One allocation per track: the combined estimate, every mode's, and μ.
    const r = this.r, buf = new Float64Array(90 * (r + 1) + r);
    const part = (k: number): GaussianState => {
      const s = { t, dim: 9, x: buf.subarray(90 * k, 90 * k + 9), P: buf.subarray(90 * k + 9, 90 * k + 90) };
      writeInitial(s.x, s.P, 9, z, R, prior);
      return s;
    };
    const base = part(0);
    const modes: GaussianState[] = [];
    for (let j = 0; j < r; j++) modes.push(part(j + 1));
    const mu = buf.subarray(90 * (r + 1));
    mu.set(this.mu0);
    return { t, dim: 9, x: base.x, P: base.P, modes, mu };
  }

  predict(s: ImmState, t: number): void {
    const dt = t - s.t;
    if (dt < 0) throw new TrackingInputError(`cannot predict backwards in time (state at ${s.t}, asked for ${t})`);
    if (dt === 0) return;
    const r = this.r, Pi = this.transitionMatrix(dt, this.Pi), cbar = this.cbar, mix = this.mix, mu = s.mu;
    for (let j = 0; j < r; j++) {
      let c = 0;
      for (let i = 0; i < r; i++) c += Pi[i * r + j]! * mu[i]!;
      cbar[j] = c;
      for (let i = 0; i < r; i++) mix[i * r + j] = c > 0 ? Pi[i * r + j]! * mu[i]! / c : (i === j ? 1 : 0);
    }
    // Mixing: every mode starts from the mixture of all modes weighted by μᵢ|ⱼ.
    for (let j = 0; j < r; j++) {
      const x0 = this.mixedX[j]!, P0 = this.mixedP[j]!;
      x0.fill(0);
      P0.fill(0);
      for (let i = 0; i < r; i++) {
        const w = mix[i * r + j]!, xi = s.modes[i]!.x;
        for (let a = 0; a < 9; a++) x0[a] = x0[a]! + w * xi[a]!;
      }
      for (let i = 0; i < r; i++) accumulateSpread(P0, mix[i * r + j]!, s.modes[i]!, x0);
    }
    for (let j = 0; j < r; j++) {
      const m = s.modes[j]!;
      m.x.set(this.mixedX[j]!);
      m.P.set(this.mixedP[j]!);
      predictWith(this.models[j]!, dt, m.x, m.P, this.F, this.Q, this.tmp, this.xt);
      m.t = t;
      mu[j] = cbar[j]!;
    }
    s.t = t;
    this.combine(s);
  }

  update(s: ImmState, z: ArrayLike<number>, R: Float64Array, res: UpdateResult): boolean {
    const r = this.r, logL = this.logL;
    // The combined innovation (what gating saw) is reported before the modes move.
    if (!innovation(s.x, s.P, 9, z, R, this.scratch, res)) return false;
    let best = -Infinity;
    for (let j = 0; j < r; j++) {
      const m = s.modes[j]!;
      if (!positionUpdate(m.x, m.P, 9, z, R, this.scratch, this.res)) throw new TrackingInputError('IMM: singular innovation covariance in one mode');
      logL[j] = -0.5 * (this.res.d2 + this.res.logDetS + LOG_2PI_3) + Math.log(Math.max(s.mu[j]!, 1e-300));
      if (logL[j]! > best) best = logL[j]!;
    }
    let sum = 0;
    for (let j = 0; j < r; j++) { const w = Math.exp(logL[j]! - best); s.mu[j] = w; sum += w; }
    let floored = 0;
    for (let j = 0; j < r; j++) { s.mu[j] = Math.max(s.mu[j]! / sum, this.minP); floored += s.mu[j]!; }
    for (let j = 0; j < r; j++) s.mu[j] = s.mu[j]! / floored;
    this.combine(s);
    return true;
  }

  /** Moment-matched combination of the modes into s.x, s.P. */
  private combine(s: ImmState): void {
    s.x.fill(0);
    s.P.fill(0);
    for (let j = 0; j < this.r; j++) {
      const w = s.mu[j]!, xj = s.modes[j]!.x;
      for (let a = 0; a < 9; a++) s.x[a] = s.x[a]! + w * xj[a]!;
    }
    for (let j = 0; j < this.r; j++) accumulateSpread(s.P, s.mu[j]!, s.modes[j]!, s.x);
  }
}

/** P += w·(Pᵢ + (xᵢ − c)(xᵢ − c)ᵀ). */
function accumulateSpread(P: Float64Array, w: number, mode: GaussianState, c: Float64Array): void {
  if (w === 0) return;
  const xi = mode.x, Pi = mode.P;
  for (let a = 0; a < 9; a++) {
    const da = xi[a]! - c[a]!;
    for (let b = 0; b < 9; b++) P[a * 9 + b] = P[a * 9 + b]! + w * (Pi[a * 9 + b]! + da * (xi[b]! - c[b]!));
  }
}

