/**
 * Self-calibration from 2D tracks of one moving target (CONTRACTS §7), in stages:
 *  1. tracks → undistorted normalized coordinates (starting intrinsics) and reported site time;
 *  2. clocks: each camera against the reference (pairwise offset/drift search), chaining through
 *     an already synchronized camera when the direct pair has too little overlap;
 *  3. two-view start: 5-point RANSAC + pose recovery between the reference and the camera with
 *     the best (inliers × parallax), scale from the `approx_pose` baseline when known;
 *  4. trajectory knots by triangulation; further cameras by PnP RANSAC against the knots;
 *     retriangulation with every camera;
 *  5. bundle adjustment (poses + clock offsets with the rates held, then + rates and intrinsics,
 *     outlier rejection, final pass);
 *  6. anchoring: a beacon log of the target (time offset searched, Umeyama on the trajectory),
 *     else Umeyama from the cameras' centres and optical axes to their `approx_pose` (frame
 *     "enu"); without either the result stays in the reconstruction's own frame ("similarity").
 * Site time is the reference camera's time through its reported clock (the gauge: no image
 * observation fixes absolute time).
 */
import { Camera, CameraClock, orientationFromRotation, rotationFromOrientation, type ClockParams, type IntrinsicsParams, type PoseParams, type RollingShutterParams } from '../geometry/index.ts';
import { bundleAdjust, reprojectionErrors, trajectoryAt, type BaCamera, type BaObservations, type BaOptions, type BaPriors, type BaTrajectory } from './bundle.ts';
import { estimateClockPair, type ClockSyncResult } from './clock-sync.ts';
import { syncToTrajectory, trajectorySyncAccepted } from './traj-sync.ts';
import { alignBeacon, type BeaconLog } from './beacon.ts';
import { searchTrackRate } from './rate-sync.ts';
import { CalibFailedError, CalibInputError } from './errors.ts';
import {
  applySimilarity, essentialLeastSquares, fivePoint, mul3, pnpDlt, ransac, recoverPose, refinePoint, refinePose,
  sampsonError2, transpose3, triangulateDlt, umeyama, type Similarity, type View,
} from './solvers/index.ts';
import { medianInterval, sampleTrack, type Track2D } from './tracks.ts';

export interface CalibCameraInput {
  id: string;
  resolution: [number, number] | number[];
  /** Starting intrinsics (`intrinsics` or `intrinsics_guess`). */
  intrinsics: IntrinsicsParams;
  /** GPS-grade pose, used only to anchor the result in ENU. */
  approxPose?: PoseParams | undefined;
  /** Reported clock (starting point; default identity). */
  clock?: ClockParams | undefined;
  rollingShutter?: RollingShutterParams | undefined;
  /** Pixel track, t on the camera's clock. */
  track: Track2D;
}

export interface CalibrateOptions {
  /** Reference camera id (default: the one with the most samples). */
  referenceCamera?: string;
  /** Clock offset search half-width, s (default 60). */
  maxShiftS?: number;
  /** Largest drift searched, ppm (default 2000). */
  maxDriftPpm?: number;
  /** Inlier threshold of the pairwise searches and RANSAC, px (default 3). */
  thresholdPx?: number;
  /** Huber threshold of the bundle adjustment, px (default 2). */
  huberPx?: number;
  /** Estimate the principal point too (default false). */
  principalPoint?: boolean;
  /** Knot spacing, s (default 0.1, or the smallest median sample interval when longer). */
  knotDtS?: number;
  /**
   * Estimate the rolling-shutter line time of every camera whose `rollingShutter` is not given,
   * in the last adjustment pass (default false): an unmodelled readout shifts a camera's apparent
   * clock by its line time × the target's mean row.
   */
  lineTimes?: boolean;
  /**
   * Weigh each camera by its own noise in the last adjustment pass (default false): a camera
   * whose RMSE after the pass with intrinsics exceeds the cameras' median counts with residuals
   * scaled by rms/median (BaOptions.cameraScale), and its outlier cut widens by that factor.
   */
  cameraNoiseScale?: boolean;
  /**
   * For a camera that no clock search finds (neither pairwise nor against the path at the common
   * frame-rate ratios): search its rate against the path (src/calib/rate-sync.ts; default false;
   * tens of seconds per such camera). For tracks whose times are frame numbers over a wrong rate.
   */
  rateSearch?: boolean;
  /** LM iterations per bundle-adjustment pass (default 60). */
  maxIterations?: number;
  /**
   * Gaussian prior on each camera's clock drift in every adjustment pass, σ in ppm, centred on
   * the configured clock's drift (0 when none is configured: the track times were written at the
   * camera's nominal frame rate and the true rate is that ± the crystal tolerance). A number
   * applies to every camera, an object by camera id (cameras not named get none). Off by default.
   * The reference camera's clock is held, so the σ is that of the drift relative to the
   * reference: √2 × the per-crystal tolerance for two independent crystals.
   */
  driftSigmaPpm?: number | Readonly<Record<string, number>>;
  /** Called once with the final adjustment's state (diagnostics: profile scripts re-run the adjustment from it). */
  onAdjusted?: (state: AdjustedState) => void;
  seed?: number;
  /** Position log of the target itself (cooperative drone, GPS/RTK): anchors the result in ENU; takes precedence over approx_pose. */
  beacon?: BeaconLog;
  /** Half-width of the beacon clock-offset search, s (default 60, around the offset that overlays the first samples). */
  beaconMaxShiftS?: number;
  /**
   * Use the beacon log inside the adjustment (default true): after the similarity anchoring, one
   * more pass ties the path to the log (σ `beaconSigmaM`) with every camera's pose and clock free,
   * the reference's included, so clocks and rates are measured against the beacon's clock. false:
   * the log only anchors (similarity and offset).
   */
  beaconAdjust?: boolean;
  /** σ per axis of the beacon positions in that pass, metres (default: the anchoring RMS / √3, at least 0.01: an upper bound; give the log's own accuracy when known, e.g. 0.03 for RTK). */
  beaconSigmaM?: number;
  onProgress?: (message: string) => void;
}

/** The final bundle-adjustment problem and solution (`CalibrateOptions.onAdjusted`). */
export interface AdjustedState {
  /** Camera ids in the order of `cams`. */
  ids: string[];
  cams: BaCamera[];
  traj: BaTrajectory;
  obs: BaObservations;
  /** The options of the final pass (without onIteration). */
  options: BaOptions;
}

export interface CalibratedCamera {
  id: string;
  calibrated: boolean;
  pose: { enu: [number, number, number]; yaw: number; pitch: number; roll: number };
  intrinsics: IntrinsicsParams;
  clock: ClockParams;
  observations: number;
  inliers: number;
  reprojectionRmsePx: number;
  positionSigmaM: number;
  /** Formal 1-σ of the clock (offset ms, drift ppm) from the final adjustment (independent pixel errors assumed: optimistic); absent when not calibrated. */
  clockSigma?: { offset_ms: number; drift_ppm: number };
  /** Why a camera was left out, when it was. */
  note?: string;
}

export interface CalibrationResult {
  referenceCamera: string;
  frame: 'enu' | 'similarity';
  cameras: CalibratedCamera[];
  trajectory: Array<{ t: number; enu: [number, number, number] }>;
  reprojectionRmsePx: number;
  baIterations: number;
  /**
   * Present when a beacon log anchored the result: beacon time − site time (at site time 0), RMS
   * distance between path and log, pairs used. With the beacon in the adjustment also: the σ
   * used, and the reference camera's clock rate against the beacon's (ppm; beacon time =
   * (1 − referenceDriftPpm·10⁻⁶)·site time + offsetS to first order).
   */
  beacon?: { offsetS: number; rmsM: number; pairs: number; adjusted?: { sigmaM: number; referenceDriftPpm: number } } | undefined;
  warnings: string[];
}

interface CamState {
  input: CalibCameraInput;
  lens: Camera;
  /** Normalized undistorted samples on the camera clock. */
  norm: Track2D;
  f: number;
  /** Relative clock: reported-site time of this camera = alpha·s + beta. */
  alpha: number; beta: number;
  synced: boolean;
  clock: CameraClock;
  R?: Float64Array; C?: Float64Array;
  note?: string;
}

const DEG = Math.PI / 180;
/** Frame rates tried for a camera whose clock is searched against the reconstructed path. */
const COMMON_FPS = [12.5, 15, 23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60, 120];

export function calibrate(inputs: readonly CalibCameraInput[], o: CalibrateOptions = {}): CalibrationResult {
  const say = o.onProgress ?? (() => {});
  const thr = o.thresholdPx ?? 3;
  const warnings: string[] = [];
  if (inputs.length < 2) throw new CalibInputError('self-calibration needs at least two cameras');
  const seen = new Set<string>();
  for (const c of inputs) {
    if (seen.has(c.id)) throw new CalibInputError(`camera ${c.id} given twice`);
    seen.add(c.id);
    if (c.track.t.length < 20) throw new CalibInputError(`camera ${c.id}: only ${c.track.t.length} samples (need at least 20)`);
  }
  // 1. Normalized tracks in reported site time.
  const st: CamState[] = inputs.map((c) => {
    const lens = new Camera({ id: c.id, resolution: c.resolution, pose: { enu: [0, 0, 0], yaw: 0, pitch: 0, roll: 0 }, intrinsics: c.intrinsics });
    const clock = new CameraClock(c.clock);
    const t: number[] = [], x: number[] = [], y: number[] = [];
    const q = [0, 0];
    for (let i = 0; i < c.track.t.length; i++) {
      if (!lens.undistortNormInto((c.track.x[i]! - lens.cx) / lens.fx, (c.track.y[i]! - lens.cy) / lens.fy, q)) continue;
      t.push(clock.siteTime(c.track.t[i]!)); x.push(q[0]!); y.push(q[1]!);
    }
    return { input: c, lens, clock, norm: { id: c.id, t: Float64Array.from(t), x: Float64Array.from(x), y: Float64Array.from(y) }, f: Math.sqrt(lens.fx * lens.fy), alpha: 1, beta: 0, synced: false };
  });
  let ref = o.referenceCamera !== undefined ? st.findIndex((s) => s.input.id === o.referenceCamera) : -1;
  if (o.referenceCamera !== undefined && ref < 0) throw new CalibInputError(`reference camera ${o.referenceCamera} is not among the cameras`);
  if (ref < 0) ref = st.reduce((b, s, i) => (s.norm.t.length > st[b]!.norm.t.length ? i : b), 0);
  const R0 = st[ref]!;
  R0.synced = true;
  say(`reference camera ${R0.input.id}`);

  // 2. Clocks.
  const syncOpts = (a: CamState, b: CamState) => ({ maxShiftS: o.maxShiftS ?? 60, maxDriftPpm: o.maxDriftPpm ?? 2000, threshold: thr / Math.sqrt(a.f * b.f) });
  // Accept a pairing when at least 30 samples agree and the offset is unambiguous: either the
  // explained share (1 − normalized cost, a soft inlier fraction that also counts the overlap)
  // is 2.5 times that of the best offset outside the best one's basin, or the paired samples are
  // ≥ 80 % epipolar inliers while at the runner-up offset clearly fewer are (< 0.8 × that share;
  // slow flights that retrace their path leave second minima that explain half the samples).
  const good = (r: ClockSyncResult | null): r is ClockSyncResult => {
    if (r === null || r.inliers < 30 || r.inliers < 0.5 * r.paired) return false;
    if (1 - r.bestCost > 2.5 * (1 - r.runnerUpCost)) return true;
    const f1 = r.inliers / r.paired, f2 = r.runnerUpPaired > 0 ? r.runnerUpInliers / r.runnerUpPaired : 0;
    return f1 >= 0.8 && f2 < 0.8 * f1;
  };
  const pending = st.map((_, i) => i).filter((i) => i !== ref);
  const direct = new Map<number, ClockSyncResult | null>();
  for (const j of pending) {
    say(`clock: ${st[j]!.input.id} against ${R0.input.id}`);
    direct.set(j, estimateClockPair(R0.norm, st[j]!.norm, syncOpts(R0, st[j]!)));
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const j of pending) {
      const s = st[j]!;
      if (s.synced) continue;
      const d = direct.get(j) ?? null;
      if (good(d)) { s.alpha = d.a; s.beta = d.b; s.synced = true; changed = true; say(`clock: ${s.input.id} ${fmtClock(d)}`); continue; }
      // Chain through a synchronized camera k: s'_j = a·s'_k + b, s'_k = α_k·s + β_k.
      let best: { r: ClockSyncResult; k: number } | null = null;
      for (let k = 0; k < st.length; k++) {
        if (k === ref || k === j || !st[k]!.synced) continue;
        const r = estimateClockPair(st[k]!.norm, s.norm, syncOpts(st[k]!, s));
        if (good(r) && (!best || r.inliers > best.r.inliers)) best = { r, k };
      }
      if (best) {
        const K = st[best.k]!;
        s.alpha = best.r.a * K.alpha; s.beta = best.r.a * K.beta + best.r.b; s.synced = true; changed = true;
        say(`clock: ${s.input.id} via ${K.input.id} ${fmtClock(best.r)}`);
      }
    }
  }
  for (const s of st) if (!s.synced) s.note = 'no clock consensus with any other camera (too little overlap or degenerate motion)';

  // Site-time tracks of the synchronized cameras.
  const siteTrack = (s: CamState): Track2D => ({ id: s.input.id, t: s.norm.t.map((v) => (v - s.beta) / s.alpha), x: s.norm.x, y: s.norm.y });
  const tracks = st.map((s) => (s.synced ? siteTrack(s) : null));
  const gap = st.map((s) => 3 * medianInterval(s.norm));

  // 3. Two-view start.
  let bestPair: { j: number; R: Float64Array; t: Float64Array; score: number } | null = null;
  const q = [0, 0];
  for (let j = 0; j < st.length; j++) {
    if (j === ref || !tracks[j]) continue;
    const A = tracks[ref]!, B = tracks[j]!;
    const x1: number[] = [], x2: number[] = [];
    for (let i = 0; i < A.t.length; i++) {
      if (!sampleTrack(B, A.t[i]!, gap[j]!, q)) continue;
      x1.push(A.x[i]!, A.y[i]!); x2.push(q[0]!, q[1]!);
    }
    const n = x1.length / 2;
    if (n < 20) continue;
    const n1 = Float64Array.from(x1), n2 = Float64Array.from(x2);
    const th = thr / Math.sqrt(R0.f * st[j]!.f);
    const res = ransac({ n, sampleSize: 5, threshold: th, seed: o.seed ?? 1, maxIterations: 500, fit: (idx) => fivePoint(n1, n2, idx), residual2: (E, i) => sampsonError2(E, n1, n2, i), refit: (idx) => essentialLeastSquares(n1, n2, idx) });
    if (!res || res.inliers.length < 15) continue;
    const pose = recoverPose(res.model, n1, n2, res.inliers);
    // Median parallax angle of the inliers.
    const Rt = transpose3(pose.R);
    const ang: number[] = [];
    for (const i of pose.front) {
      const a = [n1[2 * i]!, n1[2 * i + 1]!, 1];
      const b = [0, 1, 2].map((r) => Rt[r * 3]! * n2[2 * i]! + Rt[r * 3 + 1]! * n2[2 * i + 1]! + Rt[r * 3 + 2]!);
      const c = (a[0]! * b[0]! + a[1]! * b[1]! + a[2]!) / (Math.hypot(a[0]!, a[1]!, 1) * Math.hypot(b[0]!, b[1]!, b[2]!));
      ang.push(Math.acos(Math.min(1, c)));
    }
    ang.sort((u, v) => u - v);
    const med = ang[ang.length >> 1] ?? 0;
    const score = pose.front.length * Math.min(1, med / (3 * DEG));
    say(`two-view ${R0.input.id}–${st[j]!.input.id}: ${pose.front.length}/${n} inliers, parallax ${(med / DEG).toFixed(1)}°`);
    if (!bestPair || score > bestPair.score) bestPair = { j, R: pose.R, t: pose.t, score };
  }
  if (!bestPair) throw new CalibFailedError(`no camera pair with the reference ${R0.input.id} gives a consistent epipolar geometry`);
  const ap = R0.input.approxPose, bp = st[bestPair.j]!.input.approxPose;
  const baseline = ap && bp ? Math.hypot(ap.enu[0]! - bp.enu[0]!, ap.enu[1]! - bp.enu[1]!, ap.enu[2]! - bp.enu[2]!) : 100;
  R0.R = ap ? rotationFromOrientation(ap) : new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  R0.C = ap ? Float64Array.from(ap.enu.slice(0, 3)) : new Float64Array(3);
  {
    const S = st[bestPair.j]!;
    S.R = mul3(bestPair.R, R0.R);
    const Rt = transpose3(S.R);
    S.C = new Float64Array([0, 1, 2].map((r) => R0.C![r]! - baseline * (Rt[r * 3]! * bestPair!.t[0]! + Rt[r * 3 + 1]! * bestPair!.t[1]! + Rt[r * 3 + 2]! * bestPair!.t[2]!)));
  }

  // 4. Knots.
  // Knots every 0.1 s (or the shortest frame interval when longer): a knot per frame leaves the
  // path free to absorb the noise of each instant and weakens every other estimate (on the
  // simulated calibration flight 0.1 s cut the camera position error 4× against per-frame knots),
  // while linear interpolation over 0.1 s stays within a·Δ²/8 ≈ 1 cm of a path accelerating at 8 m/s².
  let dt = o.knotDtS ?? Math.max(0.1, Math.min(...st.filter((s) => s.synced).map((s) => medianInterval(s.norm) / s.alpha)));
  let sMin = Infinity, sMax = -Infinity;
  for (const tr of tracks) if (tr) { sMin = Math.min(sMin, tr.t[0]!); sMax = Math.max(sMax, tr.t[tr.t.length - 1]!); }
  if (!(dt > 0)) throw new CalibInputError('cannot determine the sample interval of the tracks');
  while ((sMax - sMin) / dt > 200000) dt *= 2;
  let s0 = sMin - dt;
  const nk = Math.ceil((sMax + dt - s0) / dt) + 1;
  const views = (s: CamState): { R: Float64Array; t: Float64Array } => ({ R: s.R!, t: mulNeg(s.R!, s.C!) });
  const K = new Float64Array(3 * nk);
  const valid = new Uint8Array(nk);
  const triangulateKnots = (cams: number[]): number => {
    let count = 0;
    valid.fill(0);
    for (let k = 0; k < nk; k++) {
      const s = s0 + k * dt;
      const vs: View[] = [];
      for (const ci of cams) {
        if (!sampleTrack(tracks[ci]!, s, gap[ci]!, q)) continue;
        const v = views(st[ci]!);
        vs.push({ R: v.R, t: v.t, x: q[0]!, y: q[1]! });
      }
      let X = vs.length >= 2 ? triangulateDlt(vs) : null;
      if (!X) continue;
      X = refinePoint(vs, X, 5);
      let ok = true;
      for (const v of vs) {
        const p = [0, 1, 2].map((r) => v.R[r * 3]! * X![0]! + v.R[r * 3 + 1]! * X![1]! + v.R[r * 3 + 2]! * X![2]! + v.t[r]!);
        if (!(p[2]! > 0) || Math.hypot(p[0]! / p[2]! - v.x, p[1]! / p[2]! - v.y) * R0.f > 4 * thr) { ok = false; break; }
      }
      if (!ok) continue;
      K.set(X, 3 * k); valid[k] = 1; count++;
    }
    return count;
  };
  const registered = [ref, bestPair.j];
  let nValid = triangulateKnots(registered);
  say(`triangulated ${nValid} of ${nk} knots from two cameras`);
  /** Pose of camera j by PnP RANSAC against the valid knots (its site-time track sampled at the knot times). */
  const register = (j: number): boolean => {
    const s = st[j]!;
    const Xs: number[] = [], xs: number[] = [];
    for (let k = 0; k < nk; k++) {
      if (!valid[k] || !sampleTrack(tracks[j]!, s0 + k * dt, gap[j]!, q)) continue;
      Xs.push(K[3 * k]!, K[3 * k + 1]!, K[3 * k + 2]!); xs.push(q[0]!, q[1]!);
    }
    const n = xs.length / 2;
    const X3 = Float64Array.from(Xs), x2 = Float64Array.from(xs);
    // Loose threshold: with starting focal lengths off by ~10 % the two-view reconstruction is
    // distorted, and a pose alone cannot fit it to a few pixels; the adjustment fixes the rest.
    const th = Math.max(2 * thr, 0.025 * s.f) / s.f;
    const res = n >= 12 ? ransac({
      n, sampleSize: 6, threshold: th, seed: o.seed ?? 1, maxIterations: 500,
      fit: (idx) => { const p = pnpDlt(X3, x2, idx); return p ? [p] : []; },
      residual2: (p, i) => {
        const c = [0, 1, 2].map((r) => p.R[r * 3]! * X3[3 * i]! + p.R[r * 3 + 1]! * X3[3 * i + 1]! + p.R[r * 3 + 2]! * X3[3 * i + 2]! + p.t[r]!);
        return c[2]! > 0 ? (c[0]! / c[2]! - x2[2 * i]!) ** 2 + (c[1]! / c[2]! - x2[2 * i + 1]!) ** 2 : Infinity;
      },
    }) : null;
    if (!res || res.inliers.length < 12) { s.note = `PnP found no consistent pose (${res?.inliers.length ?? 0} of ${n} knots)`; return false; }
    const pose = refinePose(res.model, X3, x2, res.inliers);
    s.R = pose.R; s.C = mulNeg(transpose3(pose.R), pose.t);
    say(`PnP ${s.input.id}: ${res.inliers.length}/${n} knots`);
    return true;
  };
  for (let j = 0; j < st.length; j++) {
    if (registered.includes(j) || !tracks[j]) continue;
    if (register(j)) registered.push(j);
  }
  nValid = triangulateKnots(registered);
  if (nValid < 10) throw new CalibFailedError(`only ${nValid} trajectory knots could be triangulated`);
  fillGaps(K, valid, nk);
  say(`retriangulated ${nValid} knots with ${registered.length} cameras`);

  // 5. Bundle adjustment.
  const baIdx = registered.slice().sort((a, b) => a - b);
  const toBa = (i: number): BaCamera => {
    const s = st[i]!, c = s.input, k = s.lens;
    const rs = c.rollingShutter;
    return {
      R: Float64Array.from(s.R!), C: Float64Array.from(s.C!), fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy, k1: k.k1, k2: k.k2, k3: k.k3, p1: k.p1, p2: k.p2,
      a: s.clock.a * s.alpha, b: s.clock.a * s.beta + s.clock.b,
      lineS: (rs?.line_us ?? 0) * 1e-6, rsUp: rs?.direction === 'up', height: k.height, fitLine: rs === undefined,
    };
  };
  const baCams: BaCamera[] = baIdx.map(toBa);
  const obsAll: Array<[number, number, number, number]> = [];
  const addObs = (i: number, bi: number): void => { const tr = st[i]!.input.track; for (let m = 0; m < tr.t.length; m++) obsAll.push([bi, tr.t[m]!, tr.x[m]!, tr.y[m]!]); };
  baIdx.forEach(addObs);
  const mkObs = (rows: Array<[number, number, number, number]>): BaObservations => ({ cam: Int32Array.from(rows, (r) => r[0]), t: Float64Array.from(rows, (r) => r[1]), u: Float64Array.from(rows, (r) => r[2]), v: Float64Array.from(rows, (r) => r[3]) });
  let obs = mkObs(obsAll);
  const traj: BaTrajectory = { s0, dt, X: K };
  const refBa = baIdx.indexOf(ref);
  const j0 = baIdx.indexOf(bestPair.j);
  const scale = { cam: j0, dist: baseline, sigma: baseline * 1e-4 };
  const huber = o.huberPx ?? 2;
  const maxIt = o.maxIterations ?? 60;
  const accSigma = 500 * (baseline / 100);
  const progress = (stage: string) => (it: number, rms: number) => say(`${stage}: iteration ${it + 1}, reprojection RMSE ${rms.toFixed(3)} px`);
  /** Drift priors of the cameras in the adjustment (centred on the configured clock's rate), or none. */
  const driftPriors = (): { priors?: BaPriors } => {
    const d = o.driftSigmaPpm;
    if (d === undefined) return {};
    const sig = baIdx.map((i) => (typeof d === 'number' ? d : d[st[i]!.input.id] ?? 0));
    if (!sig.some((v) => v > 0)) return {};
    return { priors: { driftSigmaPpm: sig, toward: baIdx.map((i) => ({ a: st[i]!.clock.a })) } };
  };
  // The first pass (poses and clock offsets, starting intrinsics, loose Huber) holds the rates at
  // the pairwise / path-search values; they are freed with the intrinsics. Freeing them here too
  // ended dataset 4 in a worse minimum (RMSE 1.128 against 1.034 px, docs/CALIB.md).
  let rep = bundleAdjust(baCams, traj, obs, { refCamera: refBa, scale, intrinsics: false, drifts: false, huberPx: huber * 4, accSigma, maxIterations: maxIt, ...driftPriors(), onIteration: progress('adjust poses and clocks') });
  // 4b. Cameras left out so far (no pairwise clock consensus, or no PnP pose): clock against the
  // adjusted 3D path itself (DLT pairing score over offsets, syncToTrajectory), then PnP.
  let added = 0;
  for (let j = 0; j < st.length; j++) {
    const s = st[j]!;
    if (baIdx.includes(j)) continue;
    say(`clock: ${s.input.id} against the reconstructed path`);
    // Rate hypotheses: the track's timestamps may have been written at a wrong nominal fps f0
    // (camera time = (f/f0)·true time for a camera that really ran at f).
    const f0 = 1 / medianInterval(s.norm);
    const rates = COMMON_FPS.map((f) => f / f0).filter((a) => Math.abs(a - 1) > 0.002 && a > 0.4 && a < 2.5);
    const r = syncToTrajectory(s.norm, { s0, dt, X: K, valid }, { maxShiftS: o.maxShiftS ?? 60, maxDriftPpm: o.maxDriftPpm ?? 2000, threshold: thr / s.f, rates });
    const medPx = r ? r.median * s.f : Infinity;
    if (!r || !trajectorySyncAccepted(r, thr / s.f)) {
      s.note = `${s.note ?? 'not registered'}; against the reconstructed path no clock offset within ±${o.maxShiftS ?? 60} s fits a projective camera (best: median ${Number.isFinite(medPx) ? medPx.toFixed(1) : '∞'} px, ${r?.inliers ?? 0}/${r?.paired ?? 0} samples within ${thr} px): irregular frame timestamps (variable frame rate) or a track of something else`;
      say(`clock: ${s.input.id} not found against the path (median ${medPx.toFixed(1)} px)`);
      // Rate search (opt-in): windows of the track vote for (rate, start) along the path.
      const rs = o.rateSearch ? searchTrackRate(s.norm, { s0, dt, X: K, valid }) : null;
      if (o.rateSearch && !rs) say(`clock: ${s.input.id}: the rate search found no rate that several windows agree on`);
      if (!rs) continue;
      s.alpha = rs.a; s.beta = rs.b; s.synced = true;
      tracks[j] = siteTrack(s);
      say(`clock: ${s.input.id} by the rate search: ${rs.agreeing} of ${rs.windows} windows agree on rate ${rs.a.toFixed(5)} (frames at ${(rs.a / medianInterval(s.norm)).toFixed(3)}/s of site time), offset ${rs.b.toFixed(3)} s, window median ${(rs.medianError * s.f).toFixed(1)} px`);
      if (!register(j)) { s.synced = false; s.note += `; the rate search's clock (rate ${rs.a.toFixed(4)}) gave no PnP pose`; continue; }
      delete s.note;
      warnings.push(`camera ${s.input.id}: clock by the rate search (its track's times run ${rs.a.toFixed(4)}× site time: ${rs.agreeing} of ${rs.windows} windows agree)`);
      baIdx.push(j); baCams.push(toBa(j)); addObs(j, baCams.length - 1);
      added++;
      continue;
    }
    s.alpha = r.a; s.beta = r.b; s.synced = true;
    tracks[j] = siteTrack(s);
    say(`clock: ${s.input.id} against the path: offset ${r.b.toFixed(4)} s, drift ${((r.a - 1) * 1e6).toFixed(0)} ppm, median ${medPx.toFixed(2)} px (${r.inliers}/${r.paired})`);
    if (!register(j)) { s.synced = false; continue; }
    delete s.note;
    baIdx.push(j); baCams.push(toBa(j)); addObs(j, baCams.length - 1);
    added++;
  }
  if (added > 0) {
    obs = mkObs(obsAll);
    rep = bundleAdjust(baCams, traj, obs, { refCamera: refBa, scale, intrinsics: false, drifts: false, huberPx: huber * 4, accSigma, maxIterations: maxIt, ...driftPriors(), onIteration: progress('adjust poses and clocks') });
  }
  for (const [j, s] of st.entries()) if (!baIdx.includes(j) && s.note) warnings.push(`camera ${s.input.id}: ${s.note}`);
  let lastOpts: BaOptions = { refCamera: refBa, scale, intrinsics: true, principalPoint: o.principalPoint ?? false, huberPx: huber, accSigma, maxIterations: maxIt, ...driftPriors() };
  rep = bundleAdjust(baCams, traj, obs, { ...lastOpts, onIteration: progress('adjust with intrinsics') });
  const err = reprojectionErrors(baCams, traj, obs);
  /** Noise scale per camera from a pass's RMSEs: rmse/median above the median, else 1 (announced). */
  const noiseScales = (rms: readonly number[], label: string): number[] => {
    const sorted = rms.slice().sort((a, b) => a - b);
    const med = sorted[(sorted.length - 1) >> 1]!;
    const sc = rms.map((r) => (med > 0 && r > med ? r / med : 1));
    say(`${label}: ${baIdx.map((i, bi) => `${st[i]!.input.id} ${sc[bi]!.toFixed(2)}`).join(', ')}`);
    return sc;
  };
  let camScale = o.cameraNoiseScale ? noiseScales(rep.rmsPerCamera, 'noise scale per camera') : undefined;
  const cut = Math.max(3 * huber, 4 * rep.rmsPx);
  const kept = obsAll.filter((r, m) => err[m]! <= cut * (camScale?.[r[0]] ?? 1));
  const lineTimes = (o.lineTimes ?? false) && baCams.some((c) => c.fitLine);
  if (kept.length < obsAll.length || lineTimes || camScale) {
    if (kept.length < obsAll.length) say(`dropped ${obsAll.length - kept.length} observations over ${cut.toFixed(1)} px${camScale ? ' (× the camera\'s noise scale)' : ''}`);
    obs = mkObs(kept);
    lastOpts = { ...lastOpts, lineTimes, ...(camScale ? { cameraScale: camScale } : {}) };
    rep = bundleAdjust(baCams, traj, obs, { ...lastOpts, onIteration: progress('final adjustment') });
    if (camScale) {
      // The scales came from a pass the noisy camera had already pulled (a good camera's RMSE
      // rises with it): once more from the weighted result.
      camScale = noiseScales(rep.rmsPerCamera, 'noise scale per camera, again');
      lastOpts = { ...lastOpts, cameraScale: camScale };
      rep = bundleAdjust(baCams, traj, obs, { ...lastOpts, onIteration: progress('final adjustment') });
    }
    if (lineTimes) say(`line times (µs/row): ${baIdx.map((i, bi) => `${st[i]!.input.id} ${(baCams[bi]!.lineS * 1e6).toFixed(1)}`).join(', ')}`);
  }
  say(`bundle adjustment: reprojection RMSE ${rep.rmsPx.toFixed(3)} px`);
  say(`clock drifts (ppm, formal 1-σ): ${baIdx.map((i, bi) => `${st[i]!.input.id} ${((baCams[bi]!.a - 1) * 1e6).toFixed(1)} ± ${rep.clockSigma[bi]!.driftPpm.toFixed(1)}`).join(', ')}`);
  if (o.onAdjusted) {
    const copy = baCams.map((c) => ({ ...c, R: Float64Array.from(c.R), C: Float64Array.from(c.C) }));
    o.onAdjusted({ ids: baIdx.map((i) => st[i]!.input.id), cams: copy, traj: { s0: traj.s0, dt: traj.dt, X: Float64Array.from(traj.X) }, obs, options: lastOpts });
  }

  // Knots seen by at least two cameras (what trajectory.csv reports and a beacon is matched to).
  const support = new Uint8Array(nk);
  {
    const camsAt = new Array<Set<number>>(nk);
    for (let m = 0; m < obs.cam.length; m++) {
      const c = baCams[obs.cam[m]!]!;
      const k = Math.round(((obs.t[m]! - c.b) / c.a - s0) / dt);
      if (k >= 0 && k < nk) (camsAt[k] ??= new Set()).add(obs.cam[m]!);
    }
    for (let k = 0; k < nk; k++) if ((camsAt[k]?.size ?? 0) >= 2) support[k] = 1;
  }
  // 6. Anchoring.
  const anchored = baIdx.map((i, bi) => ({ bi, ap: st[i]!.input.approxPose })).filter((x) => x.ap !== undefined) as Array<{ bi: number; ap: PoseParams }>;
  let frame: 'enu' | 'similarity' = 'similarity';
  let sigmaScale = 1;
  let beacon: CalibrationResult['beacon'];
  const applyT = (T: Similarity): void => {
    const Rt = transpose3(T.R);
    for (const c of baCams) { c.C = applySimilarity(T, c.C); c.R = mul3(c.R, Rt); }
    for (let k = 0; k < nk; k++) K.set(applySimilarity(T, K.subarray(3 * k, 3 * k + 3)), 3 * k);
    frame = 'enu';
    sigmaScale = T.s;
  };
  if (o.beacon) {
    const pts: Array<{ t: number; enu: Float64Array }> = [];
    for (let k = 0; k < nk; k++) if (support[k]) pts.push({ t: s0 + k * dt, enu: K.slice(3 * k, 3 * k + 3) });
    const al = alignBeacon(pts, o.beacon, { maxShiftS: o.beaconMaxShiftS ?? 60 });
    if (!al) throw new CalibFailedError('the beacon log does not overlap the reconstructed trajectory in time');
    applyT(al.T);
    beacon = { offsetS: al.offsetS, rmsM: al.rmsM, pairs: al.pairs };
    say(`anchored to ENU by the beacon log: offset ${al.offsetS.toFixed(3)} s, RMS ${al.rmsM.toFixed(2)} m over ${al.pairs} points (scale ${al.T.s.toFixed(4)})`);
    if (o.beaconAdjust !== false) {
      // σ per axis: given, or the anchoring RMS / √3. That RMS also holds the camera-only path's own
      // error, so it is an upper bound: safe, but it weighs a precise (RTK) log too lightly. A σ
      // re-estimated from the adjusted path's distance to the log collapses instead (the free path
      // follows the log; measured on the synthetic rig: 0.1 m noise → 0.01 m after three passes).
      const n = o.beacon.t.length;
      const path = { s: new Float64Array(n), p: Float64Array.from(o.beacon.enu), sigma: o.beaconSigmaM ?? Math.max(0.01, al.rmsM / Math.sqrt(3)) };
      for (let m = 0; m < n; m++) path.s[m] = o.beacon.t[m]! - al.offsetS;
      const r0 = { a: baCams[refBa]!.a, b: baCams[refBa]!.b };
      /** RMS 3D distance between the path and the log over supported knots, and the samples used (path.s on the adjustment's time). */
      const pathRms = (): { rms: number; np: number } => {
        let ss = 0, np = 0;
        for (let m = 0; m < n; m++) {
          const sp = path.s[m]!, f = (sp - traj.s0) / traj.dt;
          if (!(f >= 0 && f <= nk - 1) || !support[Math.round(f)]) continue;
          const q = trajectoryAt(traj, sp);
          ss += (q[0] - path.p[3 * m]!) ** 2 + (q[1] - path.p[3 * m + 1]!) ** 2 + (q[2] - path.p[3 * m + 2]!) ** 2; np++;
        }
        return { rms: Math.sqrt(ss / Math.max(1, np)), np };
      };
      rep = bundleAdjust(baCams, traj, obs, { ...lastOpts, accSigma: accSigma * al.T.s, freeReference: true, path, onIteration: progress('adjust with the beacon') });
      sigmaScale = 1; // that pass ran in ENU metres: its σ need no scaling
      const fit = pathRms();
      // Site time is the reference camera's clock again: s' = (a_r·s + b_r − b₀)/a₀.
      const ar = baCams[refBa]!.a, br = baCams[refBa]!.b;
      for (const c of baCams) { const a = c.a; c.a = (a * r0.a) / ar; c.b += (a * (r0.b - br)) / ar; }
      traj.s0 = (ar * traj.s0 + br - r0.b) / r0.a; traj.dt = (traj.dt * ar) / r0.a;
      s0 = traj.s0; dt = traj.dt;
      const offsetS = (r0.b - br) / ar + al.offsetS;
      const referenceDriftPpm = (ar / r0.a - 1) * 1e6;
      beacon = { offsetS, rmsM: fit.rms, pairs: fit.np, adjusted: { sigmaM: path.sigma, referenceDriftPpm } };
      say(`adjusted with the beacon log (σ ${path.sigma.toFixed(3)} m per axis): reprojection RMSE ${rep.rmsPx.toFixed(3)} px, path to log RMS ${fit.rms.toFixed(2)} m over ${fit.np} samples, offset ${offsetS.toFixed(3)} s, ${st[ref]!.input.id}'s clock ${referenceDriftPpm >= 0 ? '+' : ''}${referenceDriftPpm.toFixed(1)} ppm against the beacon's`);
    }
  } else if (anchored.length >= 2) {
    const L = baseline;
    const src: number[] = [], dst: number[] = [], w: number[] = [];
    for (const { bi, ap: p } of anchored) {
      const c = baCams[bi]!, Ra = rotationFromOrientation(p);
      src.push(c.C[0]!, c.C[1]!, c.C[2]!); dst.push(p.enu[0]!, p.enu[1]!, p.enu[2]!); w.push(1);
      src.push(c.C[0]! + L * c.R[6]!, c.C[1]! + L * c.R[7]!, c.C[2]! + L * c.R[8]!);
      dst.push(p.enu[0]! + L * Ra[6]!, p.enu[1]! + L * Ra[7]!, p.enu[2]! + L * Ra[8]!); w.push(0.25);
    }
    const T = umeyama(src, dst, w);
    if (T) {
      applyT(T);
      say(`anchored to ENU by ${anchored.length} approximate poses (scale ${T.s.toFixed(4)})`);
    }
  } else warnings.push('no beacon log and fewer than two cameras with approx_pose: the result is in a similarity frame (arbitrary position, orientation and scale)');


  // Results.
  const trajectory: CalibrationResult['trajectory'] = [];
  for (let k = 0; k < nk; k++) if (support[k]) trajectory.push({ t: s0 + k * dt, enu: [K[3 * k]!, K[3 * k + 1]!, K[3 * k + 2]!] });
  const cameras: CalibratedCamera[] = st.map((s, i) => {
    const bi = baIdx.indexOf(i);
    const c = s.input;
    if (bi < 0) {
      const p = c.approxPose ?? { enu: [0, 0, 0], yaw: 0, pitch: 0, roll: 0 };
      return { id: c.id, calibrated: false, pose: { enu: [p.enu[0]!, p.enu[1]!, p.enu[2]!], yaw: p.yaw, pitch: p.pitch, roll: p.roll }, intrinsics: { ...c.intrinsics }, clock: c.clock ?? { offset_ms: 0, drift_ppm: 0 }, observations: c.track.t.length, inliers: 0, reprojectionRmsePx: NaN, positionSigmaM: NaN, ...(s.note ? { note: s.note } : {}) };
    }
    const b = baCams[bi]!;
    const or = orientationFromRotation(b.R);
    const nObs = obs.cam.reduce((n, v) => n + (v === bi ? 1 : 0), 0);
    return {
      id: c.id, calibrated: true,
      pose: { enu: [b.C[0]!, b.C[1]!, b.C[2]!], yaw: or.yaw, pitch: or.pitch, roll: or.roll },
      intrinsics: { fx: b.fx, fy: b.fy, cx: b.cx, cy: b.cy, k1: b.k1, k2: b.k2, ...(b.p1 ? { p1: b.p1 } : {}), ...(b.p2 ? { p2: b.p2 } : {}), ...(b.k3 ? { k3: b.k3 } : {}) },
      clock: { offset_ms: b.b * 1000, drift_ppm: (b.a - 1) * 1e6 },
      observations: nObs, inliers: rep.inliersPerCamera[bi]!, reprojectionRmsePx: rep.rmsPerCamera[bi]!,
      positionSigmaM: rep.positionSigma[bi]! * sigmaScale,
      clockSigma: { offset_ms: rep.clockSigma[bi]!.offsetMs, drift_ppm: rep.clockSigma[bi]!.driftPpm },
    };
  });
  return { referenceCamera: R0.input.id, frame, cameras, trajectory, reprojectionRmsePx: rep.rmsPx, baIterations: rep.iterations, ...(beacon ? { beacon } : {}), warnings };
}

function fmtClock(r: ClockSyncResult): string {
  return `offset ${r.b.toFixed(4)} s, drift ${((r.a - 1) * 1e6).toFixed(0)} ppm (${r.inliers}/${r.paired} epipolar inliers)`;
}

/** −R·C. */
function mulNeg(R: Float64Array, C: ArrayLike<number>): Float64Array {
  return new Float64Array([0, 1, 2].map((r) => -(R[r * 3]! * C[0]! + R[r * 3 + 1]! * C[1]! + R[r * 3 + 2]! * C[2]!)));
}

/** Linear interpolation over invalid knots; the ends hold the nearest valid knot. */
function fillGaps(K: Float64Array, valid: Uint8Array, nk: number): void {
  let prev = -1;
  for (let k = 0; k < nk; k++) {
    if (!valid[k]) continue;
    if (prev < 0) for (let j = 0; j < k; j++) K.copyWithin(3 * j, 3 * k, 3 * k + 3);
    else for (let j = prev + 1; j < k; j++) {
      const w = (j - prev) / (k - prev);
      for (let c = 0; c < 3; c++) K[3 * j + c] = (1 - w) * K[3 * prev + c]! + w * K[3 * k + c]!;
    }
    prev = k;
  }
  if (prev >= 0) for (let j = prev + 1; j < nk; j++) K.copyWithin(3 * j, 3 * prev, 3 * prev + 3);
}
