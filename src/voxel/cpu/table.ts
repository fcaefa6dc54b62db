/**
 * The sparse voxel store of the CPU projector: an open-addressing hash table (linear probing,
 * Fibonacci hashing of the linear voxel key) over a dense entry pool, all typed arrays.
 *
 * Time is cut into WINDOW_BUCKETS buckets per window. Each entry keeps a ring of the last
 * WINDOW_BUCKETS buckets: per bucket the energy (referenced to the bucket's start time, so that a
 * bucket decays with one factor) and the 64-bit camera mask. One entry is 16 words = 64 bytes,
 * one cache line:
 *   0 newest bucket id (Int32, relative to the projector's base bucket)
 *   1 frame tag: (accumulate serial << 2) | ring slot of this frame's contribution
 *   2 this frame's contribution, as given (Float32)      3 ... as stored in its slot (Float32)
 *   4..7 energy per ring slot (Float32)                  8..15 mask lo, hi per ring slot
 */
import { popcount32 } from './bits.ts';

export const WINDOW_BUCKETS = 4; // a power of two: ring slot = bucket & (WINDOW_BUCKETS − 1)
const RING = WINDOW_BUCKETS - 1;
const STRIDE = 16;
const E0 = 4, M0 = 8;
const EMPTY = -1;

export class VoxelTable {
  readonly maxVoxels: number;
  /** Entries in use: 0..size−1 of the pool. */
  size = 0;
  dropped = 0;
  evicted = 0;
  late = 0;
  private readonly slots: Int32Array; // [key, entry] pairs; key EMPTY = free
  private readonly mask: number;
  private readonly shift: number;
  private readonly ei: Int32Array;
  private readonly ef: Float32Array;
  private readonly keys: Int32Array;
  /** No automatic sweep is attempted before this bucket (set when a sweep freed too little). */
  private noSweepBefore = -(2 ** 31);
  /** Sweeps so far (entries move in a sweep). */
  private sweeps = 0;
  /** Per-ray scratch: entry index of each cell, −1 if absent. */
  private found = new Int32Array(0);
  /** Keeps the touch pass from being optimised away. */
  sink = 0;

  constructor(maxVoxels: number) {
    this.maxVoxels = maxVoxels;
    let cap = 8;
    while (cap < Math.ceil(maxVoxels * 4 / 3)) cap *= 2; // load factor ≤ 0.75 when full
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.slots = new Int32Array(2 * cap).fill(EMPTY);
    const buf = new ArrayBuffer(maxVoxels * STRIDE * 4);
    this.ei = new Int32Array(buf);
    this.ef = new Float32Array(buf);
    this.keys = new Int32Array(maxVoxels);
  }

  reset(): void {
    this.slots.fill(EMPTY);
    this.size = 0;
    this.dropped = 0; this.evicted = 0; this.late = 0;
    this.noSweepBefore = -(2 ** 31);
  }

  /**
   * Add one ray's contribution to each of `cells[0..count)`. `value` is the (weighted) pixel
   * energy, `stored` the same referenced to the start of `bucket`. Within one accumulate call
   * (`tag` = serial << 2) a voxel takes the maximum of the camera's pixel values, not their sum.
   * `nowBucket` (newest bucket seen) decides what a sweep may remove when the pool is full.
   */
  addRay(cells: Int32Array, count: number, bucket: number, value: number, stored: number,
    tag: number, bitLo: number, bitHi: number, nowBucket: number): void {
    const slots = this.slots, ei = this.ei, ef = this.ef, mask = this.mask, shift = this.shift;
    const ring = bucket & RING;
    if (this.found.length < count) this.found = new Int32Array(count);
    const found = this.found;
    // Memory-bound: the loads of one ray are issued in two passes of independent reads first
    // (hash slots, then entries), so the CPU overlaps their cache misses; the update pass
    // below then finds them in cache (1.35–1.6× on the bench, docs/VOXEL.md).
    for (let c = 0; c < count; c++) {
      const key = cells[c]!;
      let h = Math.imul(key, 0x9e3779b1) >>> shift;
      let k = slots[2 * h]!;
      while (k !== key && k !== EMPTY) { h = (h + 1) & mask; k = slots[2 * h]!; }
      found[c] = k === key ? slots[2 * h + 1]! : -1;
    }
    let touch = 0;
    for (let c = 0; c < count; c++) { const i = found[c]!; if (i >= 0) touch |= ei[i * STRIDE + 1]!; }
    this.sink = touch;
    const sweeps = this.sweeps;
    for (let c = 0; c < count; c++) {
      const key = cells[c]!;
      let idx = found[c]!;
      if (this.sweeps !== sweeps) idx = this.find(key); // a sweep moved the entries
      let b: number;
      if (idx >= 0) {
        b = idx * STRIDE;
        const newest = ei[b]!;
        if (bucket > newest) this.advance(b, newest, bucket, tag);
        else if (bucket <= newest - WINDOW_BUCKETS) { this.late++; continue; }
      } else {
        if (this.size >= this.maxVoxels && !this.makeRoom(nowBucket)) { this.dropped++; continue; }
        let h = Math.imul(key, 0x9e3779b1) >>> shift;
        while (slots[2 * h] !== EMPTY) h = (h + 1) & mask;
        idx = this.size++;
        slots[2 * h] = key; slots[2 * h + 1] = idx;
        this.keys[idx] = key;
        b = idx * STRIDE;
        for (let j = 1; j < STRIDE; j++) ei[b + j] = 0;
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
      ei[mb] = ei[mb]! | bitLo;
      ei[mb + 1] = ei[mb + 1]! | bitHi;
    }
  }

  /** Entry index of key, or −1. */
  private find(key: number): number {
    const slots = this.slots, mask = this.mask;
    let h = Math.imul(key, 0x9e3779b1) >>> this.shift;
    let k = slots[2 * h]!;
    while (k !== key && k !== EMPTY) { h = (h + 1) & mask; k = slots[2 * h]!; }
    return k === key ? slots[2 * h + 1]! : -1;
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

  /** The pool is full: sweep what expired before `nowBucket`'s window. True if room was made. */
  private makeRoom(nowBucket: number): boolean {
    if (nowBucket < this.noSweepBefore) return false;
    const freed = this.sweep(nowBucket - WINDOW_BUCKETS + 1);
    if (freed < this.maxVoxels / 16) this.noSweepBefore = nowBucket + 1;
    return this.size < this.maxVoxels;
  }

  /** Remove entries whose newest bucket is before `keepFrom`; compact the pool, rebuild the hash. */
  sweep(keepFrom: number): number {
    const ei = this.ei, keys = this.keys, n = this.size;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (ei[i * STRIDE]! < keepFrom) continue;
      if (w !== i) { ei.copyWithin(w * STRIDE, i * STRIDE, (i + 1) * STRIDE); keys[w] = keys[i]!; }
      w++;
    }
    const freed = n - w;
    if (freed === 0) return 0;
    this.sweeps++;
    this.evicted += freed;
    this.size = w;
    const slots = this.slots, mask = this.mask, shift = this.shift;
    slots.fill(EMPTY);
    for (let i = 0; i < w; i++) {
      const key = keys[i]!;
      let h = Math.imul(key, 0x9e3779b1) >>> shift;
      while (slots[2 * h] !== EMPTY) h = (h + 1) & mask;
      slots[2 * h] = key; slots[2 * h + 1] = i;
    }
    return freed;
  }

  /**
   * Read the voxels alive at bucket `nowBucket`: buckets (nowBucket − WINDOW_BUCKETS, nowBucket]
   * count, bucket nowBucket − j with decay factor `factor[j]`. Writes key, energy, masks and
   * support of the voxels with at least `minSupport` cameras into the arrays (up to their
   * length) and returns how many qualified.
   */
  read(nowBucket: number, factor: Float64Array, minSupport: number,
    outKey: Uint32Array, outEnergy: Float32Array, outLo: Uint32Array, outHi: Uint32Array, outSupport: Uint8Array): number {
    const ei = this.ei, ef = this.ef, keys = this.keys, cap = outKey.length;
    let matched = 0;
    for (let i = 0; i < this.size; i++) {
      const b = i * STRIDE, newest = ei[b]!;
      if (newest <= nowBucket - WINDOW_BUCKETS) continue; // expired, not swept yet
      // Live ids: still in the entry's ring (> newest − W) and inside the window at nowBucket.
      const first = (newest > nowBucket ? newest : nowBucket) - RING;
      const last = newest < nowBucket ? newest : nowBucket;
      let lo = 0, hi = 0;
      for (let id = first; id <= last; id++) {
        const m = b + M0 + 2 * (id & RING);
        lo |= ei[m]!; hi |= ei[m + 1]!;
      }
      if ((lo | hi) === 0) continue;
      const support = popcount32(lo) + popcount32(hi);
      if (support < minSupport) continue;
      let energy = 0;
      for (let id = first; id <= last; id++) energy += ef[b + E0 + (id & RING)]! * factor[nowBucket - id]!;
      if (matched < cap) {
        outKey[matched] = keys[i]!; outEnergy[matched] = energy;
        outLo[matched] = lo; outHi[matched] = hi; outSupport[matched] = support;
      }
      matched++;
    }
    return matched;
  }
}
