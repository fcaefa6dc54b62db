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
  /**
   * Side of the square tiles with their own noise σ and threshold, pixels: a power of two
   * ≥ 16, or 0 for one σ for the whole frame (the behaviour before per-tile noise). Default 64.
   */
  noiseTile?: number;
  /**
   * A tile's σ is this quantile of its |denoised difference| over the same quantile of |N(0, 1)|
   * (default 0.95; 0.5 is the MAD, 1.4826 × the median). Higher quantiles follow codec noise's
   * heavy tails and are less coarse where most differences are 0 or 1/8 grey level.
   */
  noiseQuantile?: number;
  /** A tile's σ is at least this fraction of the frame's median tile σ (default 0; in 0..1). */
  noiseFloor?: number;
  /** Default 'wasm' when available (build/motion.wasm present and WASM SIMD supported), else 'ts'. */
  kernel?: 'wasm' | 'ts';
}
