/**
 * Skyline alignment: an ORB-free estimate of a camera's orientation change from the sky/ground
 * boundary.
 *
 * Profile: per column, scanning down from the top, the first run of `run` pixels darker than the
 * frame's sky/scenery threshold (Otsu's, over the frame) marks the boundary; its sub-pixel row is
 * follows from the area of sky in a 7-row window around it, measured against the sky level just
 * above and the scenery level just below (exact for an area-sampled step edge whatever its
 * sub-pixel phase). Clouds are brighter than clear sky, so they do not stop the scan.
 *
 * Alignment: every reference boundary point (u, p0(u)) gives a bearing b; a rotation Δ moves it to
 * the pixel (u', v') of Δ·b, which must lie on the current profile. The residual is the distance
 * from (u', v') to the current profile measured along its normal, (v' − p1(u'))/√(1 + p1'(u')²),
 * so steep silhouettes (tree flanks, roof corners) constrain yaw and flat ones pitch; roll comes
 * from the spread across the width. Δ = exp([ω]×) is found by Gauss–Newton on ω with Huber
 * weights, started from the best whole-pixel shift of the profiles.
 */
import type { Camera } from '../../geometry/index.ts';
import { expSO3 } from '../solvers/index.ts';
import { bearings, projectBearing } from './rotation.ts';

export interface SkylineProfile {
  width: number;
  /** Boundary row per column (sub-pixel), NaN where the column shows no boundary. */
  row: Float64Array;
  /** Sky-minus-scenery contrast at the boundary, grey levels (0 where none). */
  contrast: Float64Array;
  /** The sky/scenery threshold used. */
  threshold: number;
}

/** Otsu's threshold of a grey frame. */
export function otsuThreshold(gray: ArrayLike<number>): number {
  const hist = new Float64Array(256);
  for (let i = 0; i < gray.length; i++) hist[Math.max(0, Math.min(255, Math.round(gray[i]!)))]!++;
  const n = gray.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * hist[i]!;
  let wB = 0, sumB = 0, best = 0, th = 128;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = n - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB, mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) ** 2;
    if (between > best) { best = between; th = t + 0.5; }
  }
  return th;
}

export interface ProfileOptions {
  /** Dark pixels in a row that confirm a boundary (default 3). */
  run?: number;
  /** Smallest sky-minus-scenery contrast kept, grey levels (default 20). */
  minContrast?: number;
  /** Threshold override (default: Otsu's). */
  threshold?: number;
}

/** The sky/scenery boundary of a width×height grey frame. */
export function extractSkyline(gray: ArrayLike<number>, width: number, height: number, o: ProfileOptions = {}): SkylineProfile {
  const th = o.threshold ?? otsuThreshold(gray);
  const run = o.run ?? 3, minC = o.minContrast ?? 20;
  const row = new Float64Array(width).fill(NaN), contrast = new Float64Array(width);
  for (let u = 0; u < width; u++) {
    let v0 = -1;
    for (let v = 0; v + run <= height; v++) {
      let dark = true;
      for (let k = 0; k < run; k++) if (!(gray[(v + k) * width + u]! < th)) { dark = false; break; }
      if (dark) { v0 = v; break; }
    }
    // A boundary needs sky above it (not the top rows) and room below.
    if (v0 < 8 || v0 + 6 >= height) continue;
    let sky = 0, grd = 0;
    for (let k = 5; k <= 7; k++) sky += gray[(v0 - k) * width + u]!;
    for (let k = 3; k <= 5; k++) grd += gray[(v0 + k) * width + u]!;
    sky /= 3; grd /= 3;
    if (sky - grd < minC) continue;
    // Area estimate of the edge: rows v0−4..v0+2 hold (edge − (v0−4.5)) rows' worth of sky.
    let frac = 0;
    for (let v = v0 - 4; v <= v0 + 2; v++) frac += (gray[v * width + u]! - grd) / (sky - grd);
    row[u] = v0 - 4.5 + frac;
    contrast[u] = sky - grd;
  }
  return { width, row, contrast, threshold: th };
}

export interface SkylineAlignment {
  /** Camera-frame rotation Δ (row-major) taking reference bearings to current ones. */
  R: Float64Array;
  /** Its angle, degrees. */
  angleDeg: number;
  /** Boundary points used in the last iteration, and the RMS of their normal residuals, pixels. */
  used: number;
  rmsPx: number;
}

export interface AlignOptions {
  /** Largest whole-pixel shift searched for the start, pixels (default 40). */
  searchPx?: number;
  /** Huber scale, pixels (default 0.5). */
  huberPx?: number;
  /** Gauss–Newton iterations (default 15). */
  iterations?: number;
}

/** Current-profile row at a fractional column, with its slope; NaN when either neighbour is missing. */
function sampleProfile(p: SkylineProfile, u: number, out: { v: number; slope: number }): boolean {
  const i = Math.floor(u);
  if (i < 0 || i + 1 >= p.width) return false;
  const a = p.row[i]!, b = p.row[i + 1]!;
  if (!(Number.isFinite(a) && Number.isFinite(b))) return false;
  // Jumps of many rows between neighbours are vertical edges, not a curve to interpolate.
  if (Math.abs(b - a) > 6) return false;
  out.v = a + (b - a) * (u - i);
  out.slope = b - a;
  return true;
}

/**
 * Rotation between two skyline profiles of the same camera (same intrinsics `cam`), from the
 * reference `ref` to the current `cur`. Null when fewer than 30 boundary points overlap.
 */
export function alignSkyline(cam: Camera, ref: SkylineProfile, cur: SkylineProfile, o: AlignOptions = {}): SkylineAlignment | null {
  const us: number[] = [], vs: number[] = [];
  for (let u = 0; u < ref.width; u++) if (Number.isFinite(ref.row[u]!)) { us.push(u); vs.push(ref.row[u]!); }
  if (us.length < 30) return null;
  const b = bearings(cam, us, vs);
  const n = us.length;
  // Start: the whole-pixel horizontal shift with the smallest median row difference.
  const S = o.searchPx ?? 40;
  let bestCost = Infinity, bestDu = 0, bestDv = 0;
  const diffs: number[] = [];
  const sp = { v: 0, slope: 0 };
  for (let du = -S; du <= S; du++) {
    diffs.length = 0;
    for (let k = 0; k < n; k++) if (sampleProfile(cur, us[k]! + du, sp)) diffs.push(sp.v - vs[k]!);
    if (diffs.length < Math.max(30, n / 3)) continue;
    diffs.sort((x, y) => x - y);
    const med = diffs[diffs.length >> 1]!;
    let c = 0;
    for (const d of diffs) c += Math.min(Math.abs(d - med), 3);
    c /= diffs.length;
    if (c < bestCost) { bestCost = c; bestDu = du; bestDv = med; }
  }
  if (bestCost === Infinity) return null;
  let w = [-bestDv / cam.fy, bestDu / cam.fx, 0];
  const huber = o.huberPx ?? 0.5;
  const px = new Float64Array(2);
  const resid = (om: number[], out: Float64Array): Uint8Array => {
    const D = expSO3(om);
    const valid = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      const x = b[3 * k]!, y = b[3 * k + 1]!, z = b[3 * k + 2]!;
      if (!projectBearing(cam, D[0]! * x + D[1]! * y + D[2]! * z, D[3]! * x + D[4]! * y + D[5]! * z, D[6]! * x + D[7]! * y + D[8]! * z, px)) continue;
      if (!sampleProfile(cur, px[0]!, sp)) continue;
      out[k] = (px[1]! - sp.v) / Math.sqrt(1 + sp.slope * sp.slope);
      valid[k] = 1;
    }
    return valid;
  };
  const r0 = new Float64Array(n), rp = new Float64Array(n), rm = new Float64Array(n);
  const J = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  let used = 0, rms = NaN;
  const iters = o.iterations ?? 15;
  const h = 1e-6;
  for (let it = 0; it < iters; it++) {
    const v0 = resid(w, r0);
    const ok = Uint8Array.from(v0);
    for (let a = 0; a < 3; a++) {
      const wp = w.slice(), wm = w.slice();
      wp[a]! += h; wm[a]! -= h;
      const vp = resid(wp, rp), vm = resid(wm, rm);
      for (let k = 0; k < n; k++) {
        if (!(vp[k] && vm[k])) { ok[k] = 0; continue; }
        J[a]![k] = (rp[k]! - rm[k]!) / (2 * h);
      }
    }
    // Gate gross outliers (occluded or newly visible columns) at 3 px after the first step.
    const gate = it === 0 ? 10 : 3;
    const A = new Float64Array(9), g = new Float64Array(3);
    used = 0;
    let ss = 0;
    for (let k = 0; k < n; k++) {
      if (!ok[k]) continue;
      const r = r0[k]!;
      if (Math.abs(r) > gate) continue;
      const wt = Math.abs(r) <= huber ? 1 : huber / Math.abs(r);
      used++; ss += r * r;
      for (let a = 0; a < 3; a++) {
        g[a] = g[a]! + wt * J[a]![k]! * r;
        for (let c = 0; c < 3; c++) A[a * 3 + c] = A[a * 3 + c]! + wt * J[a]![k]! * J[c]![k]!;
      }
    }
    if (used < 30) return null;
    rms = Math.sqrt(ss / used);
    const d = solveSym3(A, g);
    if (!d) return null;
    w = [w[0]! - d[0]!, w[1]! - d[1]!, w[2]! - d[2]!];
    if (Math.hypot(d[0]!, d[1]!, d[2]!) < 1e-9) break;
  }
  const R = expSO3(w);
  return { R, angleDeg: (Math.hypot(w[0]!, w[1]!, w[2]!) * 180) / Math.PI, used, rmsPx: rms };
}

function solveSym3(A: Float64Array, g: Float64Array): Float64Array | null {
  const a = A[0]!, b = A[1]!, c = A[2]!, d = A[4]!, e = A[5]!, f = A[8]!;
  const det = a * (d * f - e * e) - b * (b * f - e * c) + c * (b * e - d * c);
  if (!(Math.abs(det) > 1e-300)) return null;
  const i00 = d * f - e * e, i01 = c * e - b * f, i02 = b * e - c * d, i11 = a * f - c * c, i12 = b * c - a * e, i22 = a * d - b * b;
  return new Float64Array([
    (i00 * g[0]! + i01 * g[1]! + i02 * g[2]!) / det,
    (i01 * g[0]! + i11 * g[1]! + i02 * 0 + i12 * g[2]!) / det,
    (i02 * g[0]! + i12 * g[1]! + i22 * g[2]!) / det,
  ]);
}
