/**
 * Track life cycle parts: the M-of-N initiator (tentative → confirmed) and the deleters.
 * A scan is one call of the tracker's step(); the tracker must be stepped at every fusion tick,
 * with an empty detection list when there is none, for scan counts to mean anything.
 */
import { TrackingConfigError } from './errors.ts';
import type { GaussianState } from './kalman.ts';

export type TrackStatus = 'tentative' | 'confirmed' | 'lost';

/** What the life cycle parts read of a track. */
export interface TrackLife {
  readonly id: number;
  status: TrackStatus;
  readonly state: GaussianState;
  /** Time of the first detection. */
  readonly born: number;
  /** Time of the last associated detection. */
  lastUpdate: number;
  /** Scans since birth, the birth scan included. */
  scans: number;
  /** Scans with an associated detection, the birth scan included. */
  hits: number;
}

export interface MofNOptions {
  /** Hits needed for confirmation. Default 5. */
  m?: number;
  /** Within this many first scans of the track (birth included). Default 8. */
  n?: number;
}

/**
 * M-of-N confirmation over the first N scans of a track: confirmed as soon as it has M hits;
 * given up as soon as M hits within N scans have become impossible (misses > N − M).
 */
export class MofNInitiator {
  readonly m: number;
  readonly n: number;

  constructor(opts: MofNOptions = {}) {
    this.m = opts.m ?? 5;
    this.n = opts.n ?? 8;
    if (!(Number.isInteger(this.m) && Number.isInteger(this.n) && this.m >= 1 && this.n >= this.m)) {
      throw new TrackingConfigError(`M-of-N initiator needs integers 1 ≤ m ≤ n, got m=${this.m}, n=${this.n}`);
    }
  }

  /** After a tentative track's scan has been counted: 'confirmed', 'failed' or 'tentative'. */
  judge(track: TrackLife): 'confirmed' | 'failed' | 'tentative' {
    if (track.hits >= this.m) return 'confirmed';
    if (track.scans - track.hits > this.n - this.m) return 'failed';
    return 'tentative';
  }
}

/** Decides, after a scan, whether a track has to go. */
export interface Deleter {
  shouldDelete(track: TrackLife, t: number): boolean;
}

export interface TimeDeleterOptions {
  /** A confirmed track is deleted after this long without a detection, seconds. Default 1.5. */
  maxCoastS?: number;
}

/** Deletes a confirmed track that has coasted (no associated detection) for longer than maxCoastS. */
export class TimeDeleter implements Deleter {
  readonly maxCoastS: number;

  constructor(opts: TimeDeleterOptions = {}) {
    this.maxCoastS = opts.maxCoastS ?? 1.5;
    if (!(this.maxCoastS > 0 && Number.isFinite(this.maxCoastS))) throw new TrackingConfigError(`TimeDeleter.maxCoastS must be a positive number, got ${this.maxCoastS}`);
  }

  shouldDelete(track: TrackLife, t: number): boolean {
    return t - track.lastUpdate > this.maxCoastS;
  }
}

export interface CovarianceDeleterOptions {
  /** A track is deleted when √(trace of its position covariance) exceeds this, metres. Default 60. */
  maxPositionSigmaM?: number;
}

/** Deletes a track whose position uncertainty has grown past a bound (it no longer says where the target is). */
export class CovarianceDeleter implements Deleter {
  readonly maxPositionSigmaM: number;

  constructor(opts: CovarianceDeleterOptions = {}) {
    this.maxPositionSigmaM = opts.maxPositionSigmaM ?? 60;
    if (!(this.maxPositionSigmaM > 0 && Number.isFinite(this.maxPositionSigmaM))) throw new TrackingConfigError(`CovarianceDeleter.maxPositionSigmaM must be a positive number, got ${this.maxPositionSigmaM}`);
  }

  shouldDelete(track: TrackLife): boolean {
    const P = track.state.P, n = track.state.dim;
    const tr = P[0]! + P[n + 1]! + P[2 * n + 2]!;
    return !(tr <= this.maxPositionSigmaM * this.maxPositionSigmaM);
  }
}
