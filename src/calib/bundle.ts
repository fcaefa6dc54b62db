/**
 * Sparse bundle adjustment over cameras, camera clocks and a time-parametrized target
 * trajectory (Levenberg–Marquardt, Schur complement on the camera block, Huber loss).
 *
 * Unknowns
 *  - per camera (13): rotation increment ω (R ← exp([ω]×)·R), centre C, focal scale (fx, fy ←
 *    (1+δ)·(fx, fy)), k1, k2, principal point (cx, cy; optional), clock offset b (s) and drift
 *    (ppm) of camera_time = a·site_time + b;
 *  - the trajectory: knots K_j at site times s0 + j·Δ, the target at site time s being the linear
 *    interpolation between the two neighbouring knots (so a clock shift moves the target along
 *    its path at sub-frame resolution: ∂X/∂s = (K_{j+1} − K_j)/Δ).
 * Residuals
 *  - reprojection (u, v) of each observation (camera i, camera time τ, pixel), exposure time
 *    τ + row offset (rolling shutter), Huber-weighted (IRLS) with threshold `huberPx`;
 *  - trajectory smoothness (K_{j−1} − 2K_j + K_{j+1})/(Δ²·σ_acc), which also carries knots
 *    through gaps in the detections;
 *  - weak priors on focal scale and k1, k2 toward the starting guess; a scale prior on one
 *    baseline;
 *  - optional Gaussian (MAP) priors per camera (`BaOptions.priors`) on the centre (C − C₀)/σ_C,
 *    the orientation log(R·R₀ᵀ)/σ_R (the rotation vector between the estimate and the prior
 *    rotation, in the same left-increment frame as ω, so one σ for all three axes), the clock
 *    offset (b − b₀)/σ_b and the clock drift (a − a₀)·10⁶/σ_ppm. Off by default. The reference camera's pose and clock are held fixed (gauge).
 * Linear system: H = JᵀWJ is arranged as [Hcc Hck; Hkc Hkk] with Hkk banded (bandwidth 8:
 * observations touch two consecutive knots, smoothness three); the knots are eliminated through
 * a banded Cholesky of Hkk and the reduced camera system S = Hcc − Hck·Hkk⁻¹·Hkc is solved
 * densely. Marquardt damping H_ii·(1 + λ).
 */
import { CholeskyDecomposition, Matrix, inverse, solve as denseSolve } from 'ml-matrix';
import { BandedSpd } from './banded.ts';
import { expSO3, logSO3, mul3 } from './solvers/index.ts';

export const P = 14;
const I_W = 0, I_C = 3, I_F = 6, I_K1 = 7, I_K2 = 8, I_CX = 9, I_CY = 10, I_B = 11, I_D = 12, I_L = 13;

export interface BaCamera {
  /** World→camera rotation (row-major). */
  R: Float64Array;
  /** Centre. */
  C: Float64Array;
  fx: number; fy: number; cx: number; cy: number;
  k1: number; k2: number; k3: number; p1: number; p2: number;
  /** camera_time = a·site_time + b. */
  a: number; b: number;
  /** Seconds per row (rolling shutter; 0 = global) and direction; image height. */
  lineS: number; rsUp: boolean; height: number;
  /** Estimate lineS (with `BaOptions.lineTimes`): for cameras whose readout is not known. */
  fitLine?: boolean;
}

export interface BaObservations {
  cam: Int32Array;
  /** Camera time (s). */
  t: Float64Array;
  u: Float64Array;
  v: Float64Array;
}

export interface BaTrajectory {
  s0: number;
  dt: number;
  /** Knots, flat xyz. */
  X: Float64Array;
}

export interface BaOptions {
  /** Camera whose pose and clock are fixed (gauge). */
  refCamera: number;
  /** Cameras whose pose is fixed (besides the reference). */
  fixedPose?: readonly number[];
  /** Estimate f, k1, k2 (default true). */
  intrinsics?: boolean;
  /** Estimate the principal point (default false). */
  principalPoint?: boolean;
  /** Estimate clock offsets and drifts (default true). */
  clocks?: boolean;
  /** Estimate drifts (default true when clocks). */
  drifts?: boolean;
  /** Estimate the rolling-shutter line time of the cameras marked `fitLine` (default false). */
  lineTimes?: boolean;
  /** σ of the line-time prior toward the starting value, s per row (default 30 µs: a 1080-row readout of 32 ms). */
  lineSigma?: number;
  /** Huber threshold, pixels (default 2). */
  huberPx?: number;
  /** Acceleration σ of the smoothness prior, trajectory units/s² (default 500: weak, it only has to carry knots through gaps; a tight prior biases a manoeuvring target). */
  accSigma?: number;
  /** Relative σ of the focal prior (default 0.3) and σ of k1, k2 priors (default 0.3). */
  focalSigma?: number;
  kSigma?: number;
  /** Soft scale gauge: ‖C_cam − C_ref‖ = dist with σ (default: the starting distance to the farthest camera, σ 1e-3·dist). */
  scale?: { cam: number; dist: number; sigma: number };
  /**
   * Gaussian priors on camera poses and clock offsets (MAP), per camera. Only free parameters
   * are affected (a held pose or clock ignores its prior). Off by default.
   */
  priors?: BaPriors;
  /**
   * Positions the target is known to pass through (a beacon's log mapped into the adjustment's
   * frame and onto site time): residual (X(s) − p)/σ per axis, Huber at 3σ. With `freeReference`
   * it fixes the gauge (position, orientation, scale and the time origin) instead of the reference
   * camera, so every camera's clock, the reference's included, is measured against the log's clock.
   */
  path?: BaPathPrior;
  /**
   * Per-camera noise scale (≥ 1; 1 or missing: none): that camera's residuals count as r/s (its
   * Huber threshold becomes s·huberPx, its weight 1/s²), so a camera whose observations are
   * known to be worse (a variable-frame-rate phone's timing, a poor lens) pulls the shared path
   * less. Reported RMSE stays in pixels.
   */
  cameraScale?: readonly number[];
  /** Estimate the reference camera's pose and clock too, and drop the scale gauge (only with `path`). */
  freeReference?: boolean;
  maxIterations?: number;
  /** Called after each accepted step. */
  onIteration?: (it: number, rmsPx: number) => void;
}

export interface BaPathPrior {
  /** Site time of each sample (s). */
  s: Float64Array;
  /** Positions, flat xyz, in the adjustment's frame. */
  p: Float64Array;
  /** σ per axis, trajectory units. */
  sigma: number;
}

/** A number for every camera, or one per camera (NaN / ≤ 0 / missing: no prior on that camera). */
export type PerCamera = number | readonly number[];

export interface BaPriors {
  /** σ of the centre prior, metres (trajectory units). */
  positionSigmaM?: PerCamera;
  /** σ of the orientation prior, degrees, on the rotation vector log(R·R₀ᵀ). */
  orientationSigmaDeg?: PerCamera;
  /** σ of the clock-offset prior, milliseconds. */
  clockSigmaMs?: PerCamera;
  /**
   * σ of the clock-drift prior, ppm, on (a − a₀)·10⁶ with a the rate of camera_time = a·site_time
   * + b: e.g. crystal tolerance of the camera against the reference's, when the tracks' times are
   * written at the cameras' nominal frame rates (a₀ = 1 then).
   */
  driftSigmaPpm?: PerCamera;
  /** Prior means per camera (default: the starting values passed in `cams`); a: the rate a₀ of the drift prior. */
  toward?: ReadonlyArray<{ R?: ArrayLike<number>; C?: ArrayLike<number>; b?: number; a?: number } | undefined>;
}

function sigmaOf(p: PerCamera | undefined, i: number): number {
  const v = typeof p === 'number' ? p : p?.[i];
  return v !== undefined && v > 0 && Number.isFinite(v) ? v : 0;
}

export interface BaReport {
  /** Accepted LM steps. */
  iterations: number;
  initialCost: number;
  finalCost: number;
  /** RMS reprojection error over all observations (px) and per camera. */
  rmsPx: number;
  rmsPerCamera: number[];
  /** Observations within 3·huberPx, per camera. */
  inliersPerCamera: number[];
  /** 1-σ of each camera centre (root of the trace of its 3×3 covariance; 0 when held fixed). */
  positionSigma: number[];
  /**
   * Formal 1-σ of each camera's clock offset (ms) and drift (ppm), from the same covariance (0 when
   * held; NaN when it could not be computed). Assumes independent pixel errors: optimistic for
   * labels whose errors are correlated along the track.
   */
  clockSigma: Array<{ offsetMs: number; driftPpm: number }>;
}

interface Guess { fx: number; fy: number; k1: number; k2: number; line: number }

/** Camera state copy. */
function cloneCams(c: readonly BaCamera[]): BaCamera[] {
  return c.map((x) => ({ ...x, R: Float64Array.from(x.R), C: Float64Array.from(x.C) }));
}

/** Per-observation projection with Jacobians; returns false when behind the camera. */
export class Projector {
  readonly Jc = new Float64Array(2 * P);
  readonly Jk = new Float64Array(2 * 6);
  u = 0; v = 0; j = 0;

  eval(cam: BaCamera, traj: BaTrajectory, nk: number, tau: number, vObs: number, jac: boolean): boolean {
    const row = cam.rsUp ? (cam.height - 1 - vObs) : vObs;
    const rowOff = row * cam.lineS;
    const tc = tau + rowOff;
    const s = (tc - cam.b) / cam.a;
    let f = (s - traj.s0) / traj.dt;
    let j = Math.floor(f);
    let clamped = false;
    if (j < 0) { j = 0; f = 0; clamped = true; }
    if (j > nk - 2) { j = nk - 2; f = nk - 1; clamped = true; }
    const w = f - j;
    this.j = j;
    const K = traj.X;
    const X0 = (1 - w) * K[3 * j]! + w * K[3 * j + 3]!;
    const X1 = (1 - w) * K[3 * j + 1]! + w * K[3 * j + 4]!;
    const X2 = (1 - w) * K[3 * j + 2]! + w * K[3 * j + 5]!;
    const R = cam.R, C = cam.C;
    const d0 = X0 - C[0]!, d1 = X1 - C[1]!, d2 = X2 - C[2]!;
    const q0 = R[0]! * d0 + R[1]! * d1 + R[2]! * d2;
    const q1 = R[3]! * d0 + R[4]! * d1 + R[5]! * d2;
    const q2 = R[6]! * d0 + R[7]! * d1 + R[8]! * d2;
    if (!(q2 > 1e-9)) return false;
    const x = q0 / q2, y = q1 / q2;
    const r2 = x * x + y * y;
    const { k1, k2, k3, p1, p2 } = cam;
    const rad = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
    const xd = x * rad + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
    const yd = y * rad + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
    this.u = cam.fx * xd + cam.cx;
    this.v = cam.fy * yd + cam.cy;
    if (!jac) return true;
    const dRad = k1 + r2 * (2 * k2 + 3 * k3 * r2);
    const a00 = rad + 2 * x * x * dRad + 2 * p1 * y + 6 * p2 * x;
    const a01 = 2 * x * y * dRad + 2 * p1 * x + 2 * p2 * y;
    const a11 = rad + 2 * y * y * dRad + 6 * p1 * y + 2 * p2 * x;
    // d(u,v)/d(q): [fx·a00, fx·a01; fy·a01, fy·a11] · [1/q2, 0, −x/q2; 0, 1/q2, −y/q2]
    const iz = 1 / q2;
    const du = [cam.fx * a00 * iz, cam.fx * a01 * iz, -cam.fx * (a00 * x + a01 * y) * iz];
    const dv = [cam.fy * a01 * iz, cam.fy * a11 * iz, -cam.fy * (a01 * x + a11 * y) * iz];
    const Jc = this.Jc, Jk = this.Jk;
    Jc.fill(0);
    // ω: dq/dω = −[q]×
    const dqw = [[0, q2, -q1], [-q2, 0, q0], [q1, -q0, 0]];
    for (let c = 0; c < 3; c++) {
      Jc[I_W + c] = du[0]! * dqw[0]![c]! + du[1]! * dqw[1]![c]! + du[2]! * dqw[2]![c]!;
      Jc[P + I_W + c] = dv[0]! * dqw[0]![c]! + dv[1]! * dqw[1]![c]! + dv[2]! * dqw[2]![c]!;
    }
    // d(u,v)/dX = d(u,v)/dq · R ; dC = −that
    const gu = [0, 0, 0], gv = [0, 0, 0];
    for (let c = 0; c < 3; c++) {
      gu[c] = du[0]! * R[c]! + du[1]! * R[3 + c]! + du[2]! * R[6 + c]!;
      gv[c] = dv[0]! * R[c]! + dv[1]! * R[3 + c]! + dv[2]! * R[6 + c]!;
      Jc[I_C + c] = -gu[c]!;
      Jc[P + I_C + c] = -gv[c]!;
    }
    Jc[I_F] = cam.fx * xd; Jc[P + I_F] = cam.fy * yd;
    Jc[I_K1] = cam.fx * x * r2; Jc[P + I_K1] = cam.fy * y * r2;
    Jc[I_K2] = cam.fx * x * r2 * r2; Jc[P + I_K2] = cam.fy * y * r2 * r2;
    Jc[I_CX] = 1; Jc[P + I_CY] = 1;
    // Time: dX/ds = (K_{j+1} − K_j)/Δ; ds/db = −1/a; ds/dppm = −(s/a)·1e−6.
    if (!clamped) {
      const vx = (K[3 * j + 3]! - K[3 * j]!) / traj.dt, vy = (K[3 * j + 4]! - K[3 * j + 1]!) / traj.dt, vz = (K[3 * j + 5]! - K[3 * j + 2]!) / traj.dt;
      const us = gu[0]! * vx + gu[1]! * vy + gu[2]! * vz;
      const vs = gv[0]! * vx + gv[1]! * vy + gv[2]! * vz;
      Jc[I_B] = -us / cam.a; Jc[P + I_B] = -vs / cam.a;
      Jc[I_D] = (-us * s / cam.a) * 1e-6; Jc[P + I_D] = (-vs * s / cam.a) * 1e-6;
      // Line time (ms per 1000 rows, i.e. µs per row): ds/dline = row/a.
      Jc[I_L] = (us * row / cam.a) * 1e-6; Jc[P + I_L] = (vs * row / cam.a) * 1e-6;
    }
    for (let c = 0; c < 3; c++) {
      Jk[c] = (1 - w) * gu[c]!; Jk[3 + c] = w * gu[c]!;
      Jk[6 + c] = (1 - w) * gv[c]!; Jk[9 + c] = w * gv[c]!;
    }
    return true;
  }
}

export function applyStep(cams: readonly BaCamera[], traj: BaTrajectory, dc: Float64Array, dk: Float64Array): { cams: BaCamera[]; traj: BaTrajectory } {
  const nc = cloneCams(cams);
  for (let i = 0; i < nc.length; i++) {
    const c = nc[i]!, o = i * P;
    c.R = mul3(expSO3([dc[o]!, dc[o + 1]!, dc[o + 2]!]), c.R);
    for (let k = 0; k < 3; k++) c.C[k] = c.C[k]! + dc[o + I_C + k]!;
    const fs = 1 + dc[o + I_F]!;
    c.fx *= fs; c.fy *= fs;
    c.k1 += dc[o + I_K1]!; c.k2 += dc[o + I_K2]!;
    c.cx += dc[o + I_CX]!; c.cy += dc[o + I_CY]!;
    c.b += dc[o + I_B]!; c.a += dc[o + I_D]! * 1e-6;
    c.lineS += dc[o + I_L]! * 1e-6;
  }
  const X = Float64Array.from(traj.X);
  for (let k = 0; k < X.length; k++) X[k] = X[k]! + dk[k]!;
  return { cams: nc, traj: { s0: traj.s0, dt: traj.dt, X } };
}

/**
 * Run the adjustment; updates `cams` and `traj` in place with the result. Observations that
 * fall behind a camera contribute nothing (and count as outliers).
 */
export function bundleAdjust(cams: BaCamera[], traj: BaTrajectory, obs: BaObservations, o: BaOptions): BaReport {
  const ncam = cams.length;
  const nk = traj.X.length / 3;
  if (nk < 2) throw new RangeError('bundleAdjust: the trajectory needs at least two knots');
  const NC = ncam * P, NK = 3 * nk;
  const huber = o.huberPx ?? 2;
  const accW = 1 / ((o.accSigma ?? 500) * traj.dt * traj.dt);
  const fSig = o.focalSigma ?? 0.3, kSig = o.kSigma ?? 0.3;
  const doIntr = o.intrinsics ?? true, doPP = o.principalPoint ?? false, doClk = o.clocks ?? true, doDrift = o.drifts ?? doClk;
  const doLine = o.lineTimes ?? false, lSig = (o.lineSigma ?? 30e-6) * 1e6;
  const guess: Guess[] = cams.map((c) => ({ fx: c.fx, fy: c.fy, k1: c.k1, k2: c.k2, line: c.lineS }));
  const pr = o.priors;
  const prior = cams.map((c, i) => {
    const t = pr?.toward?.[i];
    return {
      R: Float64Array.from(t?.R ?? c.R), C: Float64Array.from(t?.C ?? c.C), b: t?.b ?? c.b, a: t?.a ?? c.a,
      sC: sigmaOf(pr?.positionSigmaM, i), sR: sigmaOf(pr?.orientationSigmaDeg, i) * Math.PI / 180, sB: sigmaOf(pr?.clockSigmaMs, i) / 1000,
      sD: sigmaOf(pr?.driftSigmaPpm, i),
    };
  });
  /** Prior residuals of camera i (centre 3, rotation 3, clock offset 1, drift 1; 0 where off or held). */
  const priorRes = (i: number, c: BaCamera): number[] => {
    const p = prior[i]!, b = i * P, r = [0, 0, 0, 0, 0, 0, 0, 0];
    if (p.sC > 0 && free[b + I_C]) for (let k = 0; k < 3; k++) r[k] = (c.C[k]! - p.C[k]!) / p.sC;
    if (p.sR > 0 && free[b + I_W]) {
      const Rt = new Float64Array(9);
      for (let a = 0; a < 3; a++) for (let k = 0; k < 3; k++) Rt[3 * a + k] = p.R[3 * k + a]!;
      const w = logSO3(mul3(c.R, Rt));
      for (let k = 0; k < 3; k++) r[3 + k] = w[k]! / p.sR;
    }
    if (p.sB > 0 && free[b + I_B]) r[6] = (c.b - p.b) / p.sB;
    if (p.sD > 0 && free[b + I_D]) r[7] = (c.a - p.a) * 1e6 / p.sD;
    return r;
  };
  const ref = o.refCamera;
  const freeRef = o.freeReference === true;
  if (freeRef && !o.path) throw new RangeError('bundleAdjust: freeReference needs a path prior to fix the gauge');
  const fixedPose = new Set([...(freeRef ? [] : [ref]), ...(o.fixedPose ?? [])]);
  let scale = freeRef ? undefined : o.scale;
  if (!scale && !freeRef && ncam > 1) {
    let best = -1, bd = 0;
    for (let i = 0; i < ncam; i++) {
      if (i === ref) continue;
      const d = Math.hypot(cams[i]!.C[0]! - cams[ref]!.C[0]!, cams[i]!.C[1]! - cams[ref]!.C[1]!, cams[i]!.C[2]! - cams[ref]!.C[2]!);
      if (d > bd) { bd = d; best = i; }
    }
    if (best >= 0 && bd > 0) scale = { cam: best, dist: bd, sigma: bd * 1e-3 };
  }
  // Free-parameter mask.
  const free = new Uint8Array(NC);
  for (let i = 0; i < ncam; i++) {
    const b = i * P;
    if (!fixedPose.has(i)) for (let k = 0; k < 6; k++) free[b + k] = 1;
    if (doIntr) { free[b + I_F] = 1; free[b + I_K1] = 1; free[b + I_K2] = 1; }
    if (doPP) { free[b + I_CX] = 1; free[b + I_CY] = 1; }
    if (doClk && (i !== ref || freeRef)) { free[b + I_B] = 1; if (doDrift) free[b + I_D] = 1; }
    if (doLine && cams[i]!.fitLine) free[b + I_L] = 1;
  }
  const proj = new Projector();
  const nObs = obs.cam.length;
  const camScale = cams.map((_, i) => { const v = o.cameraScale?.[i]; return v !== undefined && v > 1 && Number.isFinite(v) ? v : 1; });
  // Path prior samples inside the knot span: knot index and weight (linear interpolation, as the projector).
  const path = o.path;
  const pathJ: number[] = [], pathW: number[] = [], pathI: number[] = [];
  if (path) {
    if (!(path.sigma > 0)) throw new RangeError('bundleAdjust: path prior σ must be positive');
    for (let m = 0; m < path.s.length; m++) {
      const f = (path.s[m]! - traj.s0) / traj.dt;
      if (!(f >= 0 && f <= nk - 1)) continue;
      const j = Math.min(nk - 2, Math.floor(f));
      pathJ.push(j); pathW.push(f - j); pathI.push(m);
    }
  }
  const pathHuber = 3;
  /** Path residuals (per axis, in σ) of sample q at knots K. */
  const pathRes = (K: Float64Array, q: number, c: number): number => {
    const j = pathJ[q]!, w = pathW[q]!;
    return ((1 - w) * K[3 * j + c]! + w * K[3 * j + 3 + c]! - path!.p[3 * pathI[q]! + c]!) / path!.sigma;
  };

  const huberCost = (r2: number): number => (r2 <= huber * huber ? r2 : 2 * huber * Math.sqrt(r2) - huber * huber);

  /** Total cost (½ Σ ρ) and, per camera, squared reprojection sums. */
  const evaluate = (cs: readonly BaCamera[], tj: BaTrajectory, perCam?: { ss: Float64Array; n: Float64Array; inl: Float64Array }): number => {
    let cost = 0;
    for (let m = 0; m < nObs; m++) {
      const ci = obs.cam[m]!;
      if (!proj.eval(cs[ci]!, tj, nk, obs.t[m]!, obs.v[m]!, false)) { cost += huberCost(1e6); continue; }
      const ru = proj.u - obs.u[m]!, rv = proj.v - obs.v[m]!;
      const r2 = ru * ru + rv * rv;
      cost += huberCost(r2 / (camScale[ci]! * camScale[ci]!));
      if (perCam) { perCam.ss[ci] = perCam.ss[ci]! + r2; perCam.n[ci] = perCam.n[ci]! + 1; if (r2 < 9 * huber * huber) perCam.inl[ci] = perCam.inl[ci]! + 1; }
    }
    const K = tj.X;
    for (let j = 1; j < nk - 1; j++) for (let c = 0; c < 3; c++) {
      const r = (K[3 * (j - 1) + c]! - 2 * K[3 * j + c]! + K[3 * (j + 1) + c]!) * accW;
      cost += r * r;
    }
    for (let i = 0; i < ncam; i++) {
      if (!doIntr) break;
      const c = cs[i]!, g = guess[i]!;
      cost += ((c.fx / g.fx - 1) / fSig) ** 2 + ((c.k1 - g.k1) / kSig) ** 2 + ((c.k2 - g.k2) / kSig) ** 2;
    }
    if (pr) for (let i = 0; i < ncam; i++) for (const r of priorRes(i, cs[i]!)) cost += r * r;
    for (let q = 0; q < pathJ.length; q++) {
      let r2 = 0;
      for (let c = 0; c < 3; c++) r2 += pathRes(K, q, c) ** 2;
      cost += r2 <= pathHuber * pathHuber ? r2 : 2 * pathHuber * Math.sqrt(r2) - pathHuber * pathHuber;
    }
    if (doLine) for (let i = 0; i < ncam; i++) if (free[i * P + I_L]) cost += ((cs[i]!.lineS - guess[i]!.line) * 1e6 / lSig) ** 2;
    if (scale) {
      const a = cs[scale.cam]!.C, b = cs[ref]!.C;
      cost += ((Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!) - scale.dist) / scale.sigma) ** 2;
    }
    return cost / 2;
  };

  let cur: { cams: BaCamera[]; traj: BaTrajectory } = { cams: cloneCams(cams), traj: { ...traj, X: Float64Array.from(traj.X) } };
  let cost = evaluate(cur.cams, cur.traj);
  const initialCost = cost;
  let lambda = 1e-3;
  const maxIt = o.maxIterations ?? 50;
  let it = 0, steps = 0;
  const Hcc = new Float64Array(NC * NC), Hck = new Float64Array(NC * NK), gc = new Float64Array(NC), gk = new Float64Array(NK);
  let Hkk = new BandedSpd(nk * 3, 8);
  /** Build H = JᵀWJ (camera, cross and banded knot blocks) and g = JᵀWr at the current state. */
  const linearize = (): void => {
    Hcc.fill(0); Hck.fill(0); gc.fill(0); gk.fill(0); Hkk = new BandedSpd(NK, 8);
    for (let m = 0; m < nObs; m++) {
      const ci = obs.cam[m]!;
      if (!proj.eval(cur.cams[ci]!, cur.traj, nk, obs.t[m]!, obs.v[m]!, true)) continue;
      const ru = proj.u - obs.u[m]!, rv = proj.v - obs.v[m]!;
      // Residual r/s with Jacobian J/s: gradient and Hessian terms carry 1/s².
      const sc = camScale[ci]!;
      const rn = Math.hypot(ru, rv) / sc;
      const wgt = (rn <= huber ? 1 : huber / rn) / (sc * sc);
      const Jc = proj.Jc, Jk = proj.Jk, cb = ci * P, kb = 3 * proj.j;
      for (let a = 0; a < P; a++) {
        const ja = Jc[a]!, jb = Jc[P + a]!;
        if (ja === 0 && jb === 0) continue;
        gc[cb + a] = gc[cb + a]! + wgt * (ja * ru + jb * rv);
        for (let b = 0; b < P; b++) Hcc[(cb + a) * NC + cb + b] = Hcc[(cb + a) * NC + cb + b]! + wgt * (ja * Jc[b]! + jb * Jc[P + b]!);
        for (let b = 0; b < 6; b++) Hck[(cb + a) * NK + kb + b] = Hck[(cb + a) * NK + kb + b]! + wgt * (ja * Jk[b]! + jb * Jk[6 + b]!);
      }
      for (let a = 0; a < 6; a++) {
        gk[kb + a] = gk[kb + a]! + wgt * (Jk[a]! * ru + Jk[6 + a]! * rv);
        for (let b = 0; b <= a; b++) Hkk.add(kb + a, kb + b, wgt * (Jk[a]! * Jk[b]! + Jk[6 + a]! * Jk[6 + b]!));
      }
    }
    // Smoothness prior.
    const K = cur.traj.X;
    const coef = [1, -2, 1];
    for (let j = 1; j < nk - 1; j++) for (let c = 0; c < 3; c++) {
      const r = (K[3 * (j - 1) + c]! - 2 * K[3 * j + c]! + K[3 * (j + 1) + c]!) * accW;
      for (let a = 0; a < 3; a++) {
        const ia = 3 * (j - 1 + a) + c;
        gk[ia] = gk[ia]! + coef[a]! * accW * r;
        for (let b = 0; b <= a; b++) Hkk.add(ia, 3 * (j - 1 + b) + c, coef[a]! * coef[b]! * accW * accW);
      }
    }
    // Path prior (beacon): r = ((1−w)K_j + wK_{j+1} − p)/σ per axis.
    for (let q = 0; q < pathJ.length; q++) {
      const j = pathJ[q]!, w = pathW[q]!;
      const rs = [0, 1, 2].map((c) => pathRes(K, q, c));
      const rn = Math.hypot(rs[0]!, rs[1]!, rs[2]!);
      const wgt = rn <= pathHuber ? 1 : pathHuber / rn;
      const cf = [(1 - w) / path!.sigma, w / path!.sigma];
      for (let c = 0; c < 3; c++) for (let a = 0; a < 2; a++) {
        const ia = 3 * (j + a) + c;
        gk[ia] = gk[ia]! + wgt * cf[a]! * rs[c]!;
        for (let b = 0; b <= a; b++) Hkk.add(ia, 3 * (j + b) + c, wgt * cf[a]! * cf[b]!);
      }
    }
    // Priors on intrinsics.
    if (doIntr) for (let i = 0; i < ncam; i++) {
      const c = cur.cams[i]!, g = guess[i]!, b = i * P;
      const rf = (c.fx / g.fx - 1) / fSig, jf = c.fx / g.fx / fSig;
      gc[b + I_F] = gc[b + I_F]! + jf * rf; Hcc[(b + I_F) * NC + b + I_F] = Hcc[(b + I_F) * NC + b + I_F]! + jf * jf;
      for (const [ix, val, g0] of [[I_K1, c.k1, g.k1], [I_K2, c.k2, g.k2]] as const) {
        gc[b + ix] = gc[b + ix]! + (val - g0) / kSig / kSig; Hcc[(b + ix) * NC + b + ix] = Hcc[(b + ix) * NC + b + ix]! + 1 / kSig / kSig;
      }
    }
    // Pose / clock priors: J = I/σ on C and b; on ω the Jacobian of log(exp(ω)·E) at ω = 0 is
    // taken as I/σ (exact for E = I, within O(|log E|²) otherwise: the prior is a small angle).
    if (pr) for (let i = 0; i < ncam; i++) {
      const r = priorRes(i, cur.cams[i]!), p = prior[i]!, b = i * P;
      const put = (ix: number, res: number, sig: number): void => {
        if (!(sig > 0) || !free[ix]) return;
        gc[ix] = gc[ix]! + res / sig; Hcc[ix * NC + ix] = Hcc[ix * NC + ix]! + 1 / sig / sig;
      };
      for (let k = 0; k < 3; k++) { put(b + I_C + k, r[k]!, p.sC); put(b + I_W + k, r[3 + k]!, p.sR); }
      put(b + I_B, r[6]!, p.sB);
      put(b + I_D, r[7]!, p.sD); // drift parameter in ppm: ∂r/∂d = 1/σ_ppm
    }
    if (doLine) for (let i = 0; i < ncam; i++) {
      const b = i * P + I_L;
      if (!free[b]) continue;
      gc[b] = gc[b]! + (cur.cams[i]!.lineS - guess[i]!.line) * 1e6 / lSig / lSig; Hcc[b * NC + b] = Hcc[b * NC + b]! + 1 / lSig / lSig;
    }
    if (scale) {
      const A = cur.cams[scale.cam]!.C, B = cur.cams[ref]!.C;
      const d = [A[0]! - B[0]!, A[1]! - B[1]!, A[2]! - B[2]!];
      const dn = Math.hypot(d[0]!, d[1]!, d[2]!);
      const r = (dn - scale.dist) / scale.sigma;
      const b = scale.cam * P + I_C;
      const J = d.map((x) => x / dn / scale!.sigma);
      for (let a = 0; a < 3; a++) {
        gc[b + a] = gc[b + a]! + J[a]! * r;
        for (let c = 0; c < 3; c++) Hcc[(b + a) * NC + b + c] = Hcc[(b + a) * NC + b + c]! + J[a]! * J[c]!;
      }
    }
    // Fixed parameters.
    for (let a = 0; a < NC; a++) if (!free[a]) {
      for (let b = 0; b < NC; b++) { Hcc[a * NC + b] = 0; Hcc[b * NC + a] = 0; }
      Hcc[a * NC + a] = 1; gc[a] = 0;
      for (let k = 0; k < NK; k++) Hck[a * NK + k] = 0;
    }
  };
  /** Damped reduced camera system S·δc = rhs (free parameters only) with the factored knot block. */
  const reduce = (lambda: number): { S: Matrix; rhs: Matrix; freeIdx: number[]; Hd: BandedSpd } | null => {
    const Hd = Hkk.clone();
    for (let k = 0; k < NK; k++) Hd.data[k * 9] = Hd.data[k * 9]! * (1 + lambda) + 1e-12;
    if (!Hd.cholesky()) return null;
    // Y = Hkk⁻¹·Hkc (row c of Y = Hkk⁻¹·Hck[c,:]ᵀ), only for free camera parameters.
    const freeIdx: number[] = [];
    for (let a = 0; a < NC; a++) if (free[a]) freeIdx.push(a);
    const nf = freeIdx.length;
    const Y = new Float64Array(nf * NK);
    for (let r = 0; r < nf; r++) {
      const row = Y.subarray(r * NK, (r + 1) * NK);
      row.set(Hck.subarray(freeIdx[r]! * NK, (freeIdx[r]! + 1) * NK));
      Hd.solveInPlace(row);
    }
    const zk = Float64Array.from(gk);
    Hd.solveInPlace(zk);
    const S = new Matrix(nf, nf), rhs = new Matrix(nf, 1);
    for (let r = 0; r < nf; r++) {
      const a = freeIdx[r]!;
      const hrow = Hck.subarray(a * NK, (a + 1) * NK);
      let gz = 0;
      for (let k = 0; k < NK; k++) gz += hrow[k]! * zk[k]!;
      rhs.set(r, 0, -(gc[a]! - gz));
      for (let c = 0; c <= r; c++) {
        const yrow = Y.subarray(c * NK, (c + 1) * NK);
        let sdot = 0;
        for (let k = 0; k < NK; k++) sdot += hrow[k]! * yrow[k]!;
        let h = Hcc[a * NC + freeIdx[c]!]! - sdot;
        if (r === c) h = Hcc[a * NC + a]! * (1 + lambda) + 1e-12 - sdot;
        S.set(r, c, h); S.set(c, r, h);
      }
    }
    return { S, rhs, freeIdx, Hd };
  };
  for (; it < maxIt; it++) {
    linearize();
    // LM inner loop: damp, Schur, try.
    let accepted = false;
    while (!accepted && lambda < 1e8) {
      const sys = reduce(lambda);
      if (!sys) { lambda *= 10; continue; }
      const { S, rhs, freeIdx, Hd } = sys;
      const nf = freeIdx.length;
      // Jacobi scaling: parameters differ by orders of magnitude in their pixel sensitivity.
      const sc = new Float64Array(nf);
      for (let r = 0; r < nf; r++) sc[r] = 1 / Math.sqrt(Math.max(S.get(r, r), 1e-300));
      for (let r = 0; r < nf; r++) {
        rhs.set(r, 0, rhs.get(r, 0) * sc[r]!);
        for (let c = 0; c <= r; c++) { const v = S.get(r, c) * (sc[r]! * sc[c]!); S.set(r, c, v); S.set(c, r, v); }
      }
      let dcf: Matrix;
      const ch = new CholeskyDecomposition(S);
      if (ch.isPositiveDefinite()) dcf = ch.solve(rhs);
      else {
        try { dcf = denseSolve(S, rhs); } catch { lambda *= 10; continue; }
      }
      const dc = new Float64Array(NC);
      for (let r = 0; r < nf; r++) dc[freeIdx[r]!] = dcf.get(r, 0) * sc[r]!;
      // δk = Hkk⁻¹(−gk − Hkc·δc)
      const dk = new Float64Array(NK);
      for (let k = 0; k < NK; k++) dk[k] = -gk[k]!;
      for (let r = 0; r < nf; r++) {
        const a = freeIdx[r]!, d = dc[a]!;
        if (d === 0) continue;
        const hrow = Hck.subarray(a * NK, (a + 1) * NK);
        for (let k = 0; k < NK; k++) dk[k] = dk[k]! - hrow[k]! * d;
      }
      Hd.solveInPlace(dk);
      const trial = applyStep(cur.cams, cur.traj, dc, dk);
      const tc = evaluate(trial.cams, trial.traj);
      if (tc < cost) {
        const rel = (cost - tc) / cost;
        cur = trial; cost = tc; accepted = true; steps++;
        lambda = Math.max(lambda / 3, 1e-9);
        if (o.onIteration) o.onIteration(it, rmsOf(cur.cams, cur.traj).rms);
        if (rel < 1e-8) { it = maxIt; }
      } else lambda *= 4;
    }
    if (!accepted) break;
  }
  function rmsOf(cs: readonly BaCamera[], tj: BaTrajectory): { rms: number; per: number[]; inl: number[] } {
    const pc = { ss: new Float64Array(ncam), n: new Float64Array(ncam), inl: new Float64Array(ncam) };
    evaluate(cs, tj, pc);
    let ss = 0, n = 0;
    for (let i = 0; i < ncam; i++) { ss += pc.ss[i]!; n += pc.n[i]!; }
    return { rms: Math.sqrt(ss / Math.max(1, n)), per: Array.from(pc.ss, (s, i) => Math.sqrt(s / Math.max(1, pc.n[i]!))), inl: Array.from(pc.inl) };
  }
  // Covariance of the camera centres: σ²·(S⁻¹) of the undamped reduced system at the optimum,
  // σ² from the robust cost per degree of freedom (knots marginalised).
  const positionSigma = new Array<number>(ncam).fill(NaN);
  const clockSigma = Array.from({ length: ncam }, () => ({ offsetMs: NaN, driftPpm: NaN }));
  linearize();
  const sys = reduce(0);
  if (sys) {
    let inv: Matrix | null = null;
    try { inv = inverse(sys.S); } catch { inv = null; }
    if (inv) {
      const dof = Math.max(1, 2 * nObs - sys.freeIdx.length - NK);
      const s2 = (2 * cost) / dof;
      for (let i = 0; i < ncam; i++) {
        let v = 0, any = false;
        for (let k = 0; k < 3; k++) {
          const r = sys.freeIdx.indexOf(i * P + I_C + k);
          if (r >= 0) { v += inv.get(r, r); any = true; }
        }
        positionSigma[i] = any ? Math.sqrt(Math.max(0, s2 * v)) : 0;
        const rb = sys.freeIdx.indexOf(i * P + I_B), rd = sys.freeIdx.indexOf(i * P + I_D);
        clockSigma[i] = {
          offsetMs: rb >= 0 ? 1000 * Math.sqrt(Math.max(0, s2 * inv.get(rb, rb))) : 0,
          driftPpm: rd >= 0 ? Math.sqrt(Math.max(0, s2 * inv.get(rd, rd))) : 0,
        };
      }
    }
  }
  for (let i = 0; i < ncam; i++) Object.assign(cams[i]!, cur.cams[i]!);
  traj.X.set(cur.traj.X);
  const fin = rmsOf(cams, traj);
  return { iterations: steps, initialCost, finalCost: cost, rmsPx: fin.rms, rmsPerCamera: fin.per, inliersPerCamera: fin.inl, positionSigma, clockSigma };
}

/** Reprojection error (px) of every observation at the given state (Infinity behind a camera). */
export function reprojectionErrors(cams: readonly BaCamera[], traj: BaTrajectory, obs: BaObservations): Float64Array {
  const proj = new Projector();
  const nk = traj.X.length / 3;
  const out = new Float64Array(obs.cam.length);
  for (let m = 0; m < out.length; m++) {
    out[m] = proj.eval(cams[obs.cam[m]!]!, traj, nk, obs.t[m]!, obs.v[m]!, false) ? Math.hypot(proj.u - obs.u[m]!, proj.v - obs.v[m]!) : Infinity;
  }
  return out;
}

/** Target position at site time s (linear interpolation between knots, clamped at the ends). */
export function trajectoryAt(traj: BaTrajectory, s: number): [number, number, number] {
  const nk = traj.X.length / 3;
  let f = (s - traj.s0) / traj.dt;
  f = Math.max(0, Math.min(nk - 1, f));
  const j = Math.min(nk - 2, Math.floor(f)), w = f - j;
  const K = traj.X;
  return [0, 1, 2].map((c) => (1 - w) * K[3 * j + c]! + w * K[3 * j + 3 + c]!) as [number, number, number];
}
