/**
 * The sparse voxel store of the CPU projector: a two-level grid. A dense directory (Int32, one
 * word per BRICK³ brick of the volume) maps each brick to a slot of a brick pool, allocated on
 * first touch and returned when a sweep empties it. A slot holds the brick's BRICK_CELLS entries
 * contiguously, so the consecutive cells of a ray hit the same few KiB (same page, no hash probe)
 * instead of one random hash slot and one random entry each (docs/VOXEL.md, Performance).
 *
 * Time is cut into WINDOW_BUCKETS buckets per window. Each entry keeps a ring of the last
 * WINDOW_BUCKETS buckets: per bucket the energy (referenced to the bucket's start time, so that a
 * bucket decays with one factor) and the 64-bit camera mask. One entry is 16 words = 64 bytes,
 * one cache line:
 *   0 newest bucket id (Int32, relative to the projector's base bucket); EMPTY = cell unoccupied
 *   1 frame tag: (accumulate serial << 2) | ring slot of this frame's contribution
 *   2 this frame's contribution, as given (Float32)      3 ... as stored in its slot (Float32)
 *   4..7 energy per ring slot (Float32)                  8..15 mask lo, hi per ring slot
 *
 * Budget: `maxVoxels` occupied cells, exactly as with any other layout (the policy of
 * docs/VOXEL.md). Memory: the pool holds at most `poolBricks` bricks (the whole grid when that
 * is smaller); a new voxel in an unallocated brick when the pool is exhausted is handled like a
 * full table (sweep, else drop).
 */
import { popcount32 } from './bits.ts';
import { BRICK_SHIFT as SHIFT } from './walk.ts';
import type { VoxelGrid } from '../volume.ts';

export const WINDOW_BUCKETS = 4; // a power of two: ring slot = bucket & (WINDOW_BUCKETS − 1)
const RING = WINDOW_BUCKETS - 1;
const STRIDE = 16; // words per entry
const LOG_STRIDE = 4;
// Local copies: an imported binding may compile to a getter call in hot loops.
const BRICK_SHIFT = SHIFT, BRICK = 1 << BRICK_SHIFT, BRICK_CELLS = BRICK * BRICK * BRICK;
const LOG_CELLS = 3 * BRICK_SHIFT;
const E0 = 4, M0 = 8;
/** Newest-bucket value of an unoccupied cell (bucket ids are clamped to ±2^30). */
const EMPTY = -(2 ** 31);
/** Pool bricks per budgeted voxel-brick (pool ≤ POOL_FACTOR · maxVoxels cells). */
export const POOL_FACTOR = 16;
/** At most 2^25 pooled cells (2 GiB). */
const MAX_POOL_CELLS = 2 ** 25;

/** Pool size in bricks for a grid and budget (see the header). */
export function poolBricksFor(bricks: number, maxVoxels: number): number {
  const byBudget = Math.ceil((POOL_FACTOR * maxVoxels) / BRICK_CELLS);
  return Math.max(1, Math.min(bricks, byBudget, MAX_POOL_CELLS / BRICK_CELLS));
}

export class VoxelTable {
  readonly maxVoxels: number;
  /** Occupied cells. */
  size = 0;
  dropped = 0;
  evicted = 0;
  late = 0;
  /** Directory geometry: bricks per axis. */
  readonly bnx: number;
  readonly bny: number;
  readonly bnz: number;
  readonly poolBricks: number;
  private readonly nx: number;
  private readonly ny: number;
  private readonly nz: number;
  /** Brick index → pool slot, −1 if none. */
  private readonly dir: Int32Array;
  /** Pool slot → brick index, −1 if free. */
  private readonly brickOf: Int32Array;
  /** Pool slot → occupied cells. */
  private readonly live: Int32Array;
  private readonly free: Int32Array;
  private freeTop = 0;
  /** Slots 0..highWater−1 have been initialised (all cells EMPTY or occupied). */
  private highWater = 0;
  private readonly ei: Int32Array;
  private readonly ef: Float32Array;
  /** No automatic sweep is attempted before this bucket (set when a sweep freed too little). */
  private noSweepBefore = -(2 ** 31);
  /** Sweeps that returned bricks to the pool (found entry offsets may be stale after one). */
  private sweeps = 0;
  /** Per-ray scratch: entry offset (words) of each cell, −1 if its brick has no slot. */
  private found = new Int32Array(0);
  /** Keeps the touch pass from being optimised away. */
  sink = 0;
  /**
   * Candidate tracking (read's fast path): once read() has been called with a minSupport ≥ 2,
   * addRay lists every entry whose ring gains a camera and then holds ≥ `trackSupport` cameras,
   * and read() visits only the listed entries instead of every cell of every live brick. 0 = off.
   */
  private trackSupport = 0;
  /** Whether the list holds every entry that can qualify (false until a full scan rebuilt it, and after a sweep). */
  private candidatesValid = false;
  private cand = new Int32Array(1024);
  private candCount = 0;
  /** Per pool cell: 1 while its entry is on the candidate list. */
  private candMark: Uint8Array;

  constructor(grid: VoxelGrid, maxVoxels: number, private readonly tracking = true) {
    this.maxVoxels = maxVoxels;
    this.nx = grid.nx; this.ny = grid.ny; this.nz = grid.nz;
    this.bnx = Math.ceil(grid.nx / BRICK); this.bny = Math.ceil(grid.ny / BRICK); this.bnz = Math.ceil(grid.nz / BRICK);
    const bricks = this.bnx * this.bny * this.bnz;
    this.poolBricks = poolBricksFor(bricks, maxVoxels);
    this.dir = new Int32Array(bricks).fill(-1);
    this.brickOf = new Int32Array(this.poolBricks).fill(-1);
    this.live = new Int32Array(this.poolBricks);
    this.free = new Int32Array(this.poolBricks);
    // Pages are committed by the OS as bricks are first used.
    const buf = new ArrayBuffer(this.poolBricks * BRICK_CELLS * STRIDE * 4);
    this.ei = new Int32Array(buf);
    this.ef = new Float32Array(buf);
    this.candMark = new Uint8Array(this.poolBricks * BRICK_CELLS);
  }

  reset(): void {
    this.dir.fill(-1);
    this.brickOf.fill(-1);
    this.live.fill(0);
    this.freeTop = 0; this.highWater = 0;
    this.size = 0;
    this.dropped = 0; this.evicted = 0; this.late = 0;
    this.noSweepBefore = -(2 ** 31);
    this.dropCandidates();
  }

  /** Forget the candidate list (read() rebuilds it with a full scan). */
  private dropCandidates(): void {
    for (let i = 0; i < this.candCount; i++) this.candMark[this.cand[i]! >> LOG_STRIDE] = 0;
    this.candCount = 0;
    this.candidatesValid = false;
  }

  /** Put entry b on the candidate list (once). */
  private listCandidate(b: number): void {
    const c = b >> LOG_STRIDE;
    if (this.candMark[c] === 1) return;
    this.candMark[c] = 1;
    if (this.candCount === this.cand.length) {
      const grown = new Int32Array(2 * this.cand.length);
      grown.set(this.cand);
      this.cand = grown;
    }
    this.cand[this.candCount++] = b;
  }

  /** Bricks holding at least one voxel. */
  get bricksUsed(): number {
    return this.highWater - this.freeTop;
  }

  /**
   * Add one ray's contribution to each of the cells `brick/local[0..count)` (from
   * walkRayBricks). `value` is the (weighted) pixel energy, `stored` the same referenced to the
   * start of `bucket`. Within one accumulate call (`tag` = serial << 2) a voxel takes the maximum
   * of the camera's pixel values, not their sum. `nowBucket` (newest bucket seen) decides what a
   * sweep may remove when the budget or the pool is exhausted.
   */
  addRay(brick: Int32Array, local: Int32Array, count: number, bucket: number, value: number, stored: number,
    tag: number, bitLo: number, bitHi: number, nowBucket: number): void {
    const dir = this.dir, ei = this.ei, ef = this.ef;
    const ring = bucket & RING;
    if (this.found.length < count) this.found = new Int32Array(count);
    const found = this.found;
    // Memory-bound: resolve the directory (small, cached) and touch every entry of the ray in a
    // pass of independent loads first, so the CPU overlaps their cache misses; the update pass
    // then finds them in cache.
    let touch = 0;
    for (let c = 0; c < count; c++) {
      const slot = dir[brick[c]!]!;
      if (slot < 0) { found[c] = -1; continue; }
      const b = ((slot << LOG_CELLS) | local[c]!) << LOG_STRIDE;
      found[c] = b;
      touch |= ei[b]!;
    }
    this.sink = touch;
    const sweeps = this.sweeps;
    const track = this.candidatesValid ? this.trackSupport : 0;
    for (let c = 0; c < count; c++) {
      let b = found[c]!;
      if (b < 0 || this.sweeps !== sweeps) { // brick allocated earlier on this ray, or a sweep freed bricks
        const slot = dir[brick[c]!]!;
        b = slot < 0 ? -1 : ((slot << LOG_CELLS) | local[c]!) << LOG_STRIDE;
      }
      const newest = b < 0 ? EMPTY : ei[b]!;
      if (newest !== EMPTY) {
        if (bucket > newest) this.advance(b, newest, bucket, tag);
        else if (bucket <= newest - WINDOW_BUCKETS) { this.late++; continue; }
      } else {
        b = this.create(brick[c]!, local[c]!, nowBucket);
        if (b < 0) { this.dropped++; continue; }
        ei[b] = bucket;
      }
      const ft = ei[b + 1]!;
      if ((ft & ~RING) === tag) { // this camera already hit the voxel in this frame: keep the max
        if (value <= ef[b + 2]!) continue;
        const prev = b + E0 + (ft & RING);
        ef[prev] = ef[prev]! - ef[b + 3]!;
      }
      const eb = b + E0 + ring, mb = b + M0 + 2 * ring;
      ef[eb] = ef[eb]! + stored;
      ef[b + 2] = value; ef[b + 3] = stored; ei[b + 1] = tag | ring;
      const lo0 = ei[mb]!, hi0 = ei[mb + 1]!;
      ei[mb] = lo0 | bitLo;
      ei[mb + 1] = hi0 | bitHi;
      // A camera new to this bucket: the voxel may have reached the support read() asks for.
      if (track > 0 && ((bitLo & ~lo0) | (bitHi & ~hi0)) !== 0 && this.candMark[b >> LOG_STRIDE] === 0) {
        const m0 = b + M0;
        const lo = ei[m0]! | ei[m0 + 2]! | ei[m0 + 4]! | ei[m0 + 6]!, hi = ei[m0 + 1]! | ei[m0 + 3]! | ei[m0 + 5]! | ei[m0 + 7]!;
        if (popcount32(lo) + popcount32(hi) >= track) this.listCandidate(b);
      }
    }
  }

  /**
   * Occupy cell `local` of brick `brickIdx` (allocating the brick if needed), its entry zeroed;
   * returns its offset, or −1 when neither the budget nor the pool has room after a sweep.
   */
  private create(brickIdx: number, local: number, nowBucket: number): number {
    if (this.size >= this.maxVoxels && !this.makeRoom(nowBucket)) return -1;
    let slot = this.dir[brickIdx]!; // after a sweep: maybe freed
    if (slot < 0) {
      slot = this.allocSlot();
      if (slot < 0) {
        if (!this.makeRoom(nowBucket)) return -1;
        slot = this.allocSlot();
        if (slot < 0) return -1;
      }
      this.dir[brickIdx] = slot; this.brickOf[slot] = brickIdx;
    }
    const ei = this.ei, b = ((slot << LOG_CELLS) | local) << LOG_STRIDE;
    for (let j = 1; j < STRIDE; j++) ei[b + j] = 0;
    this.live[slot] = this.live[slot]! + 1;
    this.size++;
    return b;
  }

  /** A free pool slot (its cells EMPTY, not yet in the directory), or −1 when the pool is exhausted. */
  private allocSlot(): number {
    if (this.freeTop > 0) return this.free[--this.freeTop]!;
    if (this.highWater >= this.poolBricks) return -1;
    const slot = this.highWater++;
    const ei = this.ei, base = slot << (LOG_CELLS + LOG_STRIDE);
    for (let l = 0; l < BRICK_CELLS; l++) ei[base + (l << LOG_STRIDE)] = EMPTY;
    return slot;
  }

  /** Move entry b's ring forward to `bucket`, clearing the slots of buckets that left it. */
  private advance(b: number, newest: number, bucket: number, tag: number): void {
    const ei = this.ei, ef = this.ef, ft = ei[b + 1]!;
    const last = Math.min(bucket, newest + WINDOW_BUCKETS);
    for (let id = newest + 1; id <= last; id++) {
      const s = id & RING;
      ef[b + E0 + s] = 0;
      ei[b + M0 + 2 * s] = 0; ei[b + M0 + 2 * s + 1] = 0;
      // This frame's earlier contribution sat in a slot now reused: nothing left to replace.
      if ((ft & ~RING) === tag && (ft & RING) === s) ei[b + 1] = 0;
    }
    ei[b] = bucket;
  }

  /** Budget or pool exhausted: sweep what expired before `nowBucket`'s window. True if anything was freed. */
  private makeRoom(nowBucket: number): boolean {
    if (nowBucket < this.noSweepBefore) return false;
    const freed = this.sweep(nowBucket - WINDOW_BUCKETS + 1);
    if (freed < this.maxVoxels / 16) this.noSweepBefore = nowBucket + 1;
    return this.size < this.maxVoxels;
  }

  /** Remove entries whose newest bucket is before `keepFrom`; return emptied bricks to the pool. */
  sweep(keepFrom: number): number {
    const ei = this.ei, live = this.live, hw = this.highWater;
    let freed = 0, bricksFreed = 0;
    for (let slot = 0; slot < hw; slot++) {
      if (live[slot] === 0) continue;
      const base = slot << (LOG_CELLS + LOG_STRIDE);
      let gone = 0;
      for (let l = 0; l < BRICK_CELLS; l++) {
        const b = base + (l << LOG_STRIDE), nb = ei[b]!;
        if (nb !== EMPTY && nb < keepFrom) { ei[b] = EMPTY; gone++; }
      }
      if (gone === 0) continue;
      freed += gone;
      const left = live[slot]! - gone;
      live[slot] = left;
      if (left === 0) {
        this.dir[this.brickOf[slot]!] = -1;
        this.brickOf[slot] = -1;
        this.free[this.freeTop++] = slot;
        bricksFreed++;
      }
    }
    if (bricksFreed > 0) this.sweeps++;
    // Listed offsets may now be free or another brick's: the next read() rescans everything.
    if (freed > 0) this.dropCandidates();
    this.evicted += freed;
    this.size -= freed;
    return freed;
  }

  /**
   * Read the voxels alive at bucket `nowBucket`: buckets (nowBucket − WINDOW_BUCKETS, nowBucket]
   * count, bucket nowBucket − j with decay factor `factor[j]`. Writes linear key, energy, masks
   * and support of the voxels with at least `minSupport` cameras into the arrays (up to their
   * length) and returns how many qualified.
   *
   * Persistence (optional outputs, docs/VOXEL.md "Persistence"): `outFrames[i]` = the voxel's
   * (camera, bucket) pairs, Σ_j popcount(mask of bucket nowBucket − j); `outBuckets[4i + j]` =
   * distinct cameras that contributed in bucket nowBucket − j to the voxel or any cell within
   * `poolRadius` (Chebyshev, 0 or more) of it, written for voxels with support ≥ `poolMinSupport`
   * (0 for the others: pooling costs (2r+1)³ lookups per voxel).
   */
  read(nowBucket: number, factor: Float64Array, minSupport: number,
    outKey: Uint32Array, outEnergy: Float32Array, outLo: Uint32Array, outHi: Uint32Array, outSupport: Uint8Array,
    outFrames: Uint8Array | null = null, outBuckets: Uint8Array | null = null, poolRadius = 1, poolMinSupport = 3): number {
    const ei = this.ei, ef = this.ef, live = this.live, cap = outKey.length, hw = this.highWater;
    const bnx = this.bnx, bny = this.bny, nx = this.nx, ny = this.ny, m = BRICK - 1;
    const frameCap = outFrames === null ? 0 : Math.min(cap, outFrames.length);
    const bucketCap = outBuckets === null ? 0 : Math.min(cap, outBuckets.length >> 2);
    let matched = 0;
    // Fast path: only the listed entries, in pool order (the order of the full scan below).
    const fast = this.candidatesValid && minSupport === this.trackSupport;
    let nCand = 0;
    if (fast) {
      nCand = this.candCount;
      this.cand.subarray(0, nCand).sort();
      this.candCount = 0;
    } else if (minSupport >= 2 && this.tracking) {
      // A full scan lists what qualifies now; addRay keeps the list from here on.
      this.dropCandidates();
      this.trackSupport = minSupport;
      this.candidatesValid = true;
    }
    const listing = this.candidatesValid && minSupport === this.trackSupport;
    const slots = fast ? nCand : hw;
    for (let s = 0; s < slots; s++) {
      let slot: number, l0: number, l1: number;
      if (fast) {
        const b = this.cand[s]!;
        this.candMark[b >> LOG_STRIDE] = 0;
        slot = b >> (LOG_CELLS + LOG_STRIDE);
        l0 = (b >> LOG_STRIDE) & (BRICK_CELLS - 1);
        l1 = l0 + 1;
      } else {
        slot = s; l0 = 0; l1 = BRICK_CELLS;
      }
      if (live[slot] === 0) continue;
      const brick = this.brickOf[slot]!;
      const bz = Math.floor(brick / (bnx * bny)), r = brick - bz * bnx * bny, by = Math.floor(r / bnx), bx = r - by * bnx;
      const base = slot << (LOG_CELLS + LOG_STRIDE);
      for (let l = l0; l < l1; l++) {
        const b = base + (l << LOG_STRIDE), newest = ei[b]!;
        if (newest === EMPTY || newest <= nowBucket - WINDOW_BUCKETS) continue; // free, or expired not swept yet
        // Live ids: still in the entry's ring (> newest − W) and inside the window at nowBucket.
        const first = (newest > nowBucket ? newest : nowBucket) - RING;
        const last = newest < nowBucket ? newest : nowBucket;
        let lo = 0, hi = 0, frames = 0;
        for (let id = first; id <= last; id++) {
          const mk = b + M0 + 2 * (id & RING);
          const bl = ei[mk]!, bh = ei[mk + 1]!;
          lo |= bl; hi |= bh;
          frames += popcount32(bl) + popcount32(bh);
        }
        if (listing) {
          // Stays listed while the cameras of its unexpired buckets, those after nowBucket
          // included (a later read counts them), reach the tracked support: expiry can only lower
          // it, and a camera arriving in a new bucket lists it again through addRay.
          let plo = lo, phi = hi;
          for (let id = last + 1; id <= newest; id++) {
            const mk = b + M0 + 2 * (id & RING);
            plo |= ei[mk]!; phi |= ei[mk + 1]!;
          }
          if (popcount32(plo) + popcount32(phi) >= minSupport) this.listCandidate(b);
        }
        if ((lo | hi) === 0) continue;
        const support = popcount32(lo) + popcount32(hi);
        if (support < minSupport) continue;
        let energy = 0;
        for (let id = first; id <= last; id++) energy += ef[b + E0 + (id & RING)]! * factor[nowBucket - id]!;
        if (matched < cap) {
          const ix = (bx << BRICK_SHIFT) | (l & m), iy = (by << BRICK_SHIFT) | ((l >> BRICK_SHIFT) & m), iz = (bz << BRICK_SHIFT) | (l >> (2 * BRICK_SHIFT));
          outKey[matched] = ix + nx * (iy + ny * iz); outEnergy[matched] = energy;
          outLo[matched] = lo; outHi[matched] = hi; outSupport[matched] = support;
          if (matched < frameCap) outFrames![matched] = frames > 255 ? 255 : frames;
          if (matched < bucketCap) {
            const o = matched << 2;
            if (support >= poolMinSupport) this.pooledBuckets(ix, iy, iz, nowBucket, poolRadius, outBuckets!, o);
            else outBuckets![o] = outBuckets![o + 1] = outBuckets![o + 2] = outBuckets![o + 3] = 0;
          }
        }
        matched++;
      }
    }
    return matched;
  }

  private readonly pool = new Int32Array(2 * WINDOW_BUCKETS);

  /**
   * Per bucket nowBucket − j (j = 0..W−1): cameras that contributed to any cell within `radius`
   * of (x, y, z) in that bucket, into out[o + j].
   */
  private pooledBuckets(x: number, y: number, z: number, nowBucket: number, radius: number, out: Uint8Array, o: number): void {
    const ei = this.ei, dir = this.dir, pool = this.pool, bnx = this.bnx, bny = this.bny, m = BRICK - 1;
    pool.fill(0);
    const x0 = Math.max(0, x - radius), x1 = Math.min(this.nx - 1, x + radius);
    const y0 = Math.max(0, y - radius), y1 = Math.min(this.ny - 1, y + radius);
    const z0 = Math.max(0, z - radius), z1 = Math.min(this.nz - 1, z + radius);
    for (let cz = z0; cz <= z1; cz++) {
      for (let cy = y0; cy <= y1; cy++) {
        for (let cx = x0; cx <= x1; cx++) {
          const slot = dir[(cx >> BRICK_SHIFT) + bnx * ((cy >> BRICK_SHIFT) + bny * (cz >> BRICK_SHIFT))]!;
          if (slot < 0) continue;
          const b = ((slot << LOG_CELLS) | ((cx & m) | ((cy & m) << BRICK_SHIFT) | ((cz & m) << (2 * BRICK_SHIFT)))) << LOG_STRIDE;
          const newest = ei[b]!;
          if (newest === EMPTY) continue;
          for (let j = 0; j < WINDOW_BUCKETS; j++) {
            const id = nowBucket - j;
            if (id > newest || id <= newest - WINDOW_BUCKETS) continue; // not in this cell's ring
            const mk = b + M0 + 2 * (id & RING);
            pool[2 * j] = pool[2 * j]! | ei[mk]!;
            pool[2 * j + 1] = pool[2 * j + 1]! | ei[mk + 1]!;
          }
        }
      }
    }
    for (let j = 0; j < WINDOW_BUCKETS; j++) out[o + j] = popcount32(pool[2 * j]!) + popcount32(pool[2 * j + 1]!);
  }
}
