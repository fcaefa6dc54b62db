/**
 * The DDA of `../dda.ts` (same cells, same order, same tie and boundary rules) writing each cell
 * as a brick address for the brick table: `brick[n]` = directory index of its BRICK³ brick
 * (bx + bnx·(by + bny·bz)), `local[n]` = cell inside the brick ((ix & m) | (iy & m) << s | (iz & m) << 2s).
 * Kept separate from `walkRay` so the generic walker's key output stays as documented; the tests
 * check that both visit the same cells on random rays.
 */
import { startCell } from '../dda.ts';
import type { VoxelGrid } from '../volume.ts';

/** Brick edge in cells is 1 << BRICK_SHIFT (4: a brick of 64 cells × 64 bytes = one 4 KiB page). */
export const BRICK_SHIFT = 2;
export const BRICK = 1 << BRICK_SHIFT;
export const BRICK_CELLS = BRICK * BRICK * BRICK;
const M = BRICK - 1, S = BRICK_SHIFT;

/**
 * Walk segment o + t·d, t ∈ [t0, t1] like `walkRay`, writing brick addresses. `bnx`, `bny` are
 * the directory's brick counts on x and y. Returns the number of cells written (at most
 * brick.length, which must equal local.length).
 */
export function walkRayBricks(
  g: VoxelGrid, bnx: number, bny: number, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number,
  t0: number, t1: number, brick: Int32Array, local: Int32Array,
): number {
  const cap = brick.length;
  if (cap === 0 || !(t0 < t1)) return 0;
  const v = g.voxel, nx = g.nx, ny = g.ny, nz = g.nz;
  const sx = dx > 0 ? 1 : dx < 0 ? -1 : 0;
  const sy = dy > 0 ? 1 : dy < 0 ? -1 : 0;
  const sz = dz > 0 ? 1 : dz < 0 ? -1 : 0;
  let ix = startCell(ox + dx * t0, g.minE, v, nx, sx);
  let iy = startCell(oy + dy * t0, g.minN, v, ny, sy);
  let iz = startCell(oz + dz * t0, g.minU, v, nz, sz);
  const bx = sx > 0 ? 1 : 0, by = sy > 0 ? 1 : 0, bz = sz > 0 ? 1 : 0;
  let tx = sx === 0 ? Infinity : (g.minE + (ix + bx) * v - ox) / dx;
  let ty = sy === 0 ? Infinity : (g.minN + (iy + by) * v - oy) / dy;
  let tz = sz === 0 ? Infinity : (g.minU + (iz + bz) * v - oz) / dz;
  const bplane = bnx * bny;
  let n = 0;
  for (;;) {
    brick[n] = (ix >> S) + bnx * (iy >> S) + bplane * (iz >> S);
    local[n] = (ix & M) | (iy & M) << S | (iz & M) << (2 * S);
    if (++n >= cap) break;
    let tn = tx;
    if (ty < tn) tn = ty;
    if (tz < tn) tn = tz;
    if (!(tn < t1)) break;
    if (tx === tn) {
      ix += sx;
      if (ix < 0 || ix >= nx) break;
      tx = (g.minE + (ix + bx) * v - ox) / dx;
    }
    if (ty === tn) {
      iy += sy;
      if (iy < 0 || iy >= ny) break;
      ty = (g.minN + (iy + by) * v - oy) / dy;
    }
    if (tz === tn) {
      iz += sz;
      if (iz < 0 || iz >= nz) break;
      tz = (g.minU + (iz + bz) * v - oz) / dz;
    }
  }
  return n;
}
