/**
 * Position measurement noise from the detection geometry. A camera at C that sees a target at X
 * pins it down across its viewing ray u = (X − C)/r to about σ_ang·r (angular error times range)
 * and hardly at all along the ray. Adding the cameras as information:
 *
 *   J = Σ_c [ (I − u_c u_cᵀ)/(σ_ang·r_c)² + u_c u_cᵀ/σ_along² ],   R = J⁻¹ + σ_floor²·I
 *
 * so R is elongated along the rays, the more the narrower the angle between them, and grows with
 * range. σ_along keeps J invertible for a single camera; σ_floor stands for what no camera geometry
 * removes (voxel quantisation of the peak, calibration error). Detections without any camera of
 * known position get σ_fallback²·I.
 */
import { TrackingConfigError } from './errors.ts';
import { inv3 } from './linalg.ts';

export type Vec3Like = readonly [number, number, number] | ArrayLike<number>;

export interface GeometryNoiseOptions {
  /** Camera id → camera centre in ENU metres. Default: none (every detection gets the fallback). */
  cameras?: ReadonlyMap<string, Vec3Like> | Readonly<Record<string, Vec3Like>>;
  /** Angular standard deviation of one camera's line of sight, radians. Default 0.002 (2 mrad). */
  sigmaAngRad?: number;
  /** Standard deviation along one camera's ray, metres (weak; only for invertibility). Default 1000. */
  sigmaAlongM?: number;
  /** Isotropic floor added to every covariance, metres (standard deviation). Default 1. */
  floorM?: number;
  /** Isotropic standard deviation when no camera of the detection has a known position, metres. Default 10. */
  fallbackSigmaM?: number;
}

export class GeometryMeasurementModel {
  readonly sigmaAngRad: number;
  readonly sigmaAlongM: number;
  readonly floorM: number;
  readonly fallbackSigmaM: number;
  private readonly cams = new Map<string, Float64Array>();
  private readonly J = new Float64Array(9);

  constructor(opts: GeometryNoiseOptions = {}) {
    this.sigmaAngRad = positive('sigmaAngRad', opts.sigmaAngRad ?? 0.002);
    this.sigmaAlongM = positive('sigmaAlongM', opts.sigmaAlongM ?? 1000);
    this.floorM = nonNegative('floorM', opts.floorM ?? 1);
    this.fallbackSigmaM = positive('fallbackSigmaM', opts.fallbackSigmaM ?? 10);
    const entries = opts.cameras instanceof Map ? [...opts.cameras] : Object.entries(opts.cameras ?? {});
    for (const [id, p] of entries) {
      if (!(p && p.length === 3 && Number.isFinite(p[0]) && Number.isFinite(p[1]) && Number.isFinite(p[2]))) {
        throw new TrackingConfigError(`camera "${id}": position must be 3 finite ENU coordinates`);
      }
      this.cams.set(id, Float64Array.from([p[0]!, p[1]!, p[2]!]));
    }
  }

  /** Cameras with a known position. */
  get cameraIds(): string[] {
    return [...this.cams.keys()];
  }

  /**
   * The covariance (3×3, row-major, into out) of a detection at enu seen by the given cameras.
   * Returns how many of those cameras had a known position (0: the fallback was used). A camera at
   * the detection itself (range < 1 mm) is skipped.
   */
  covariance(enu: Vec3Like, cameraIds: readonly string[] | undefined, out: Float64Array): number {
    const J = this.J;
    J.fill(0);
    let used = 0;
    const along = 1 / (this.sigmaAlongM * this.sigmaAlongM);
    for (const id of cameraIds ?? []) {
      const c = this.cams.get(id);
      if (!c) continue;
      const dx = enu[0]! - c[0]!, dy = enu[1]! - c[1]!, dz = enu[2]! - c[2]!;
      const r = Math.hypot(dx, dy, dz);
      if (!(r > 1e-3)) continue;
      const u0 = dx / r, u1 = dy / r, u2 = dz / r;
      const s = this.sigmaAngRad * r;
      const across = 1 / (s * s), k = along - across;
      // J += across·I + (along − across)·u uᵀ
      J[0] = J[0]! + across + k * u0 * u0; J[4] = J[4]! + across + k * u1 * u1; J[8] = J[8]! + across + k * u2 * u2;
      const j01 = k * u0 * u1, j02 = k * u0 * u2, j12 = k * u1 * u2;
      J[1] = J[1]! + j01; J[3] = J[3]! + j01; J[2] = J[2]! + j02; J[6] = J[6]! + j02; J[5] = J[5]! + j12; J[7] = J[7]! + j12;
      used++;
    }
    if (used === 0 || !(inv3(out, J) > 0)) {
      out.fill(0);
      out[0] = out[4] = out[8] = this.fallbackSigmaM * this.fallbackSigmaM;
      return 0;
    }
    const f2 = this.floorM * this.floorM;
    out[0] = out[0]! + f2; out[4] = out[4]! + f2; out[8] = out[8]! + f2;
    // The inverse of a symmetric matrix is symmetric; remove round-off.
    for (const [a, b] of [[1, 3], [2, 6], [5, 7]] as const) { const m = 0.5 * (out[a]! + out[b]!); out[a] = m; out[b] = m; }
    return used;
  }
}

function positive(name: string, v: number): number {
  if (!(v > 0 && Number.isFinite(v))) throw new TrackingConfigError(`GeometryMeasurementModel.${name} must be a positive finite number, got ${String(v)}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!(v >= 0 && Number.isFinite(v))) throw new TrackingConfigError(`GeometryMeasurementModel.${name} must be a finite number ≥ 0, got ${String(v)}`);
  return v;
}
