/**
 * CPU backend of the voxel projector: every motion pixel's ray (distortion and rolling-shutter
 * row time applied) is clipped to the volume, walked with the 3D DDA and added to the sparse
 * table. Counting rules, window and memory policy: docs/VOXEL.md.
 */
import type { Camera } from '../../geometry/index.ts';
import { clipRay, maxCellsPerRay } from '../dda.ts';
import { VoxelStateError, type AccumulateResult, type MotionPixelsLike, type ProjectorOptions, type ProjectorStats, type VoxelProjector, type VoxelSnapshot } from '../types.ts';
import { cellOfKey, gridOf, type VoxelGrid } from '../volume.ts';
import { CameraRays } from './rays.ts';
import { VoxelTable, WINDOW_BUCKETS } from './table.ts';
import { walkRayBricks } from './walk.ts';

export const MAX_CAMERAS = 64;
/** Relative bucket ids are clamped to ±2^30 so they stay Int32 (a clock years off is just late). */
const BUCKET_LIMIT = 2 ** 30;

interface Resolved { windowS: number; tauS: number; maxVoxels: number; maxCameras: number; minRangeM: number; maxRangeM: number; rayCache: boolean; poolRadius: number; poolMinSupport: number; candidateTracking: boolean }

function resolve(o: ProjectorOptions): Resolved {
  const windowS = o.windowS ?? 0.25;
  const tauS = o.decayTauS ?? windowS / 2;
  const maxVoxels = o.maxVoxels ?? 1 << 21;
  const maxCameras = o.maxCameras ?? MAX_CAMERAS;
  const minRangeM = o.minRangeM ?? 0;
  const maxRangeM = o.maxRangeM ?? Infinity;
  if (!(windowS > 0 && Number.isFinite(windowS))) throw new RangeError(`windowS must be a positive number, got ${windowS}`);
  if (!(tauS > 0 && Number.isFinite(tauS))) throw new RangeError(`decayTauS must be a positive number, got ${tauS}`);
  if (!(Number.isInteger(maxVoxels) && maxVoxels >= 1 && maxVoxels <= 2 ** 25)) throw new RangeError(`maxVoxels must be an integer in 1..2^25, got ${maxVoxels}`);
  if (!(Number.isInteger(maxCameras) && maxCameras >= 1 && maxCameras <= MAX_CAMERAS)) throw new RangeError(`maxCameras must be an integer in 1..64, got ${maxCameras}`);
  if (!(minRangeM >= 0 && Number.isFinite(minRangeM))) throw new RangeError(`minRangeM must be a non-negative number, got ${minRangeM}`);
  if (!(maxRangeM > minRangeM)) throw new RangeError(`maxRangeM must be a number above minRangeM (${minRangeM}), got ${maxRangeM}`);
  const poolRadius = o.persistenceRadiusVox ?? 1;
  const poolMinSupport = o.persistenceMinSupport ?? 3;
  if (!(Number.isInteger(poolRadius) && poolRadius >= 0 && poolRadius <= 4)) throw new RangeError(`persistenceRadiusVox must be an integer in 0..4, got ${poolRadius}`);
  if (!(Number.isInteger(poolMinSupport) && poolMinSupport >= 0)) throw new RangeError(`persistenceMinSupport must be a non-negative integer, got ${poolMinSupport}`);
  return { windowS, tauS, maxVoxels, maxCameras, minRangeM, maxRangeM, rayCache: o.rayCache ?? false, poolRadius, poolMinSupport, candidateTracking: o.candidateTracking ?? true };
}

class CpuProjector implements VoxelProjector {
  private readonly grid: VoxelGrid;
  private readonly opt: Resolved;
  private readonly bucketS: number;
  private table: VoxelTable | null;
  private readonly rays: (CameraRays | undefined)[] = [];
  private readonly weight: Float64Array;
  private readonly cellBrick: Int32Array;
  private readonly cellLocal: Int32Array;
  private readonly dir = new Float64Array(3);
  private readonly tt = new Float64Array(2);
  private readonly factor = new Float64Array(WINDOW_BUCKETS);
  private readonly cell = new Int32Array(3);
  /** Absolute bucket number of relative bucket 0; NaN until the first contribution. */
  private base = NaN;
  /** Newest relative bucket seen (the projector's "now" for automatic sweeps). */
  private nowBucket = -BUCKET_LIMIT;
  private serial = 0;

  constructor(opts: ProjectorOptions) {
    this.grid = gridOf(opts.volume);
    this.opt = resolve(opts);
    this.bucketS = this.opt.windowS / WINDOW_BUCKETS;
    this.table = new VoxelTable(this.grid, this.opt.maxVoxels, this.opt.candidateTracking);
    this.weight = new Float64Array(this.opt.maxCameras).fill(1);
    this.cellBrick = new Int32Array(maxCellsPerRay(this.grid));
    this.cellLocal = new Int32Array(maxCellsPerRay(this.grid));
  }

  private live(): VoxelTable {
    if (this.table === null) throw new VoxelStateError('voxel projector is closed');
    return this.table;
  }

  private checkCam(camIndex: number): void {
    if (!(Number.isInteger(camIndex) && camIndex >= 0 && camIndex < this.opt.maxCameras)) {
      throw new RangeError(`camera index must be an integer in 0..${this.opt.maxCameras - 1}, got ${camIndex}`);
    }
  }

  setCamera(camIndex: number, cam: Camera): void {
    this.live();
    this.checkCam(camIndex);
    this.rays[camIndex] = new CameraRays(cam, this.opt.rayCache);
  }

  setCameraWeight(camIndex: number, weight: number): void {
    this.live();
    this.checkCam(camIndex);
    if (!(weight >= 0 && Number.isFinite(weight))) throw new RangeError(`camera weight must be a finite number ≥ 0, got ${weight}`);
    this.weight[camIndex] = weight;
  }

  /** Relative bucket of site time t (sets the base on first use). */
  private bucketOf(t: number): number {
    const abs = Math.floor(t / this.bucketS);
    if (Number.isNaN(this.base)) this.base = abs;
    const rel = abs - this.base;
    return rel > BUCKET_LIMIT ? BUCKET_LIMIT : rel < -BUCKET_LIMIT ? -BUCKET_LIMIT : rel;
  }

  accumulate(camIndex: number, frameCameraTime: number, pixels: MotionPixelsLike): AccumulateResult {
    const table = this.live();
    this.checkCam(camIndex);
    const count = pixels.count;
    if (!(Number.isInteger(count) && count >= 0 && count <= pixels.index.length && count <= pixels.energy.length)) {
      throw new RangeError(`pixels.count ${count} must be an integer within index (${pixels.index.length}) and energy (${pixels.energy.length})`);
    }
    if (!Number.isFinite(frameCameraTime)) throw new RangeError(`frame time must be finite, got ${frameCameraTime}`);
    const res: AccumulateResult = { rays: 0, steps: 0, missed: 0, invalid: 0 };
    const rays = this.rays[camIndex];
    const w = this.weight[camIndex]!;
    if (rays === undefined || w === 0) { res.invalid = count; return res; }
    const cam = rays.cam, C = cam.C, g = this.grid, cb = this.cellBrick, cl = this.cellLocal, dir = this.dir, tt = this.tt;
    const bnx = table.bnx, bny = table.bny;
    const ox = C[0]!, oy = C[1]!, oz = C[2]!, width = cam.width, npx = rays.pixels;
    const bucketS = this.bucketS, tau = this.opt.tauS, minRange = this.opt.minRangeM, maxRange = this.opt.maxRangeM;
    this.serial = this.serial >= 0x1fffffff ? 1 : this.serial + 1;
    const tag = this.serial << 2;
    const bitLo = camIndex < 32 ? 1 << camIndex : 0, bitHi = camIndex < 32 ? 0 : 1 << (camIndex - 32);
    const { index, energy } = pixels;
    for (let i = 0; i < count; i++) {
      const p = index[i]!;
      const e = energy[i]! * w;
      if (p >= npx || !(e > 0) || e === Infinity || !rays.dirInto(p, dir)) { res.invalid++; continue; }
      res.rays++;
      const dx = dir[0]!, dy = dir[1]!, dz = dir[2]!;
      if (!clipRay(g, ox, oy, oz, dx, dy, dz, minRange, maxRange, tt)) { res.missed++; continue; }
      const n = walkRayBricks(g, bnx, bny, ox, oy, oz, dx, dy, dz, tt[0]!, tt[1]!, cb, cl);
      res.steps += n;
      // Site time of this pixel's row (CONTRACTS §1 rolling shutter, §2 clocks).
      const tc = cam.clock.siteTime(frameCameraTime + cam.rowOffsetS(Math.floor(p / width)));
      const bucket = this.bucketOf(tc);
      if (bucket > this.nowBucket) this.nowBucket = bucket;
      const stored = e * Math.exp((tc - (this.base + bucket) * bucketS) / tau);
      table.addRay(cb, cl, n, bucket, e, stored, tag, bitLo, bitHi, this.nowBucket);
    }
    return res;
  }

  snapshot(t: number, out: VoxelSnapshot, minSupport = 1): number {
    const table = this.live();
    if (!Number.isFinite(t)) throw new RangeError(`snapshot time must be finite, got ${t}`);
    out.count = 0; out.matched = 0;
    if (Number.isNaN(this.base) || table.size === 0) return 0;
    const now = this.bucketOf(t);
    for (let j = 0; j < WINDOW_BUCKETS; j++) {
      this.factor[j] = Math.exp(-(t - (this.base + now - j) * this.bucketS) / this.opt.tauS);
    }
    const matched = table.read(now, this.factor, Math.max(1, minSupport), out.key, out.energy, out.maskLo, out.maskHi, out.support,
      out.frames ?? null, out.bucketSupport ?? null, this.opt.poolRadius, this.opt.poolMinSupport);
    const n = Math.min(matched, out.key.length, out.ix.length, out.iy.length, out.iz.length);
    const g = this.grid, cell = this.cell;
    for (let i = 0; i < n; i++) {
      cellOfKey(g, out.key[i]!, cell);
      out.ix[i] = cell[0]!; out.iy[i] = cell[1]!; out.iz[i] = cell[2]!;
    }
    out.count = n; out.matched = matched;
    return n;
  }

  sweep(t: number): number {
    const table = this.live();
    if (Number.isNaN(this.base)) return 0;
    return table.sweep(this.bucketOf(t) - WINDOW_BUCKETS + 1);
  }

  get stats(): ProjectorStats {
    const t = this.table;
    return { occupied: t?.size ?? 0, capacity: this.opt.maxVoxels, dropped: t?.dropped ?? 0, evicted: t?.evicted ?? 0, late: t?.late ?? 0 };
  }

  clear(): void {
    this.live().reset();
    this.base = NaN;
    this.nowBucket = -BUCKET_LIMIT;
  }

  close(): void {
    this.table = null;
    this.rays.length = 0;
  }
}

export function createCpuProjector(opts: ProjectorOptions): VoxelProjector {
  return new CpuProjector(opts);
}
