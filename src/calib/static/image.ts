/**
 * Image helpers for the sub-pixel stages: a separable Gaussian smoothing into floats. Tracking
 * with bilinear interpolation on a sharp image pulls estimates toward whole pixels (the
 * interpolation low-passes fractional positions more than whole ones); smoothing both images
 * first makes the interpolation error small against the signal.
 */

/** Gaussian-smoothed copy of a width×height grey image (edges clamped), kernel radius ⌈3σ⌉. */
export function smoothImage(src: ArrayLike<number>, W: number, H: number, sigma: number): Float32Array {
  const out = new Float32Array(W * H);
  if (!(sigma > 0)) { for (let i = 0; i < W * H; i++) out[i] = src[i]!; return out; }
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) { k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma)); sum += k[i + r]!; }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  const tmp = new Float32Array(W * H);
  for (let v = 0; v < H; v++) {
    const o = v * W;
    for (let u = 0; u < W; u++) {
      let a = 0;
      for (let i = -r; i <= r; i++) a += k[i + r]! * src[o + Math.min(W - 1, Math.max(0, u + i))]!;
      tmp[o + u] = a;
    }
  }
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      let a = 0;
      for (let i = -r; i <= r; i++) a += k[i + r]! * tmp[Math.min(H - 1, Math.max(0, v + i)) * W + u]!;
      out[v * W + u] = a;
    }
  }
  return out;
}
