/**
 * Ray traversal of the voxel grid, pure and allocation-free: slab clipping of a ray to the box,
 * then Amanatides & Woo's 3D DDA ("A Fast Voxel Traversal Algorithm for Ray Tracing", 1987).
 *
 * Which cells count as visited (the definition the tests check by hand):
 * - every cell whose interior the segment crosses with positive length, in ray order;
 * - when the segment crosses an edge or corner exactly (a tie between axes), all tied axes step
 *   at once, so cells only touched at that edge or corner are not visited;
 * - a segment lying exactly on a plane between cells (direction component 0) belongs to the cell
 *   on the upper side of that plane (cells are half-open [lo, hi)), except on the box's max face,
 *   which belongs to the last cell;
 * - a segment starting exactly on a plane between cells starts in the cell it moves into.
 */
import type { VoxelGrid } from './volume.ts';

/**
 * Clip the ray o + t·d, t ∈ [tMin, tMax], to the volume's box with the slab method. Direction
 * components of exactly 0 are tested against the slab directly (no 0·∞). Writes [tEnter, tExit]
 * into out[0..1] and returns true when the clipped interval is non-empty (a ray touching the
 * box in a single point counts as a miss; so does d = 0). d need not be unit length.
 */
export function clipRay(
  g: VoxelGrid, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number,
  tMin: number, tMax: number, out: Float64Array,
): boolean {
  let t0 = tMin, t1 = tMax;
  if (dx === 0 && dy === 0 && dz === 0) return false;
  if (dx === 0) {
    if (ox < g.minE || ox > g.maxE) return false;
  } else {
    let a = (g.minE - ox) / dx, b = (g.maxE - ox) / dx;
    if (a > b) { const s = a; a = b; b = s; }
    if (a > t0) t0 = a;
    if (b < t1) t1 = b;
  }
  if (dy === 0) {
    if (oy < g.minN || oy > g.maxN) return false;
  } else {
    let a = (g.minN - oy) / dy, b = (g.maxN - oy) / dy;
    if (a > b) { const s = a; a = b; b = s; }
    if (a > t0) t0 = a;
    if (b < t1) t1 = b;
  }
  if (dz === 0) {
    if (oz < g.minU || oz > g.maxU) return false;
  } else {
    let a = (g.minU - oz) / dz, b = (g.maxU - oz) / dz;
    if (a > b) { const s = a; a = b; b = s; }
    if (a > t0) t0 = a;
    if (b < t1) t1 = b;
  }
  out[0] = t0; out[1] = t1;
  return t0 < t1; // false for NaN too
}

/** Index of the cell holding coordinate x on an axis, moving with direction sign s (see header). */
export function startCell(x: number, lo: number, voxel: number, n: number, s: number): number {
  const r = (x - lo) / voxel;
  let i = s < 0 ? Math.ceil(r) - 1 : Math.floor(r);
  if (i < 0) i = 0; else if (i >= n) i = n - 1; // entry points rounded a hair outside the box
  return i;
}

/**
 * Walk the cells of segment o + t·d, t ∈ [t0, t1] (normally the interval from {@link clipRay}),
 * writing their linear keys into `cells` in ray order. Returns the number written; it stops early
 * (returning cells.length) when `cells` is full. A grid needs at most nx + ny + nz − 2 cells.
 */
export function walkRay(
  g: VoxelGrid, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number,
  t0: number, t1: number, cells: Int32Array,
): number {
  const cap = cells.length;
  if (cap === 0 || !(t0 < t1)) return 0;
  const v = g.voxel, nx = g.nx, ny = g.ny, nz = g.nz, plane = nx * ny;
  const sx = dx > 0 ? 1 : dx < 0 ? -1 : 0;
  const sy = dy > 0 ? 1 : dy < 0 ? -1 : 0;
  const sz = dz > 0 ? 1 : dz < 0 ? -1 : 0;
  let ix = startCell(ox + dx * t0, g.minE, v, nx, sx);
  let iy = startCell(oy + dy * t0, g.minN, v, ny, sy);
  let iz = startCell(oz + dz * t0, g.minU, v, nz, sz);
  // Next boundary crossing per axis, in absolute t, recomputed from the boundary position at every
  // step (no accumulated tDelta drift, so symmetric rays tie exactly).
  const bx = sx > 0 ? 1 : 0, by = sy > 0 ? 1 : 0, bz = sz > 0 ? 1 : 0;
  let tx = sx === 0 ? Infinity : (g.minE + (ix + bx) * v - ox) / dx;
  let ty = sy === 0 ? Infinity : (g.minN + (iy + by) * v - oy) / dy;
  let tz = sz === 0 ? Infinity : (g.minU + (iz + bz) * v - oz) / dz;
  let key = ix + nx * iy + plane * iz;
  const kx = sx, ky = sy * nx, kz = sz * plane;
  let n = 0;
  for (;;) {
    cells[n++] = key;
    if (n >= cap) break;
    let tn = tx;
    if (ty < tn) tn = ty;
    if (tz < tn) tn = tz;
    if (!(tn < t1)) break;
    if (tx === tn) {
      ix += sx;
      if (ix < 0 || ix >= nx) break;
      key += kx;
      tx = (g.minE + (ix + bx) * v - ox) / dx;
    }
    if (ty === tn) {
      iy += sy;
      if (iy < 0 || iy >= ny) break;
      key += ky;
      ty = (g.minN + (iy + by) * v - oy) / dy;
    }
    if (tz === tn) {
      iz += sz;
      if (iz < 0 || iz >= nz) break;
      key += kz;
      tz = (g.minU + (iz + bz) * v - oz) / dz;
    }
  }
  return n;
}

/** Upper bound on the cells one ray can visit in grid g (a size for the `cells` scratch). */
export function maxCellsPerRay(g: VoxelGrid): number {
  return g.nx + g.ny + g.nz;
}
