/**
 * Online calibration refiner: fed confirmed tracks' 3D states and the per-camera 2D observations
 * that supported them, it keeps a bounded window, and every `everyS` seconds of site time (or
 * `everyObservations` new observations) runs a bounded bundle adjustment (bundle.ts) of poses,
 * focal lengths and clock offsets against the window's tracks. A candidate replaces the current
 * calibration only if
 *  1. the adjustment converged to finite values and every camera's step is plausible
 *     (`maxStep`);
 *  2. the robust RMS over held-out observations (every `holdOutEvery`-th of each camera, left out
 *     of the fit; the trajectory they are measured against is refitted from the fit observations
 *     under each calibration) falls by at least `minGain`;
 *  3. the robust RMS over the memory (observations of the `memoryS` seconds before the window,
 *     their trajectory refitted under each calibration) rises by at most `memoryTolerance`: a
 *     batch of bad data fits itself but breaks what was seen before.
 * Every accepted calibration becomes a new version; rejected candidates are recorded with the
 * reason. Pure core: no timers, no I/O (the wall clock is injectable).
 */
import { Camera } from '../../geometry/index.ts';
import { bundleAdjust, reprojectionErrors, type BaCamera, type BaObservations, type BaTrajectory } from '../bundle.ts';
import { CalibInputError } from '../errors.ts';
import { layoutTracks, observationsFor, robustRms, trajectoryOf, type Layout } from './problem.ts';
import { anchorSimilarity, applyToState, baFromCamera, calibrationOf, cameraParamsOf, cloneBa, delta, type StateDelta } from './state.ts';
import type { CalibrationSnapshot, CameraCalibration, CameraChange, Observation2D, OnlineRefinerOptions, RefinementRecord, TrackState } from './types.ts';

/** Stored observation with its approximate site time (under the clock current when it came). */
interface StoredObs extends Observation2D { s: number }

type Resolved = Required<Omit<OnlineRefinerOptions, 'maxStep' | 'minModelObservations'>> & {
  maxStep: Required<NonNullable<OnlineRefinerOptions['maxStep']>>;
  minModelObservations: Required<NonNullable<OnlineRefinerOptions['minModelObservations']>>;
};

/** A parameter set: clock offsets, + poses, + focal lengths (cumulative, in this order). */
type Model = string;

interface Candidate {
  model: Model;
  cams: BaCamera[];
  /** Held-out errors (px). */
  after: Float64Array;
  fitRms: number;
  deltas: StateDelta[];
  failure: string | null;
  /** Robust held-out RMS (NaN/Infinity when it failed). */
  rms: number;
  /** Robust memory RMS (NaN when there is no memory or it was not reached). */
  memRms: number;
  /** 1-σ of each camera centre from the adjustment (bundle.ts; 0 when held; empty when it failed). */
  sigma: number[];
}

/** Hard cap on stored observations and states (oldest dropped first). */
const MAX_STORED = 200_000;

export class OnlineRefiner {
  private readonly o: Resolved;
  private readonly ids: string[];
  /** Nested parameter sets tried at each refinement, simplest first. */
  private readonly models: Model[];
  private cams: BaCamera[];
  private readonly anchor: BaCamera[];
  private obs: StoredObs[] = [];
  private states: TrackState[] = [];
  private readonly records: RefinementRecord[] = [];
  private version = 0;
  private versionT: number | null = null;
  private accepted = 0;
  private rejected = 0;
  private lastAttempt = NaN;
  private firstT = NaN;
  private newObs = 0;
  private closed = false;

  /**
   * `cameras`: the starting (configured) calibration, also the anchor of the 'anchor' gauge.
   * `resume`: a snapshot of an earlier refiner over the same cameras (a restarted worker): its
   * current calibration, version numbers, counts and records carry on; the data window starts
   * empty.
   */
  constructor(cameras: readonly Camera[], opts: OnlineRefinerOptions = {}, resume?: CalibrationSnapshot) {
    if (cameras.length < 2) throw new CalibInputError('the online refiner needs at least two cameras');
    const ms = opts.maxStep ?? {};
    this.o = {
      referenceCamera: opts.referenceCamera ?? 0, gauge: opts.gauge ?? 'reference',
      windowS: opts.windowS ?? 20, memoryS: opts.memoryS ?? 40, everyS: opts.everyS ?? 5, everyObservations: opts.everyObservations ?? 2000,
      minObservations: opts.minObservations ?? 150, minCameraObservations: opts.minCameraObservations ?? 40, knotDt: opts.knotDt ?? 0.1,
      holdOutEvery: opts.holdOutEvery ?? 4, focal: opts.focal ?? true, focalSigma: opts.focalSigma ?? 0.05, kSigma: opts.kSigma ?? 0.01,
      positionSigmaM: opts.positionSigmaM ?? 1, orientationSigmaDeg: opts.orientationSigmaDeg ?? 0.2, clockSigmaMs: opts.clockSigmaMs ?? 10,
      clocks: opts.clocks ?? true, poses: opts.poses ?? true, huberPx: opts.huberPx ?? 2, clipPx: opts.clipPx ?? 5, minGain: opts.minGain ?? 0.02,
      memoryTolerance: opts.memoryTolerance ?? 0.05, minMemoryObservations: opts.minMemoryObservations ?? 100,
      maxStep: { positionM: ms.positionM ?? 5, orientationDeg: ms.orientationDeg ?? 3, focalPct: ms.focalPct ?? 10, clockMs: ms.clockMs ?? 250 },
      minModelObservations: { clock: opts.minModelObservations?.clock ?? 40, pose: opts.minModelObservations?.pose ?? 150, focal: opts.minModelObservations?.focal ?? 150 },
      maxIterations: opts.maxIterations ?? 15, keepRecords: opts.keepRecords ?? 200, now: opts.now ?? Date.now,
    };
    const o = this.o;
    const bad: string[] = [];
    if (!Number.isInteger(o.referenceCamera) || o.referenceCamera < 0 || o.referenceCamera >= cameras.length) bad.push(`referenceCamera ${o.referenceCamera} is not a camera`);
    for (const k of ['windowS', 'everyS', 'knotDt', 'huberPx', 'clipPx', 'focalSigma', 'kSigma'] as const) if (!(o[k] > 0)) bad.push(`${k} must be positive`);
    for (const k of ['memoryS', 'minGain', 'memoryTolerance', 'positionSigmaM', 'orientationSigmaDeg', 'clockSigmaMs'] as const) if (!(o[k] >= 0)) bad.push(`${k} must be ≥ 0`);
    if (!(Number.isInteger(o.holdOutEvery) && o.holdOutEvery >= 2)) bad.push('holdOutEvery must be an integer ≥ 2');
    this.models = [];
    const parts = [o.clocks ? 'clock' : '', o.poses ? 'pose' : '', o.focal ? 'focal' : ''].filter(Boolean) as Array<'clock' | 'focal' | 'pose'>;
    for (let k = 1; k <= parts.length; k++) this.models.push(parts.slice(0, k).join('+') as Model);
    if (this.models.length === 0) bad.push('nothing to refine (clocks, focal and poses all off)');
    if (bad.length > 0) throw new CalibInputError(`online refiner options: ${bad.join('; ')}`);
    this.ids = cameras.map((c) => c.id);
    this.cams = cameras.map(baFromCamera);
    this.anchor = this.cams.map(cloneBa);
    if (resume) {
      const ids = resume.current.map((c) => c.id);
      if (ids.length !== this.ids.length || ids.some((id, i) => id !== this.ids[i])) throw new CalibInputError(`resume: snapshot cameras ${ids.join(',')} are not ${this.ids.join(',')}`);
      this.cams = resume.current.map((c, i) => baFromCamera(new Camera(cameraParamsOf(c, cameras[i]!))));
      this.version = resume.version; this.versionT = resume.t; this.accepted = resume.accepted; this.rejected = resume.rejected;
      for (const r of resume.versions) this.pushRecord({ ...r });
    } else this.pushRecord({ kind: 'initial', version: 0, t: null, wall: new Date(o.now()).toISOString() });
  }

  /** A confirmed track's state (site time). */
  addTrackState(s: TrackState): void {
    if (this.closed) return;
    this.states.push({ trackId: s.trackId, t: s.t, enu: [s.enu[0]!, s.enu[1]!, s.enu[2]!] });
    if (this.states.length > MAX_STORED) this.states.splice(0, this.states.length - MAX_STORED);
  }

  /** One camera's measurement of a confirmed track. */
  addObservation(ob: Observation2D): void {
    if (this.closed) return;
    const c = this.cams[ob.cam];
    if (!c) throw new RangeError(`observation of unknown camera ${ob.cam}`);
    const s = (ob.cameraTime - c.b) / c.a;
    this.obs.push({ ...ob, s });
    if (Number.isNaN(this.firstT)) this.firstT = s;
    this.newObs++;
    if (this.obs.length > MAX_STORED) this.obs.splice(0, this.obs.length - MAX_STORED);
  }

  /** Run a refinement when one is due at site time t; its record, or null (not due, or too little data). */
  maybeRefine(t: number): RefinementRecord | null {
    if (this.closed || Number.isNaN(this.firstT)) return null;
    const since = Number.isNaN(this.lastAttempt) ? t - this.firstT : t - this.lastAttempt;
    if (since < this.o.everyS && this.newObs < this.o.everyObservations) return null;
    return this.refine(t);
  }

  /** Run a refinement now over the window ending at site time t; null when the window has too little data. */
  refine(t: number): RefinementRecord | null {
    if (this.closed) return null;
    const o = this.o;
    const t0 = performance.now();
    this.lastAttempt = t;
    this.newObs = 0;
    this.prune(t);
    const wStart = t - o.windowS, mStart = wStart - o.memoryS;
    const wObs = this.obs.filter((x) => x.s >= wStart && x.s <= t);
    if (wObs.length < o.minObservations) return null;
    const layout = layoutTracks(this.states.filter((x) => x.t >= wStart - 1 && x.t <= t + 1), o.knotDt);
    if (!layout) return null;
    const cur = this.cams;
    const { ba } = observationsFor(layout, wObs, cur);
    if (ba.cam.length < o.minObservations) return null;
    // Held-out split: every holdOutEvery-th observation of each camera, in arrival order.
    const nc = cur.length;
    const seen = new Int32Array(nc), held = new Uint8Array(ba.cam.length);
    for (let m = 0; m < ba.cam.length; m++) { const c = ba.cam[m]!; if (seen[c]! % o.holdOutEvery === o.holdOutEvery - 1) held[m] = 1; seen[c] = seen[c]! + 1; }
    const fit = subset(ba, (m) => !held[m]), test = subset(ba, (m) => held[m] === 1);
    const fitCount = new Int32Array(nc);
    for (let m = 0; m < fit.cam.length; m++) fitCount[fit.cam[m]!] = fitCount[fit.cam[m]!]! + 1;
    // The cameras with enough fit observations take part (the others are held); a model is tried
    // only when every one of them has enough for its parameters.
    const active = Array.from(fitCount, (n) => n >= o.minCameraObservations);
    if (!active[o.referenceCamera] || active.filter(Boolean).length < 2) return null;
    const activeFor = (model: Model): boolean[] | null => {
      const min = Math.max(...model.split('+').map((p) => o.minModelObservations[p as 'clock' | 'focal' | 'pose']));
      return fitCount.every((n, i) => !active[i] || n >= min) ? active : null;
    };
    const runnable = this.models.map((m) => ({ m, active: activeFor(m) })).filter((x) => x.active !== null);
    if (runnable.length === 0) return null;
    const window = { t0: round(wStart, 3), t1: round(t, 3), observations: ba.cam.length, held_out: test.cam.length, tracks: layout.segments.length, memory: 0 };
    // Current calibration against the held-out observations.
    const trajBefore = this.fitKnots(cur, trajectoryOf(layout), fit);
    const before = reprojectionErrors(cur, trajBefore, test);
    const clip = o.clipPx;
    const rb = robustRms(before, clip);
    // Memory: the observations before the window, with their own tracks.
    const mObs = this.obs.filter((x) => x.s >= mStart && x.s < wStart);
    let memory: { layout: Layout; ba: BaObservations } | null = null;
    if (mObs.length >= o.minMemoryObservations) {
      const ml = layoutTracks(this.states.filter((x) => x.t >= mStart - 1 && x.t < wStart + 1), o.knotDt);
      const mb = ml ? observationsFor(ml, mObs, cur).ba : null;
      if (ml && mb && mb.cam.length >= o.minMemoryObservations) { memory = { layout: ml, ba: mb }; window.memory = mb.cam.length; }
    }
    const memRms = (cams: readonly BaCamera[]): number => (memory ? robustRms(reprojectionErrors(cams, this.fitKnots(cams, trajectoryOf(memory.layout), memory.ba), memory.ba), clip).rms : NaN);
    const memB = memRms(cur);
    // The freest model first; a simpler one only when the freer one fails a test.
    const tried: Candidate[] = [];
    let chosen: Candidate | null = null;
    for (const { m, active } of [...runnable].reverse()) {
      const c = this.candidate(m, cur, trajBefore, fit, test, active!);
      tried.push(c);
      if (!c.failure) {
        c.memRms = memRms(c.cams);
        c.failure = this.verdict(rb.rms, c.rms, memB, c.memRms);
      }
      if (!c.failure) { chosen = c; break; }
    }
    const shown = chosen ?? tried[0]!;
    const { after, fitRms, deltas } = shown;
    const reason = chosen ? null : tried.map((c) => `${c.model}: ${c.failure}`).join('; ');
    const ra = robustRms(after, clip);
    const memA = shown.memRms;
    const cand = shown.cams;
    const cameras: CameraChange[] = cur.map((_, i) => {
      const pick = (m: number) => test.cam[m] === i;
      const b = robustRms(before, clip, pick), a = robustRms(after, clip, pick), d = deltas[i]!;
      return {
        id: this.ids[i]!, observations: b.n, rmse_before_px: round(b.rms, 4), rmse_after_px: round(a.rms, 4),
        d_position_m: round(d.positionM, 4), d_orientation_deg: round(d.orientationDeg, 5), d_focal_pct: round(d.focalPct, 4), d_clock_ms: round(d.clockMs, 4),
        ...(shown.model.includes('pose') && Number.isFinite(shown.sigma[i]) ? { position_sigma_m: round(shown.sigma[i]!, 4) } : {}),
      };
    });
    const rec: RefinementRecord = {
      kind: reason ? 'rejected' : 'accepted',
      version: reason ? this.version : this.version + 1,
      t: round(t, 4), wall: new Date(o.now()).toISOString(), window,
      rmse_before_px: round(rb.rms, 4), rmse_after_px: round(ra.rms, 4),
      ...(Number.isFinite(memB) && Number.isFinite(memA) ? { memory_rmse_before_px: round(memB, 4), memory_rmse_after_px: round(memA, 4) } : {}),
      fit_rmse_px: round(fitRms, 4), model: shown.model,
      models: Object.fromEntries(tried.map((c) => [c.model, Number.isFinite(c.rms) ? round(c.rms, 4) : null])), cameras,
      ...(reason ? { reason } : {}),
      elapsed_s: round((performance.now() - t0) / 1000, 3),
    };
    if (reason) this.rejected++;
    else { this.cams = cand; this.version++; this.versionT = rec.t; this.accepted++; }
    this.pushRecord(rec);
    return rec;
  }

  /** One candidate: the adjustment with the given freedom, mapped back by the gauge, judged on the held-out set. */
  private candidate(model: Model, cur: readonly BaCamera[], start: BaTrajectory, fit: BaObservations, test: BaObservations, active: readonly boolean[]): Candidate {
    const o = this.o;
    const cams = cur.map(cloneBa);
    const traj: BaTrajectory = { s0: start.s0, dt: start.dt, X: Float64Array.from(start.X) };
    const poses = model.includes('pose');
    let fitRms = NaN;
    let sigma: number[] = [];
    let failure: string | null = null;
    try {
      const fixedPose = active.flatMap((a, i) => (a && poses ? [] : [i]));
      const rep = bundleAdjust(cams, traj, fit, {
        refCamera: o.referenceCamera, fixedPose, intrinsics: model.includes('focal'), focalSigma: o.focalSigma, kSigma: o.kSigma,
        clocks: model.includes('clock'), drifts: false, huberPx: o.huberPx, maxIterations: o.maxIterations,
        priors: { positionSigmaM: o.positionSigmaM, orientationSigmaDeg: o.orientationSigmaDeg, clockSigmaMs: o.clockSigmaMs },
      });
      fitRms = rep.rmsPx;
      sigma = rep.positionSigma;
      for (let i = 0; i < cams.length; i++) if (!active[i]) cams[i] = cloneBa(cur[i]!);
      if (poses && o.gauge === 'anchor') {
        const T = anchorSimilarity(cams, this.anchor);
        if (T) applyToState(T, cams, traj);
      }
    } catch (e) {
      failure = `adjustment failed: ${(e as Error).message}`;
    }
    const deltas = cur.map((c, i) => delta(c, cams[i]!));
    failure ??= this.implausible(cams, deltas);
    const after = failure ? new Float64Array(test.cam.length).fill(Infinity) : reprojectionErrors(cams, this.fitKnots(cams, traj, fit), test);
    return { model, cams, after, fitRms, deltas, failure, rms: robustRms(after, o.clipPx).rms, memRms: NaN, sigma };
  }

  /** Null when every camera's step is plausible; else the first that is not. */
  private implausible(cand: readonly BaCamera[], deltas: readonly StateDelta[]): string | null {
    const ms = this.o.maxStep;
    for (let i = 0; i < cand.length; i++) {
      const c = cand[i]!, d = deltas[i]!, id = this.ids[i]!;
      const finite = [...c.R, ...c.C, c.fx, c.fy, c.b, c.k1, c.k2].every(Number.isFinite);
      if (!finite || !(c.fx > 0 && c.fy > 0)) return `camera ${id}: non-finite or non-positive parameters`;
      if (d.positionM > ms.positionM) return `implausible step: camera ${id} moved ${d.positionM.toFixed(2)} m (limit ${ms.positionM})`;
      if (d.orientationDeg > ms.orientationDeg) return `implausible step: camera ${id} turned ${d.orientationDeg.toFixed(3)}° (limit ${ms.orientationDeg})`;
      if (Math.abs(d.focalPct) > ms.focalPct) return `implausible step: camera ${id} focal length changed ${d.focalPct.toFixed(2)} % (limit ${ms.focalPct})`;
      if (Math.abs(d.clockMs) > ms.clockMs) return `implausible step: camera ${id} clock moved ${d.clockMs.toFixed(1)} ms (limit ${ms.clockMs})`;
    }
    return null;
  }

  /** Null when the chosen candidate passes the residual tests; else why not. */
  private verdict(before: number, after: number, memB: number, memA: number): string | null {
    const o = this.o;
    if (!(after <= before * (1 - o.minGain))) return `held-out RMSE not improved by ${(o.minGain * 100).toFixed(0)} %: ${before.toFixed(3)} → ${after.toFixed(3)} px`;
    if (Number.isFinite(memB) && !(memA <= memB * (1 + o.memoryTolerance))) return `memory RMSE worse by more than ${(o.memoryTolerance * 100).toFixed(0)} %: ${memB.toFixed(3)} → ${memA.toFixed(3)} px`;
    return null;
  }

  /** Knots refitted to `obs` with every camera held (the calibration under test). */
  private fitKnots(cams: readonly BaCamera[], start: BaTrajectory, obs: BaObservations): BaTrajectory {
    const cs = cams.map(cloneBa);
    const tj: BaTrajectory = { s0: start.s0, dt: start.dt, X: Float64Array.from(start.X) };
    bundleAdjust(cs, tj, obs, {
      refCamera: this.o.referenceCamera, fixedPose: cs.map((_, i) => i), intrinsics: false, clocks: false,
      huberPx: this.o.huberPx, maxIterations: 10,
    });
    return tj;
  }

  private prune(t: number): void {
    const keep = t - this.o.windowS - this.o.memoryS - 1;
    if (this.obs.length > 0 && this.obs[0]!.s < keep) this.obs = this.obs.filter((x) => x.s >= keep);
    if (this.states.length > 0 && this.states[0]!.t < keep) this.states = this.states.filter((x) => x.t >= keep);
  }

  private pushRecord(r: RefinementRecord): void {
    this.records.push(r);
    if (this.records.length > this.o.keepRecords) this.records.splice(0, this.records.length - this.o.keepRecords);
  }

  /** The current calibration of every camera. */
  current(): CameraCalibration[] {
    return this.cams.map((c, i) => calibrationOf(this.ids[i]!, c));
  }

  /** The current calibration as bundle-adjustment cameras (copies). */
  currentCameras(): BaCamera[] {
    return this.cams.map(cloneBa);
  }

  get currentVersion(): number { return this.version; }

  /** Observations added since the last refinement attempt. */
  get pendingObservations(): number { return this.newObs; }

  /** Small JSON-serialisable state for GET /api/v1/calibration. */
  snapshot(): CalibrationSnapshot {
    return {
      version: this.version, t: this.versionT, reference_camera: this.ids[this.o.referenceCamera]!,
      current: this.current(), versions: this.records.map((r) => ({ ...r })), accepted: this.accepted, rejected: this.rejected,
    };
  }

  /** Stops accepting data; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.obs = [];
    this.states = [];
  }
}

function subset(b: BaObservations, pick: (m: number) => boolean): BaObservations {
  const idx: number[] = [];
  for (let m = 0; m < b.cam.length; m++) if (pick(m)) idx.push(m);
  return {
    cam: Int32Array.from(idx, (m) => b.cam[m]!), t: Float64Array.from(idx, (m) => b.t[m]!),
    u: Float64Array.from(idx, (m) => b.u[m]!), v: Float64Array.from(idx, (m) => b.v[m]!),
  };
}

const round = (x: number, d: number) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);


