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

/** Geometry and buffers a kernel is built for. */
export interface KernelSpec {
  width: number;
  height: number;
  topK: number;
  /** 0 (privacy-masked) or 255 per pixel; null when there is no mask. */
  mask: Uint8Array | null;
}

export interface MotionKernel {
  readonly name: 'wasm' | 'ts';
  /** Take the next frame (width·height bytes) and apply the privacy mask to it. */
  load(frame: Uint8Array): void;
  /** background := the loaded frame. */
  seed(): void;
  /**
   * 256-bin histogram of min(e, 255) on rows v ≡ step/2 (mod step), against the current
   * background (which is not changed). The view is valid until the next call.
   */
  noiseHistogram(step: number): Uint32Array;
  /**
   * Difference, background update of rows with v % period === phase, denoise, threshold
   * (e > threshold) and top-K. Returns the number kept; `index`/`value` hold them in raster
   * order and `candidates` the number above the threshold.
   */
  detect(threshold: number, period: number, phase: number): number;
  readonly candidates: number;
  readonly index: Uint32Array;
  readonly value: Uint16Array;
  close(): void;
}

/** Rows between noise-histogram rows: ≥ ~65 k samples, at most every 16th row. */
export function noiseRowStep(width: number, height: number): number {
  return Math.max(1, Math.min(16, Math.floor((width * height) / 65536)));
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
