/**
 * The plain TypeScript motion kernel: the definition the WASM SIMD kernel (`assembly/motion.ts`)
 * must reproduce bit for bit, written for clarity rather than speed. It keeps full-frame maps
 * (difference d and motion energy e) and selects the top K from the energy map afterwards, an
 * independent route to the result the WASM kernel reaches by streaming compaction.
 */
import { E_MAX, type KernelSpec, type MotionKernel } from './kernel.ts';

export class ReferenceKernel implements MotionKernel {
  readonly name = 'ts';
  readonly index: Uint32Array;
  readonly value: Uint16Array;
  candidates = 0;
  private readonly w: number;
  private readonly h: number;
  private readonly topK: number;
  private readonly mask: Uint8Array | null;
  private readonly masked: Uint8Array;
  private frame: Uint8Array;
  private readonly bg: Uint8Array;
  /** d = f − bg, (width + 2) × (height + 2) with a border that stays zero. */
  private readonly d: Int16Array;
  /** The motion energy map e = |4·d + 4 neighbours|. */
  private readonly e: Uint16Array;
  private readonly hist = new Uint32Array(256);
  private readonly ehist = new Uint32Array(E_MAX + 1);

  constructor(spec: KernelSpec) {
    this.w = spec.width;
    this.h = spec.height;
    this.topK = spec.topK;
    this.mask = spec.mask;
    const n = this.w * this.h;
    this.masked = new Uint8Array(spec.mask ? n : 0);
    this.frame = this.masked;
    this.bg = new Uint8Array(n);
    this.d = new Int16Array((this.w + 2) * (this.h + 2));
    this.e = new Uint16Array(n);
    this.index = new Uint32Array(spec.topK);
    this.value = new Uint16Array(spec.topK);
  }

  load(frame: Uint8Array): void {
    const mask = this.mask;
    if (!mask) {
      this.frame = frame;
      return;
    }
    for (let i = 0; i < frame.length; i++) this.masked[i] = frame[i]! & mask[i]!;
    this.frame = this.masked;
  }

  seed(): void {
    this.bg.set(this.frame);
  }

  /** d = f − bg of row v (inside the frame) into the padded map. */
  private diffRow(v: number): void {
    const { w, frame, bg, d } = this;
    const p = (v + 1) * (w + 2) + 1;
    for (let u = 0, i = v * w; u < w; u++, i++) d[p + u] = frame[i]! - bg[i]!;
  }

  /** e = |4·d + left + right + up + down| at padded position p. */
  private energyAt(p: number): number {
    const d = this.d, W = this.w + 2;
    return Math.abs(4 * d[p]! + d[p - 1]! + d[p + 1]! + d[p - W]! + d[p + W]!);
  }

  noiseHistogram(step: number): Uint32Array {
    const { w, h, hist } = this;
    hist.fill(0);
    for (let v = step >> 1; v < h; v += step) {
      for (let r = Math.max(0, v - 1); r <= Math.min(h - 1, v + 1); r++) this.diffRow(r);
      const p = (v + 1) * (w + 2) + 1;
      for (let u = 0; u < w; u++) hist[Math.min(255, this.energyAt(p + u))]!++;
    }
    return hist;
  }

  detect(threshold: number, period: number, phase: number): number {
    const { w, h, bg, d, e, ehist, topK } = this;
    const W = w + 2;
    for (let v = 0; v < h; v++) this.diffRow(v);
    // Σ-Δ background step on the scheduled rows, from the differences before the update.
    for (let v = phase; v < h; v += period) {
      const p = (v + 1) * (w + 2) + 1;
      for (let u = 0, i = v * w; u < w; u++, i++) {
        const di = d[p + u]!;
        bg[i] = bg[i]! + ((di >> 31) | (-di >>> 31)); // + sign(d)
      }
    }
    ehist.fill(0);
    let candidates = 0;
    for (let v = 0; v < h; v++) {
      const p = (v + 1) * (w + 2) + 1;
      for (let u = 0, i = v * w; u < w; u++, i++) {
        const q = p + u;
        const ei = Math.abs(4 * d[q]! + d[q - 1]! + d[q + 1]! + d[q - W]! + d[q + W]!);
        e[i] = ei;
        if (ei > threshold) {
          candidates++;
          ehist[ei]!++;
        }
      }
    }
    this.candidates = candidates;
    // Top K by (e descending, index ascending): everything above the cut c, plus the first
    // `quota` pixels (in raster order) at exactly c.
    let cut = threshold;
    let quota = 0;
    if (candidates > topK) {
      let acc = 0;
      cut = E_MAX;
      while (acc + ehist[cut]! < topK) acc += ehist[cut--]!;
      quota = topK - acc;
    }
    let n = 0;
    for (let i = 0; i < w * h; i++) {
      const ei = e[i]!;
      if (ei > cut || (ei === cut && quota > 0)) {
        if (ei === cut) quota--;
        this.index[n] = i;
        this.value[n] = ei;
        n++;
      }
    }
    return n;
  }

  close(): void {}
}
