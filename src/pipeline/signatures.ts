/**
 * Image signatures of live tracks in one camera frame, for the classifier. Kept apart from the
 * track stage so that a camera worker (camera-worker.ts) loads only the measurement, not the
 * tracker, classifier and alert engine.
 */
// measure.ts directly (it imports nothing): the worker should not load the whole classifier.
import { measureSignature } from '../classify/measure.ts';
import type { SignatureSample } from '../classify/index.ts';
import { projectMoving, type Camera } from '../geometry/index.ts';
import type { PixelList } from '../preprocess/index.ts';

/** Track position uncertainty used to find the target near its projection, metres. */
const SNAP_M = 2;
/**
 * Half the largest span a tracked target is expected to have, metres (a 1.2 m bird), and the
 * margin around it, px: the window summed covers the whole target, so a bird's flux carries its
 * full wing-beat modulation. A 7×7 window on a bird 11 px wide (0.9 m at 450 m, fx 5500) summed
 * only the body's centre, where span and height swing in opposite phase: the measured depth fell
 * from ~0.2 to ~0.08, at the classifier's limit.
 */
const HALF_SPAN_M = 0.6, WINDOW_MARGIN_PX = 2, MIN_RADIUS_PX = 3, MAX_RADIUS_PX = 12;

/** What a camera needs to know of a track to find it in its frames. */
export interface LiveTrack {
  track_id: number;
  t: number;
  enu: readonly number[];
  vel: readonly number[];
}

export interface TrackSignature extends SignatureSample {
  track_id: number;
}

/**
 * The image signature of every track in one camera frame: the track extrapolated to the frame's
 * site time, projected, snapped to the nearest pixel this camera cast within SNAP_M of it (a
 * track is a metre or two off: 5 px at 200 m), and its contrast and area measured against a
 * ring around it (the classifier's flicker and size features).
 */
export function measureTracks(camera: Camera, siteTime: number, frame: Uint8Array, cast: PixelList | undefined, tracks: readonly LiveTrack[], uv = new Float64Array(3), background?: Uint8Array): TrackSignature[] {
  const out: TrackSignature[] = [];
  for (const r of tracks) {
    const rangeM = projectMoving(camera, siteTime, r, uv, 0.5, 1);
    if (Number.isNaN(rangeM)) continue;
    let pu = uv[0]!, pv = uv[1]!;
    if (cast) {
      const lim = (SNAP_M * camera.fx) / rangeM + 2;
      let best = lim * lim;
      for (let k = 0; k < cast.count; k++) {
        const idx = cast.index[k]!, cu = idx % camera.width, cv = (idx - cu) / camera.width;
        const d2 = (cu - uv[0]!) ** 2 + (cv - uv[1]!) ** 2;
        if (d2 < best) { best = d2; pu = cu; pv = cv; }
      }
    }
    const radiusPx = Math.min(MAX_RADIUS_PX, Math.max(MIN_RADIUS_PX, Math.ceil((HALF_SPAN_M * camera.fx) / rangeM) + WINDOW_MARGIN_PX));
    const m = measureSignature(frame, camera.width, camera.height, pu, pv, background ? { radiusPx, background } : { radiusPx });
    if (!m) continue;
    out.push({ track_id: r.track_id, camera: camera.id, t: siteTime, contrast: m.contrast, areaPx: m.areaPx, rangeM, focalPx: camera.fx });
  }
  return out;
}
