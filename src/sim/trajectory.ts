/**
 * Smooth target paths: a C¹ cubic Hermite spline through `[t, e, n, u]` waypoints with
 * Catmull–Rom tangents for uneven time steps, plus an optional seeded meander (sum of slow
 * sinusoids) that makes birds wander off the straight lines between their waypoints.
 */
import { Rng } from '../util/rng.ts';

export class Trajectory {
  private readonly t: Float64Array;
  private readonly p: Float64Array; // 3 per waypoint
  private readonly m: Float64Array; // tangents, 3 per waypoint (m/s)
  private readonly meander: { amp: number; w: number; phase: number }[][]; // per axis

  /**
   * @param waypoints `[t, e, n, u]` rows, strictly increasing t (validated by the scenario loader).
   * @param meanderM  amplitude scale of the meander in metres (0 = none).
   */
  constructor(waypoints: readonly (readonly number[])[], meanderM = 0, seed = 0) {
    const k = waypoints.length;
    if (k < 1) throw new RangeError('a trajectory needs at least one waypoint');
    this.t = new Float64Array(k);
    this.p = new Float64Array(3 * k);
    this.m = new Float64Array(3 * k);
    waypoints.forEach((w, i) => {
      this.t[i] = w[0]!;
      this.p[3 * i] = w[1]!; this.p[3 * i + 1] = w[2]!; this.p[3 * i + 2] = w[3]!;
    });
    for (let i = 0; i < k; i++) {
      const a = Math.max(0, i - 1), b = Math.min(k - 1, i + 1);
      const dt = this.t[b]! - this.t[a]!;
      for (let c = 0; c < 3; c++) this.m[3 * i + c] = dt > 0 ? (this.p[3 * b + c]! - this.p[3 * a + c]!) / dt : 0;
    }
    const rng = new Rng(seed);
    this.meander = [0, 1, 2].map((axis) => {
      if (meanderM <= 0) return [];
      const scale = axis === 2 ? 0.4 : 1; // birds wander more sideways than up and down
      return [0, 1, 2].map(() => ({
        amp: meanderM * scale * rng.uniform(0.2, 0.35),
        w: (2 * Math.PI) / rng.uniform(8, 30),
        phase: rng.uniform(0, 2 * Math.PI),
      }));
    });
  }

  get startTime(): number {
    return this.t[0]!;
  }

  get endTime(): number {
    return this.t[this.t.length - 1]!;
  }

  /** True while the target exists (between its first and last waypoint). */
  isActive(time: number): boolean {
    return time >= this.startTime && time <= this.endTime;
  }

  /** Position at `time` (clamped to the path's time span) into out[0..2]. */
  positionInto(time: number, out: Float64Array | number[]): void {
    const t = this.t, k = t.length;
    const tt = Math.min(Math.max(time, t[0]!), t[k - 1]!);
    let i = 0;
    // Few waypoints: a linear scan is faster than bisection and allocation-free.
    while (i < k - 2 && tt > t[i + 1]!) i++;
    if (k === 1) {
      out[0] = this.p[0]!; out[1] = this.p[1]!; out[2] = this.p[2]!;
    } else {
      const h = t[i + 1]! - t[i]!;
      const s = h > 0 ? (tt - t[i]!) / h : 0;
      const s2 = s * s, s3 = s2 * s;
      const h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2, h11 = s3 - s2;
      for (let c = 0; c < 3; c++) {
        out[c] = h00 * this.p[3 * i + c]! + h10 * h * this.m[3 * i + c]! + h01 * this.p[3 * (i + 1) + c]! + h11 * h * this.m[3 * (i + 1) + c]!;
      }
    }
    for (let c = 0; c < 3; c++) {
      for (const s of this.meander[c]!) out[c] = out[c]! + s.amp * Math.sin(s.w * tt + s.phase);
    }
  }

  /** Convenience: position as a new array. */
  position(time: number): [number, number, number] {
    const o: [number, number, number] = [0, 0, 0];
    this.positionInto(time, o);
    return o;
  }

  /** Velocity by central difference (m/s). */
  velocity(time: number, dt = 1e-3): [number, number, number] {
    const a = this.position(time - dt), b = this.position(time + dt);
    return [(b[0] - a[0]) / (2 * dt), (b[1] - a[1]) / (2 * dt), (b[2] - a[2]) / (2 * dt)];
  }
}
