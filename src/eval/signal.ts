/**
 * How much of each target survives into the decoded video: at the target's true projection in
 * every frame, the strongest deviation from the local background (3×3 window) against the
 * background's own noise (robust σ from the MAD of a surrounding ring). This is what a motion
 * detector can at best work with, so it tells whether a scenario's optics and bitrate leave a
 * target detectable at all.
 */
import type { Camera } from '../geometry/index.ts';
import type { TruthRow } from './types.ts';

export interface TargetSignal {
  target: string;
  cls: string;
  /** Frames where the target projects inside the image (with a 10 px margin). */
  framesInView: number;
  /** Mean signed contrast at the target, grey levels (negative = darker than background). */
  meanContrast: number;
  /** Mean robust background σ around the target, grey levels. */
  meanNoise: number;
  /** |meanContrast| / meanNoise. */
  snr: number;
}

/** Piecewise-linear interpolation of one target's truth track. */
export class TruthTrack {
  private readonly t: number[] = [];
  private readonly p: number[][] = [];

  constructor(readonly id: string, readonly cls: string, rows: TruthRow[]) {
    for (const r of [...rows].sort((a, b) => a.t - b.t)) { this.t.push(r.t); this.p.push(r.enu); }
  }

  /** Position at site time t, or null outside the track's span. */
  at(t: number): [number, number, number] | null {
    const ts = this.t;
    if (ts.length === 0 || t < ts[0]! || t > ts[ts.length - 1]!) return null;
    let lo = 0, hi = ts.length - 1;
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (ts[mid]! <= t) lo = mid; else hi = mid; }
    const a = this.p[lo]!, b = this.p[hi]!, span = ts[hi]! - ts[lo]!;
    const f = span > 0 ? (t - ts[lo]!) / span : 0;
    return [a[0]! + (b[0]! - a[0]!) * f, a[1]! + (b[1]! - a[1]!) * f, a[2]! + (b[2]! - a[2]!) * f];
  }
}

export function truthTracks(rows: TruthRow[]): TruthTrack[] {
  const by = new Map<string, TruthRow[]>();
  for (const r of rows) { const l = by.get(r.id); if (l) l.push(r); else by.set(r.id, [r]); }
  return [...by.entries()].map(([id, l]) => new TruthTrack(id, l[0]!.class, l));
}

/** Accumulates per-target signal statistics frame by frame for one camera. */
export class SignalMeter {
  private readonly acc = new Map<string, { n: number; c: number; s: number; cls: string }>();
  private readonly ring: number[] = [];
  private readonly uv = [0, 0, 0];

  constructor(private readonly cam: Camera, private readonly tracks: TruthTrack[]) {}

  /** Measure frame `frame` stamped `cameraTime` on the camera's own clock. */
  addFrame(frame: Uint8Array, cameraTime: number): void {
    const cam = this.cam, W = cam.width, H = cam.height;
    const t = cam.clock.siteTime(cameraTime);
    for (const tr of this.tracks) {
      const p = tr.at(t);
      if (!p || !cam.projectInto(p[0], p[1], p[2], this.uv) || !cam.inImage(this.uv[0]!, this.uv[1]!, 10)) continue;
      // Rolling shutter: re-evaluate at the time the target's row is exposed.
      const tRow = cam.clock.siteTime(cam.rowTime(cameraTime, this.uv[1]!));
      const q = tr.at(tRow) ?? p;
      if (!cam.projectInto(q[0], q[1], q[2], this.uv)) continue;
      const u = Math.round(this.uv[0]!), v = Math.round(this.uv[1]!);
      if (u < 8 || v < 8 || u >= W - 8 || v >= H - 8) continue;
      this.ring.length = 0;
      for (let dy = -7; dy <= 7; dy++) {
        for (let dx = -7; dx <= 7; dx++) {
          if (Math.max(Math.abs(dx), Math.abs(dy)) >= 5) this.ring.push(frame[(v + dy) * W + u + dx]!);
        }
      }
      this.ring.sort((a, b) => a - b);
      const med = this.ring[this.ring.length >> 1]!;
      for (let i = 0; i < this.ring.length; i++) this.ring[i] = Math.abs(this.ring[i]! - med);
      this.ring.sort((a, b) => a - b);
      const sigma = 1.4826 * this.ring[this.ring.length >> 1]!;
      let best = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const d = frame[(v + dy) * W + u + dx]! - med;
          if (Math.abs(d) > Math.abs(best)) best = d;
        }
      }
      const a = this.acc.get(tr.id) ?? { n: 0, c: 0, s: 0, cls: tr.cls };
      a.n++; a.c += best; a.s += sigma;
      this.acc.set(tr.id, a);
    }
  }

  result(): TargetSignal[] {
    return this.tracks.map((tr) => {
      const a = this.acc.get(tr.id);
      if (!a) return { target: tr.id, cls: tr.cls, framesInView: 0, meanContrast: 0, meanNoise: 0, snr: 0 };
      const c = a.c / a.n, s = a.s / a.n;
      return { target: tr.id, cls: tr.cls, framesInView: a.n, meanContrast: c, meanNoise: s, snr: Math.abs(c) / Math.max(s, 0.5) };
    });
  }
}
