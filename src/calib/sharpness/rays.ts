/**
 * One camera's target observations as rays: each 2D position (pixel, camera-clock time) becomes
 * a unit ray direction in ENU from the camera centre and a site time under the configured clock
 * (rolling-shutter row offset included). A clock correction δ (seconds, added to the clock's
 * offset b) moves every site time by −δ/a, so the rays are computed once and only the times
 * shift while the optimiser searches.
 */
import type { Camera } from '../../geometry/index.ts';
import { CalibInputError } from '../errors.ts';

/** The moving target's image positions in one camera (one per frame that saw it). */
export interface TargetObservations {
  /** Camera id (matches `Camera.id`). */
  id: string;
  /** Frame timestamps on the camera's own clock, seconds. */
  t: ArrayLike<number>;
  /** Pixel column of the target (CONTRACTS §1: centre of the top-left pixel is 0). */
  u: ArrayLike<number>;
  /** Pixel row of the target. */
  v: ArrayLike<number>;
}

export class CameraRays {
  readonly id: string;
  readonly camera: Camera;
  /** Number of usable observations. */
  readonly n: number;
  /** Site time of each observation under the configured clock, increasing. */
  readonly s0: Float64Array;
  /** Unit ray directions, ENU, 3 per observation. */
  readonly dir: Float64Array;
  /** Pixel positions kept for reporting, 2 per observation. */
  readonly uv: Float64Array;
  /** Mean focal length, pixels: converts an angle (radians) to pixels. */
  readonly focalPx: number;
  /** Clock rate a of the configured clock. */
  readonly rate: number;
  /** Median interval between consecutive observations, seconds. */
  readonly medianStepS: number;

  /** Observations dropped as isolated jumps off the track (see {@link dropJumps}). */
  readonly outliers: number;

  /** Per-axis pixel noise of the raw observations, estimated from the track's own smoothness (px; NaN with < 5 observations). */
  readonly noisePx: number;

  /**
   * `outlierPx`: an observation this far off the line through its neighbours is dropped (default
   * 4; Infinity keeps all). `smoothS`: half-width of the local quadratic fit that smooths the
   * track before it becomes rays (default 0.2 s; 0 = raw), see {@link smoothTrack}.
   */
  constructor(camera: Camera, obs: TargetObservations, outlierPx = 4, smoothS = 0.2) {
    const m = obs.t.length;
    if (obs.u.length !== m || obs.v.length !== m) throw new CalibInputError(`camera ${obs.id}: t, u and v must have the same length`);
    this.id = obs.id;
    this.camera = camera;
    this.rate = camera.clock.a;
    this.focalPx = 0.5 * (camera.fx + camera.fy);
    const rows: { s: number; d: [number, number, number]; u: number; v: number }[] = [];
    const d = new Float64Array(3);
    for (let j = 0; j < m; j++) {
      const t = obs.t[j]!, u = obs.u[j]!, v = obs.v[j]!;
      if (!(Number.isFinite(t) && Number.isFinite(u) && Number.isFinite(v))) throw new CalibInputError(`camera ${obs.id}: observation ${j} is not finite`);
      if (!camera.unprojectInto(u, v, d)) continue;
      rows.push({ s: camera.clock.siteTime(camera.rowTime(t, v)), d: [d[0]!, d[1]!, d[2]!], u, v });
    }
    rows.sort((a, b) => a.s - b.s);
    // Two observations at one instant (duplicated frames) would make an interpolation interval of zero.
    const unique = rows.filter((r, j) => j === 0 || r.s > rows[j - 1]!.s);
    const kept = dropJumps(unique, outlierPx);
    this.outliers = unique.length - kept.length;
    this.noisePx = estimateNoisePx(kept);
    if (smoothS > 0) {
      smoothTrack(kept, smoothS);
      for (const r of kept) if (camera.unprojectInto(r.u, r.v, d)) r.d = [d[0]!, d[1]!, d[2]!];
    }
    this.n = kept.length;
    this.s0 = new Float64Array(this.n);
    this.dir = new Float64Array(3 * this.n);
    this.uv = new Float64Array(2 * this.n);
    kept.forEach((r, j) => {
      this.s0[j] = r.s;
      this.dir.set(r.d, 3 * j);
      this.uv[2 * j] = r.u; this.uv[2 * j + 1] = r.v;
    });
    const steps: number[] = [];
    for (let j = 1; j < this.n; j++) steps.push(this.s0[j]! - this.s0[j - 1]!);
    steps.sort((a, b) => a - b);
    this.medianStepS = steps.length > 0 ? steps[steps.length >> 1]! : NaN;
  }

  /** Site time of observation j under a clock correction δ (seconds). */
  siteTime(j: number, deltaS: number): number {
    return this.s0[j]! - deltaS / this.rate;
  }

  /**
   * The ray at site time s under correction δ, interpolated linearly between the bracketing
   * observations (normalised) into out[0..2]. `hint` is a starting index for the bracket search
   * (ticks come in increasing order). Returns the bracket's lower index, or −1 when s is outside
   * the observations or the bracketing pair is more than maxGapS apart.
   */
  rayAt(s: number, deltaS: number, maxGapS: number, hint: number, out: Float64Array): number {
    const q = s + deltaS / this.rate; // compare on the uncorrected time axis
    const s0 = this.s0, n = this.n;
    if (n < 2 || q < s0[0]! || q > s0[n - 1]!) return -1;
    let j = hint < 0 ? 0 : Math.min(hint, n - 2);
    while (j > 0 && s0[j]! > q) j--;
    while (j < n - 2 && s0[j + 1]! <= q) j++;
    const a = s0[j]!, b = s0[j + 1]!;
    if (b - a > maxGapS) return -1;
    const w = (q - a) / (b - a);
    const D = this.dir;
    const x = D[3 * j]! + w * (D[3 * j + 3]! - D[3 * j]!);
    const y = D[3 * j + 1]! + w * (D[3 * j + 4]! - D[3 * j + 1]!);
    const z = D[3 * j + 2]! + w * (D[3 * j + 5]! - D[3 * j + 2]!);
    const len = Math.hypot(x, y, z);
    out[0] = x / len; out[1] = y / len; out[2] = z / len;
    return j;
  }
}

/**
 * Drop observations that jump off the image track: the distance of observation j from the
 * linear interpolation (in time) of its neighbours j−1 and j+1, r_j. A wrong blob at j makes r_j
 * large and its neighbours' residuals about half as large, so j is dropped when r_j exceeds the
 * threshold and is the largest of the three; repeated until none is left (at most 5 passes).
 * The image path of a target is smooth at frame rate, so r_j of a correct observation is the
 * pixel noise (≈ 1.2 σ). One wrong pixel would otherwise tilt the interpolated rays over two
 * frame intervals.
 */
function dropJumps<T extends { s: number; u: number; v: number }>(rows: T[], thresholdPx: number): T[] {
  if (!Number.isFinite(thresholdPx) || rows.length < 3) return rows;
  // Only neighbours close in time are a fair prediction (a long gap may hide a turn).
  const steps = rows.slice(1).map((r, j) => r.s - rows[j]!.s).sort((a, b) => a - b);
  const span = 3.5 * steps[steps.length >> 1]!;
  let cur = rows;
  for (let pass = 0; pass < 5 && cur.length >= 3; pass++) {
    const n = cur.length;
    const r = new Float64Array(n);
    for (let j = 1; j < n - 1; j++) {
      const a = cur[j - 1]!, b = cur[j]!, c = cur[j + 1]!;
      if (c.s - a.s > span) continue;
      const w = (b.s - a.s) / (c.s - a.s);
      r[j] = Math.hypot(b.u - (a.u + w * (c.u - a.u)), b.v - (a.v + w * (c.v - a.v)));
    }
    // Ends: against the extrapolation of the next two (previous two).
    const end = (j: number, k: number, l: number) => {
      const a = cur[k]!, b = cur[l]!, x = cur[j]!;
      if (Math.abs(b.s - x.s) > span) return 0;
      const w = (x.s - a.s) / (b.s - a.s);
      return Math.hypot(x.u - (a.u + w * (b.u - a.u)), x.v - (a.v + w * (b.v - a.v)));
    };
    r[0] = end(0, 1, 2); r[n - 1] = end(n - 1, n - 2, n - 3);
    const drop = new Uint8Array(n);
    let any = false;
    for (let j = 0; j < n; j++) {
      if (!(r[j]! > thresholdPx)) continue;
      if ((j > 0 && r[j - 1]! > r[j]!) || (j < n - 1 && r[j + 1]! > r[j]!)) continue;
      drop[j] = 1; any = true;
    }
    if (!any) break;
    cur = cur.filter((_, j) => drop[j] === 0);
  }
  return cur;
}

/**
 * Per-axis noise σ of a track: r_j, the distance of observation j from the interpolation of its
 * neighbours, has variance 2σ²(1 + (1−w)² + w²) for white noise; the median of r_j²/(1 + (1−w)² +
 * w²) is 2 ln 2 · 2σ²/2 = 1.386σ² (χ² with 2 degrees of freedom). Only neighbours within 3.5
 * median intervals count.
 */
function estimateNoisePx(rows: readonly { s: number; u: number; v: number }[]): number {
  if (rows.length < 5) return NaN;
  const steps = rows.slice(1).map((r, j) => r.s - rows[j]!.s).sort((a, b) => a - b);
  const span = 3.5 * steps[steps.length >> 1]!;
  const q: number[] = [];
  for (let j = 1; j < rows.length - 1; j++) {
    const a = rows[j - 1]!, b = rows[j]!, c = rows[j + 1]!;
    if (c.s - a.s > span) continue;
    const w = (b.s - a.s) / (c.s - a.s);
    const ru = b.u - (a.u + w * (c.u - a.u)), rv = b.v - (a.v + w * (c.v - a.v));
    q.push((ru * ru + rv * rv) / (1 + (1 - w) ** 2 + w * w));
  }
  if (q.length < 3) return NaN;
  q.sort((x, y) => x - y);
  return Math.sqrt(q[q.length >> 1]! / 1.386);
}

/**
 * Smooth a track in place: each position becomes the value at its own time of a least-squares
 * quadratic in time through the observations within ±halfS (at least 5 of them, else it stays).
 * Symmetric windows add no lag, and a quadratic follows constant acceleration exactly.
 *
 * Why: with raw positions, linear interpolation between two noisy frames has a noise variance
 * σ²((1−w)² + w²) that depends on the tick's phase w. Where a camera misses frames, or where all
 * cameras run at the same rate (so their phases are locked), that dependence no longer averages
 * out over the ticks. It then tilts the cost by an amount ∝ σ², and where the geometry leaves a
 * clock weakly determined (a distant target moving along a baseline) that tilt moved the optimum
 * by 5–9 ms on the spec-1km rig. Neighbouring smoothed positions share most of their data, so the
 * interpolated variance hardly depends on w, and the noise level itself drops several-fold.
 */
function smoothTrack(rows: { s: number; u: number; v: number }[], halfS: number): void {
  const n = rows.length;
  const su = new Float64Array(n), sv = new Float64Array(n);
  let lo = 0, hi = 0;
  for (let j = 0; j < n; j++) {
    const s0 = rows[j]!.s;
    while (rows[lo]!.s < s0 - halfS) lo++;
    while (hi + 1 < n && rows[hi + 1]!.s <= s0 + halfS) hi++;
    su[j] = rows[j]!.u; sv[j] = rows[j]!.v;
    if (hi - lo + 1 < 5) continue;
    // Normal equations of u ≈ c0 + c1·x + c2·x², x = (s − s0)/halfS (scaled for conditioning).
    let S0 = 0, S1 = 0, S2 = 0, S3 = 0, S4 = 0, U0 = 0, U1 = 0, U2 = 0, V0 = 0, V1 = 0, V2 = 0;
    for (let k = lo; k <= hi; k++) {
      const x = (rows[k]!.s - s0) / halfS, x2 = x * x;
      S0 += 1; S1 += x; S2 += x2; S3 += x2 * x; S4 += x2 * x2;
      const u = rows[k]!.u, v = rows[k]!.v;
      U0 += u; U1 += u * x; U2 += u * x2; V0 += v; V1 += v * x; V2 += v * x2;
    }
    // c0 by Cramer's rule on [[S0,S1,S2],[S1,S2,S3],[S2,S3,S4]].
    const det = S0 * (S2 * S4 - S3 * S3) - S1 * (S1 * S4 - S3 * S2) + S2 * (S1 * S3 - S2 * S2);
    if (!(Math.abs(det) > 1e-12)) continue;
    const c0 = (b0: number, b1: number, b2: number) => (b0 * (S2 * S4 - S3 * S3) - S1 * (b1 * S4 - S3 * b2) + S2 * (b1 * S3 - S2 * b2)) / det;
    su[j] = c0(U0, U1, U2); sv[j] = c0(V0, V1, V2);
  }
  for (let j = 0; j < n; j++) { rows[j]!.u = su[j]!; rows[j]!.v = sv[j]!; }
}
