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
import type { Camera } from '../../geometry/index.ts';
import { bundleAdjust, reprojectionErrors, type BaCamera, type BaObservations, type BaTrajectory } from '../bundle.ts';
import { CalibInputError } from '../errors.ts';
import { layoutTracks, observationsFor, robustRms, trajectoryOf } from './problem.ts';
import { anchorSimilarity, applyToState, baFromCamera, calibrationOf, cloneBa, delta, type StateDelta } from './state.ts';
import type { CalibrationSnapshot, CameraCalibration, CameraChange, Observation2D, OnlineRefinerOptions, RefinementRecord, TrackState } from './types.ts';

/** Stored observation with its approximate site time (under the clock current when it came). */
interface StoredObs extends Observation2D { s: number }

type Resolved = Required<Omit<OnlineRefinerOptions, 'maxStep'>> & { maxStep: Required<NonNullable<OnlineRefinerOptions['maxStep']>> };

/** Hard cap on stored observations and states (oldest dropped first). */
const MAX_STORED = 200_000;

export class OnlineRefiner {
  private readonly o: Resolved;
  private readonly ids: string[];
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

  constructor(cameras: readonly Camera[], opts: OnlineRefinerOptions = {}) {
    if (cameras.length < 2) throw new CalibInputError('the online refiner needs at least two cameras');
    const ms = opts.maxStep ?? {};
    this.o = {
      referenceCamera: opts.referenceCamera ?? 0, gauge: opts.gauge ?? 'anchor',
      windowS: opts.windowS ?? 20, memoryS: opts.memoryS ?? 40, everyS: opts.everyS ?? 5, everyObservations: opts.everyObservations ?? 2000,
      minObservations: opts.minObservations ?? 150, minCameraObservations: opts.minCameraObservations ?? 20, knotDt: opts.knotDt ?? 0.1,
      holdOutEvery: opts.holdOutEvery ?? 4, focal: opts.focal ?? true, focalSigma: opts.focalSigma ?? 0.05, kSigma: opts.kSigma ?? 0.01,
      clocks: opts.clocks ?? true, huberPx: opts.huberPx ?? 2, clipPx: opts.clipPx ?? 5, minGain: opts.minGain ?? 0.02,
      memoryTolerance: opts.memoryTolerance ?? 0.05, minMemoryObservations: opts.minMemoryObservations ?? 100,
      maxStep: { positionM: ms.positionM ?? 5, orientationDeg: ms.orientationDeg ?? 3, focalPct: ms.focalPct ?? 10, clockMs: ms.clockMs ?? 250 },
      maxIterations: opts.maxIterations ?? 15, keepRecords: opts.keepRecords ?? 200, now: opts.now ?? Date.now,
    };
    const o = this.o;
    const bad: string[] = [];
    if (!Number.isInteger(o.referenceCamera) || o.referenceCamera < 0 || o.referenceCamera >= cameras.length) bad.push(`referenceCamera ${o.referenceCamera} is not a camera`);
    for (const k of ['windowS', 'everyS', 'knotDt', 'huberPx', 'clipPx', 'focalSigma', 'kSigma'] as const) if (!(o[k] > 0)) bad.push(`${k} must be positive`);
    for (const k of ['memoryS', 'minGain', 'memoryTolerance'] as const) if (!(o[k] >= 0)) bad.push(`${k} must be ≥ 0`);
    if (!(Number.isInteger(o.holdOutEvery) && o.holdOutEvery >= 2)) bad.push('holdOutEvery must be an integer ≥ 2');
    if (bad.length > 0) throw new CalibInputError(`online refiner options: ${bad.join('; ')}`);
    this.ids = cameras.map((c) => c.id);
    this.cams = cameras.map(baFromCamera);
    this.anchor = this.cams.map(cloneBa);
    this.pushRecord({ kind: 'initial', version: 0, t: null, wall: new Date(o.now()).toISOString() });
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
    if (fitCount[o.referenceCamera]! < o.minCameraObservations) return null;
    const active = Array.from(fitCount, (n) => n >= o.minCameraObservations);
    if (active.filter(Boolean).length < 2) return null;
    const base = {
      t, wall: '', window: { t0: round(wStart, 3), t1: round(t, 3), observations: ba.cam.length, held_out: test.cam.length, tracks: layout.segments.length, memory: 0 },
    };
    // Current calibration against the held-out observations.
    const trajBefore = this.fitKnots(cur, trajectoryOf(layout), fit);
    const before = reprojectionErrors(cur, trajBefore, test);
    // Candidate.
    const cand = cur.map(cloneBa);
    const traj: BaTrajectory = { s0: trajBefore.s0, dt: trajBefore.dt, X: Float64Array.from(trajBefore.X) };
    let fitRms = NaN;
    let failure: string | null = null;
    try {
      const fixedPose = active.flatMap((a, i) => (a ? [] : [i]));
      const rep = bundleAdjust(cand, traj, fit, {
        refCamera: o.referenceCamera, fixedPose, intrinsics: o.focal, focalSigma: o.focalSigma, kSigma: o.kSigma,
        clocks: o.clocks, drifts: false, huberPx: o.huberPx, maxIterations: o.maxIterations,
      });
      fitRms = rep.rmsPx;
      for (let i = 0; i < nc; i++) if (!active[i]) cand[i] = cloneBa(cur[i]!);
      if (o.gauge === 'anchor') {
        const T = anchorSimilarity(cand, this.anchor);
        if (T) applyToState(T, cand, traj);
      }
    } catch (e) {
      failure = `adjustment failed: ${(e as Error).message}`;
    }
    const trajAfter = failure ? traj : this.fitKnots(cand, traj, fit);
    const after = failure ? before.map(() => Infinity) : reprojectionErrors(cand, trajAfter, test);
    const clip = o.clipPx;
    const rb = robustRms(before, clip), ra = robustRms(after, clip);
    const deltas = cur.map((c, i) => delta(c, cand[i]!));
    const cameras: CameraChange[] = cur.map((_, i) => {
      const pick = (m: number) => test.cam[m] === i;
      const b = robustRms(before, clip, pick), a = robustRms(after, clip, pick), d = deltas[i]!;
      return {
        id: this.ids[i]!, observations: b.n, rmse_before_px: round(b.rms, 4), rmse_after_px: round(a.rms, 4),
        d_position_m: round(d.positionM, 4), d_orientation_deg: round(d.orientationDeg, 5), d_focal_pct: round(d.focalPct, 4), d_clock_ms: round(d.clockMs, 4),
      };
    });
    // Memory: the observations before the window, their own tracks refitted under each calibration.
    let memB = NaN, memA = NaN;
    const mObs = this.obs.filter((x) => x.s >= mStart && x.s < wStart);
    if (!failure && mObs.length >= o.minMemoryObservations) {
      const ml = layoutTracks(this.states.filter((x) => x.t >= mStart - 1 && x.t < wStart + 1), o.knotDt);
      if (ml) {
        const mb = observationsFor(ml, mObs, cur).ba;
        if (mb.cam.length >= o.minMemoryObservations) {
          base.window.memory = mb.cam.length;
          memB = robustRms(reprojectionErrors(cur, this.fitKnots(cur, trajectoryOf(ml), mb), mb), clip).rms;
          memA = robustRms(reprojectionErrors(cand, this.fitKnots(cand, trajectoryOf(ml), mb), mb), clip).rms;
        }
      }
    }
    const reason = failure ?? this.verdict(cand, deltas, rb.rms, ra.rms, memB, memA);
    const rec: RefinementRecord = {
      kind: reason ? 'rejected' : 'accepted',
      version: reason ? this.version : this.version + 1,
      t: round(t, 4), wall: new Date(o.now()).toISOString(), window: base.window,
      rmse_before_px: round(rb.rms, 4), rmse_after_px: round(ra.rms, 4),
      ...(Number.isFinite(memB) ? { memory_rmse_before_px: round(memB, 4), memory_rmse_after_px: round(memA, 4) } : {}),
      fit_rmse_px: round(fitRms, 4), cameras,
      ...(reason ? { reason } : {}),
      elapsed_s: round((performance.now() - t0) / 1000, 3),
    };
    if (reason) this.rejected++;
    else { this.cams = cand; this.version++; this.versionT = rec.t; this.accepted++; }
    this.pushRecord(rec);
    return rec;
  }

  /** Null when the candidate passes; else why not. */
  private verdict(cand: readonly BaCamera[], deltas: readonly StateDelta[], before: number, after: number, memB: number, memA: number): string | null {
    const o = this.o, ms = o.maxStep;
    for (let i = 0; i < cand.length; i++) {
      const c = cand[i]!, d = deltas[i]!, id = this.ids[i]!;
      const finite = [...c.R, ...c.C, c.fx, c.fy, c.b, c.k1, c.k2].every(Number.isFinite);
      if (!finite || !(c.fx > 0 && c.fy > 0)) return `camera ${id}: non-finite or non-positive parameters`;
      if (d.positionM > ms.positionM) return `implausible step: camera ${id} moved ${d.positionM.toFixed(2)} m (limit ${ms.positionM})`;
      if (d.orientationDeg > ms.orientationDeg) return `implausible step: camera ${id} turned ${d.orientationDeg.toFixed(3)}° (limit ${ms.orientationDeg})`;
      if (Math.abs(d.focalPct) > ms.focalPct) return `implausible step: camera ${id} focal length changed ${d.focalPct.toFixed(2)} % (limit ${ms.focalPct})`;
      if (Math.abs(d.clockMs) > ms.clockMs) return `implausible step: camera ${id} clock moved ${d.clockMs.toFixed(1)} ms (limit ${ms.clockMs})`;
    }
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


