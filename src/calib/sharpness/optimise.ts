/**
 * The Δt optimiser: per-camera clock-offset corrections that make the tracked target's 3D peak
 * sharpest (see cost.ts). One camera is the reference (Δt = 0: no image measurement fixes
 * absolute time). First coordinate sweeps over the other cameras: for each, a grid over the whole
 * search range in the first sweep (so a camera tens of milliseconds off is not caught in a side
 * minimum; later sweeps ±5 steps), then a golden-section search inside the best grid cell. The
 * corrections are coupled, so a joint Newton stage (finite-difference gradient and Hessian,
 * damped, step halving) finishes; fine sweeps take over where Newton cannot descend.
 */
import type { Camera } from '../../geometry/index.ts';
import { CalibFailedError, CalibInputError } from '../errors.ts';
import { SharpnessCost, type CostDetail, type SharpnessCostOptions } from './cost.ts';
import { CameraRays, type TargetObservations } from './rays.ts';

export interface SharpnessOptions extends Omit<SharpnessCostOptions, 'marginS'> {
  /** Reference camera id (default: the camera with the most observations). */
  referenceId?: string;
  /** Search half-width for every correction, milliseconds (default 100). */
  maxOffsetMs?: number;
  /** Grid step of the coarse search, milliseconds (default 1). */
  gridStepMs?: number;
  /** Stop when no correction changes by more than this in a sweep, milliseconds (default 0.01). */
  tolMs?: number;
  /** Most coordinate-descent sweeps before the joint Newton stage (default 4). */
  maxSweeps?: number;
  /** Finite-difference step of the joint Newton stage, milliseconds (default 0.5). */
  newtonStepMs?: number;
  /** Observations farther than this from the line through their neighbours are dropped, pixels (default 4). */
  outlierPx?: number;
  /** Half-width of the local quadratic that smooths each camera's track before interpolation, seconds (default 0.2; 0 = raw). */
  smoothS?: number;
  /** Cameras with fewer usable observations are left out (default 20). */
  minObservations?: number;
  /** Progress lines. */
  onProgress?: (message: string) => void;
}

export interface SharpnessCamera {
  id: string;
  /** Whether a correction was estimated (false: the reference, or left out; see `note`). */
  refined: boolean;
  reference: boolean;
  /** Correction added to the configured clock offset, milliseconds. */
  deltaMs: number;
  /** The configured clock and the refined one (drift unchanged). */
  clockBefore: { offset_ms: number; drift_ppm: number };
  clock: { offset_ms: number; drift_ppm: number };
  /** Observations used. */
  observations: number;
  /** Inlier rays at the optimum, their RMS miss in pixels, and the same before the refinement. */
  rays: number;
  rmsPx: number;
  rmsPxBefore: number;
  /**
   * Approximate 1-σ of the correction, ms, from the joint curvature of the cost and the raw
   * tracks' pixel noise (white noise only; see jointSigmaMs). NaN when not refined.
   */
  sigmaMs: number;
  note?: string;
}

export interface SharpnessResult {
  referenceCamera: string;
  cameras: SharpnessCamera[];
  /** Cost (truncated squared ray miss per degree of freedom, px²) before and after. */
  costBefore: number;
  costAfter: number;
  /** RMS spread of the target's 3D peak (metres) before and after. */
  spreadBeforeM: number;
  spreadAfterM: number;
  ticks: number;
  tickS: number;
  sweeps: number;
  evaluations: number;
  /** The final cost object (for trajectories: `cost.pointAt(s, deltas)`), and the corrections in seconds in its camera order. */
  cost: SharpnessCost;
  deltaS: Float64Array;
}

const GOLD = (Math.sqrt(5) - 1) / 2;

/**
 * Estimate clock-offset corrections from the target's observations in several cameras.
 * `cameras` carry the current poses, intrinsics and clocks; `observations` one entry per camera
 * (matched by id; cameras without one are ignored).
 */
export function refineClockOffsets(cameras: readonly Camera[], observations: readonly TargetObservations[], opts: SharpnessOptions = {}): SharpnessResult {
  const maxMs = opts.maxOffsetMs ?? 100;
  const stepMs = opts.gridStepMs ?? 1;
  const tolMs = opts.tolMs ?? 0.01;
  const maxSweeps = opts.maxSweeps ?? 4;
  const minObs = opts.minObservations ?? 20;
  if (!(maxMs > 0 && maxMs <= 5000)) throw new CalibInputError(`maxOffsetMs must be in (0, 5000], got ${maxMs}`);
  if (!(stepMs > 0 && stepMs <= maxMs)) throw new CalibInputError(`gridStepMs must be in (0, maxOffsetMs], got ${stepMs}`);
  if (!(tolMs > 0)) throw new CalibInputError(`tolMs must be positive, got ${tolMs}`);
  const say = opts.onProgress ?? (() => {});

  const byId = new Map(cameras.map((c) => [c.id, c]));
  const notes = new Map<string, string>();
  const rays: CameraRays[] = [];
  for (const o of observations) {
    const cam = byId.get(o.id);
    if (!cam) throw new CalibInputError(`observations for unknown camera ${o.id}`);
    const r = new CameraRays(cam, o, opts.outlierPx ?? 4, opts.smoothS ?? 0.2);
    if (r.n < minObs) { notes.set(o.id, `${r.n} usable observations (< ${minObs}), left out`); continue; }
    rays.push(r);
  }
  if (rays.length < 2) throw new CalibFailedError(`need the target in at least two cameras with ${minObs} or more observations, have ${rays.length}`);
  let ref = opts.referenceId;
  if (ref === undefined) ref = [...rays].sort((a, b) => b.n - a.n || (a.id < b.id ? -1 : 1))[0]!.id;
  const refIdx = rays.findIndex((r) => r.id === ref);
  if (refIdx < 0) throw new CalibInputError(`reference camera ${ref} has no usable observations`);

  const cost = new SharpnessCost(rays, { ...opts, marginS: maxMs / 1000 });
  if (cost.ticks.length < 10) throw new CalibFailedError(`the cameras see the target together at only ${cost.ticks.length} ticks: too little overlap`);
  const delta = new Float64Array(rays.length);
  const before = cost.detail(delta);
  say(`sharpness: ${rays.length} cameras, ${cost.ticks.length} ticks of ${(cost.tickS * 1000).toFixed(2)} ms, RMS ray miss ${Math.sqrt(before.cost).toFixed(2)} px, peak spread ${before.spreadRmsM.toFixed(3)} m`);

  let evals = 0;
  const f = (i: number, x: number): number => { delta[i] = x; evals++; return cost.evaluate(delta); };
  const W = maxMs / 1000, h = stepMs / 1000, tol = tolMs / 1000;
  let sweeps = 0;
  for (; sweeps < maxSweeps;) {
    sweeps++;
    let moved = 0;
    for (let i = 0; i < rays.length; i++) {
      if (i === refIdx) continue;
      const old = delta[i]!;
      // Coarse grid: over the whole range in the first sweep, then ±5 steps around the current value.
      const steps = Math.round(W / h);
      const k0 = sweeps === 1 ? -steps : Math.max(-steps, Math.round(old / h) - 5);
      const k1 = sweeps === 1 ? steps : Math.min(steps, Math.round(old / h) + 5);
      let best = old, bestC = f(i, old);
      for (let k = k0; k <= k1; k++) {
        const x = k * h;
        const c = f(i, x);
        if (c < bestC) { bestC = c; best = x; }
      }
      // Golden section in [best − h, best + h].
      let a = Math.max(-W, best - h), b = Math.min(W, best + h);
      let x1 = b - GOLD * (b - a), x2 = a + GOLD * (b - a);
      let c1 = f(i, x1), c2 = f(i, x2);
      while (b - a > tol) {
        if (c1 <= c2) { b = x2; x2 = x1; c2 = c1; x1 = b - GOLD * (b - a); c1 = f(i, x1); } else { a = x1; x1 = x2; c1 = c2; x2 = a + GOLD * (b - a); c2 = f(i, x2); }
      }
      let x = 0.5 * (a + b);
      if (f(i, x) > bestC) x = best;
      delta[i] = x;
      moved = Math.max(moved, Math.abs(x - old));
    }
    say(`sharpness: sweep ${sweeps}: corrections ${rays.map((r, i) => `${r.id} ${(delta[i]! * 1000).toFixed(2)}`).join(', ')} ms (largest change ${(moved * 1000).toFixed(3)} ms)`);
    // The corrections are coupled (every camera's ray meets the others'): coordinate descent only
    // brings them into the basin; the joint Newton stage below finishes.
    if (moved <= Math.max(tol, 2 * h)) break;
  }
  const free = rays.map((_, i) => i).filter((i) => i !== refIdx);
  const newton = jointNewton(cost, delta, free, W, tol, opts.newtonStepMs === undefined ? 5e-4 : opts.newtonStepMs / 1000);
  evals += newton.evaluations;
  if (newton.iterations === 0) {
    // Newton could not descend (a Hessian that is indefinite at the finite-difference scale, e.g.
    // where the data barely constrain the clocks): finish with fine coordinate sweeps instead.
    for (let extra = 0; extra < 12; extra++) {
      sweeps++;
      let moved = 0;
      for (let i = 0; i < rays.length; i++) {
        if (i === refIdx) continue;
        const old = delta[i]!;
        let a = Math.max(-W, old - h), b = Math.min(W, old + h);
        const c0 = f(i, old);
        let x1 = b - GOLD * (b - a), x2 = a + GOLD * (b - a);
        let c1 = f(i, x1), c2 = f(i, x2);
        while (b - a > tol) {
          if (c1 <= c2) { b = x2; x2 = x1; c2 = c1; x1 = b - GOLD * (b - a); c1 = f(i, x1); } else { a = x1; x1 = x2; c1 = c2; x2 = a + GOLD * (b - a); c2 = f(i, x2); }
        }
        const x = 0.5 * (a + b);
        delta[i] = f(i, x) < c0 ? x : old;
        moved = Math.max(moved, Math.abs(delta[i]! - old));
      }
      if (moved <= 10 * tol) break;
    }
  }
  say(`sharpness: joint Newton, ${newton.iterations} iterations: corrections ${rays.map((r, i) => `${r.id} ${(delta[i]! * 1000).toFixed(2)}`).join(', ')} ms`);
  const after = cost.detail(delta);
  say(`sharpness: RMS ray miss ${Math.sqrt(before.cost).toFixed(2)} → ${Math.sqrt(after.cost).toFixed(2)} px, peak spread ${before.spreadRmsM.toFixed(3)} → ${after.spreadRmsM.toFixed(3)} m`);

  // A wider step than Newton's: the curvature over ±2 ms, where the cost is still quadratic, not its kinks.
  const sigmas = jointSigmaMs(cost, delta, free, after, 2e-3);
  const cams: SharpnessCamera[] = [];
  for (const o of observations) {
    const cam = byId.get(o.id)!;
    const clockBefore = cam.clock.params;
    const i = rays.findIndex((r) => r.id === o.id);
    if (i < 0) {
      cams.push({ id: o.id, refined: false, reference: false, deltaMs: 0, clockBefore, clock: clockBefore, observations: 0, rays: 0, rmsPx: NaN, rmsPxBefore: NaN, sigmaMs: NaN, note: notes.get(o.id) ?? 'left out' });
      continue;
    }
    const dMs = delta[i]! * 1000;
    const a = after.cameras[i]!, b = before.cameras[i]!;
    const sigmaMs = sigmas.get(i) ?? NaN;
    const atEdge = Math.abs(dMs) > maxMs - stepMs;
    cams.push({
      id: o.id, refined: i !== refIdx, reference: i === refIdx, deltaMs: dMs, clockBefore,
      clock: { offset_ms: clockBefore.offset_ms + dMs, drift_ppm: clockBefore.drift_ppm },
      observations: rays[i]!.n, rays: a.rays, rmsPx: a.rmsPx, rmsPxBefore: b.rmsPx, sigmaMs,
      ...(atEdge ? { note: `the correction reached the edge of the ±${maxMs} ms search: widen it (--max-offset-ms) or sync coarsely first` } : {}),
    });
  }
  return {
    referenceCamera: ref, cameras: cams, costBefore: before.cost, costAfter: after.cost,
    spreadBeforeM: before.spreadRmsM, spreadAfterM: after.spreadRmsM, ticks: cost.ticks.length, tickS: cost.tickS,
    sweeps, evaluations: evals, cost, deltaS: delta,
  };
}

/**
 * Approximate 1-σ (ms) of every free correction from the joint curvature of the summed cost:
 * Cov ≈ 2·σ²·k·H⁻¹ with H the Hessian of Σ min(r², τ²) over the free corrections (central
 * differences, step hs), σ² the raw observations' per-axis pixel noise (mean over cameras,
 * estimated from each track's own smoothness) and k the ticks per observation interval of
 * each camera (the ticks oversample every observation k times). The joint inverse, not 1/Hᵢᵢ: when
 * two corrections trade against each other (a target moving along a baseline) the marginal σ
 * grows accordingly. NaN where H is not positive definite.
 */
function jointSigmaMs(cost: SharpnessCost, delta: Float64Array, free: number[], at: CostDetail, hs: number): Map<number, number> {
  const m = free.length, out = new Map<number, number>();
  const { H } = derivatives(cost, delta, free, hs, cost.evaluate(delta));
  const n = at.rays;
  // The raw observations' noise (the cost's own residuals are smoothed and would understate it).
  const noise = cost.cams.map((c) => c.noisePx).filter((x) => x > 0);
  const sigma2 = noise.length > 0 ? noise.reduce((a, x) => a + x * x, 0) / noise.length : at.cost;
  const A = new Float64Array(m * m);
  for (let q = 0; q < m * m; q++) A[q] = H[q]! * n;
  for (let a = 0; a < m; a++) {
    const e = new Float64Array(m); e[a] = 1;
    const col = choleskySolve(A, e, m);
    const r = cost.cams[free[a]!]!;
    const k = r.medianStepS / cost.tickS;
    out.set(free[a]!, col && col[a]! > 0 && sigma2 > 0 ? Math.sqrt(2 * sigma2 * k * col[a]!) * 1000 : NaN);
  }
  return out;
}

/** Gradient and Hessian of the (mean) cost over the free corrections by central differences with step hs. */
function derivatives(cost: SharpnessCost, delta: Float64Array, free: number[], hs: number, c0: number): { g: Float64Array; H: Float64Array; evaluations: number } {
  const m = free.length, d = new Float64Array(delta);
  const g = new Float64Array(m), H = new Float64Array(m * m);
  let evals = 0;
  const ev = () => { evals++; return cost.evaluate(d); };
  for (let a = 0; a < m; a++) {
    const ia = free[a]!;
    d.set(delta); d[ia] = delta[ia]! + hs; const cp = ev();
    d[ia] = delta[ia]! - hs; const cm = ev();
    g[a] = (cp - cm) / (2 * hs);
    H[a * m + a] = (cp - 2 * c0 + cm) / (hs * hs);
  }
  for (let a = 0; a < m; a++) {
    for (let b = a + 1; b < m; b++) {
      const ia = free[a]!, ib = free[b]!;
      d.set(delta); d[ia] = delta[ia]! + hs; d[ib] = delta[ib]! + hs; const pp = ev();
      d[ib] = delta[ib]! - hs; const pm = ev();
      d[ia] = delta[ia]! - hs; const mm = ev();
      d[ib] = delta[ib]! + hs; const mp = ev();
      H[a * m + b] = H[b * m + a] = (pp - pm - mp + mm) / (4 * hs * hs);
    }
  }
  return { g, H, evaluations: evals };
}

/**
 * Joint Newton iterations on all free corrections at once: gradient and Hessian by central
 * differences with step hs (wide enough to average over the kinks that linear interpolation puts
 * into the cost), Levenberg damping when the Hessian is not positive definite, and a step that is
 * halved until the cost decreases. Updates `delta` in place.
 */
function jointNewton(cost: SharpnessCost, delta: Float64Array, free: number[], W: number, tol: number, hs: number): { iterations: number; evaluations: number } {
  const m = free.length;
  let evals = 0;
  const ev = (d: Float64Array) => { evals++; return cost.evaluate(d); };
  const d = new Float64Array(delta);
  let c0 = ev(delta);
  let it = 0;
  for (; it < 30; it++) {
    const { g, H, evaluations } = derivatives(cost, delta, free, hs, c0);
    evals += evaluations;
    let step: Float64Array | null = null;
    for (let lambda = 0; lambda < 1e12 && !step; lambda = lambda === 0 ? 1e-6 : lambda * 10) {
      const A = new Float64Array(H);
      let scale = 0;
      for (let a = 0; a < m; a++) scale = Math.max(scale, Math.abs(H[a * m + a]!));
      for (let a = 0; a < m; a++) A[a * m + a] = A[a * m + a]! + lambda * Math.max(scale, 1e-12);
      step = choleskySolve(A, g, m);
    }
    if (!step) break;
    let t = 1, improved = false;
    for (let k = 0; k < 12; k++, t /= 2) {
      d.set(delta);
      for (let a = 0; a < m; a++) d[free[a]!] = Math.min(W, Math.max(-W, delta[free[a]!]! - t * step[a]!));
      const c = ev(d);
      if (c < c0) { c0 = c; improved = true; break; }
    }
    if (!improved) break;
    let moved = 0;
    for (let a = 0; a < m; a++) moved = Math.max(moved, Math.abs(d[free[a]!]! - delta[free[a]!]!));
    delta.set(d);
    if (moved <= tol) { it++; break; }
  }
  return { iterations: it, evaluations: evals };
}

/** Solve A·x = b for symmetric positive definite A (m×m, row-major); null when A is not. */
function choleskySolve(A: Float64Array, b: Float64Array, m: number): Float64Array | null {
  const L = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * m + j]!;
      for (let k = 0; k < j; k++) s -= L[i * m + k]! * L[j * m + k]!;
      if (i === j) { if (!(s > 0)) return null; L[i * m + i] = Math.sqrt(s); } else L[i * m + j] = s / L[j * m + j]!;
    }
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) { let s = b[i]!; for (let k = 0; k < i; k++) s -= L[i * m + k]! * y[k]!; y[i] = s / L[i * m + i]!; }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) { let s = y[i]!; for (let k = i + 1; k < m; k++) s -= L[k * m + i]! * x[k]!; x[i] = s / L[i * m + i]!; }
  return x;
}
