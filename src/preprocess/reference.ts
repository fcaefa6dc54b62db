/**
 * The plain TypeScript motion kernel: the definition the WASM SIMD kernel (`assembly/motion.ts`)
 * must reproduce bit for bit, written for clarity rather than speed. It keeps full-frame maps
 * (difference d and motion energy e) and selects the top K from the energy map afterwards, an
 * independent route to the result the WASM kernel reaches by streaming compaction.
 */
import { ZQ_MAX, tileGrid, type KernelSpec, type MotionKernel } from './kernel.ts';

export class ReferenceKernel implements MotionKernel {
  readonly name = 'ts';
  readonly index: Uint32Array;
  readonly value: Uint16Array;
  readonly tileThreshold: Uint16Array;
  readonly tileScale: Uint32Array;
  candidates = 0;
  private readonly w: number;
  private readonly shift: number;
  private readonly tilesX: number;
  private readonly h: number;
  private readonly topK: number;
  private readonly mask: Uint8Array | null;
  private readonly masked: Uint8Array;
  private frame: Uint8Array;
  private readonly bg: Uint8Array;
  /** d = f − bg, (width + 2) × (height + 2) with a border that stays zero. */
  private readonly d: Int16Array;
  /** The motion energy map e = |4·d + 4 neighbours|, and the rank zq of every candidate. */
  private readonly e: Uint16Array;
  private readonly zq: Uint16Array;
  private readonly hist: Uint32Array;
  private readonly zhist = new Uint32Array(ZQ_MAX + 1);

  constructor(spec: KernelSpec) {
    this.w = spec.width;
    this.h = spec.height;
    this.topK = spec.topK;
    this.mask = spec.mask;
    this.shift = spec.tileShift;
    const { tilesX, tilesY } = tileGrid(this.w, this.h, this.shift);
    this.tilesX = tilesX;
    this.hist = new Uint32Array(tilesX * tilesY * 256);
    this.tileThreshold = new Uint16Array(tilesX * tilesY);
    this.tileScale = new Uint32Array(tilesX * tilesY);
    const n = this.w * this.h;
    this.masked = new Uint8Array(spec.mask ? n : 0);
    this.frame = this.masked;
    this.bg = new Uint8Array(n);
    this.d = new Int16Array((this.w + 2) * (this.h + 2));
    this.e = new Uint16Array(n);
    this.zq = new Uint16Array(n);
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

  private input: Uint8Array | null = null;

  inputBuffer(): Uint8Array {
    return (this.input ??= new Uint8Array(this.w * this.h));
  }

  loadInput(): void {
    this.load(this.inputBuffer());
  }

  frameView(): Uint8Array {
    return this.frame;
  }

  backgroundView(): Uint8Array {
    return this.bg;
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
    const { w, h, hist, shift, tilesX } = this;
    hist.fill(0);
    for (let v = step >> 1; v < h; v += step) {
      for (let r = Math.max(0, v - 1); r <= Math.min(h - 1, v + 1); r++) this.diffRow(r);
      const p = (v + 1) * (w + 2) + 1;
      const row = (v >> shift) * tilesX;
      for (let u = 0; u < w; u++) hist[(row + (u >> shift)) * 256 + Math.min(255, this.energyAt(p + u))]!++;
    }
    return hist;
  }

  detect(period: number, phase: number): number {
    const { w, h, bg, d, e, zq, zhist, topK, shift, tilesX, tileThreshold, tileScale } = this;
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
    zhist.fill(0);
    let candidates = 0;
    for (let v = 0; v < h; v++) {
      const p = (v + 1) * (w + 2) + 1;
      const row = (v >> shift) * tilesX;
      for (let u = 0, i = v * w; u < w; u++, i++) {
        const q = p + u;
        const ei = Math.abs(4 * d[q]! + d[q - 1]! + d[q + 1]! + d[q - W]! + d[q + W]!);
        const tile = row + (u >> shift);
        e[i] = ei;
        zq[i] = 0;
        if (ei > tileThreshold[tile]!) {
          candidates++;
          const z = Math.min(ZQ_MAX, Math.floor((ei * tileScale[tile]!) / 65536));
          zq[i] = z + 1; // 0 marks "not a candidate"
          zhist[z]!++;
        }
      }
    }
    this.candidates = candidates;
    // Top K by (zq descending, index ascending): every candidate above the cut c, plus the
    // first `quota` (in raster order) at exactly c.
    let cut = -1;
    let quota = 0;
    if (candidates > topK) {
      let acc = 0;
      cut = ZQ_MAX;
      while (acc + zhist[cut]! < topK) acc += zhist[cut--]!;
      quota = topK - acc;
    }
    let n = 0;
    for (let i = 0; i < w * h; i++) {
      const z = zq[i]! - 1;
      if (z < 0) continue;
      if (z > cut || (z === cut && quota > 0)) {
        if (z === cut) quota--;
        this.index[n] = i;
        this.value[n] = e[i]!;
        n++;
      }
    }
    return n;
  }

  close(): void {}
}
