/**
 * Motion blobs: a frame's motion pixels grouped into 8-connected components, each reduced to one
 * entry at its energy-weighted centroid (rounded to the nearest pixel) carrying the blob's peak
 * energy. A target of a few pixels, or a cluster of codec noise, then casts one ray instead of
 * one per pixel: fewer voxel steps, and one camera's cluster cannot pose as several rays. The
 * voxel projector keeps one camera's per-frame maximum per voxel, so a target's evidence is
 * unchanged.
 */
import { PreprocessError } from './errors.ts';

export interface PixelList {
  count: number;
  index: Uint32Array;
  energy: Float32Array;
}

export interface BlobList extends PixelList {
  /** Pixels in each blob. */
  size: Uint32Array;
}

export function createBlobList(capacity: number): BlobList {
  return { count: 0, index: new Uint32Array(capacity), energy: new Float32Array(capacity), size: new Uint32Array(capacity) };
}

export class BlobGrouper {
  /** Pixel → position in the current list + 1 (0 = not a motion pixel); cleared after each use. */
  private readonly slot: Int32Array;
  private parent: Int32Array;
  private sumE: Float64Array;
  private sumU: Float64Array;
  private sumV: Float64Array;
  private maxE: Float32Array;
  private size: Uint32Array;

  constructor(readonly width: number, readonly height: number, capacity = 2000) {
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) throw new PreprocessError('PREPROCESS_OPTIONS', `blob grouper: bad frame size ${width}×${height}`);
    this.slot = new Int32Array(width * height);
    this.parent = new Int32Array(capacity);
    this.sumE = new Float64Array(capacity); this.sumU = new Float64Array(capacity); this.sumV = new Float64Array(capacity);
    this.maxE = new Float32Array(capacity); this.size = new Uint32Array(capacity);
  }

  /** Group `px` into `out` (capacity ≥ px.count). Returns the number of blobs. */
  group(px: PixelList, out: BlobList): number {
    const n = px.count, W = this.width, H = this.height;
    if (out.index.length < n) throw new PreprocessError('PREPROCESS_STATE', `blob list holds ${out.index.length}, needs ${n}`);
    if (this.parent.length < n) this.grow(n);
    const slot = this.slot, parent = this.parent;
    for (let i = 0; i < n; i++) {
      const idx = px.index[i]!;
      if (idx >= W * H) throw new PreprocessError('PREPROCESS_FRAME', `motion pixel index ${idx} outside a ${W}×${H} frame`);
      slot[idx] = i + 1;
      parent[i] = i;
    }
    // Union with the four neighbours that precede in raster order (the other four see us).
    for (let i = 0; i < n; i++) {
      const idx = px.index[i]!, u = idx % W, v = (idx - u) / W;
      if (u > 0) this.union(i, slot[idx - 1]! - 1);
      if (v > 0) {
        const up = idx - W;
        if (u > 0) this.union(i, slot[up - 1]! - 1);
        this.union(i, slot[up]! - 1);
        if (u < W - 1) this.union(i, slot[up + 1]! - 1);
      }
    }
    // Accumulate per root, then emit roots in first-seen order.
    for (let i = 0; i < n; i++) { this.sumE[i] = 0; this.sumU[i] = 0; this.sumV[i] = 0; this.maxE[i] = 0; this.size[i] = 0; }
    for (let i = 0; i < n; i++) {
      const r = this.find(i), idx = px.index[i]!, e = px.energy[i]!, u = idx % W;
      this.sumE[r] = this.sumE[r]! + e;
      this.sumU[r] = this.sumU[r]! + e * u;
      this.sumV[r] = this.sumV[r]! + e * ((idx - u) / W);
      if (e > this.maxE[r]!) this.maxE[r] = e;
      this.size[r] = this.size[r]! + 1;
    }
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (parent[i] !== i) continue;
      const s = this.sumE[i]!;
      const u = s > 0 ? Math.round(this.sumU[i]! / s) : px.index[i]! % W;
      const v = s > 0 ? Math.round(this.sumV[i]! / s) : Math.floor(px.index[i]! / W);
      out.index[m] = Math.min(H - 1, Math.max(0, v)) * W + Math.min(W - 1, Math.max(0, u));
      out.energy[m] = this.maxE[i]!;
      out.size[m] = this.size[i]!;
      m++;
    }
    for (let i = 0; i < n; i++) slot[px.index[i]!] = 0;
    out.count = m;
    return m;
  }

  private find(i: number): number {
    const p = this.parent;
    while (p[i] !== i) { p[i] = p[p[i]!]!; i = p[i]!; }
    return i;
  }

  private union(a: number, b: number): void {
    if (b < 0) return;
    const ra = this.find(a), rb = this.find(b);
    if (ra === rb) return;
    // The smaller index stays root, so blobs come out in raster order of their first pixel.
    if (ra < rb) this.parent[rb] = ra; else this.parent[ra] = rb;
  }

  private grow(n: number): void {
    this.parent = new Int32Array(n);
    this.sumE = new Float64Array(n); this.sumU = new Float64Array(n); this.sumV = new Float64Array(n);
    this.maxE = new Float32Array(n); this.size = new Uint32Array(n);
  }
}
