/**
 * Fusion: turn the voxel grid into 3D detections. A voxel is a candidate when at least
 * `minSupport` distinct cameras contributed to it within the window and its energy exceeds a
 * robust mean + k·σ of the voxels with that support (the spec's `stats.mean_sigma(4.0)`,
 * `min_support=(3,4)`; see {@link PeakFinder.threshold}).
 * Candidates are thinned by 3D non-maximum suppression, then refined below the voxel size by the
 * least-squares intersection of the contributing cameras' rays through their motion pixels.
 */
import type { Camera } from '../geometry/index.ts';
import type { VoxelSnapshot } from '../voxel/index.ts';
import { intersectRays } from './intersect.ts';

/**
 * The fields of a voxel snapshot that fusion reads (a structural subset of the voxel module's
 * `VoxelSnapshot`, so tests can build one by hand). When `frames` is present fusion requires
 * temporal persistence; `bucketSupport` enables the pooled rule.
 */
export type SnapshotLike = Pick<VoxelSnapshot, 'count' | 'ix' | 'iy' | 'iz' | 'energy' | 'maskLo' | 'maskHi' | 'support' | 'frames' | 'bucketSupport'>;

export interface VolumeLike {
  min: readonly number[];
  voxel_m: number;
}

/** One camera's latest motion pixels, for sub-voxel refinement. */
export interface CameraEvidence {
  cam: Camera;
  count: number;
  index: Uint32Array;
  energy: Float32Array;
}

export interface PeakOptions {
  /** Minimum number of distinct cameras (default 3). */
  minSupport?: number;
  /** k in mean + k·σ (default 4). */
  sigmaK?: number;
  /** Peaks closer than this many voxels (Chebyshev) to a stronger one are suppressed (default 2). */
  nmsRadiusVox?: number;
  /** At most this many peaks per call (default 16). */
  maxPeaks?: number;
  /**
   * Pixels serve a peak's refinement within this distance of the projection of the voxel's
   * centre plus the voxel's own projected half-diagonal (0.87·voxel_m·fx/depth: 4 m at 1 km is
   * 19 px at fx 5500), default 3 px; the strongest is taken per camera.
   */
  refineSearchPx?: number;
  /**
   * Geometric consistency: after refinement every ray used must pass within this many pixels of
   * the refined point (its distance to the ray × fx / range), default 4 (a target moves ~2–3 px
   * between two cameras' unsynchronised frames at 1 km); the worst ray is dropped and the rest
   * re-intersected while it is not.
   */
  maxRayErrorPx?: number;
  /**
   * Peaks whose refinement keeps fewer consistent rays are dropped (default 3; 0 keeps every
   * peak, refined or not). A voxel of 4 m at 500 m spans 44 px of a 1080p camera with fx 5500,
   * so three cameras' noise rays cross one far more often than three rays meet within pixels.
   */
  minConsistentRays?: number;
  /**
   * Absolute energy floor (default 15, about three cameras each seeing a 4–6σ pixel once in the
   * window; measured on the pipeline test rig: floor 12 → 50/51 ticks found and 26 far-off
   * detections, 15 → 48/51 and 13, 20 → 36/51 and 6). The mean + k·σ statistic needs a population: with few supported
   * voxels (a clean sky) it cannot rise above k·σ, and the floor alone decides.
   */
  minEnergy?: number;
  /** Below this many supported voxels the statistic is not used, only the floor (default 200). */
  minPopulation?: number;
  /**
   * Temporal persistence of the voxel itself: a candidate needs at least this many (camera,
   * window bucket) pairs (snapshot `frames`; ignored when the snapshot has none). Default 6: a
   * chance coincidence of 3 cameras typically has one frame each (3), a target seen by 3–4
   * cameras in most frames 6–12. Measured (docs/FUSION.md): demo far-off 22.5/s → 13.8/s at
   * 98 % found; test rig 47/51 → 46/51 found, far-off 34 → 4. 0 disables.
   */
  minFrames?: number;
  /**
   * Temporal persistence: a candidate needs at least this many window buckets in which
   * `persistenceSupport` cameras contributed to its neighbourhood (snapshot `bucketSupport`;
   * ignored when the snapshot has none). Default 0 (off): see docs/FUSION.md for its trade-off.
   */
  minPersistence?: number;
  /** Cameras a bucket needs to count towards persistence (default: minSupport). */
  persistenceSupport?: number;
}

export interface Peak {
  enu: [number, number, number];
  energy: number;
  /** Camera indices that contributed (bits of the voxel mask). */
  cameras: number[];
  /** Voxel indices of the peak cell. */
  voxel: [number, number, number];
  /** Whether the position was refined by ray intersection (else: the voxel centre). */
  refined: boolean;
  /** RMS distance of the refined point to its rays, metres (NaN if not refined). */
  rayRmsM: number;
  /** Rays that passed the consistency test (0 if not refined). */
  rays: number;
}

export class PeakFinder {
  private readonly o: Required<PeakOptions>;
  private order = new Uint32Array(0);
  private readonly hist = new Uint32Array(1024);
  private readonly origins = new Float64Array(3 * 64);
  private readonly dirs = new Float64Array(3 * 64);
  private readonly weights = new Float64Array(64);
  private readonly fxs = new Float64Array(64);
  private readonly uv = new Float64Array(3);
  private readonly ray = new Float64Array(3);

  /** Distinct cameras a candidate needs. */
  get minSupport(): number {
    return this.o.minSupport;
  }

  constructor(private readonly volume: VolumeLike, opts: PeakOptions = {}) {
    this.o = {
      minSupport: opts.minSupport ?? 3, sigmaK: opts.sigmaK ?? 4, nmsRadiusVox: opts.nmsRadiusVox ?? 2, maxPeaks: opts.maxPeaks ?? 16,
      refineSearchPx: opts.refineSearchPx ?? 3, maxRayErrorPx: opts.maxRayErrorPx ?? 4, minConsistentRays: opts.minConsistentRays ?? 3, minEnergy: opts.minEnergy ?? 15, minPopulation: opts.minPopulation ?? 200,
      minFrames: opts.minFrames ?? 6, minPersistence: opts.minPersistence ?? 0, persistenceSupport: opts.persistenceSupport ?? opts.minSupport ?? 3,
    };
  }

  /**
   * Threshold: a robust mean + k·σ (median + k·1.4826·MAD) of the energies of the voxels that
   * have the support (≥ minSupport cameras), never below `minEnergy`. The spec's statistic is
   * mean + k·σ; the robust form is used because one real target surrounds itself with dozens of
   * supported voxels (its rays cross over several cells), which would inflate a plain mean and
   * σ above the target itself. The population is the supported voxels, not every occupied one:
   * nearly all voxels hold a single noise ray whose near-zero energy says nothing about chance
   * multi-camera coincidences. Quantiles come from a 1024-bin histogram (no sort per tick).
   */
  threshold(s: SnapshotLike): number {
    let n = 0, max = 0;
    for (let i = 0; i < s.count; i++) {
      if (s.support[i]! < this.o.minSupport) continue;
      n++;
      if (s.energy[i]! > max) max = s.energy[i]!;
    }
    if (n < this.o.minPopulation || !(max > 0)) return this.o.minEnergy;
    const bins = this.hist, B = bins.length, scale = (B - 1) / max;
    bins.fill(0);
    for (let i = 0; i < s.count; i++) if (s.support[i]! >= this.o.minSupport) bins[Math.floor(s.energy[i]! * scale)]!++;
    const median = quantileOfHistogram(bins, n, 0.5) / scale;
    bins.fill(0);
    for (let i = 0; i < s.count; i++) if (s.support[i]! >= this.o.minSupport) bins[Math.min(B - 1, Math.floor(Math.abs(s.energy[i]! - median) * scale))]!++;
    const mad = quantileOfHistogram(bins, n, 0.5) / scale;
    return Math.max(this.o.minEnergy, median + this.o.sigmaK * 1.4826 * mad);
  }

  /** Window buckets in which voxel i's neighbourhood had `persistenceSupport` cameras. */
  private persistence(bs: Uint8Array, i: number): number {
    const k = this.o.persistenceSupport, o = 4 * i;
    return (bs[o]! >= k ? 1 : 0) + (bs[o + 1]! >= k ? 1 : 0) + (bs[o + 2]! >= k ? 1 : 0) + (bs[o + 3]! >= k ? 1 : 0);
  }

  /** Peaks of a snapshot; `evidence[camIndex]` (optional) enables sub-voxel refinement. */
  find(s: SnapshotLike, evidence: readonly (CameraEvidence | undefined)[] = []): Peak[] {
    const thr = this.threshold(s);
    if (this.order.length < s.count) this.order = new Uint32Array(Math.max(s.count, 2 * this.order.length));
    let n = 0;
    const bs = this.o.minPersistence > 0 ? s.bucketSupport : undefined;
    const fr = this.o.minFrames > 0 ? s.frames : undefined, minFrames = this.o.minFrames;
    for (let i = 0; i < s.count; i++) {
      if (s.support[i]! < this.o.minSupport || !(s.energy[i]! > thr)) continue;
      if (fr !== undefined && fr[i]! < minFrames) continue;
      if (bs !== undefined && this.persistence(bs, i) < this.o.minPersistence) continue;
      this.order[n++] = i;
    }
    // Ties broken by voxel position, so the result does not depend on the snapshot's order.
    const cand = this.order.subarray(0, n).sort((a, b) => s.energy[b]! - s.energy[a]! || s.iz[a]! - s.iz[b]! || s.iy[a]! - s.iy[b]! || s.ix[a]! - s.ix[b]!);
    const peaks: Peak[] = [];
    const r = this.o.nmsRadiusVox;
    for (const i of cand) {
      if (peaks.length >= this.o.maxPeaks) break;
      const x = s.ix[i]!, y = s.iy[i]!, z = s.iz[i]!;
      if (peaks.some((p) => Math.abs(p.voxel[0] - x) <= r && Math.abs(p.voxel[1] - y) <= r && Math.abs(p.voxel[2] - z) <= r)) continue;
      const cameras: number[] = [];
      for (let b = 0; b < 32; b++) if ((s.maskLo[i]! >>> b) & 1) cameras.push(b);
      for (let b = 0; b < 32; b++) if ((s.maskHi[i]! >>> b) & 1) cameras.push(32 + b);
      const v = this.volume;
      const centre: [number, number, number] = [v.min[0]! + (x + 0.5) * v.voxel_m, v.min[1]! + (y + 0.5) * v.voxel_m, v.min[2]! + (z + 0.5) * v.voxel_m];
      const peak: Peak = { enu: centre, energy: s.energy[i]!, cameras, voxel: [x, y, z], refined: false, rayRmsM: NaN, rays: 0 };
      this.refine(peak, evidence);
      if (peak.rays < this.o.minConsistentRays) continue;
      peaks.push(peak);
    }
    return peaks;
  }

  /**
   * Sub-voxel position: in each contributing camera take the strongest evidence pixel within
   * refineSearchPx + the voxel's projected half-diagonal of the voxel centre's projection, intersect
   * those rays, and drop the ray farthest from the point (in pixels at its range) while it is
   * more than maxRayErrorPx off. Kept when at least two consistent rays remain, the point is in
   * front of them and within two voxels of the cell (else the voxel centre stands, rays = 0).
   */
  private refine(peak: Peak, evidence: readonly (CameraEvidence | undefined)[]): void {
    let m = 0;
    const half = 0.87 * this.volume.voxel_m;
    const fxs = this.fxs;
    for (const c of peak.cameras) {
      const ev = evidence[c];
      if (!ev || !ev.cam.projectInto(peak.enu[0], peak.enu[1], peak.enu[2], this.uv)) continue;
      const W = ev.cam.width, pu = this.uv[0]!, pv = this.uv[1]!, depth = this.uv[2]!;
      const r = this.o.refineSearchPx + (half * ev.cam.fx) / depth;
      let best = -1, bestE = 0;
      const r2 = r * r;
      for (let k = 0; k < ev.count; k++) {
        const idx = ev.index[k]!;
        const du = (idx % W) - pu, dv = Math.floor(idx / W) - pv, d2 = du * du + dv * dv;
        if (d2 <= r2 && ev.energy[k]! > bestE) { best = idx; bestE = ev.energy[k]!; }
      }
      this.weights[m] = bestE;
      if (best < 0 || !ev.cam.unprojectInto(best % W, Math.floor(best / W), this.ray)) continue;
      this.origins[3 * m] = ev.cam.C[0]!; this.origins[3 * m + 1] = ev.cam.C[1]!; this.origins[3 * m + 2] = ev.cam.C[2]!;
      this.dirs[3 * m] = this.ray[0]!; this.dirs[3 * m + 1] = this.ray[1]!; this.dirs[3 * m + 2] = this.ray[2]!;
      fxs[m] = ev.cam.fx;
      m++;
    }
    const lim = 2 * this.volume.voxel_m;
    while (m >= 2) {
      const r = intersectRays(this.origins, this.dirs, this.weights, m);
      if (!r.ok || !r.inFront) return;
      // The ray farthest from the point, in pixels at the point's range.
      let worst = -1, worstPx = this.o.maxRayErrorPx;
      for (let j = 0; j < m; j++) {
        const ox = r.point[0] - this.origins[3 * j]!, oy = r.point[1] - this.origins[3 * j + 1]!, oz = r.point[2] - this.origins[3 * j + 2]!;
        const along = ox * this.dirs[3 * j]! + oy * this.dirs[3 * j + 1]! + oz * this.dirs[3 * j + 2]!;
        const perp = Math.sqrt(Math.max(0, ox * ox + oy * oy + oz * oz - along * along));
        const px = (perp * fxs[j]!) / Math.max(along, 1e-9);
        if (px > worstPx) { worstPx = px; worst = j; }
      }
      if (worst < 0) {
        if (Math.abs(r.point[0] - peak.enu[0]) > lim || Math.abs(r.point[1] - peak.enu[1]) > lim || Math.abs(r.point[2] - peak.enu[2]) > lim) return;
        peak.enu = r.point;
        peak.refined = true;
        peak.rayRmsM = r.rmsM;
        peak.rays = m;
        return;
      }
      // Drop the worst ray: move the last one into its place.
      m--;
      for (let q = 0; q < 3; q++) { this.origins[3 * worst + q] = this.origins[3 * m + q]!; this.dirs[3 * worst + q] = this.dirs[3 * m + q]!; }
      this.weights[worst] = this.weights[m]!;
      fxs[worst] = fxs[m]!;
    }
  }
}

/** The q-quantile (bin centre) of a histogram holding n values. */
function quantileOfHistogram(bins: Uint32Array, n: number, q: number): number {
  const target = q * n;
  let acc = 0;
  for (let b = 0; b < bins.length; b++) {
    acc += bins[b]!;
    if (acc >= target) return b + 0.5;
  }
  return bins.length - 0.5;
}
