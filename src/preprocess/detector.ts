/**
 * MotionDetector: per-camera preprocessing, frame in → sparse motion pixels out. Orchestrates
 * warm-up, the robust noise estimate, the adaptive threshold and the z-scores; the pixel work is
 * a kernel's (WASM SIMD or the TS reference, bit-identical). See docs/PREPROCESS.md.
 */
import { PreprocessError } from './errors.ts';
import { E_MAX, E_SCALE, MIN_SIGMA, ZQ_SCALE, halfNormalQuantile, robustSigmaTile, tileGrid, tileRowStep, updatePeriod, type MotionKernel } from './kernel.ts';
import { maskedZerosPerTile, rasterizeMasks } from './mask.ts';
import { ReferenceKernel } from './reference.ts';
import type { MotionOptions, MotionPixels } from './types.ts';
import { WasmKernel, motionWasmModule } from './wasm.ts';

const isInt = (x: unknown, lo: number, hi: number): x is number =>
  typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;

function validate(o: MotionOptions): void {
  const bad = (what: string) => {
    throw new PreprocessError('PREPROCESS_OPTIONS', `MotionOptions: ${what}`);
  };
  if (!isInt(o.width, 1, 1 << 15) || !isInt(o.height, 1, 1 << 15)) bad('width and height must be integers in 1..32768');
  if (o.width * o.height > 1 << 27) bad('width·height must be at most 2^27 pixels');
  if (o.backgroundWindow !== undefined && !isInt(o.backgroundWindow, 1, 4096)) bad('backgroundWindow must be an integer in 1..4096');
  const k = o.thresholdSigma;
  if (k !== undefined && !(typeof k === 'number' && Number.isFinite(k) && k > 0)) bad('thresholdSigma must be a finite number > 0');
  if (o.topK !== undefined && !isInt(o.topK, 1, 1 << 24)) bad('topK must be an integer in 1..16777216');
  if (o.kernel !== undefined && o.kernel !== 'wasm' && o.kernel !== 'ts') bad(`kernel must be 'wasm' or 'ts'`);
  const t = o.noiseTile;
  if (t !== undefined && !(t === 0 || (isInt(t, 16, 1 << 15) && (t & (t - 1)) === 0))) bad('noiseTile must be 0 or a power of two in 16..32768');
  const q = o.noiseQuantile;
  if (q !== undefined && !(typeof q === 'number' && q >= 0.5 && q <= 0.99)) bad('noiseQuantile must be a number in 0.5..0.99');
  const f = o.noiseFloor;
  if (f !== undefined && !(typeof f === 'number' && f >= 0 && f <= 1)) bad('noiseFloor must be a number in 0..1');
  for (const [i, poly] of (o.privacyMasks ?? []).entries()) {
    if (poly.length < 3) bad(`privacyMasks[${i}] needs at least 3 vertices`);
    if (!poly.every((p) => p.length === 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]))) {
      bad(`privacyMasks[${i}] vertices must be finite [x, y] pairs`);
    }
  }
}

export class MotionDetector {
  readonly width: number;
  readonly height: number;
  readonly backgroundWindow: number;
  readonly thresholdSigma: number;
  readonly topK: number;
  /** Side of the square noise tiles, pixels (0: one σ for the whole frame). */
  readonly noiseTile: number;
  /** A tile's σ is at least noiseFloor × the frame's median tile σ. */
  readonly noiseFloor: number;
  /** σ of a tile = this quantile of |s| / the same quantile of |N(0, 1)|. */
  readonly noiseQuantile: number;
  /** 1 / Φ⁻¹((1 + noiseQuantile)/2). */
  private readonly zq: number;
  /** The kernel in use: 'wasm' unless asked for 'ts' or the WASM build is unavailable. */
  readonly kernel: 'wasm' | 'ts';
  private impl: MotionKernel | null;
  private readonly period: number;
  private readonly noiseStep: number;
  private readonly tilesX: number;
  private readonly shift: number;
  /** Per tile: noise samples that are data (not masked zeros), and masked zeros among bin 0. */
  private readonly tileSamples: Float64Array;
  private readonly tileZeros: Uint32Array;
  /** Per tile: this frame's σ of e (1/8 grey level); scratch for the median. */
  private readonly tileSigmaE: Float64Array;
  private readonly scratch: Float64Array;
  /** Frames fed since construction or reset(). */
  private frames = 0;
  /** Whether the last frame was past the warm-up (tileSigmaE holds its σ). */
  private reported = false;

  constructor(opts: MotionOptions) {
    validate(opts);
    this.width = opts.width;
    this.height = opts.height;
    this.backgroundWindow = opts.backgroundWindow ?? 16;
    this.thresholdSigma = opts.thresholdSigma ?? 4;
    this.topK = opts.topK ?? 2000;
    this.noiseTile = opts.noiseTile ?? 64;
    this.noiseFloor = opts.noiseFloor ?? 0;
    this.noiseQuantile = opts.noiseQuantile ?? 0.95;
    this.zq = this.noiseQuantile === 0.5 ? 1.4826 : 1 / halfNormalQuantile(this.noiseQuantile);
    this.period = updatePeriod(this.backgroundWindow);
    const { width: w, height: h } = this;
    // One σ per frame is a tile that covers the frame (2^15 ≥ any width and height).
    this.shift = this.noiseTile === 0 ? 15 : Math.log2(this.noiseTile);
    const side = 2 ** this.shift;
    this.noiseStep = tileRowStep(w, h, side);
    const { tilesX, tilesY } = tileGrid(w, h, this.shift);
    this.tilesX = tilesX;
    const mask = rasterizeMasks(opts.privacyMasks ?? [], w, h);
    this.tileZeros = maskedZerosPerTile(mask, w, h, this.noiseStep, this.shift) ?? new Uint32Array(tilesX * tilesY);
    this.tileSamples = new Float64Array(tilesX * tilesY);
    for (let v = this.noiseStep >> 1; v < h; v += this.noiseStep) {
      for (let tx = 0; tx < tilesX; tx++) this.tileSamples[(v >> this.shift) * tilesX + tx]! += Math.min(w, (tx + 1) * side) - tx * side;
    }
    for (let i = 0; i < this.tileSamples.length; i++) this.tileSamples[i]! -= this.tileZeros[i]!;
    this.tileSigmaE = new Float64Array(tilesX * tilesY);
    this.scratch = new Float64Array(tilesX * tilesY);
    const spec = { width: w, height: h, topK: this.topK, mask, tileShift: this.shift };
    const wasm = opts.kernel === 'ts' ? null : motionWasmModule();
    if (wasm && 'module' in wasm) this.impl = new WasmKernel(spec, wasm.module);
    else if (wasm && opts.kernel === 'wasm') throw new PreprocessError('PREPROCESS_WASM', `WASM kernel unavailable: ${wasm.error}`);
    else this.impl = new ReferenceKernel(spec);
    this.kernel = this.impl.name;
  }

  /** Feed the next frame; fills `out` (no allocation in steady state). The first frames only warm the background up (count 0). */
  process(frame: Uint8Array, out: MotionPixels): void {
    const k = this.kernelFor('process', out);
    if (frame.length !== this.width * this.height) {
      throw new PreprocessError('PREPROCESS_FRAME', `frame has ${frame.length} bytes, expected ${this.width}×${this.height}`);
    }
    k.load(frame);
    this.run(k, out);
  }

  /**
   * The buffer a decoder may write the next frame into (width·height bytes; for the WASM kernel
   * its own memory, so no copy follows), then {@link processInput}. Valid until close().
   */
  inputBuffer(): Uint8Array {
    const k = this.impl;
    if (!k) throw new PreprocessError('PREPROCESS_STATE', 'MotionDetector.inputBuffer() after close()');
    return k.inputBuffer();
  }

  /** {@link process} for the frame written into {@link inputBuffer}. */
  processInput(out: MotionPixels): void {
    const k = this.kernelFor('processInput', out);
    k.loadInput();
    this.run(k, out);
  }

  /** The last frame processed, privacy masks applied; valid until the next frame. */
  frameView(): Uint8Array {
    const k = this.impl;
    if (!k) throw new PreprocessError('PREPROCESS_STATE', 'MotionDetector.frameView() after close()');
    return k.frameView();
  }

  /**
   * The Σ-Δ temporal background the last frame was compared with (masked pixels 0); valid until
   * the next frame. It follows the sky at ±1 grey level per update period, so slow cloud texture
   * is in it and a target crossing a pixel in a few frames is not: frame − background isolates
   * targets from structured sky (what track signatures are measured against).
   */
  backgroundView(): Uint8Array {
    const k = this.impl;
    if (!k) throw new PreprocessError('PREPROCESS_STATE', 'MotionDetector.backgroundView() after close()');
    return k.backgroundView();
  }

  private kernelFor(what: string, out: MotionPixels): MotionKernel {
    const k = this.impl;
    if (!k) throw new PreprocessError('PREPROCESS_STATE', `MotionDetector.${what}() after close()`);
    if (out.index.length < this.topK || out.energy.length < this.topK) {
      throw new PreprocessError('PREPROCESS_FRAME', `MotionPixels capacity ${out.index.length} < topK ${this.topK}`);
    }
    return k;
  }

  /** Everything after the frame is loaded. */
  private run(k: MotionKernel, out: MotionPixels): void {
    const t = this.frames++;
    out.count = 0;
    out.candidates = 0;
    out.noiseSigma = 0;
    out.threshold = 0;
    this.reported = false;
    // Warm-up: frame 0 seeds the background, then `backgroundWindow − 1` frames of Σ-Δ steps
    // on every row; a threshold of E_MAX can never be exceeded, so nothing is reported.
    if (t === 0) {
      k.seed();
      return;
    }
    if (t < this.backgroundWindow) {
      k.tileThreshold.fill(E_MAX);
      k.detect(1, 0);
      return;
    }
    const sigmaE = this.tileSigmas(k);
    this.reported = true;
    const { tileSigmaE, tileThreshold, tileScale } = { tileSigmaE: this.tileSigmaE, tileThreshold: k.tileThreshold, tileScale: k.tileScale };
    for (let i = 0; i < tileSigmaE.length; i++) {
      const s = tileSigmaE[i]!;
      tileThreshold[i] = Math.min(E_MAX, Math.floor(this.thresholdSigma * s));
      tileScale[i] = Math.floor((ZQ_SCALE * 65536) / s);
    }
    this.lastPhase = t % this.period;
    const n = k.detect(this.period, this.lastPhase);
    out.noiseSigma = sigmaE / E_SCALE;
    out.threshold = (this.thresholdSigma * sigmaE) / E_SCALE;
    out.candidates = k.candidates;
    out.count = n;
    const { width: w, shift, tilesX } = this;
    for (let i = 0; i < n; i++) {
      const p = k.index[i]!;
      const v = Math.floor(p / w);
      out.index[i] = p;
      out.energy[i] = k.value[i]! / tileSigmaE[(v >> shift) * tilesX + ((p - v * w) >> shift)]!;
    }
  }

  /**
   * σ of e per tile into `tileSigmaE` (1/8 grey level, floored); returns the frame's σ, the
   * median over the tiles that hold samples (MIN_SIGMA when none does).
   */
  private tileSigmas(k: MotionKernel): number {
    const hist = k.noiseHistogram(this.noiseStep);
    const { tileSigmaE, tileSamples, tileZeros, scratch } = this;
    let m = 0;
    for (let i = 0; i < tileSigmaE.length; i++) {
      const n = tileSamples[i]!;
      const s = n > 0 ? robustSigmaTile(hist, i * 256, n, tileZeros[i]!, this.noiseQuantile, this.zq) : -1;
      tileSigmaE[i] = s;
      if (s >= 0) scratch[m++] = s;
    }
    let frame = 0;
    if (m > 0) {
      const sorted = scratch.subarray(0, m).sort();
      frame = m & 1 ? sorted[m >> 1]! : 0.5 * (sorted[(m >> 1) - 1]! + sorted[m >> 1]!);
    }
    frame = Math.max(MIN_SIGMA * E_SCALE, frame);
    const floor = Math.max(MIN_SIGMA * E_SCALE, this.noiseFloor * frame);
    for (let i = 0; i < tileSigmaE.length; i++) {
      const s = tileSigmaE[i]!;
      tileSigmaE[i] = s < 0 ? frame : Math.max(floor, s);
    }
    return frame;
  }

  /**
   * σ (grey levels) of the noise tile holding pixel `index` (v·width + u) in the last frame
   * processed: a motion pixel's energy is its |denoised difference| / this σ. 0 before the first
   * reported frame.
   */
  sigmaAt(index: number): number {
    if (!this.reported) return 0;
    const v = Math.floor(index / this.width);
    return this.tileSigmaE[(v >> this.shift) * this.tilesX + ((index - v * this.width) >> this.shift)]! / E_SCALE;
  }

  /**
   * Look below the threshold (track-before-detect): the largest z-score of the denoised
   * difference |4d(u,v) + d(u±1,v) + d(u,v±1)| / σ_tile of the last frame among the pixels within
   * `radius` px of (u, v), and that pixel in {@link probeIndex}; with `polarity` −1 or +1 only
   * differences of that sign count (z = ∓s/σ). The same energy the kernel
   * thresholds: on the rows the last frame's Σ-Δ step moved, the background before the step is
   * restored as bg − sign(f − bg) (exact except where the step reached f, where the difference
   * before it was within ±1 and is taken as 0). 0 when nothing is in the image or before the
   * first reported frame.
   */
  probe(u: number, v: number, radius: number, polarity = 0): number {
    this.probeIndex = -1;
    const k = this.impl;
    if (!k || !this.reported) return 0;
    const W = this.width, H = this.height;
    const f = k.frameView(), bg = k.backgroundView();
    const u0 = Math.max(0, Math.ceil(u - radius)), u1 = Math.min(W - 1, Math.floor(u + radius));
    const v0 = Math.max(0, Math.ceil(v - radius)), v1 = Math.min(H - 1, Math.floor(v + radius));
    if (u0 > u1 || v0 > v1) return 0;
    // The window's differences (one pixel of margin for the plus filter), restored once.
    const wx0 = Math.max(0, u0 - 1), wx1 = Math.min(W - 1, u1 + 1), wy0 = Math.max(0, v0 - 1), wy1 = Math.min(H - 1, v1 + 1);
    const ww = wx1 - wx0 + 1;
    if (this.probeScratch.length < ww * (wy1 - wy0 + 1)) this.probeScratch = new Int16Array(ww * (wy1 - wy0 + 1));
    const D = this.probeScratch;
    for (let y = wy0; y <= wy1; y++) {
      const upd = y % this.period === this.lastPhase;
      for (let x = wx0, i = y * W + wx0, o = (y - wy0) * ww; x <= wx1; x++, i++, o++) {
        D[o] = restored(f[i]! - bg[i]!, upd);
      }
    }
    const r2 = radius * radius;
    let best = 0;
    for (let y = v0; y <= v1; y++) {
      for (let x = u0; x <= u1; x++) {
        if ((x - u) * (x - u) + (y - v) * (y - v) > r2) continue;
        const c = (y - wy0) * ww + (x - wx0);
        let s = 4 * D[c]!;
        if (x > 0) s += D[c - 1]!;
        if (x < W - 1) s += D[c + 1]!;
        if (y > 0) s += D[c - ww]!;
        if (y < H - 1) s += D[c + ww]!;
        const z = (polarity === 0 ? Math.abs(s) : polarity > 0 ? s : -s) / this.tileSigmaE[(y >> this.shift) * this.tilesX + (x >> this.shift)]!;
        if (z > best) { best = z; this.probeIndex = y * W + x; }
      }
    }
    return best;
  }

  private probeScratch = new Int16Array(64);

  /**
   * Signed z-score of the denoised difference at pixel `index` (v·width + u) of the last frame
   * (same energy as {@link probe}; negative where the frame is darker than the background).
   */
  signedAt(index: number): number {
    const k = this.impl;
    if (!k || !this.reported) return 0;
    const W = this.width, H = this.height;
    const x = index % W, y = (index - x) / W;
    if (!(y >= 0 && y < H)) return 0;
    const f = k.frameView(), bg = k.backgroundView();
    const P = this.period, ph = this.lastPhase;
    // Row y took the Σ-Δ step iff y % P === ph; rows y ± 1 follow from it.
    const mid = y % P === ph, up = (y + P - 1) % P === ph, down = (y + 1) % P === ph;
    let s = 4 * restored(f[index]! - bg[index]!, mid);
    if (x > 0) s += restored(f[index - 1]! - bg[index - 1]!, mid);
    if (x < W - 1) s += restored(f[index + 1]! - bg[index + 1]!, mid);
    if (y > 0) s += restored(f[index - W]! - bg[index - W]!, up);
    if (y < H - 1) s += restored(f[index + W]! - bg[index + W]!, down);
    return s / this.tileSigmaE[(y >> this.shift) * this.tilesX + (x >> this.shift)]!;
  }

  /** Pixel (v·width + u) of the last {@link probe}'s best z, −1 when none. */
  probeIndex = -1;
  /** Rows v ≡ lastPhase (mod period) took a background step in the last frame. */
  private lastPhase = 0;

  /** Forget the background: the next frames warm it up again. */
  reset(): void {
    this.frames = 0;
  }

  /** Release the kernel; safe to call twice. */
  close(): void {
    this.impl?.close();
    this.impl = null;
  }
}

/** A difference against the background before a Σ-Δ step (see MotionDetector.probe), when `stepped`. */
function restored(d: number, stepped: boolean): number {
  return stepped ? (d > 0 ? d + 1 : d < 0 ? d - 1 : 0) : d;
}
