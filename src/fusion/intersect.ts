/**
 * Least-squares intersection of rays: the point X minimising Σ wᵢ·dist(X, rayᵢ)², i.e. the
 * solution of (Σ wᵢ(I − dᵢdᵢᵀ))·X = Σ wᵢ(I − dᵢdᵢᵀ)·Cᵢ for unit directions dᵢ from centres Cᵢ.
 * Degenerate sets (fewer than two non-parallel rays) are reported, not solved.
 */

export interface RayIntersection {
  ok: boolean;
  /** The least-squares point, ENU metres. */
  point: [number, number, number];
  /** RMS perpendicular distance of the point to the rays, metres. */
  rmsM: number;
  /** Whether the point lies in front of every ray's origin. */
  inFront: boolean;
}

/**
 * @param origins 3 numbers per ray
 * @param dirs    3 numbers per ray, unit length
 * @param weights one per ray (≥ 0)
 */
export function intersectRays(origins: ArrayLike<number>, dirs: ArrayLike<number>, weights: ArrayLike<number>, n: number): RayIntersection {
  let a00 = 0, a01 = 0, a02 = 0, a11 = 0, a12 = 0, a22 = 0, b0 = 0, b1 = 0, b2 = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    const dx = dirs[3 * i]!, dy = dirs[3 * i + 1]!, dz = dirs[3 * i + 2]!;
    const cx = origins[3 * i]!, cy = origins[3 * i + 1]!, cz = origins[3 * i + 2]!;
    // M = I − d dᵀ
    const m00 = 1 - dx * dx, m01 = -dx * dy, m02 = -dx * dz, m11 = 1 - dy * dy, m12 = -dy * dz, m22 = 1 - dz * dz;
    a00 += w * m00; a01 += w * m01; a02 += w * m02; a11 += w * m11; a12 += w * m12; a22 += w * m22;
    b0 += w * (m00 * cx + m01 * cy + m02 * cz);
    b1 += w * (m01 * cx + m11 * cy + m12 * cz);
    b2 += w * (m02 * cx + m12 * cy + m22 * cz);
  }
  // Solve the symmetric 3×3 system by Cramer's rule, guarding against near-singularity
  // (parallel rays): compare the determinant with the scale of the matrix.
  const c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11;
  const det = a00 * c00 + a01 * c01 + a02 * c02;
  const scale = Math.max(Math.abs(a00), Math.abs(a11), Math.abs(a22), 1e-300);
  const point: [number, number, number] = [0, 0, 0];
  if (n < 2 || !(Math.abs(det) > 1e-10 * scale * scale * scale)) return { ok: false, point, rmsM: Infinity, inFront: false };
  const c11 = a00 * a22 - a02 * a02, c12 = a01 * a02 - a00 * a12, c22 = a00 * a11 - a01 * a01;
  point[0] = (c00 * b0 + c01 * b1 + c02 * b2) / det;
  point[1] = (c01 * b0 + c11 * b1 + c12 * b2) / det;
  point[2] = (c02 * b0 + c12 * b1 + c22 * b2) / det;
  let ss = 0, sw = 0, inFront = true;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    const dx = dirs[3 * i]!, dy = dirs[3 * i + 1]!, dz = dirs[3 * i + 2]!;
    const vx = point[0] - origins[3 * i]!, vy = point[1] - origins[3 * i + 1]!, vz = point[2] - origins[3 * i + 2]!;
    const along = vx * dx + vy * dy + vz * dz;
    if (along <= 0) inFront = false;
    const px = vx - along * dx, py = vy - along * dy, pz = vz - along * dz;
    ss += w * (px * px + py * py + pz * pz); sw += w;
  }
  return { ok: true, point, rmsM: Math.sqrt(ss / Math.max(sw, 1e-300)), inFront };
}
