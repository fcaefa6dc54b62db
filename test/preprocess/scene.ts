/**
 * Synthetic grey frames written from scratch for the preprocess tests: a sky (flat or with a
 * drifting cloud edge), Gaussian sensor noise from a seeded RNG, and small targets of known
 * position rendered by area (a 1×1 px square at a sub-pixel position splits its contrast over
 * the up-to-four pixels it overlaps). Rounded and clipped to 8 bits like a camera.
 */
import { Rng } from '../../src/util/rng.ts';
import { MotionDetector, createMotionPixels, type MotionOptions, type MotionPixels } from '../../src/preprocess/index.ts';

export interface Blob {
  /** Centre, pixels (pixel (0, 0) is the centre of the top-left pixel). */
  u: number;
  v: number;
  /** Grey levels added (negative = darker than the sky). */
  contrast: number;
  /** Side of the square, pixels (default 1). */
  size?: number;
}

export interface SceneSpec {
  width: number;
  height: number;
  sky?: number;
  noiseSigma?: number;
  /** A cloud edge: brightness rises by `cloudContrast` over `cloudWidth` px to the right of x = cloudEdge. */
  cloudEdge?: number;
  cloudWidth?: number;
  cloudContrast?: number;
}

/** Render one frame. */
export function renderFrame(spec: SceneSpec, blobs: ReadonlyArray<Blob>, rng: Rng): Uint8Array {
  const { width: w, height: h } = spec;
  const sky = spec.sky ?? 120;
  const f = new Float64Array(w * h);
  for (let u = 0; u < w; u++) {
    let b = sky;
    if (spec.cloudEdge !== undefined) {
      const x = Math.min(1, Math.max(0, (u - spec.cloudEdge) / (spec.cloudWidth ?? 40)));
      b += (spec.cloudContrast ?? 30) * x * x * (3 - 2 * x);
    }
    for (let v = 0; v < h; v++) f[v * w + u] = b;
  }
  for (const bl of blobs) {
    const s = bl.size ?? 1;
    // Area of overlap of the square [u ± s/2] × [v ± s/2] with each pixel [x ± ½] × [y ± ½].
    for (let y = Math.floor(bl.v - s / 2 - 1); y <= Math.ceil(bl.v + s / 2 + 1); y++) {
      const oy = Math.max(0, Math.min(bl.v + s / 2, y + 0.5) - Math.max(bl.v - s / 2, y - 0.5));
      for (let x = Math.floor(bl.u - s / 2 - 1); x <= Math.ceil(bl.u + s / 2 + 1); x++) {
        const ox = Math.max(0, Math.min(bl.u + s / 2, x + 0.5) - Math.max(bl.u - s / 2, x - 0.5));
        if (ox > 0 && oy > 0 && x >= 0 && y >= 0 && x < w && y < h) f[y * w + x]! += bl.contrast * ox * oy;
      }
    }
  }
  const sigma = spec.noiseSigma ?? 2;
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(f[i]! + sigma * rng.normal())));
  return out;
}

/** Run a detector over frames; returns a copy of every frame's output. */
export function runDetector(opts: MotionOptions, frames: Iterable<Uint8Array>): MotionPixels[] {
  const det = new MotionDetector(opts);
  const out = createMotionPixels(det.topK);
  const res: MotionPixels[] = [];
  for (const fr of frames) {
    det.process(fr, out);
    res.push({ ...out, index: out.index.slice(0, out.count), energy: out.energy.slice(0, out.count) });
  }
  det.close();
  return res;
}
