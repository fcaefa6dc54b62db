/** Public types of the preprocess stage (re-exported by index.ts). */

export interface MotionPixels {
  /** Valid entries. */
  count: number;
  /** v·width + u, in raster order; capacity = topK. */
  index: Uint32Array;
  /** Motion energy as a z-score: |denoised diff| / noiseSigma (> threshold / noiseSigma). */
  energy: Float32Array;
  /** Robust σ of this frame's (denoised) difference image, grey levels; 0 during warm-up. */
  noiseSigma: number;
  /** Grey-level threshold used this frame (thresholdSigma · noiseSigma); 0 during warm-up. */
  threshold: number;
  /** Pixels above threshold before the top-K cut. */
  candidates: number;
}

export function createMotionPixels(capacity: number): MotionPixels {
  return {
    count: 0,
    index: new Uint32Array(capacity),
    energy: new Float32Array(capacity),
    noiseSigma: 0,
    threshold: 0,
    candidates: 0,
  };
}

export interface MotionOptions {
  width: number;
  height: number;
  /** Frames the background model spans (default 16): warm-up length, and the Σ-Δ step period round(window / 8). */
  backgroundWindow?: number;
  /** k in threshold = k·σ (default 4). */
  thresholdSigma?: number;
  /** Max motion pixels per frame (default 2000); the strongest are kept. */
  topK?: number;
  /** Polygons in pixels ([x, y] = [u, v]), zeroed before anything else. */
  privacyMasks?: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
  /** Default 'wasm' when available (build/motion.wasm present and WASM SIMD supported), else 'ts'. */
  kernel?: 'wasm' | 'ts';
}
