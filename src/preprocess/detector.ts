/**
 * MotionDetector: per-camera preprocessing, frame in → sparse motion pixels out. Orchestrates
 * warm-up, the robust noise estimate, the adaptive threshold and the z-scores; the pixel work is
 * a kernel's (WASM SIMD or the TS reference, bit-identical). See docs/PREPROCESS.md.
 */
import { PreprocessError } from './errors.ts';
import { E_MAX, E_SCALE, MIN_SIGMA, noiseRowStep, robustSigmaE, updatePeriod, type MotionKernel } from './kernel.ts';
import { maskedZeros, rasterizeMasks } from './mask.ts';
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
  /** The kernel in use: 'wasm' unless asked for 'ts' or the WASM build is unavailable. */
  readonly kernel: 'wasm' | 'ts';
  private impl: MotionKernel | null;
  private readonly period: number;
  private readonly noiseStep: number;
  private readonly noiseIgnore: number;
  /** Frames fed since construction or reset(). */
  private frames = 0;

  constructor(opts: MotionOptions) {
    validate(opts);
    this.width = opts.width;
    this.height = opts.height;
    this.backgroundWindow = opts.backgroundWindow ?? 16;
    this.thresholdSigma = opts.thresholdSigma ?? 4;
    this.topK = opts.topK ?? 2000;
    this.period = updatePeriod(this.backgroundWindow);
    this.noiseStep = noiseRowStep(this.width, this.height);
    const mask = rasterizeMasks(opts.privacyMasks ?? [], this.width, this.height);
    this.noiseIgnore = maskedZeros(mask, this.width, this.height, this.noiseStep);
    const spec = { width: this.width, height: this.height, topK: this.topK, mask };
    const wasm = opts.kernel === 'ts' ? null : motionWasmModule();
    if (wasm && 'module' in wasm) this.impl = new WasmKernel(spec, wasm.module);
    else if (wasm && opts.kernel === 'wasm') throw new PreprocessError('PREPROCESS_WASM', `WASM kernel unavailable: ${wasm.error}`);
    else this.impl = new ReferenceKernel(spec);
    this.kernel = this.impl.name;
  }

  /** Feed the next frame; fills `out` (no allocation in steady state). The first frames only warm the background up (count 0). */
  process(frame: Uint8Array, out: MotionPixels): void {
    const k = this.impl;
    if (!k) throw new PreprocessError('PREPROCESS_STATE', 'MotionDetector.process() after close()');
    if (frame.length !== this.width * this.height) {
      throw new PreprocessError('PREPROCESS_FRAME', `frame has ${frame.length} bytes, expected ${this.width}×${this.height}`);
    }
    if (out.index.length < this.topK || out.energy.length < this.topK) {
      throw new PreprocessError('PREPROCESS_FRAME', `MotionPixels capacity ${out.index.length} < topK ${this.topK}`);
    }
    const t = this.frames++;
    out.count = 0;
    out.candidates = 0;
    out.noiseSigma = 0;
    out.threshold = 0;
    k.load(frame);
    // Warm-up: frame 0 seeds the background, then `backgroundWindow − 1` frames of Σ-Δ steps
    // on every row; a threshold of E_MAX can never be exceeded, so nothing is reported.
    if (t === 0) {
      k.seed();
      return;
    }
    if (t < this.backgroundWindow) {
      k.detect(E_MAX, 1, 0);
      return;
    }
    const sigmaE = Math.max(MIN_SIGMA * E_SCALE, robustSigmaE(k.noiseHistogram(this.noiseStep), this.noiseIgnore));
    const thresholdE = Math.min(E_MAX, Math.floor(this.thresholdSigma * sigmaE));
    const n = k.detect(thresholdE, this.period, t % this.period);
    out.noiseSigma = sigmaE / E_SCALE;
    out.threshold = (this.thresholdSigma * sigmaE) / E_SCALE;
    out.candidates = k.candidates;
    out.count = n;
    for (let i = 0; i < n; i++) {
      out.index[i] = k.index[i]!;
      out.energy[i] = k.value[i]! / sigmaE;
    }
  }

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
