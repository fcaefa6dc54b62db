/**
 * The voxel projector's public shapes: one interface that the CPU backend (`cpu/`) implements
 * and a GPU backend will implement too. Both must agree on the same input within the
 * tolerance stated in docs/VOXEL.md.
 */
import type { Camera } from '../geometry/index.ts';

/** The monitored box in ENU metres (site.volume of CONTRACTS §3). */
export interface VolumeSpec {
  min: [number, number, number] | number[];
  max: [number, number, number] | number[];
  /** Edge of a cubic voxel, metres. */
  voxel_m: number;
}

/** One frame's motion pixels of one camera: `index = v·width + u`, `energy` a positive score. */
export interface MotionPixelsLike {
  count: number;
  index: Uint32Array;
  energy: Float32Array;
}

export interface ProjectorOptions {
  volume: VolumeSpec;
  /**
   * Temporal window, seconds (default 0.25). A contribution older than this never counts; one
   * younger than windowS·(WINDOW_BUCKETS−1)/WINDOW_BUCKETS always counts (docs/VOXEL.md).
   */
  windowS?: number;
  /** Exponential energy decay time constant, seconds (default windowS/2). */
  decayTauS?: number;
  /**
   * Memory budget in occupied voxels (default 2^21, at most 2^25; storage is 64 B per cell of the
   * 4³ bricks in use, at most 1 KiB per budgeted voxel, docs/VOXEL.md). When full: sweep the
   * voxels with no contribution inside the window; if that frees less than 1/16 of the budget,
   * new voxels are dropped (counted in `stats.dropped`) until the next window bucket begins.
   */
  maxVoxels?: number;
  /** Highest camera count (default 64, at most 64): camera indices run 0..maxCameras−1. */
  maxCameras?: number;
  /** Rays start this far from the camera centre, metres (default 0). */
  minRangeM?: number;
  /**
   * Rays end this far from the camera centre, metres (default Infinity: at the volume's far
   * side). Must exceed minRangeM. Steps beyond the range a target can be detected at are wasted.
   */
  maxRangeM?: number;
  /**
   * Cache each camera's per-pixel ray directions (Float32, 12 bytes per pixel, filled lazily).
   * Default false: unprojecting on demand costs a few percent of the walk (docs/VOXEL.md).
   */
  rayCache?: boolean;
  /**
   * Snapshots with a minimum support ≥ 2 visit only the voxels that gained a camera since the
   * last one and could qualify, instead of every cell of every live brick (default true; the same
   * result, see VoxelTable). `false` always scans: for tests and comparisons.
   */
  candidateTracking?: boolean;
  /**
   * Persistence pooling radius, voxels (Chebyshev; default 1 = the 3×3×3 neighbourhood, 0 = the
   * voxel alone): `VoxelSnapshot.bucketSupport` counts the cameras per window bucket over this
   * neighbourhood, so a target that moves across a voxel boundary keeps its count.
   */
  persistenceRadiusVox?: number;
  /**
   * `bucketSupport` is computed only for voxels with at least this many cameras in the window
   * (default 3; 0 written for the others), since pooling costs (2r+1)³ lookups per voxel.
   */
  persistenceMinSupport?: number;
}

export interface AccumulateResult {
  /** Pixels whose ray was cast. */
  rays: number;
  /** Voxel cells visited by those rays (DDA steps). */
  steps: number;
  /** Cast rays that do not meet the volume in front of the camera. */
  missed: number;
  /** Pixels skipped: index outside the image, energy not > 0, pixel that cannot be undistorted,
   * or a camera that is unregistered or has weight 0. */
  invalid: number;
}

export interface ProjectorStats {
  /** Voxels held now (alive or expired-but-not-yet-swept). */
  occupied: number;
  /** The budget: maxVoxels. */
  capacity: number;
  /** Voxel hits refused because the table was full (cumulative). */
  dropped: number;
  /** Expired voxels removed by sweeps (cumulative). */
  evicted: number;
  /** Contributions older than the voxel's window when they arrived, ignored (cumulative). */
  late: number;
}

export interface VoxelProjector {
  /** Register/replace a camera's geometry (invalidates its ray cache). camIndex 0..maxCameras−1. */
  setCamera(camIndex: number, cam: Camera): void;
  /** Health-aware weighting: 0 excludes the camera, 1 is normal (multiplies pixel energies). */
  setCameraWeight(camIndex: number, weight: number): void;
  /**
   * Cast one frame's motion pixels of a camera. frameCameraTime is on the camera's own clock;
   * each pixel's site time includes its rolling-shutter row offset.
   */
  accumulate(camIndex: number, frameCameraTime: number, pixels: MotionPixelsLike): AccumulateResult;
  /**
   * Fill `out` with the voxels alive at site time t (a contribution inside the window): energy
   * decayed to t, mask of the cameras that contributed inside the window. Only voxels with at
   * least `minSupport` cameras (default 1) are written. Returns the count written.
   */
  snapshot(t: number, out: VoxelSnapshot, minSupport?: number): number;
  /** Remove the voxels with no contribution inside the window at site time t; returns how many. */
  sweep(t: number): number;
  readonly stats: ProjectorStats;
  clear(): void;
  /** Release the memory; safe twice. Any later call except close() throws VoxelStateError. */
  close(): void;
}

/** Structure-of-arrays output of {@link VoxelProjector.snapshot}. */
export interface VoxelSnapshot {
  /** Voxels written. */
  count: number;
  /** Voxels that qualified; more than `count` when the arrays were too small. */
  matched: number;
  /** Linear voxel index ix + nx·(iy + ny·iz) (volumes hold at most 2^31 voxels). */
  key: Uint32Array;
  ix: Int32Array;
  iy: Int32Array;
  iz: Int32Array;
  energy: Float32Array;
  maskLo: Uint32Array;
  maskHi: Uint32Array;
  /** Cameras in the mask (popcount). */
  support: Uint8Array;
  /**
   * Temporal persistence (optional; filled when present, see docs/VOXEL.md "Persistence"): the
   * voxel's (camera, window bucket) pairs, Σ over the live buckets of the cameras in that
   * bucket's mask (a camera seen in 3 buckets counts 3; capped at 255).
   */
  frames?: Uint8Array;
  /**
   * Optional, 4 (WINDOW_BUCKETS) entries per voxel: `bucketSupport[4i + j]` = distinct cameras
   * that contributed in window bucket j (0 = the bucket of the snapshot time, 3 = the oldest) to
   * voxel i or a cell within `persistenceRadiusVox` of it. Only for voxels with support ≥
   * `persistenceMinSupport` (0 for the others).
   */
  bucketSupport?: Uint8Array;
}

/**
 * Snapshot arrays for `capacity` voxels. `frames` is always allocated; `bucketSupport` (pooled
 * per-bucket camera counts, (2r+1)³ lookups per voxel with support ≥ persistenceMinSupport) only
 * with `{ bucketSupport: true }`.
 */
export function createSnapshot(capacity: number, opts: { bucketSupport?: boolean } = {}): VoxelSnapshot {
  if (!(Number.isInteger(capacity) && capacity >= 0)) throw new RangeError(`snapshot capacity must be a non-negative integer, got ${capacity}`);
  return {
    count: 0,
    matched: 0,
    key: new Uint32Array(capacity),
    ix: new Int32Array(capacity),
    iy: new Int32Array(capacity),
    iz: new Int32Array(capacity),
    energy: new Float32Array(capacity),
    maskLo: new Uint32Array(capacity),
    maskHi: new Uint32Array(capacity),
    support: new Uint8Array(capacity),
    frames: new Uint8Array(capacity),
    ...(opts.bucketSupport === true ? { bucketSupport: new Uint8Array(4 * capacity) } : {}),
  };
}

/** Programmer misuse of a projector's lifecycle (a call after close()). */
export class VoxelStateError extends Error {
  readonly code = 'VOXEL_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'VoxelStateError';
  }
}
