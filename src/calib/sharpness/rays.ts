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

  /** `outlierPx`: an observation this far off the line through its neighbours is dropped (default 4; Infinity keeps all). */
  constructor(camera: Camera, obs: TargetObservations, outlierPx = 4) {
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
