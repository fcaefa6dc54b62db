/**
 * Rotation-only geometry of one camera seen twice from the same place: bearings of pixels,
 * the least-squares rotation between two bearing sets (Kabsch/Wahba), its RANSAC, and a
 * sub-pixel refinement of point matches by Lucas–Kanade on image patches.
 *
 * Convention: bearings are in the camera frame (x right, y down, z forward). A camera that turned
 * by Δ (camera frame) sees a static direction that was b0 at b1 = Δ·b0, and its world→camera
 * rotation becomes R1 = Δ·R0. This holds for scenery at any depth as long as the camera centre
 * did not move, which is what makes the model exact for a bumped pole-mounted camera.
 */
import type { Camera } from '../../geometry/index.ts';
import { projectToRotation } from '../solvers/index.ts';
import { ransac } from '../solvers/ransac.ts';

/** Unit camera-frame bearings of pixels (xs[i], ys[i]) under `cam`'s intrinsics and distortion (3 per point; NaN where undistortion fails). */
export function bearings(cam: Camera, xs: ArrayLike<number>, ys: ArrayLike<number>): Float64Array {
  const n = xs.length, out = new Float64Array(3 * n), tmp = new Float64Array(2);
  for (let i = 0; i < n; i++) {
    if (!cam.undistortNormInto((xs[i]! - cam.cx) / cam.fx, (ys[i]! - cam.cy) / cam.fy, tmp)) {
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = NaN;
      continue;
    }
    const s = 1 / Math.hypot(tmp[0]!, tmp[1]!, 1);
    out[3 * i] = tmp[0]! * s; out[3 * i + 1] = tmp[1]! * s; out[3 * i + 2] = s;
  }
  return out;
}

/** Pixel of a camera-frame direction (x, y, z), z > 0, into out[0..1]; false behind the camera. */
export function projectBearing(cam: Camera, x: number, y: number, z: number, out: Float64Array | number[]): boolean {
  if (!(z > 1e-9)) return false;
  cam.distortNormInto(x / z, y / z, out);
  out[0] = cam.fx * out[0]! + cam.cx;
  out[1] = cam.fy * out[1]! + cam.cy;
  return true;
}

/**
 * The rotation Δ minimising Σ wᵢ‖b1ᵢ − Δ·b0ᵢ‖² (Wahba's problem): the nearest rotation to
 * M = Σ wᵢ·b1ᵢ·b0ᵢᵀ. `idx` selects points (all when omitted).
 */
export function fitRotation(b0: ArrayLike<number>, b1: ArrayLike<number>, idx?: ArrayLike<number>, w?: ArrayLike<number>): Float64Array {
  const M = new Float64Array(9);
  const n = idx ? idx.length : b0.length / 3;
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k]! : k;
    const wi = w ? w[i]! : 1;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) M[r * 3 + c] = M[r * 3 + c]! + wi * b1[3 * i + r]! * b0[3 * i + c]!;
  }
  return projectToRotation(M);
}

/** Angle (radians) between b1ᵢ and Δ·b0ᵢ. */
export function rotationResidual(D: ArrayLike<number>, b0: ArrayLike<number>, b1: ArrayLike<number>, i: number): number {
  const x = b0[3 * i]!, y = b0[3 * i + 1]!, z = b0[3 * i + 2]!;
  const px = D[0]! * x + D[1]! * y + D[2]! * z, py = D[3]! * x + D[4]! * y + D[5]! * z, pz = D[6]! * x + D[7]! * y + D[8]! * z;
  const cx = py * b1[3 * i + 2]! - pz * b1[3 * i + 1]!, cy = pz * b1[3 * i]! - px * b1[3 * i + 2]!, cz = px * b1[3 * i + 1]! - py * b1[3 * i]!;
  return Math.atan2(Math.hypot(cx, cy, cz), px * b1[3 * i]! + py * b1[3 * i + 1]! + pz * b1[3 * i + 2]!);
}

/** RANSAC over two-point rotation samples; threshold in radians. Null when fewer than 2 usable points. */
export function ransacRotation(b0: Float64Array, b1: Float64Array, thresholdRad: number, seed = 1): { R: Float64Array; inliers: Int32Array } | null {
  const n = b0.length / 3;
  const ok: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isFinite(b0[3 * i]!) && Number.isFinite(b1[3 * i]!)) ok.push(i);
  if (ok.length < 2) return null;
  const okA = Int32Array.from(ok);
  const r = ransac<Float64Array>({
    n: ok.length, sampleSize: 2, threshold: thresholdRad, seed, maxIterations: 500,
    fit: (s) => {
      const i = okA[s[0]!]!, j = okA[s[1]!]!;
      // Two nearly parallel bearings do not fix the rotation about them.
      const c = b0[3 * i]! * b0[3 * j]! + b0[3 * i + 1]! * b0[3 * j + 1]! + b0[3 * i + 2]! * b0[3 * j + 2]!;
      if (c > 0.99999) return [];
      return [fitRotation(b0, b1, [i, j])];
    },
    residual2: (D, k) => rotationResidual(D, b0, b1, okA[k]!) ** 2,
    refit: (inl) => fitRotation(b0, b1, Array.from(inl, (k) => okA[k]!)),
  });
  if (!r) return null;
  return { R: r.model, inliers: Int32Array.from(r.inliers, (k) => okA[k]!) };
}

export interface PatchTrack {
  x: number;
  y: number;
  /** Zero-mean normalised cross-correlation of the patches at the solution. */
  ncc: number;
  ok: boolean;
}

/**
 * Sub-pixel position in `cur` of the patch of `ref` centred on the integer pixel (x0, y0), by
 * inverse-compositional Lucas–Kanade on a translation with the patches' means removed, started at
 * (xi, yi). Fails (ok false) near the border, on flat or edge-only patches (smallest eigenvalue
 * of the structure tensor below `minEigPerPx` per pixel, grey levels²), when it wanders over 2 px from
 * the start or when the correlation at the end is below 0.8.
 */
export function refineMatch(ref: ArrayLike<number>, cur: ArrayLike<number>, W: number, H: number, x0: number, y0: number, xi: number, yi: number, half = 7, minEigPerPx = 20): PatchTrack {
  const fail: PatchTrack = { x: xi, y: yi, ncc: 0, ok: false };
  const m = half + 2;
  if (x0 < m || y0 < m || x0 >= W - m || y0 >= H - m) return fail;
  const side = 2 * half + 1, N = side * side;
  const T = new Float64Array(N), gx = new Float64Array(N), gy = new Float64Array(N);
  let tm = 0;
  for (let j = -half, k = 0; j <= half; j++) for (let i = -half; i <= half; i++, k++) {
    const o = (y0 + j) * W + x0 + i;
    T[k] = ref[o]!;
    gx[k] = (ref[o + 1]! - ref[o - 1]!) / 2;
    gy[k] = (ref[o + W]! - ref[o - W]!) / 2;
    tm += T[k]!;
  }
  tm /= N;
  let hxx = 0, hxy = 0, hyy = 0, tv = 0;
  for (let k = 0; k < N; k++) { hxx += gx[k]! * gx[k]!; hxy += gx[k]! * gy[k]!; hyy += gy[k]! * gy[k]!; T[k] = T[k]! - tm; tv += T[k]! * T[k]!; }
  const det = hxx * hyy - hxy * hxy;
  // Both eigenvalues must be substantial: a straight edge only fixes one direction.
  const minEig = (hxx + hyy) / 2 - Math.sqrt(((hxx - hyy) / 2) ** 2 + hxy * hxy);
  if (!(det > 0) || minEig < minEigPerPx * N) return fail;
  let x = xi, y = yi;
  const I = new Float64Array(N);
  let ncc = 0;
  for (let it = 0; it < 20; it++) {
    if (x < m || y < m || x >= W - m || y >= H - m) return fail;
    const fx0 = Math.floor(x), fy0 = Math.floor(y), ax = x - fx0, ay = y - fy0;
    let im = 0;
    for (let j = -half, k = 0; j <= half; j++) {
      const r0 = (fy0 + j) * W, r1 = r0 + W;
      for (let i = -half; i <= half; i++, k++) {
        const c = fx0 + i;
        const v = (1 - ay) * ((1 - ax) * cur[r0 + c]! + ax * cur[r0 + c + 1]!) + ay * ((1 - ax) * cur[r1 + c]! + ax * cur[r1 + c + 1]!);
        I[k] = v; im += v;
      }
    }
    im /= N;
    let bx = 0, by = 0, iv = 0, ti = 0;
    for (let k = 0; k < N; k++) {
      const e = I[k]! - im - T[k]!;
      bx += gx[k]! * e; by += gy[k]! * e;
      iv += (I[k]! - im) ** 2; ti += (I[k]! - im) * T[k]!;
    }
    ncc = ti / Math.sqrt(iv * tv + 1e-12);
    const dx = (hyy * bx - hxy * by) / det, dy = (hxx * by - hxy * bx) / det;
    x -= dx; y -= dy;
    if (Math.abs(x - xi) > 2 || Math.abs(y - yi) > 2) return fail;
    if (Math.abs(dx) + Math.abs(dy) < 1e-3) break;
  }
  return { x, y, ncc, ok: ncc > 0.8 };
}
