/**
 * The voxel grid over site.volume: cell (ix, iy, iz) covers [min + i·voxel_m, min + (i+1)·voxel_m)
 * on each axis (the last cell also holds the max face). Linear key = ix + nx·(iy + ny·iz).
 */
import type { VolumeSpec } from './types.ts';

/** Volumes above this many voxels cannot be keyed by non-negative Int32 (site-checks agrees). */
export const MAX_GRID_VOXELS = 2 ** 31;

/** A validated grid, flat numbers for the hot loops. */
export interface VoxelGrid {
  /** Box corners (the volume as configured), ENU metres. */
  minE: number; minN: number; minU: number;
  maxE: number; maxN: number; maxU: number;
  voxel: number;
  nx: number; ny: number; nz: number;
  /** nx·ny·nz. */
  cells: number;
}

export function gridOf(v: VolumeSpec): VoxelGrid {
  const { min, max, voxel_m } = v;
  if (!(voxel_m > 0 && Number.isFinite(voxel_m))) throw new RangeError(`volume.voxel_m must be a positive number, got ${voxel_m}`);
  const n: number[] = [];
  for (let a = 0; a < 3; a++) {
    const lo = min[a], hi = max[a];
    if (lo === undefined || hi === undefined || !Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
      throw new RangeError(`volume axis ${a}: need finite min < max, got [${lo}, ${hi}]`);
    }
    // The 1e-9 forgives rounding such as (max−min)/voxel = 300.00000000000006.
    n.push(Math.max(1, Math.ceil((hi - lo) / voxel_m - 1e-9)));
  }
  const [nx, ny, nz] = n as [number, number, number];
  const cells = nx * ny * nz;
  if (cells > MAX_GRID_VOXELS) throw new RangeError(`volume holds ${cells} voxels, more than 2^31; use a larger voxel_m`);
  return {
    minE: min[0]!, minN: min[1]!, minU: min[2]!, maxE: max[0]!, maxN: max[1]!, maxU: max[2]!,
    voxel: voxel_m, nx, ny, nz, cells,
  };
}

/** A grid as is; a VolumeSpec validated into one (do that once, outside loops). */
export function asGrid(v: VoxelGrid | VolumeSpec): VoxelGrid {
  return 'nx' in v ? v : gridOf(v);
}

/** Linear key of the voxel holding ENU point (e, n, u), or −1 outside the box. */
export function voxelIndexOf(volume: VoxelGrid | VolumeSpec, e: number, n: number, u: number): number {
  const g = asGrid(volume);
  if (!(e >= g.minE && e <= g.maxE && n >= g.minN && n <= g.maxN && u >= g.minU && u <= g.maxU)) return -1;
  const ix = Math.min(g.nx - 1, Math.floor((e - g.minE) / g.voxel));
  const iy = Math.min(g.ny - 1, Math.floor((n - g.minN) / g.voxel));
  const iz = Math.min(g.nz - 1, Math.floor((u - g.minU) / g.voxel));
  return ix + g.nx * (iy + g.ny * iz);
}

/** Key → (ix, iy, iz) into out[0..2]. */
export function cellOfKey(volume: VoxelGrid | VolumeSpec, key: number, out: Int32Array | number[]): void {
  const g = asGrid(volume);
  const plane = g.nx * g.ny;
  const iz = Math.floor(key / plane);
  const r = key - iz * plane;
  const iy = Math.floor(r / g.nx);
  out[0] = r - iy * g.nx; out[1] = iy; out[2] = iz;
}

/** (ix, iy, iz) → key, or −1 outside the grid. */
export function keyOfCell(volume: VoxelGrid | VolumeSpec, ix: number, iy: number, iz: number): number {
  const g = asGrid(volume);
  if (ix < 0 || iy < 0 || iz < 0 || ix >= g.nx || iy >= g.ny || iz >= g.nz) return -1;
  return ix + g.nx * (iy + g.ny * iz);
}

/** Centre of voxel (ix, iy, iz) in ENU metres into out[0..2]. */
export function voxelCenter(volume: VoxelGrid | VolumeSpec, ix: number, iy: number, iz: number, out: Float64Array | number[]): void {
  const g = asGrid(volume);
  out[0] = g.minE + (ix + 0.5) * g.voxel;
  out[1] = g.minN + (iy + 0.5) * g.voxel;
  out[2] = g.minU + (iz + 0.5) * g.voxel;
}
