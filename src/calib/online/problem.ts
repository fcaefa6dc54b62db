/**
 * The adjustment problem of one refinement window. bundle.ts models one target path over site
 * time; several tracks (one after the other or at the same time) are laid end to end on a
 * virtual time axis instead: track k's knots occupy its own stretch [o_k·Δ, (o_k + n_k − 1)·Δ],
 * separated from the next by free gap knots, and an observation of track k at camera time τ is
 * given to the adjustment at τ + a_i·T_k with T_k = o_k·Δ − s_k0, so that
 * (τ + a_i·T_k − b_i)/a_i = s + T_k: the right place on the right stretch. That is exact while the
 * clock rates a_i are held (the refiner holds drifts). The gap knots carry nothing but the
 * smoothness prior; enough of them are inserted that the jump between two tracks costs a
 * negligible acceleration.
 */
import type { BaCamera, BaObservations, BaTrajectory } from '../bundle.ts';
import type { Observation2D, TrackState } from './types.ts';

/** Gap knots per metre between consecutive stretches: one knot per GAP_STEP_M of jump. */
const GAP_STEP_M = 5;

export interface Segment {
  trackId: number;
  /** Site time of the first knot. */
  s0: number;
  /** Knots of this track. */
  n: number;
  /** Index of the first knot on the virtual axis. */
  offset: number;
}

export interface Layout {
  dt: number;
  segments: Segment[];
  /** Starting knots (virtual axis, s0 = 0), flat xyz. */
  X: Float64Array;
}

/** Knots for every track with at least two states spanning ≥ 3 knots; null when none. */
export function layoutTracks(states: readonly TrackState[], dt: number): Layout | null {
  const byTrack = new Map<number, TrackState[]>();
  for (const s of states) {
    let l = byTrack.get(s.trackId);
    if (!l) byTrack.set(s.trackId, (l = []));
    l.push(s);
  }
  const segs: Array<{ trackId: number; s0: number; pts: Float64Array }> = [];
  for (const [trackId, l] of byTrack) {
    l.sort((a, b) => a.t - b.t);
    const s0 = l[0]!.t, s1 = l[l.length - 1]!.t;
    const n = Math.floor((s1 - s0) / dt + 1e-9) + 1;
    if (l.length < 2 || n < 3) continue;
    const pts = new Float64Array(3 * n);
    let q = 0;
    for (let j = 0; j < n; j++) {
      const s = s0 + j * dt;
      while (q < l.length - 2 && l[q + 1]!.t < s) q++;
      const A = l[q]!, B = l[q + 1]!;
      const w = B.t > A.t ? Math.max(0, Math.min(1, (s - A.t) / (B.t - A.t))) : 0;
      for (let c = 0; c < 3; c++) pts[3 * j + c] = (1 - w) * A.enu[c]! + w * B.enu[c]!;
    }
    segs.push({ trackId, s0, pts });
  }
  if (segs.length === 0) return null;
  segs.sort((a, b) => a.s0 - b.s0 || a.trackId - b.trackId);
  const segments: Segment[] = [];
  const knots: number[] = [];
  for (let k = 0; k < segs.length; k++) {
    const g = segs[k]!;
    if (k > 0) {
      // Gap knots from the previous stretch's last knot to this one's first, linearly.
      const e = knots.length - 3;
      const a = [knots[e]!, knots[e + 1]!, knots[e + 2]!], b = [g.pts[0]!, g.pts[1]!, g.pts[2]!];
      const gap = Math.ceil(Math.hypot(b[0]! - a[0]!, b[1]! - a[1]!, b[2]! - a[2]!) / GAP_STEP_M) + 2;
      for (let j = 1; j <= gap; j++) for (let c = 0; c < 3; c++) knots.push(a[c]! + ((b[c]! - a[c]!) * j) / (gap + 1));
    }
    segments.push({ trackId: g.trackId, s0: g.s0, n: g.pts.length / 3, offset: knots.length / 3 });
    for (let j = 0; j < g.pts.length; j++) knots.push(g.pts[j]!);
  }
  return { dt, segments, X: Float64Array.from(knots) };
}

export function trajectoryOf(l: Layout): BaTrajectory {
  return { s0: 0, dt: l.dt, X: Float64Array.from(l.X) };
}

/**
 * The observations that fall inside their track's stretch (half a knot from its ends, under the
 * given clocks), as the adjustment takes them; `index` maps each back to its position in `obs`.
 */
export function observationsFor(l: Layout, obs: readonly Observation2D[], cams: readonly BaCamera[]): { ba: BaObservations; index: Int32Array } {
  const seg = new Map<number, Segment>();
  for (const s of l.segments) seg.set(s.trackId, s);
  const cam: number[] = [], t: number[] = [], u: number[] = [], v: number[] = [], index: number[] = [];
  for (let m = 0; m < obs.length; m++) {
    const o = obs[m]!;
    const g = seg.get(o.trackId);
    const c = cams[o.cam];
    if (!g || !c) continue;
    const row = c.rsUp ? c.height - 1 - o.v : o.v;
    const s = (o.cameraTime + row * c.lineS - c.b) / c.a;
    if (s < g.s0 + l.dt / 2 || s > g.s0 + (g.n - 1.5) * l.dt) continue;
    const T = g.offset * l.dt - g.s0;
    cam.push(o.cam); t.push(o.cameraTime + c.a * T); u.push(o.u); v.push(o.v); index.push(m);
  }
  return { ba: { cam: Int32Array.from(cam), t: Float64Array.from(t), u: Float64Array.from(u), v: Float64Array.from(v) }, index: Int32Array.from(index) };
}

/** sqrt(mean(min(r, clip)²)): an RMS that a few gross outliers cannot dominate. */
export function robustRms(err: ArrayLike<number>, clip: number, pick?: (m: number) => boolean): { rms: number; n: number } {
  let ss = 0, n = 0;
  for (let m = 0; m < err.length; m++) {
    if (pick && !pick(m)) continue;
    const e = Math.min(err[m]!, clip);
    ss += e * e; n++;
  }
  return { rms: n > 0 ? Math.sqrt(ss / n) : NaN, n };
}
