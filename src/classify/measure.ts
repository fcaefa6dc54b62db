/**
 * Measuring a target's image signature in one grey frame at its projected pixel: the contrast
 * summed over a square window (flux, so it does not depend on where the target falls within a
 * pixel, unlike the peak pixel, whose value swings with the sub-pixel position as the target
 * moves — a false flicker), against the median of a ring around it, and the count of pixels that
 * stand out by k·σ (σ from the ring's median absolute deviation about a fitted plane, so that
 * sky gradients and soft cloud edges do not leak into the sum).
 */

export interface MeasureOptions {
  /** Half-size of the window summed, px: it should cover the blob (e.g. from the motion blob's extent). Default 3. */
  radiusPx?: number;
  /** Width of the background ring outside the window, px (default 3), separated from it by `gapPx` (default 1). */
  ringPx?: number;
  gapPx?: number;
  /** Pixels beyond k·σ of the ring count towards areaPx (default 3). */
  k?: number;
  /** A background frame (e.g. the motion stage's temporal background), subtracted before the ring fit. */
  background?: ArrayLike<number>;
}

export interface SignatureMeasurement {
  /** Σ (pixel − background) over the window, grey levels · px (negative for dark targets). */
  contrast: number;
  /** Pixels in the window beyond k·σ of the background. */
  areaPx: number;
  /** The background level at the centre pixel. */
  background: number;
  /** Robust σ of the ring about its plane (1.4826 · MAD). */
  sigma: number;
}

/**
 * Measure at (u, v) (pixel coordinates, pixel centres at integers) in a width×height grey frame.
 * Null when the window and ring do not fit inside the frame.
 */
export function measureSignature(frame: ArrayLike<number>, width: number, height: number, u: number, v: number, opts: MeasureOptions = {}): SignatureMeasurement | null {
  const r = Math.max(0, Math.round(opts.radiusPx ?? 3)), ring = Math.max(1, Math.round(opts.ringPx ?? 3)), gap = Math.max(0, Math.round(opts.gapPx ?? 1));
  const k = opts.k ?? 3;
  const cx = Math.round(u), cy = Math.round(v);
  const R = r + gap + ring;
  if (!(cx - R >= 0 && cy - R >= 0 && cx + R < width && cy + R < height)) return null;
  // Background: a plane a + b·dx + c·dy fitted to the ring by least squares, refitted once
  // without the ring pixels beyond 3σ of the first fit (a star, a bird's wingtip, a cloud edge).
  // With `background` given (a temporal background frame), the plane is fitted to f − background.
  const bgf = opts.background;
  const xs: number[] = [], ys: number[] = [], vs: number[] = [];
  for (let y = cy - R; y <= cy + R; y++) {
    for (let x = cx - R; x <= cx + R; x++) {
      if (Math.max(Math.abs(x - cx), Math.abs(y - cy)) <= r + gap) continue;
      const i = y * width + x;
      xs.push(x - cx); ys.push(y - cy); vs.push(frame[i]! - (bgf ? bgf[i]! : 0));
    }
  }
  let plane = fitPlane(xs, ys, vs, null);
  let res = vs.map((val, j) => val - (plane[0] + plane[1] * xs[j]! + plane[2] * ys[j]!));
  let sigma = 1.4826 * median(res.map(Math.abs));
  const keep = res.map((e) => Math.abs(e) <= 3 * Math.max(sigma, 0.5));
  plane = fitPlane(xs, ys, vs, keep);
  res = vs.map((val, j) => val - (plane[0] + plane[1] * xs[j]! + plane[2] * ys[j]!));
  sigma = 1.4826 * median(res.filter((_, j) => keep[j]).map(Math.abs));
  let sum = 0, area = 0;
  const thr = k * Math.max(sigma, 0.5); // 8-bit quantisation: never below half a grey level
  for (let y = cy - r; y <= cy + r; y++) {
    for (let x = cx - r; x <= cx + r; x++) {
      const i = y * width + x;
      const d = frame[i]! - (bgf ? bgf[i]! : 0) - (plane[0] + plane[1] * (x - cx) + plane[2] * (y - cy));
      sum += d;
      if (Math.abs(d) > thr) area++;
    }
  }
  const bg = plane[0] + (bgf ? bgf[cy * width + cx]! : 0);
  return { contrast: sum, areaPx: area, background: bg, sigma };
}

function median(v: number[]): number {
  if (!v.length) return 0;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

/** Least-squares plane v ≈ a + b·x + c·y over the kept samples (normal equations, Cramer). */
function fitPlane(xs: number[], ys: number[], vs: number[], keep: boolean[] | null): [number, number, number] {
  let n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, sv = 0, sxv = 0, syv = 0;
  for (let j = 0; j < vs.length; j++) {
    if (keep && !keep[j]) continue;
    const x = xs[j]!, y = ys[j]!, v = vs[j]!;
    n++; sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y; sv += v; sxv += x * v; syv += y * v;
  }
  const det = n * (sxx * syy - sxy * sxy) - sx * (sx * syy - sxy * sy) + sy * (sx * sxy - sxx * sy);
  if (!(Math.abs(det) > 1e-9)) return [n ? sv / n : 0, 0, 0];
  const a = (sv * (sxx * syy - sxy * sxy) - sx * (sxv * syy - sxy * syv) + sy * (sxv * sxy - sxx * syv)) / det;
  const b = (n * (sxv * syy - syv * sxy) - sv * (sx * syy - sxy * sy) + sy * (sx * syv - sxv * sy)) / det;
  const c = (n * (sxx * syv - sxy * sxv) - sx * (sx * syv - sxv * sy) + sv * (sx * sxy - sxx * sy)) / det;
  return [a, b, c];
}
