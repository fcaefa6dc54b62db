/**
 * The pinhole + OpenCV-distortion camera of CONTRACTS §1, with rolling shutter and clock.
 *
 * Hot paths (`projectInto`, `unprojectInto`) write into caller-owned typed arrays and allocate
 * nothing. Points at or behind the image plane are rejected (return false), never projected.
 */
import { CameraClock, type ClockParams } from './clock.ts';
import { rotationFromOrientation, type Orientation } from './rotation.ts';

export interface PoseParams extends Orientation {
  /** Camera centre in ENU metres. */
  enu: [number, number, number] | number[];
}

export interface IntrinsicsParams {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  k1: number;
  k2: number;
  p1?: number | undefined;
  p2?: number | undefined;
  k3?: number | undefined;
}

export interface RollingShutterParams {
  /** Time between successive rows, microseconds. */
  line_us: number;
  direction: 'down' | 'up';
}

export interface CameraParams {
  id: string;
  /** [width, height] in pixels. */
  resolution: [number, number] | number[];
  pose: PoseParams;
  intrinsics: IntrinsicsParams;
  rolling_shutter?: RollingShutterParams | undefined;
  clock?: ClockParams | undefined;
}

/** Smallest camera-frame depth (metres) that still counts as in front of the camera. */
export const MIN_DEPTH_M = 1e-6;

export class Camera {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  /** World(ENU)→camera rotation, row-major; rows are right, down, forward. */
  readonly R: Float64Array;
  /** Camera centre, ENU metres. */
  readonly C: Float64Array;
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
  readonly k1: number;
  readonly k2: number;
  readonly k3: number;
  readonly p1: number;
  readonly p2: number;
  /** Seconds between rows (0 for a global shutter). */
  readonly lineS: number;
  readonly rsDirection: 'down' | 'up';
  readonly clock: CameraClock;
  readonly params: CameraParams;

  constructor(p: CameraParams) {
    const [w, h] = p.resolution;
    if (!(w! > 0 && h! > 0)) throw new RangeError(`camera ${p.id}: resolution must be positive`);
    if (!(p.intrinsics.fx > 0 && p.intrinsics.fy > 0)) throw new RangeError(`camera ${p.id}: fx and fy must be positive`);
    this.params = p;
    this.id = p.id;
    this.width = w!;
    this.height = h!;
    this.R = rotationFromOrientation(p.pose);
    this.C = new Float64Array([p.pose.enu[0]!, p.pose.enu[1]!, p.pose.enu[2]!]);
    const k = p.intrinsics;
    this.fx = k.fx; this.fy = k.fy; this.cx = k.cx; this.cy = k.cy;
    this.k1 = k.k1; this.k2 = k.k2; this.k3 = k.k3 ?? 0; this.p1 = k.p1 ?? 0; this.p2 = k.p2 ?? 0;
    this.lineS = (p.rolling_shutter?.line_us ?? 0) * 1e-6;
    this.rsDirection = p.rolling_shutter?.direction ?? 'down';
    this.clock = new CameraClock(p.clock);
  }

  /** World point → camera frame (x right, y down, z forward). */
  toCameraInto(x: number, y: number, z: number, out: Float64Array | number[]): void {
    const R = this.R, C = this.C;
    const dx = x - C[0]!, dy = y - C[1]!, dz = z - C[2]!;
    out[0] = R[0]! * dx + R[1]! * dy + R[2]! * dz;
    out[1] = R[3]! * dx + R[4]! * dy + R[5]! * dz;
    out[2] = R[6]! * dx + R[7]! * dy + R[8]! * dz;
  }

  /**
   * Project an ENU point to pixel (u, v) into out[0..1]; out[2] receives the depth along the
   * optical axis. Returns false (out untouched beyond depth) for points not in front of the
   * camera. Pixels outside the image are still returned: use {@link inImage} to test.
   */
  projectInto(x: number, y: number, z: number, out: Float64Array | number[]): boolean {
    const R = this.R, C = this.C;
    const dx = x - C[0]!, dy = y - C[1]!, dz = z - C[2]!;
    const pz = R[6]! * dx + R[7]! * dy + R[8]! * dz;
    out[2] = pz;
    if (!(pz > MIN_DEPTH_M)) return false;
    const px = (R[0]! * dx + R[1]! * dy + R[2]! * dz) / pz;
    const py = (R[3]! * dx + R[4]! * dy + R[5]! * dz) / pz;
    this.distortNormInto(px, py, out);
    out[0] = this.fx * out[0]! + this.cx;
    out[1] = this.fy * out[1]! + this.cy;
    return true;
  }

  /** Convenience: project or null. */
  project(p: ArrayLike<number>): [number, number] | null {
    const o = [0, 0, 0];
    return this.projectInto(p[0]!, p[1]!, p[2]!, o) ? [o[0]!, o[1]!] : null;
  }

  /** Apply the OpenCV distortion to normalized coordinates (x, y) → out[0..1]. */
  distortNormInto(x: number, y: number, out: Float64Array | number[]): void {
    const r2 = x * x + y * y;
    const radial = 1 + r2 * (this.k1 + r2 * (this.k2 + r2 * this.k3));
    out[0] = x * radial + 2 * this.p1 * x * y + this.p2 * (r2 + 2 * x * x);
    out[1] = y * radial + this.p1 * (r2 + 2 * y * y) + 2 * this.p2 * x * y;
  }

  /**
   * Invert the distortion: distorted normalized (xd, yd) → undistorted (x, y) by Newton's method
   * on the 2×2 system, started from the distorted point. Returns false if it fails to converge
   * (a pixel far outside the domain where the distortion polynomial is invertible).
   */
  undistortNormInto(xd: number, yd: number, out: Float64Array | number[]): boolean {
    const { k1, k2, k3, p1, p2 } = this;
    if (k1 === 0 && k2 === 0 && k3 === 0 && p1 === 0 && p2 === 0) {
      out[0] = xd; out[1] = yd;
      return true;
    }
    let x = xd, y = yd;
    for (let it = 0; it < 50; it++) {
      const r2 = x * x + y * y;
      const radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
      const dRadial = k1 + r2 * (2 * k2 + 3 * k3 * r2); // d(radial)/d(r2)
      const fx = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x) - xd;
      const fy = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y - yd;
      // Jacobian of the distortion map.
      const j00 = radial + 2 * x * x * dRadial + 2 * p1 * y + 6 * p2 * x;
      const j01 = 2 * x * y * dRadial + 2 * p1 * x + 2 * p2 * y;
      const j10 = 2 * x * y * dRadial + 2 * p1 * x + 2 * p2 * y;
      const j11 = radial + 2 * y * y * dRadial + 6 * p1 * y + 2 * p2 * x;
      const det = j00 * j11 - j01 * j10;
      if (!(Math.abs(det) > 1e-300)) return false;
      const sx = (j11 * fx - j01 * fy) / det;
      const sy = (j00 * fy - j10 * fx) / det;
      x -= sx; y -= sy;
      if (Math.abs(sx) + Math.abs(sy) < 1e-15) {
        out[0] = x; out[1] = y;
        return this.onMonotoneBranch(x, y, xd, yd);
      }
    }
    out[0] = x; out[1] = y;
    const r2 = x * x + y * y;
    const radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
    const converged = Math.abs(x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x) - xd) < 1e-9 && Math.abs(y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y - yd) < 1e-9;
    return converged && this.onMonotoneBranch(x, y, xd, yd);
  }

  /**
   * A root of the distortion polynomial is physical only on the branch that contains the
   * centre: the radial factor stays positive, the mapping keeps its orientation (positive
   * Jacobian radially) and the point lies on the same side as the distorted one. Past the fold
   * of a strong barrel model the polynomial has spurious roots that would turn a pixel near the
   * corner into a ray 70° off-axis.
   */
  private onMonotoneBranch(x: number, y: number, xd: number, yd: number): boolean {
    const r2 = x * x + y * y;
    const { k1, k2, k3 } = this;
    const radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
    // d(r·radial)/dr = radial + 2r²·radial'(r²)
    const slope = radial + 2 * r2 * (k1 + r2 * (2 * k2 + 3 * k3 * r2));
    return radial > 0 && slope > 0 && x * xd + y * yd >= 0;
  }

  /**
   * Pixel (u, v) → unit ray direction in ENU into out[0..2] (origin: the camera centre C).
   * Returns false if the pixel cannot be undistorted.
   */
  unprojectInto(u: number, v: number, out: Float64Array | number[]): boolean {
    if (!this.undistortNormInto((u - this.cx) / this.fx, (v - this.cy) / this.fy, out)) return false;
    const x = out[0]!, y = out[1]!;
    const R = this.R;
    // d = Rᵀ·(x, y, 1)
    const dx = R[0]! * x + R[3]! * y + R[6]!;
    const dy = R[1]! * x + R[4]! * y + R[7]!;
    const dz = R[2]! * x + R[5]! * y + R[8]!;
    const n = Math.hypot(dx, dy, dz);
    out[0] = dx / n; out[1] = dy / n; out[2] = dz / n;
    return true;
  }

  /** Convenience: unit ray direction or null. */
  unproject(u: number, v: number): [number, number, number] | null {
    const o = [0, 0, 0];
    return this.unprojectInto(u, v, o) ? [o[0]!, o[1]!, o[2]!] : null;
  }

  /** True when (u, v) lies on the image: pixel centres run 0..width−1, edges at −0.5 and width−0.5. */
  inImage(u: number, v: number, marginPx = 0): boolean {
    return u >= -0.5 + marginPx && u <= this.width - 0.5 - marginPx && v >= -0.5 + marginPx && v <= this.height - 0.5 - marginPx;
  }

  /** Exposure time offset (seconds) of row v relative to the frame's timestamp. */
  rowOffsetS(v: number): number {
    return this.rsDirection === 'down' ? v * this.lineS : (this.height - 1 - v) * this.lineS;
  }

  /** Camera-clock time at which row v of a frame stamped `frameTime` (camera clock) is exposed. */
  rowTime(frameTime: number, v: number): number {
    return frameTime + this.rowOffsetS(v);
  }
}
