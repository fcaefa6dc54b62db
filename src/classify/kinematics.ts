/**
 * Kinematic features of a track: speeds, accelerations, climb, hovering, curvature and
 * straightness. Without tracker velocities, velocity and acceleration are the first and second
 * derivatives of a local quadratic fit to the positions over ±`halfWindow_s` (default 1 s); with
 * tracker velocities, acceleration is the first derivative of the same fit to them. Local fits rather than
 * frame differences: at 1 km a 3D fix scatters by metres, and differences 1/30 s apart would turn
 * that into tens of m/s.
 */
import type { KinematicFeatures, TrackHistory, Vec3 } from './types.ts';

export interface KinematicOptions {
  /** Half-width of the local fits for velocity and acceleration, s (default 1.0). */
  halfWindow_s?: number;
  /** Horizontal speed below which the target counts as horizontally still, m/s (default 1.0). */
  hoverSpeed_mps?: number;
  /** Curvature is only measured above this speed, m/s (default 2). */
  curvatureMinSpeed_mps?: number;
}

export const KINEMATIC_DEFAULTS: Required<KinematicOptions> = { halfWindow_s: 1.0, hoverSpeed_mps: 1.0, curvatureMinSpeed_mps: 2 };

/**
 * Local quadratic fits x(τ) ≈ c0 + c1·τ + c2·τ², τ = t − t_i, by least squares over a window of
 * width 2h around each sample (slid inwards near the ends so the window keeps its width; the fit
 * is then evaluated at t_i rather than at the window centre). Writes the first derivative c1 and
 * the second derivative 2·c2 of every column. With fewer than 3 samples in a window, it uses the
 * neighbours and a straight line (second derivative 0).
 */
function localDerivatives(t: readonly number[], cols: Float64Array[], h: number): { d1: Float64Array[]; d2: Float64Array[] } {
  const n = t.length;
  const d1 = cols.map(() => new Float64Array(n)), d2 = cols.map(() => new Float64Array(n));
  let lo = 0, hi = 0;
  const t0 = t[0]!, tn = t[n - 1]!;
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    const tc = tn - t0 > 2 * h ? Math.min(Math.max(ti, t0 + h), tn - h) : 0.5 * (t0 + tn);
    while (lo < n - 1 && t[lo]! < tc - h) lo++;
    while (hi + 1 < n && t[hi + 1]! <= tc + h) hi++;
    let a = lo, b = hi;
    if (b - a < 2) { a = Math.max(0, i - 1); b = Math.min(n - 1, i + 1); }
    // Normal equations of the quadratic in τ: sums of τ^0..τ^4.
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (let j = a; j <= b; j++) { const u = t[j]! - ti, u2 = u * u; s0 += 1; s1 += u; s2 += u2; s3 += u2 * u; s4 += u2 * u2; }
    const det = s0 * (s2 * s4 - s3 * s3) - s1 * (s1 * s4 - s2 * s3) + s2 * (s1 * s3 - s2 * s2);
    const quad = b - a >= 2 && Math.abs(det) > 1e-12 * Math.max(1, s4 * s4 * s0);
    cols.forEach((x, c) => {
      let m0 = 0, m1 = 0, m2 = 0;
      for (let j = a; j <= b; j++) { const u = t[j]! - ti; m0 += x[j]!; m1 += u * x[j]!; m2 += u * u * x[j]!; }
      if (quad) {
        // Cramer's rule for c1 and c2.
        const c1 = (s0 * (m1 * s4 - s3 * m2) - m0 * (s1 * s4 - s2 * s3) + s2 * (s1 * m2 - m1 * s2)) / det;
        const c2 = (s0 * (s2 * m2 - m1 * s3) - s1 * (s1 * m2 - m1 * s2) + m0 * (s1 * s3 - s2 * s2)) / det;
        d1[c]![i] = c1; d2[c]![i] = 2 * c2;
      } else {
        const den = s0 * s2 - s1 * s1;
        d1[c]![i] = den > 0 ? (s0 * m1 - s1 * m0) / den : 0;
      }
    });
  }
  return { d1, d2 };
}

function quantile(v: Float64Array | number[], q: number): number {
  if (v.length === 0) return 0;
  const s = Float64Array.from(v).sort();
  const x = q * (s.length - 1), i = Math.floor(x), f = x - i;
  return i + 1 < s.length ? s[i]! * (1 - f) + s[i + 1]! * f : s[i]!;
}

export function kinematicFeatures(h: TrackHistory, opts: KinematicOptions = {}): KinematicFeatures {
  const o = { ...KINEMATIC_DEFAULTS, ...opts };
  const n = h.t.length;
  const empty: KinematicFeatures = {
    duration_s: n ? h.t[n - 1]! - h.t[0]! : 0, samples: n, meanSpeed: 0, maxSpeed: 0, meanHorizSpeed: 0,
    meanAccel: 0, maxAccel: 0, meanClimb: 0, maxClimb: 0, hoverFraction: 0, curvature: 0, straightness: 1,
  };
  if (n < 3) return empty;
  let v: Float64Array[], a: Float64Array[];
  if (h.vel && h.vel.length === n) {
    v = [0, 1, 2].map((c) => Float64Array.from(h.vel!, (q: Vec3) => q[c]!));
    a = localDerivatives(h.t, v, o.halfWindow_s).d1;
  } else {
    const d = localDerivatives(h.t, [0, 1, 2].map((c) => Float64Array.from(h.enu, (q: Vec3) => q[c]!)), o.halfWindow_s);
    v = d.d1; a = d.d2;
  }
  const speed = new Float64Array(n), acc = new Float64Array(n), climb = new Float64Array(n);
  const curv: number[] = [];
  let sumSpeed = 0, sumH = 0, sumAcc = 0, sumClimb = 0, hoverT = 0, pathLen = 0;
  // Time weights: half the intervals on either side (uneven sampling counts by time, not by sample).
  const span = h.t[n - 1]! - h.t[0]!;
  for (let i = 0; i < n; i++) {
    const ve = v[0]![i]!, vn = v[1]![i]!, vu = v[2]![i]!;
    const ae = a[0]![i]!, an = a[1]![i]!, au = a[2]![i]!;
    const w = 0.5 * ((h.t[Math.min(n - 1, i + 1)]! - h.t[i]!) + (h.t[i]! - h.t[Math.max(0, i - 1)]!));
    const s = Math.hypot(ve, vn, vu), sh = Math.hypot(ve, vn);
    speed[i] = s; acc[i] = Math.hypot(ae, an, au); climb[i] = Math.abs(vu);
    sumSpeed += w * s; sumH += w * sh; sumAcc += w * acc[i]!; sumClimb += w * vu;
    pathLen += w * s;
    if (sh < o.hoverSpeed_mps) hoverT += w;
    if (s > o.curvatureMinSpeed_mps) {
      const cx = vn * au - vu * an, cy = vu * ae - ve * au, cz = ve * an - vn * ae;
      curv.push(Math.hypot(cx, cy, cz) / (s * s * s));
    }
  }
  const T = span > 0 ? span : 1;
  const first = h.enu[0]!, last = h.enu[n - 1]!;
  const net = Math.hypot(last[0] - first[0], last[1] - first[1], last[2] - first[2]);
  return {
    duration_s: span, samples: n,
    meanSpeed: sumSpeed / T, maxSpeed: quantile(speed, 0.95), meanHorizSpeed: sumH / T,
    meanAccel: sumAcc / T, maxAccel: quantile(acc, 0.95),
    meanClimb: sumClimb / T, maxClimb: quantile(climb, 0.95),
    hoverFraction: span > 0 ? Math.min(1, hoverT / span) : 0,
    curvature: curv.length ? quantile(curv, 0.5) : 0,
    straightness: pathLen > 1e-9 ? Math.min(1, net / pathLen) : 1,
  };
}
