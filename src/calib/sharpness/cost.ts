/**
 * The sharpness of the target's 3D peak as a function of the cameras' clock corrections.
 *
 * At every tick s of a dense site-time grid each camera contributes the ray towards the target
 * at s, interpolated between its two observations that bracket s (times shifted by the camera's
 * correction). The rays are intersected in the least-squares sense (fusion's `intersectRays`,
 * the same solve that refines a voxel peak below the voxel size) and every ray's miss distance is
 * expressed in pixels of its camera: r = |(X − C) × d| / ((X − C)·d) · f. Wrong clocks make a
 * camera look at where the target was δ seconds earlier or later, so its ray misses the others'
 * by up to |v|·δ: the peak smears. The cost is Σ min(r², τ²) over all rays divided by the degrees
 * of freedom Σ(2n − 3) (two measurements per ray, three taken by the point); a ray worse than τ is
 * dropped from the solve while three or more remain, and costs τ². Its minimum is the sharpest peak.
 *
 * The ticks are spaced incommensurately with the frame interval (default: 1/4.37 of the shortest
 * median interval), so the interpolation phases are spread evenly: linear interpolation halves
 * the pixel noise's variance mid-way between frames, and ticks locked to one phase would make the
 * cost ripple with the frame period and bias the optimum.
 */
import { intersectRays } from '../../fusion/index.ts';
import type { CameraRays } from './rays.ts';

export interface SharpnessCostOptions {
  /** Tick spacing, seconds (default: shortest median observation interval / 4.37). */
  tickS?: number;
  /** Largest interval between two observations a ray is interpolated across, seconds (default 2.5 × the camera's median interval). */
  maxGapS?: number;
  /** Residual truncation τ, pixels (default 6). */
  truncatePx?: number;
  /**
   * Largest |correction| the cost will be asked about, seconds (default 0.1). A camera takes part
   * only in ticks at least this far inside its observed span, so its participation never depends
   * on the correction being tried (no edge bias).
   */
  marginS?: number;
}

/** Per-camera and overall figures of one evaluation. */
export interface CostDetail {
  /** The cost (truncated squared miss per degree of freedom, px²). */
  cost: number;
  /** Rays evaluated, and those dropped as worse than τ. */
  rays: number;
  dropped: number;
  /** Ticks with at least two rays. */
  ticks: number;
  /** RMS over ticks of the intersection's own RMS ray distance, metres (the peak's spread). */
  spreadRmsM: number;
  /** Per camera: inlier rays, their RMS residual in pixels, and rays dropped. */
  cameras: { rays: number; rmsPx: number; dropped: number }[];
}

export class SharpnessCost {
  readonly cams: readonly CameraRays[];
  readonly ticks: Float64Array;
  readonly tickS: number;
  readonly truncatePx: number;
  readonly marginS: number;
  private readonly maxGap: Float64Array;
  /** ticks × cameras: 1 where the camera takes part. */
  private readonly member: Uint8Array;
  private readonly origins: Float64Array;
  private readonly dirs: Float64Array;
  private readonly weights: Float64Array;
  private readonly which: Int32Array;
  private readonly hints: Int32Array;
  private readonly d = new Float64Array(3);
  private readonly res: Float64Array;

  constructor(cams: readonly CameraRays[], opts: SharpnessCostOptions = {}) {
    this.cams = cams;
    const nc = cams.length;
    const steps = cams.map((c) => c.medianStepS).filter((x) => x > 0);
    const shortest = steps.length > 0 ? Math.min(...steps) : 1 / 30;
    this.tickS = opts.tickS ?? shortest / 4.37;
    this.truncatePx = opts.truncatePx ?? 6;
    this.marginS = opts.marginS ?? 0.1;
    if (!(this.tickS > 0)) throw new RangeError(`tickS must be positive, got ${this.tickS}`);
    if (!(this.truncatePx > 0)) throw new RangeError(`truncatePx must be positive, got ${this.truncatePx}`);
    if (!(this.marginS >= 0)) throw new RangeError(`marginS must be ≥ 0, got ${this.marginS}`);
    this.maxGap = new Float64Array(cams.map((c) => opts.maxGapS ?? 2.5 * (c.medianStepS > 0 ? c.medianStepS : shortest)));
    // The span in which each camera can always be interpolated whatever correction within ±margin.
    const lo = cams.map((c) => (c.n >= 2 ? c.s0[0]! + this.marginS / c.rate : Infinity));
    const hi = cams.map((c) => (c.n >= 2 ? c.s0[c.n - 1]! - this.marginS / c.rate : -Infinity));
    const start = Math.min(...lo), end = Math.max(...hi);
    const ticks: number[] = [];
    const member: number[] = [];
    if (start < end) {
      const count = Math.floor((end - start) / this.tickS);
      for (let k = 0; k <= count; k++) {
        const s = start + k * this.tickS;
        let m = 0;
        for (let i = 0; i < nc; i++) if (s >= lo[i]! && s <= hi[i]!) m++;
        if (m < 2) continue;
        ticks.push(s);
        for (let i = 0; i < nc; i++) member.push(s >= lo[i]! && s <= hi[i]! ? 1 : 0);
      }
    }
    this.ticks = new Float64Array(ticks);
    this.member = new Uint8Array(member);
    this.origins = new Float64Array(3 * nc);
    this.dirs = new Float64Array(3 * nc);
    this.weights = new Float64Array(nc).fill(1);
    this.which = new Int32Array(nc);
    this.hints = new Int32Array(nc);
    this.res = new Float64Array(nc);
  }

  /** The cost at corrections `deltaS` (seconds, one per camera). */
  evaluate(deltaS: ArrayLike<number>): number {
    return this.run(deltaS, null);
  }

  /** The cost and its breakdown. */
  detail(deltaS: ArrayLike<number>): CostDetail {
    const cameras = this.cams.map(() => ({ rays: 0, rmsPx: 0, dropped: 0 }));
    const d: CostDetail = { cost: 0, rays: 0, dropped: 0, ticks: 0, spreadRmsM: 0, cameras };
    d.cost = this.run(deltaS, d);
    for (const c of cameras) c.rmsPx = c.rays > 0 ? Math.sqrt(c.rmsPx / c.rays) : NaN;
    d.spreadRmsM = d.ticks > 0 ? Math.sqrt(d.spreadRmsM / d.ticks) : NaN;
    return d;
  }

  /** The target's position at site time s (least-squares point of the inlier rays), or null. */
  pointAt(s: number, deltaS: ArrayLike<number>): [number, number, number] | null {
    const n = this.gather(s, deltaS, null);
    if (n < 2) return null;
    const r = this.solve(n);
    return r ? r.point : null;
  }

  private run(deltaS: ArrayLike<number>, detail: CostDetail | null): number {
    const nc = this.cams.length, tau2 = this.truncatePx * this.truncatePx;
    this.hints.fill(0);
    let sum = 0, count = 0;
    for (let k = 0; k < this.ticks.length; k++) {
      const n = this.gather(this.ticks[k]!, deltaS, this.member.subarray(k * nc, (k + 1) * nc));
      if (n < 2) continue;
      const r = this.solve(n);
      const dropped = r ? r.dropped : n;
      count += 2 * n - 3;
      sum += dropped * tau2;
      if (r) for (let q = 0; q < r.active; q++) sum += Math.min(this.res[q]! ** 2, tau2);
      if (detail) {
        detail.rays += n; detail.dropped += dropped;
        if (r) {
          detail.ticks++;
          detail.spreadRmsM += r.rmsM * r.rmsM;
          for (let q = 0; q < r.active; q++) { const c = detail.cameras[this.which[q]!]!; c.rays++; c.rmsPx += this.res[q]! ** 2; }
          for (let q = r.active; q < n; q++) detail.cameras[this.which[q]!]!.dropped++;
        } else {
          for (let q = 0; q < n; q++) detail.cameras[this.which[q]!]!.dropped++;
        }
      }
    }
    return count > 0 ? sum / count : Infinity;
  }

  /** Fill origins/dirs with the rays of the cameras taking part at s; returns their number. */
  private gather(s: number, deltaS: ArrayLike<number>, member: Uint8Array | null): number {
    let n = 0;
    for (let i = 0; i < this.cams.length; i++) {
      if (member && member[i] === 0) continue;
      const c = this.cams[i]!;
      const j = c.rayAt(s, deltaS[i]!, this.maxGap[i]!, this.hints[i]!, this.d);
      if (j < 0) continue;
      this.hints[i] = j;
      const C = c.camera.C;
      this.origins[3 * n] = C[0]!; this.origins[3 * n + 1] = C[1]!; this.origins[3 * n + 2] = C[2]!;
      this.dirs[3 * n] = this.d[0]!; this.dirs[3 * n + 1] = this.d[1]!; this.dirs[3 * n + 2] = this.d[2]!;
      this.which[n] = i;
      n++;
    }
    return n;
  }

  /**
   * Intersect the first n gathered rays; while the worst residual exceeds τ and three or more
   * remain, move it behind the active ones and solve again. Residuals (px) of the active rays are
   * left in `res[0..active)`. Null when the rays do not determine a point.
   */
  private solve(n: number): { point: [number, number, number]; rmsM: number; active: number; dropped: number } | null {
    let active = n;
    for (;;) {
      const r = intersectRays(this.origins, this.dirs, this.weights, active);
      if (!r.ok) return null;
      let worst = -1, worstR = -1;
      for (let q = 0; q < active; q++) {
        const vx = r.point[0] - this.origins[3 * q]!, vy = r.point[1] - this.origins[3 * q + 1]!, vz = r.point[2] - this.origins[3 * q + 2]!;
        const dx = this.dirs[3 * q]!, dy = this.dirs[3 * q + 1]!, dz = this.dirs[3 * q + 2]!;
        const along = vx * dx + vy * dy + vz * dz;
        const px = vx - along * dx, py = vy - along * dy, pz = vz - along * dz;
        const rr = along > 0 ? (Math.hypot(px, py, pz) / along) * this.cams[this.which[q]!]!.focalPx : Infinity;
        this.res[q] = rr;
        if (rr > worstR) { worstR = rr; worst = q; }
      }
      if (worstR <= this.truncatePx || active <= 2) return { point: r.point, rmsM: r.rmsM, active, dropped: n - active };
      // Swap the worst ray to the end of the active range.
      const last = active - 1;
      for (let c = 0; c < 3; c++) {
        const o = this.origins[3 * worst + c]!, d = this.dirs[3 * worst + c]!;
        this.origins[3 * worst + c] = this.origins[3 * last + c]!; this.dirs[3 * worst + c] = this.dirs[3 * last + c]!;
        this.origins[3 * last + c] = o; this.dirs[3 * last + c] = d;
      }
      const w = this.which[worst]!; this.which[worst] = this.which[last]!; this.which[last] = w;
      active--;
    }
  }
}
