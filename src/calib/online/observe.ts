/**
 * 2D observations of confirmed tracks in one camera frame, from the pixels the detector cast:
 * each track is extrapolated to the frame's site time and projected; the cast pixel nearest to
 * the projection within a gate (GATE_M metres at the target's range, clamped to [MIN_GATE_PX,
 * MAX_GATE_PX]) finds the target's blob, and the energy-weighted centroid of the cast pixels
 * within a small window around it (the target's half span plus a margin), taken twice, is the
 * observation. The projection only chooses which pixels to use: the measurement itself is the
 * image's, not the calibration's. Gates of two tracks that overlap yield nothing (the pixels
 * cannot be attributed).
 */
import { projectMoving, type Camera } from '../../geometry/index.ts';
import type { PixelList } from '../../preprocess/index.ts';

const GATE_M = 4, MIN_GATE_PX = 4, MAX_GATE_PX = 25;
/** Half the span of a target, metres (a 1.2 m bird), and the margin of the centroid window, px. */
const HALF_SPAN_M = 0.6, WINDOW_MARGIN_PX = 1.5;

export interface TrackPoint {
  track_id: number;
  /** Site time of the state. */
  t: number;
  enu: readonly number[];
  vel: readonly number[];
}

export interface CastObservation {
  trackId: number;
  u: number;
  v: number;
  /** Pixels that made it. */
  pixels: number;
}

/** Observations of `tracks` among the frame's cast pixels (empty when none is near). */
export function observeCast(camera: Camera, siteTime: number, cast: PixelList | undefined, tracks: readonly TrackPoint[], uv = new Float64Array(3)): CastObservation[] {
  if (!cast || cast.count === 0 || tracks.length === 0) return [];
  const gates: Array<{ id: number; u: number; v: number; r: number; win: number }> = [];
  for (const r of tracks) {
    const range = projectMoving(camera, siteTime, r, uv, 0.5, 0.5);
    if (Number.isNaN(range)) continue;
    gates.push({ id: r.track_id, u: uv[0]!, v: uv[1]!, r: Math.min(MAX_GATE_PX, Math.max(MIN_GATE_PX, (GATE_M * camera.fx) / range)), win: (HALF_SPAN_M * camera.fx) / range + WINDOW_MARGIN_PX });
  }
  const out: CastObservation[] = [];
  for (const g of gates) {
    if (gates.some((h) => h !== g && Math.hypot(h.u - g.u, h.v - g.v) < h.r + g.r)) continue;
    const w = camera.width;
    let best = g.r * g.r, pu = NaN, pv = NaN;
    for (let k = 0; k < cast.count; k++) {
      const idx = cast.index[k]!, cu = idx % w, cv = (idx - cu) / w;
      const d2 = (cu - g.u) ** 2 + (cv - g.v) ** 2;
      if (d2 <= best) { best = d2; pu = cu; pv = cv; }
    }
    if (Number.isNaN(pu)) continue;
    let sw = 0, su = 0, sv = 0, n = 0;
    for (let pass = 0; pass < 2; pass++) {
      const r2 = g.win * g.win;
      sw = 0; su = 0; sv = 0; n = 0;
      for (let k = 0; k < cast.count; k++) {
        const idx = cast.index[k]!, cu = idx % w, cv = (idx - cu) / w;
        if ((cu - pu) ** 2 + (cv - pv) ** 2 > r2) continue;
        const en = Math.abs(cast.energy[k]!);
        sw += en; su += en * cu; sv += en * cv; n++;
      }
      if (!(sw > 0)) break;
      pu = su / sw; pv = sv / sw;
    }
    if (n === 0 || !(sw > 0)) continue;
    out.push({ trackId: g.id, u: su / sw, v: sv / sw, pixels: n });
  }
  return out;
}
