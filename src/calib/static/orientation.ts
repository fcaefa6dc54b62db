/**
 * Orientation change of one camera between two background frames, from ORB matches on the
 * static (non-sky) region: rotation-only RANSAC on the match bearings, Lucas–Kanade sub-pixel
 * refinement of every inlier, then a trimmed least-squares rotation (Wahba) on the refined pairs.
 */
import { Camera, mat3Mul, orientationFromRotation, type Orientation } from '../../geometry/index.ts';
import { logSO3 } from '../solvers/index.ts';
import type { Cv } from './cv.ts';
import { detectOrb, matchOrb, type MatchOptions, type OrbOptions } from './features.ts';
import { bearings, fitRotation, projectBearing, ransacRotation, refineMatch, rotationResidual } from './rotation.ts';
import { smoothImage } from './image.ts';
import { extractSkyline, type SkylineProfile } from './skyline.ts';

const DEG = 180 / Math.PI;

export interface OrientationChangeOptions {
  orb?: OrbOptions;
  match?: MatchOptions;
  /** RANSAC threshold, pixels (default 2). */
  ransacPx?: number;
  /** Half size of the refinement patch, pixels (default 7). */
  patchHalf?: number;
  /** Gaussian smoothing of both frames before sub-pixel tracking, pixels (default 1; 0: none). */
  smoothSigmaPx?: number;
  /** Static-region masks (non-zero = use); default: below each frame's skyline. */
  refMask?: Uint8Array | null;
  curMask?: Uint8Array | null;
  /** RANSAC seed (default 1). */
  seed?: number;
}

export interface OrientationChange {
  ok: boolean;
  /** Why the estimate failed (ok false). */
  reason?: string;
  /** Camera-frame rotation Δ from the reference view to the current one (R_cur = Δ·R_ref). */
  R: Float64Array;
  /** |Δ|, degrees. */
  angleDeg: number;
  /** Δ as a rotation vector in the camera frame, degrees (x: tilt down/up axis, y: pan, z: roll). */
  omegaDeg: [number, number, number];
  /** ORB matches, RANSAC inliers, refined pairs used in the final fit. */
  matches: number;
  inliers: number;
  used: number;
  /** RMS residual of the pairs used, pixels. */
  rmsPx: number;
}

/**
 * Mask of the static region of a frame: each column from a few rows above its skyline down; a
 * column with no boundary is static when it is mostly darker than the threshold (all scenery)
 * and excluded when it is sky.
 */
export function staticMask(gray: Uint8Array, width: number, height: number, profile: SkylineProfile = extractSkyline(gray, width, height), marginPx = 3): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (let u = 0; u < width; u++) {
    let top = profile.row[u]!;
    if (!Number.isFinite(top)) {
      let dark = 0;
      for (let v = 0; v < height; v++) if (gray[v * width + u]! < profile.threshold) dark++;
      if (dark < 0.9 * height) continue;
      top = 0;
    }
    for (let v = Math.max(0, Math.floor(top - marginPx)); v < height; v++) mask[v * width + u] = 255;
  }
  return mask;
}

const fail = (reason: string, matches = 0, inliers = 0): OrientationChange => ({
  ok: false, reason, R: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), angleDeg: NaN, omegaDeg: [NaN, NaN, NaN], matches, inliers, used: 0, rmsPx: NaN,
});

/** Orientation change of camera `cam` (intrinsics used; pose ignored) from `ref` to `cur`. */
export function estimateOrientationChange(cv: Cv, cam: Camera, ref: Uint8Array, cur: Uint8Array, o: OrientationChangeOptions = {}): OrientationChange {
  const W = cam.width, H = cam.height;
  const refMask = o.refMask === undefined ? staticMask(ref, W, H) : o.refMask;
  const curMask = o.curMask === undefined ? staticMask(cur, W, H) : o.curMask;
  const fa = detectOrb(cv, ref, W, H, refMask, o.orb);
  const fb = detectOrb(cv, cur, W, H, curMask, o.orb);
  const pairs = matchOrb(cv, fa, fb, o.match);
  const m = pairs.length / 2;
  if (m < 8) return fail(`only ${m} ORB matches on the static scene`, m);
  const xa = new Float64Array(m), ya = new Float64Array(m), xb = new Float64Array(m), yb = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    xa[k] = Math.round(fa.x[pairs[2 * k]!]!); ya[k] = Math.round(fa.y[pairs[2 * k]!]!);
    xb[k] = fb.x[pairs[2 * k + 1]!]!; yb[k] = fb.y[pairs[2 * k + 1]!]!;
  }
  const b0 = bearings(cam, xa, ya), b1 = bearings(cam, xb, yb);
  const px = 1 / Math.max(cam.fx, cam.fy);
  const rs = ransacRotation(b0, b1, (o.ransacPx ?? 2) * px, o.seed ?? 1);
  if (!rs || rs.inliers.length < 8) return fail(`no rotation consensus among ${m} matches`, m, rs?.inliers.length ?? 0);
  // Sub-pixel: track each inlier's reference patch into the current frame from its predicted place.
  const D = rs.R;
  const sigma = o.smoothSigmaPx ?? 1;
  const refS = smoothImage(ref, W, H, sigma), curS = smoothImage(cur, W, H, sigma);
  const rx: number[] = [], ry: number[] = [], cx: number[] = [], cy: number[] = [];
  const p = new Float64Array(2);
  for (const i of rs.inliers) {
    const x = b0[3 * i]!, y = b0[3 * i + 1]!, z = b0[3 * i + 2]!;
    if (!projectBearing(cam, D[0]! * x + D[1]! * y + D[2]! * z, D[3]! * x + D[4]! * y + D[5]! * z, D[6]! * x + D[7]! * y + D[8]! * z, p)) continue;
    const t = refineMatch(refS, curS, W, H, xa[i]!, ya[i]!, p[0]!, p[1]!, o.patchHalf ?? 7, sigma > 0 ? 4 : 20);
    if (!t.ok) continue;
    rx.push(xa[i]!); ry.push(ya[i]!); cx.push(t.x); cy.push(t.y);
  }
  const n = rx.length;
  if (n < 8) return fail(`only ${n} inliers could be refined to sub-pixel`, m, rs.inliers.length);
  const q0 = bearings(cam, rx, ry), q1 = bearings(cam, cx, cy);
  // Trimmed refit: drop pairs beyond max(3·median, 0.3 px) of residual, twice.
  let use = Int32Array.from({ length: n }, (_, k) => k);
  let R = fitRotation(q0, q1, use);
  for (let round = 0; round < 2; round++) {
    const res = Array.from(use, (k) => rotationResidual(R, q0, q1, k));
    const med = [...res].sort((a, b) => a - b)[res.length >> 1]!;
    const lim = Math.max(3 * med, 0.3 * px);
    const keep = Int32Array.from(use.filter((_, j) => res[j]! <= lim));
    if (keep.length < 8 || keep.length === use.length) break;
    use = keep;
    R = fitRotation(q0, q1, use);
  }
  let ss = 0;
  for (const k of use) ss += rotationResidual(R, q0, q1, k) ** 2;
  const w = logSO3(R);
  return {
    ok: true, R, angleDeg: Math.hypot(w[0]!, w[1]!, w[2]!) * DEG, omegaDeg: [w[0]! * DEG, w[1]! * DEG, w[2]! * DEG],
    matches: m, inliers: rs.inliers.length, used: use.length, rmsPx: Math.sqrt(ss / use.length) / px,
  };
}

/** The orientation of a camera whose world→camera rotation `R0` turned by the camera-frame Δ. */
export function applyChange(R0: ArrayLike<number>, delta: ArrayLike<number>): { R: Float64Array; orientation: Orientation } {
  const R = mat3Mul(delta, R0);
  return { R, orientation: orientationFromRotation(R) };
}
