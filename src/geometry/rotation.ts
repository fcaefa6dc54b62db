/**
 * Rotations: the camera orientation convention of CONTRACTS §1 (yaw clockwise from north,
 * pitch up, roll turning the right side down), and small 3×3 helpers on row-major
 * Float64Array(9) matrices.
 */

const DEG = Math.PI / 180;

export interface Orientation {
  /** Heading of the optical axis, degrees clockwise from north. */
  yaw: number;
  /** Elevation of the optical axis above the horizon, degrees. */
  pitch: number;
  /** Rotation about the optical axis, degrees; positive turns the right side down. */
  roll: number;
}

/**
 * World(ENU)→camera rotation for an orientation. Rows are the camera's right (x), down (y) and
 * forward (z) axes in ENU, exactly as CONTRACTS §1 defines them.
 */
export function rotationFromOrientation(o: Orientation, out = new Float64Array(9)): Float64Array {
  const y = o.yaw * DEG, p = o.pitch * DEG, r = o.roll * DEG;
  const sy = Math.sin(y), cy = Math.cos(y), sp = Math.sin(p), cp = Math.cos(p);
  // forward f, right r (roll 0), down d = f × r
  const fx = sy * cp, fy = cy * cp, fz = sp;
  const rx = cy, ry = -sy, rz = 0;
  const dx = fy * rz - fz * ry, dy = fz * rx - fx * rz, dz = fx * ry - fy * rx;
  const cr = Math.cos(r), sr = Math.sin(r);
  out[0] = cr * rx + sr * dx; out[1] = cr * ry + sr * dy; out[2] = cr * rz + sr * dz;
  out[3] = -sr * rx + cr * dx; out[4] = -sr * ry + cr * dy; out[5] = -sr * rz + cr * dz;
  out[6] = fx; out[7] = fy; out[8] = fz;
  return out;
}

/**
 * Inverse of {@link rotationFromOrientation}. At pitch ±90° yaw and roll are not separable; yaw
 * is then reported as 0 and the whole turn goes into roll.
 */
export function orientationFromRotation(R: ArrayLike<number>): Orientation {
  const fx = R[6]!, fy = R[7]!, fz = R[8]!;
  const pitch = Math.asin(Math.max(-1, Math.min(1, fz)));
  const horiz = Math.hypot(fx, fy);
  let yaw: number;
  if (horiz > 1e-12) yaw = Math.atan2(fx, fy);
  else yaw = 0;
  // right axis with roll 0 for this yaw/pitch, then roll from the actual right axis.
  const sy = Math.sin(yaw), cy = Math.cos(yaw), sp = Math.sin(pitch), cp = Math.cos(pitch);
  const r0 = [cy, -sy, 0];
  const f = [sy * cp, cy * cp, sp];
  const d0 = [f[1]! * r0[2]! - f[2]! * r0[1]!, f[2]! * r0[0]! - f[0]! * r0[2]!, f[0]! * r0[1]! - f[1]! * r0[0]!];
  const rx = R[0]!, ry = R[1]!, rz = R[2]!;
  const c = rx * r0[0]! + ry * r0[1]! + rz * r0[2]!;
  const s = rx * d0[0]! + ry * d0[1]! + rz * d0[2]!;
  const roll = Math.atan2(s, c);
  return { yaw: normDeg(yaw / DEG), pitch: pitch / DEG, roll: normDeg(roll / DEG) };
}

/** Wrap an angle in degrees to (−180, 180]. */
export function normDeg(a: number): number {
  let x = a % 360;
  if (x <= -180) x += 360;
  if (x > 180) x -= 360;
  return x;
}

/** Rodrigues: rotation matrix for a turn of `angleRad` about the unit axis (ax, ay, az). */
export function axisAngleToMatrix(ax: number, ay: number, az: number, angleRad: number, out = new Float64Array(9)): Float64Array {
  const n = Math.hypot(ax, ay, az);
  if (n === 0) {
    out.set([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    return out;
  }
  const x = ax / n, y = ay / n, z = az / n;
  const c = Math.cos(angleRad), s = Math.sin(angleRad), t = 1 - c;
  out[0] = t * x * x + c; out[1] = t * x * y - s * z; out[2] = t * x * z + s * y;
  out[3] = t * x * y + s * z; out[4] = t * y * y + c; out[5] = t * y * z - s * x;
  out[6] = t * x * z - s * y; out[7] = t * y * z + s * x; out[8] = t * z * z + c;
  return out;
}

/** out = A·B for row-major 3×3 matrices (out may alias neither input). */
export function mat3Mul(A: ArrayLike<number>, B: ArrayLike<number>, out = new Float64Array(9)): Float64Array {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      out[i * 3 + j] = A[i * 3]! * B[j]! + A[i * 3 + 1]! * B[3 + j]! + A[i * 3 + 2]! * B[6 + j]!;
    }
  }
  return out;
}

/** Transpose of a row-major 3×3 matrix. */
export function mat3Transpose(A: ArrayLike<number>, out = new Float64Array(9)): Float64Array {
  out[0] = A[0]!; out[1] = A[3]!; out[2] = A[6]!;
  out[3] = A[1]!; out[4] = A[4]!; out[5] = A[7]!;
  out[6] = A[2]!; out[7] = A[5]!; out[8] = A[8]!;
  return out;
}

/** Angle in radians of the relative rotation between two rotation matrices. */
export function rotationAngleBetween(A: ArrayLike<number>, B: ArrayLike<number>): number {
  // trace(Aᵀ B) = 1 + 2 cos θ
  let tr = 0;
  for (let i = 0; i < 9; i++) tr += A[i]! * B[i]!;
  return Math.acos(Math.max(-1, Math.min(1, (tr - 1) / 2)));
}
