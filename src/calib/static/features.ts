/**
 * ORB features on grey frames and their matching (OpenCV.js), with every cv.Mat freed before
 * returning. Matching is brute-force Hamming with Lowe's ratio test in both directions and a
 * mutual-best check, which leaves few enough outliers for a small-model RANSAC.
 */
import type { Cv, CvMat } from './cv.ts';

/** OpenCV's default FAST threshold, the one OpenCV.js leaves us with. */
const CV_FAST_THRESHOLD = 20;

export interface OrbOptions {
  /** Most keypoints kept (default 1500). */
  nFeatures?: number;
  /** Effective FAST threshold, grey levels (default 10: distant scenery is low in contrast). */
  fastThreshold?: number;
  /** Pyramid levels (default 4) and scale step (default 1.2). */
  nLevels?: number;
  scaleFactor?: number;
}

export interface OrbFeatures {
  n: number;
  /** Keypoint positions, pixels (pixel centres at integers). */
  x: Float64Array;
  y: Float64Array;
  /** Pyramid level of each keypoint. */
  octave: Int32Array;
  /** n × 32 bytes of descriptor. */
  desc: Uint8Array;
}

/**
 * ORB keypoints and descriptors of a width×height grey frame; only where `mask` is non-zero
 * when a mask is given.
 */
export function detectOrb(cv: Cv, gray: Uint8Array, width: number, height: number, mask: Uint8Array | null, o: OrbOptions = {}): OrbFeatures {
  if (gray.length !== width * height) throw new RangeError(`detectOrb: frame has ${gray.length} bytes, expected ${width}×${height}`);
  const img = new cv.Mat(height, width, cv.CV_8UC1);
  const m = mask ? new cv.Mat(height, width, cv.CV_8UC1) : new cv.Mat();
  // OpenCV.js binds neither the score-type enum of the full constructor nor setFastThreshold, so
  // the FAST threshold stays at OpenCV's 20: a lower one is had by stretching the contrast.
  const orb = new cv.ORB(o.nFeatures ?? 1500);
  orb.setScaleFactor(o.scaleFactor ?? 1.2);
  orb.setNLevels(o.nLevels ?? 4);
  const kp = new cv.KeyPointVector();
  const des = new cv.Mat();
  try {
    const gain = CV_FAST_THRESHOLD / (o.fastThreshold ?? 10);
    if (gain === 1) img.data.set(gray);
    else {
      let sum = 0, cnt = 0;
      for (let i = 0; i < gray.length; i++) if (!mask || mask[i]) { sum += gray[i]!; cnt++; }
      const mean = cnt > 0 ? sum / cnt : 128;
      const d = img.data;
      for (let i = 0; i < gray.length; i++) { const v = (gray[i]! - mean) * gain + 128; d[i] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0; }
    }
    if (mask) m.data.set(mask);
    orb.detectAndCompute(img, m, kp, des);
    const n = kp.size();
    const out: OrbFeatures = { n, x: new Float64Array(n), y: new Float64Array(n), octave: new Int32Array(n), desc: new Uint8Array(n * 32) };
    for (let i = 0; i < n; i++) {
      const k = kp.get(i);
      out.x[i] = k.pt.x; out.y[i] = k.pt.y; out.octave[i] = k.octave;
    }
    if (n > 0) out.desc.set(des.data.subarray(0, n * 32));
    return out;
  } finally {
    img.delete(); m.delete(); orb.delete(); kp.delete(); des.delete();
  }
}

export interface MatchOptions {
  /** Lowe ratio: best distance below ratio × second best (default 0.8). */
  ratio?: number;
  /** Largest Hamming distance accepted (default 64 of 256 bits). */
  maxDistance?: number;
}

function descMat(cv: Cv, f: OrbFeatures): CvMat {
  const m = new cv.Mat(f.n, 32, cv.CV_8UC1);
  m.data.set(f.desc);
  return m;
}

function oneWay(cv: Cv, q: CvMat, t: CvMat, ratio: number, maxD: number): Int32Array {
  const bf = new cv.BFMatcher(cv.NORM_HAMMING, false);
  const mv = new cv.DMatchVectorVector();
  try {
    bf.knnMatch(q, t, mv, 2);
    const best = new Int32Array(q.rows).fill(-1);
    for (let i = 0; i < mv.size(); i++) {
      const pair = mv.get(i);
      try {
        if (pair.size() < 1) continue;
        const a = pair.get(0);
        if (a.distance > maxD) continue;
        if (pair.size() >= 2 && !(a.distance < ratio * pair.get(1).distance)) continue;
        best[a.queryIdx] = a.trainIdx;
      } finally {
        pair.delete();
      }
    }
    return best;
  } finally {
    bf.delete(); mv.delete();
  }
}

/** Mutual ratio-test matches between two feature sets: pairs (index in a, index in b), flat. */
export function matchOrb(cv: Cv, a: OrbFeatures, b: OrbFeatures, o: MatchOptions = {}): Int32Array {
  if (a.n < 2 || b.n < 2) return new Int32Array(0);
  const ratio = o.ratio ?? 0.8, maxD = o.maxDistance ?? 64;
  const ma = descMat(cv, a), mb = descMat(cv, b);
  try {
    const ab = oneWay(cv, ma, mb, ratio, maxD), ba = oneWay(cv, mb, ma, ratio, maxD);
    const out: number[] = [];
    for (let i = 0; i < a.n; i++) {
      const j = ab[i]!;
      if (j >= 0 && ba[j] === i) out.push(i, j);
    }
    return Int32Array.from(out);
  } finally {
    ma.delete(); mb.delete();
  }
}
