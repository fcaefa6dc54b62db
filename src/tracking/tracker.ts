/**
 * The multi-target tracker, composed from parts (Stone Soup style): a Filter (predictor + updater),
 * a measurement model (detection covariance from geometry), a Mahalanobis gate, a GNN associator,
 * an M-of-N initiator and deleters. One call per fusion tick:
 *
 *   predict every track to t → covariance of every detection → gate and associate (confirmed
 *   tracks first, then tentative ones with what is left) → update → start tentative tracks from
 *   detections no track claims → confirm / delete → one record per track.
 *
 * Pure and deterministic: no clocks, tracks kept and emitted in increasing id order, detections
 * taken in input order, ids 1, 2, 3, … never reused.
 */
import { associateGnn, chiSquare3Quantile } from './association.ts';
import { TrackingConfigError, TrackingInputError } from './errors.ts';
import { ImmFilter } from './imm.ts';
import type { Filter, GaussianState } from './kalman.ts';
import { createUpdateScratch, innovation, inv3, quad3, type UpdateResult } from './linalg.ts';
import { CovarianceDeleter, MofNInitiator, TimeDeleter, type Deleter, type MofNOptions, type TrackLife, type TrackStatus } from './lifecycle.ts';
import { GeometryMeasurementModel, type GeometryNoiseOptions } from './measurement.ts';
import { ConstantAcceleration, ConstantVelocity } from './models.ts';
import type { TrackPoint } from './smoother.ts';

export type Vec3 = [number, number, number];

/** One 3D detection (CONTRACTS §6 detections.jsonl line; only enu is required here). */
export interface TrackerDetection {
  t?: number;
  enu: readonly [number, number, number] | readonly number[];
  energy?: number;
  /** Ids of the cameras that support it (for the measurement covariance). */
  cameras?: readonly string[];
}

export type TrackClass = 'drone' | 'bird' | 'unknown';

/** One line of tracks.jsonl (CONTRACTS §6). */
export interface TrackRecord {
  t: number;
  track_id: number;
  status: TrackStatus;
  enu: Vec3;
  vel: Vec3;
  class: TrackClass;
  confidence: number;
}

/** A live track as the tracker keeps it (read-only to callers). */
export interface Track extends TrackLife {
  /** The detection last associated with the track (the birth detection at first). */
  lastDetection: TrackerDetection;
  /** Whether a detection was associated in the latest scan. */
  updatedThisScan: boolean;
  /** Consecutive scans spent inside the gate of an older confirmed track. */
  shadowScans: number;
  /** Every associated detection (time, position, covariance), birth included; only with keepHistory. */
  history?: TrackPoint[];
}

/** Classification hook: called for every record emitted; its answer fills class and confidence. */
export type Classify = (track: Readonly<Track>) => { class: TrackClass; confidence: number };

export interface TrackerOptions {
  /** Predictor/updater. Default: {@link createDefaultFilter}() (IMM of constant velocity and constant acceleration). */
  filter?: Filter;
  /** Detection covariance. Default: a GeometryMeasurementModel built from `geometry`. */
  measurement?: GeometryMeasurementModel;
  /** Options of the default measurement model (camera positions, angular sigma, …). */
  geometry?: GeometryNoiseOptions;
  /** Gate probability: pairs with d² above the chi-square (3 dof) quantile are excluded. Default 0.999 (d² ≤ 16.27). */
  gateProbability?: number;
  /** M-of-N confirmation. Default m = 5, n = 8. */
  confirmation?: MofNOptions;
  /** Deleters (any one deletes). Default: TimeDeleter (1.5 s coast) and CovarianceDeleter (60 m). */
  deleters?: Deleter[];
  /** Prior standard deviation of a new track's velocity components, m/s. Default 15. */
  initialVelocitySigma?: number;
  /** Prior standard deviation of a new track's acceleration components, m/s². Default 3. */
  initialAccelerationSigma?: number;
  /**
   * No track is started from a detection closer than this to a confirmed track's predicted position,
   * metres (the detector can split one target into several peaks metres apart). 0 disables. Default 20.
   */
  birthExclusionM?: number;
  /**
   * A confirmed track that stays inside the gate of an older confirmed track (d² of the position
   * difference under P₁ + P₂ at most the gate) for this many consecutive scans is a duplicate and
   * is deleted ("lost"); the older id lives on. 0 disables. Default 4.
   */
  mergeScans?: number;
  /** Keep every track's associated detections in Track.history (for rtsSmooth). Default false. */
  keepHistory?: boolean;
  /** Emit records for tentative tracks (and their deletion). Default true. */
  emitTentative?: boolean;
  /** Classifier hook. Default: class "unknown", confidence 0. */
  classify?: Classify;
}

/**
 * IMM of ConstantVelocity({q: 0.5 m²/s³, dim: 9}) and ConstantAcceleration({q: 5 m²/s⁵}), mean
 * sojourn 8 s and 4 s, starting at 0.8 / 0.2 (docs/TRACKING.md shows how these were chosen).
 */
export function createDefaultFilter(): ImmFilter {
  return new ImmFilter({
    models: [new ConstantVelocity({ q: 0.5, dim: 9 }), new ConstantAcceleration({ q: 5 })],
    sojournS: [8, 4],
    initialProbabilities: [0.8, 0.2],
  });
}

export class Tracker {
  readonly gateD2: number;
  private readonly filter: Filter;
  private readonly measurement: GeometryMeasurementModel;
  private readonly initiator: MofNInitiator;
  private readonly deleters: Deleter[];
  private readonly prior: { velocitySigma: number; accelerationSigma: number };
  private readonly emitTentative: boolean;
  private readonly birthExclusionM: number;
  private readonly mergeScans: number;
  private readonly keepHistory: boolean;
  private readonly classify: Classify | undefined;
  private live: Track[] = [];
  private nextId = 1;
  private lastT = -Infinity;
  // Per-step buffers, grown as needed.
  private R = new Float64Array(0);
  private Z = new Float64Array(0);
  private claimed = new Uint8Array(0);
  private nearTrack = new Uint8Array(0);
  /** Detections a confirmed track could explain this scan (see markNearConfirmed). */
  private blocked = new Uint8Array(0);
  private cost = new Float64Array(0);
  private miss = new Float64Array(0);
  private readonly sc = createUpdateScratch(9);
  private readonly res: UpdateResult = { d2: 0, logDetS: 0 };

  constructor(opts: TrackerOptions = {}) {
    this.filter = opts.filter ?? createDefaultFilter();
    this.measurement = opts.measurement ?? new GeometryMeasurementModel(opts.geometry);
    this.gateD2 = chiSquare3Quantile(opts.gateProbability ?? 0.999);
    this.initiator = new MofNInitiator(opts.confirmation);
    this.deleters = opts.deleters ?? [new TimeDeleter(), new CovarianceDeleter()];
    const vs = opts.initialVelocitySigma ?? 15, as = opts.initialAccelerationSigma ?? 3;
    if (!(vs > 0 && Number.isFinite(vs))) throw new TrackingConfigError(`initialVelocitySigma must be a positive number, got ${vs}`);
    if (!(as > 0 && Number.isFinite(as))) throw new TrackingConfigError(`initialAccelerationSigma must be a positive number, got ${as}`);
    this.prior = { velocitySigma: vs, accelerationSigma: as };
    this.emitTentative = opts.emitTentative ?? true;
    this.keepHistory = opts.keepHistory ?? false;
    this.birthExclusionM = opts.birthExclusionM ?? 20;
    if (!(this.birthExclusionM >= 0 && Number.isFinite(this.birthExclusionM))) throw new TrackingConfigError(`birthExclusionM must be a finite number ≥ 0, got ${this.birthExclusionM}`);
    this.mergeScans = opts.mergeScans ?? 4;
    if (!(Number.isInteger(this.mergeScans) && this.mergeScans >= 0)) throw new TrackingConfigError(`mergeScans must be an integer ≥ 0, got ${this.mergeScans}`);
    this.classify = opts.classify;
  }

  /** The live tracks, in id order. */
  get tracks(): readonly Readonly<Track>[] {
    return this.live;
  }

  /**
   * Advance to site time t (≥ the previous step's) with the detections of that tick (possibly
   * none) and return the records of this scan: every live tentative (if emitted) and confirmed
   * track, and once, with status "lost", every track deleted in this scan; sorted by track id.
   */
  step(t: number, detections: readonly TrackerDetection[]): TrackRecord[] {
    if (!Number.isFinite(t)) throw new TrackingInputError(`step time must be finite, got ${t}`);
    if (t < this.lastT) throw new TrackingInputError(`step time went backwards: ${t} after ${this.lastT}`);
    const nD = this.prepare(detections); // throws on a malformed detection before anything changes
    this.lastT = t;
    for (const tr of this.live) { this.filter.predict(tr.state, t); tr.scans++; tr.updatedThisScan = false; }
    const confirmed = this.live.filter((tr) => tr.status === 'confirmed');
    const tentative = this.live.filter((tr) => tr.status === 'tentative');
    this.associate(confirmed, detections, nD, t);
    // What a confirmed track could explain (inside its gate, or within the birth exclusion of it)
    // is a split of that target: it neither starts a track (initiate) nor feeds a tentative one,
    // which would otherwise grow from a ghost into a confirmed duplicate on the same target.
    this.markNearConfirmed(confirmed, nD);
    this.associate(tentative, detections, nD, t);
    const born = this.initiate(t, detections, nD);
    return this.finishScan(t, born);
  }

  /** Measurement vectors and covariances of this step's detections. */
  private prepare(dets: readonly TrackerDetection[]): number {
    const n = dets.length;
    if (this.claimed.length < n) {
      const cap = Math.max(n, 2 * this.claimed.length, 16);
      this.R = new Float64Array(cap * 9); this.Z = new Float64Array(cap * 3);
      this.claimed = new Uint8Array(cap); this.nearTrack = new Uint8Array(cap);
    }
    this.claimed.fill(0, 0, n);
    this.nearTrack.fill(0, 0, n);
    for (let j = 0; j < n; j++) {
      const d = dets[j]!;
      const e = d?.enu;
      if (!e || e.length !== 3 || !Number.isFinite(e[0]) || !Number.isFinite(e[1]) || !Number.isFinite(e[2])) {
        throw new TrackingInputError(`detection ${j}: enu must be 3 finite numbers`);
      }
      this.Z[3 * j] = e[0]!; this.Z[3 * j + 1] = e[1]!; this.Z[3 * j + 2] = e[2]!;
      this.measurement.covariance(e, d.cameras, this.R.subarray(9 * j, 9 * j + 9));
    }
    return n;
  }

  /** Flag the unclaimed detections within birthExclusionM of a confirmed track or inside a confirmed track's gate. */
  private markNearConfirmed(confirmed: readonly Track[], nD: number): void {
    const blocked = this.blocked.length >= nD ? this.blocked : (this.blocked = new Uint8Array(Math.max(nD, 2 * this.blocked.length)));
    blocked.fill(0, 0, nD);
    const ex2 = this.birthExclusionM ** 2;
    for (let j = 0; j < nD; j++) {
      if (this.claimed[j]) continue;
      if (this.nearTrack[j]) { blocked[j] = 1; continue; }
      if (ex2 === 0) continue;
      for (const c of confirmed) {
        const x = c.state.x, dx = this.Z[3 * j]! - x[0]!, dy = this.Z[3 * j + 1]! - x[1]!, dz = this.Z[3 * j + 2]! - x[2]!;
        if (dx * dx + dy * dy + dz * dz < ex2) { blocked[j] = 1; break; }
      }
    }
  }

  /** Gate, solve GNN for one group of tracks over the unclaimed detections, update the winners. */
  private associate(group: Track[], dets: readonly TrackerDetection[], nD: number, t: number): void {
    const rows = group.length;
    if (rows === 0 || nD === 0) return;
    if (this.cost.length < rows * nD) this.cost = new Float64Array(Math.max(rows * nD, 2 * this.cost.length));
    if (this.miss.length < rows) this.miss = new Float64Array(Math.max(rows, 2 * this.miss.length));
    const cost = this.cost.subarray(0, rows * nD).fill(Infinity);
    const miss = this.miss.subarray(0, rows).fill(this.gateD2);
    const Z = this.Z, R = this.R, g = this.gateD2;
    const tentativeGroup = group[0]!.status === 'tentative';
    for (let i = 0; i < rows; i++) {
      const s = group[i]!.state, x = s.x, P = s.P, n = s.dim;
      const trP = P[0]! + P[n + 1]! + P[2 * n + 2]!;
      for (let j = 0; j < nD; j++) {
        if (this.claimed[j] || (tentativeGroup && this.blocked[j])) continue;
        const dx = Z[3 * j]! - x[0]!, dy = Z[3 * j + 1]! - x[1]!, dz = Z[3 * j + 2]! - x[2]!;
        // d² ≥ |ν|²/λmax(S) ≥ |ν|²/trace(S): skip the inverse for pairs that cannot pass.
        const trS = trP + R[9 * j]! + R[9 * j + 4]! + R[9 * j + 8]!;
        if (dx * dx + dy * dy + dz * dz > g * trS) continue;
        const Rj = R.subarray(9 * j, 9 * j + 9);
        if (!innovation(x, P, n, Z.subarray(3 * j, 3 * j + 3), Rj, this.sc, this.res)) continue;
        if (this.res.d2 <= g) { cost[i * nD + j] = this.res.d2; this.nearTrack[j] = 1; }
      }
    }
    const rowToCol = associateGnn(cost, rows, nD, miss);
    for (let i = 0; i < rows; i++) {
      const j = rowToCol[i]!;
      if (j < 0) continue;
      const tr = group[i]!;
      if (!this.filter.update(tr.state, Z.subarray(3 * j, 3 * j + 3), R.subarray(9 * j, 9 * j + 9), this.res)) continue;
      this.claimed[j] = 1;
      tr.hits++;
      tr.lastUpdate = t;
      tr.updatedThisScan = true;
      tr.lastDetection = dets[j]!;
      if (tr.history) tr.history.push(point(t, Z, R, j));
    }
  }

  /**
   * A tentative track for every detection that no track claimed and that lies outside every
   * track's gate (a second detection inside a track's gate is taken for a split of the same
   * target) and outside the gate of a track started earlier in this scan.
   */
  private initiate(t: number, dets: readonly TrackerDetection[], nD: number): Track[] {
    const born: Track[] = [];
    for (let j = 0; j < nD; j++) {
      // blocked: within birthExclusionM of a confirmed track (markNearConfirmed, this scan).
      if (this.claimed[j] || this.nearTrack[j] || this.blocked[j]) continue;
      const z = this.Z.subarray(3 * j, 3 * j + 3), Rj = this.R.subarray(9 * j, 9 * j + 9);
      let dup = false;
      const trR = Rj[0]! + Rj[4]! + Rj[8]!;
      for (const b of born) {
        const x = b.state.x, P = b.state.P, n = b.state.dim;
        const dx = z[0]! - x[0]!, dy = z[1]! - x[1]!, dz = z[2]! - x[2]!;
        if (dx * dx + dy * dy + dz * dz > this.gateD2 * (trR + P[0]! + P[n + 1]! + P[2 * n + 2]!)) continue; // cannot be inside the gate
        if (innovation(x, P, n, z, Rj, this.sc, this.res) && this.res.d2 <= this.gateD2) { dup = true; break; }
      }
      if (dup) continue;
      const state: GaussianState = this.filter.initiate(t, z, Rj, this.prior);
      const tr: Track = { id: this.nextId++, status: 'tentative', state, born: t, lastUpdate: t, scans: 1, hits: 1, lastDetection: dets[j]!, updatedThisScan: true, shadowScans: 0 };
      if (this.keepHistory) tr.history = [point(t, this.Z, this.R, j)];
      born.push(tr);
    }
    return born;
  }

  private finishScan(t: number, born: Track[]): TrackRecord[] {
    const out: TrackRecord[] = [];
    const keep: Track[] = [];
    if (this.mergeScans > 0) this.markDuplicates();
    for (const tr of [...this.live, ...born]) {
      let gone = this.mergeScans > 0 && tr.shadowScans >= this.mergeScans;
      if (tr.status === 'tentative') {
        const verdict = this.initiator.judge(tr);
        if (verdict === 'confirmed') tr.status = 'confirmed';
        else if (verdict === 'failed') gone = true;
      }
      if (!gone) for (const d of this.deleters) if (d.shouldDelete(tr, t)) { gone = true; break; }
      const wasShown = tr.status === 'confirmed' || this.emitTentative;
      if (gone) {
        tr.status = 'lost';
        if (wasShown) out.push(this.record(tr, t));
        continue;
      }
      keep.push(tr);
      if (wasShown) out.push(this.record(tr, t));
    }
    this.live = keep;
    return out;
  }

  /** Count, for every confirmed track, the consecutive scans it has spent inside an older confirmed track's gate. */
  private markDuplicates(): void {
    const conf = this.live.filter((tr) => tr.status === 'confirmed');
    const S = this.sc.S, Si = this.sc.Si, g = this.gateD2;
    for (let b = 0; b < conf.length; b++) {
      const B = conf[b]!.state, nb = B.dim;
      let inside = false;
      for (let a = 0; a < b && !inside; a++) {
        const A = conf[a]!.state, na = A.dim;
        const dx = B.x[0]! - A.x[0]!, dy = B.x[1]! - A.x[1]!, dz = B.x[2]! - A.x[2]!;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) S[i * 3 + j] = A.P[i * na + j]! + B.P[i * nb + j]!;
        if (dx * dx + dy * dy + dz * dz > g * (S[0]! + S[4]! + S[8]!)) continue;
        if (inv3(Si, S) > 0 && quad3(Si, dx, dy, dz) <= g) inside = true;
      }
      conf[b]!.shadowScans = inside ? conf[b]!.shadowScans + 1 : 0;
    }
  }

  private record(tr: Track, t: number): TrackRecord {
    const x = tr.state.x;
    const c = this.classify ? this.classify(tr) : { class: 'unknown' as const, confidence: 0 };
    return {
      t,
      track_id: tr.id,
      status: tr.status,
      enu: [r3(x[0]!), r3(x[1]!), r3(x[2]!)],
      vel: [r3(x[3]!), r3(x[4]!), r3(x[5]!)],
      class: c.class,
      confidence: c.confidence,
    };
  }
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

const point = (t: number, Z: Float64Array, R: Float64Array, j: number): TrackPoint => ({ t, z: Z.slice(3 * j, 3 * j + 3), R: R.slice(9 * j, 9 * j + 9) });
