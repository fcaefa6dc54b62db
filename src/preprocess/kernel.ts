/**
 * What the motion detector needs from a kernel, and the arithmetic both kernels share. The two
 * kernels (`reference.ts` in TypeScript, `wasm.ts` around `assembly/motion.ts`) must give
 * bit-identical results: all pixel arithmetic is integer; the floating-point steps (σ, the
 * threshold, z-scores) happen once, here and in `detector.ts`, for both.
 */

/** Largest motion energy e = |4·d + 4 neighbours| in units of 1/8 grey level: 8 · 255. */
export const E_MAX = 2040;
/** e is in 1/8 grey level. */
export const E_SCALE = 8;
/** Floor of the robust σ, grey levels: a codec that repeats a static sky exactly gives MAD 0. */
export const MIN_SIGMA = 0.5;
/** Candidates are ranked by a quantised z-score zq = ⌊e · scale / 2¹⁶⌋ (1/ZQ_SCALE σ), clamped here. */
export const ZQ_MAX = 8191;
/** zq units per σ. */
export const ZQ_SCALE = 16;

/** Geometry and buffers a kernel is built for. */
export interface KernelSpec {
  width: number;
  height: number;
  topK: number;
  /** 0 (privacy-masked) or 255 per pixel; null when there is no mask. */
  mask: Uint8Array | null;
  /** Noise tiles are (1 << tileShift) px square; tileShift ≥ 4 (SIMD blocks of 16 px never straddle two tiles). */
  tileShift: number;
}

/** Tiles across and down for a kernel spec. */
export function tileGrid(width: number, height: number, tileShift: number): { tilesX: number; tilesY: number } {
  const t = 2 ** tileShift;
  return { tilesX: Math.ceil(width / t), tilesY: Math.ceil(height / t) };
}

export interface MotionKernel {
  readonly name: 'wasm' | 'ts';
  /** Take the next frame (width·height bytes) and apply the privacy mask to it. */
  load(frame: Uint8Array): void;
  /**
   * Where the next frame may be written directly (width·height bytes; the WASM kernel's own frame
   * memory, so a decoder can read into it without a copy); then {@link loadInput}.
   */
  inputBuffer(): Uint8Array;
  /** Take the frame written into {@link inputBuffer} (as load() does, without the copy). */
  loadInput(): void;
  /** background := the loaded frame. */
  seed(): void;
  /**
   * One 256-bin histogram of min(e, 255) per tile (tile t's bins at t·256, tiles in raster
   * order), on rows v ≡ step/2 (mod step), against the current background (which is not
   * changed). The view is valid until the next call.
   */
  noiseHistogram(step: number): Uint32Array;
  /** Per tile: a pixel is a candidate when e > tileThreshold[tile] (set before detect()). */
  readonly tileThreshold: Uint16Array;
  /** Per tile: rank of a candidate zq = min(ZQ_MAX, ⌊e · tileScale[tile] / 2¹⁶⌋) (set before detect()). */
  readonly tileScale: Uint32Array;
  /**
   * Difference, background update of rows with v % period === phase, denoise, threshold
   * (e > tileThreshold of the pixel's tile) and top-K by (zq descending, index ascending).
   * Returns the number kept; `index`/`value` (e) hold them in raster order and `candidates`
   * the number above the threshold.
   */
  detect(period: number, phase: number): number;
  readonly candidates: number;
  readonly index: Uint32Array;
  readonly value: Uint16Array;
  /** The loaded (masked) frame; valid until the next load(). */
  frameView(): Uint8Array;
  /** The background (after the last detect()'s update of its rows). */
  backgroundView(): Uint8Array;
  close(): void;
}

/** Rows between noise-histogram rows: ≥ ~65 k samples, at most every 16th row. */
export function noiseRowStep(width: number, height: number): number {
  return Math.max(1, Math.min(16, Math.floor((width * height) / 65536)));
}

/**
 * Rows between noise-histogram rows for tiles of side `tile` (≥ the frame: one σ per frame,
 * `noiseRowStep`): about 256 samples per tile, at most every 16th row, and a divisor of the tile
 * side so that every full tile holds the same rows.
 */
export function tileRowStep(width: number, height: number, tile: number): number {
  if (tile >= width && tile >= height) return noiseRowStep(width, height);
  let step = 1;
  while (step < 16 && (Math.min(tile, width) * Math.min(tile, height)) / (2 * step) >= 256) step *= 2;
  return step;
}

/** Frames between two Σ-Δ steps of one background row (the step is 1 grey level). */
export function updatePeriod(backgroundWindow: number): number {
  return Math.max(1, Math.round(backgroundWindow / 8));
}

/**
 * Robust σ of e (units of 1/8 grey level): 1.4826 × the median of |s|, the median read from the
 * histogram with linear interpolation inside its bin (bin k spans k ± ½, bin 0 spans [0, ½]).
 * `ignoreZeros` pixels of bin 0 are privacy-masked pixels, not data. Returns 0 when empty.
 */
export function robustSigmaE(hist: Uint32Array, ignoreZeros: number): number {
  let total = -ignoreZeros;
  for (let k = 0; k < 256; k++) total += hist[k]!;
  if (total <= 0) return 0;
  const half = total / 2;
  let cum = 0;
  for (let k = 0; k < 256; k++) {
    const n = k === 0 ? hist[0]! - ignoreZeros : hist[k]!;
    if (cum + n >= half) {
      const lo = k === 0 ? 0 : k - 0.5;
      const width = k === 0 ? 0.5 : 1;
      return 1.4826 * (lo + (width * (half - cum)) / n);
    }
    cum += n;
  }
  return 1.4826 * 255.5;
}

/**
 * Robust σ of one tile's histogram (bins at `hist[at … at + 255]`) whose sample count `total` is
 * known (masked zeros already taken out; `ignoreZeros` of bin 0 are masked pixels): the
 * p-quantile of |s|, interpolated inside its bin as in `robustSigmaE`, divided by the same
 * quantile of |N(0, 1)|: × `scale` = 1 / Φ⁻¹((1 + p)/2) (p = ½: 1.4826 × the median). Returns 0
 * when empty.
 */
export function robustSigmaTile(hist: Uint32Array, at: number, total: number, ignoreZeros: number, p = 0.5, scale = 1.4826): number {
  if (total <= 0) return 0;
  const target = p * total;
  let cum = 0;
  for (let k = 0; k < 256; k++) {
    const n = k === 0 ? hist[at]! - ignoreZeros : hist[at + k]!;
    if (cum + n >= target && n > 0) {
      const lo = k === 0 ? 0 : k - 0.5;
      const width = k === 0 ? 0.5 : 1;
      return scale * (lo + (width * (target - cum)) / n);
    }
    cum += n;
  }
  return scale * 255.5;
}

/** Φ⁻¹((1 + p)/2): the p-quantile of |z| for a standard normal z (bisection on erfc, ~1e-7). */
export function halfNormalQuantile(p: number): number {
  // erfc by Numerical Recipes' Chebyshev fit (fractional error < 1.2e-7).
  const erfc = (x: number) => {
    const t = 1 / (1 + 0.5 * x);
    return t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
      + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  };
  // P(|z| ≤ q) = 1 − erfc(q/√2).
  let lo = 0, hi = 10;
  for (let i = 0; i < 60; i++) {
    const mid = 0.5 * (lo + hi);
    if (1 - erfc(mid / Math.SQRT2) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
