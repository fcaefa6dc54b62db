/**
 * After fusion: one stage that turns each tick's 3D detections into track updates (tracker),
 * labels them drone / bird / unknown (classifier, kinematic features today) and raises zone
 * alerts. Shared by offline `dvs detect` and, later, the live server.
 */
import type { ZoneShape } from '../alerts/index.ts';
import { AlertEngine, type Alert } from '../alerts/index.ts';
import { TrackClassifier, measureSignature, type SignatureSample, type TrackClassifierOptions } from '../classify/index.ts';
import type { Camera } from '../geometry/index.ts';
import { Tracker, type TrackRecord, type TrackerOptions, type Vec3 } from '../tracking/index.ts';
import type { PixelList } from '../preprocess/index.ts';
import type { Detection } from './detector.ts';

/** Track position uncertainty used to find the target near its projection, metres. */
const SNAP_M = 2;

export interface TrackStageOptions {
  /** Camera centres (ENU) by id, for the detections' geometric covariance. */
  cameras: Map<string, Vec3>;
  tracker?: Omit<TrackerOptions, 'geometry'>;
  classifier?: TrackClassifierOptions;
  /** Zones to watch (none: no alerts). */
  zones?: readonly ZoneShape[];
}

export interface TickOutput {
  tracks: TrackRecord[];
  alerts: Alert[];
}

export class TrackStage {
  private readonly tracker: Tracker;
  private readonly classifier: TrackClassifier;
  private readonly alerts: AlertEngine | null;
  private closed = false;
  /** Last update of every confirmed track: where to look for it in the next frames. */
  private readonly live = new Map<number, TrackRecord>();
  private readonly uv = new Float64Array(3);

  constructor(opts: TrackStageOptions) {
    this.tracker = new Tracker({ ...opts.tracker, geometry: { cameras: opts.cameras } });
    this.classifier = new TrackClassifier(opts.classifier);
    this.alerts = opts.zones && opts.zones.length > 0 ? new AlertEngine(opts.zones) : null;
  }

  /** One fusion tick (call it for every tick, also without detections). */
  tick(t: number, detections: readonly Detection[]): TickOutput {
    const tracks = this.tracker.step(t, detections);
    for (const r of tracks) {
      if (r.status === 'confirmed') this.live.set(r.track_id, r); else this.live.delete(r.track_id);
      if (r.status === 'lost') {
        const last = this.classifier.current(r.track_id);
        if (last) { r.class = last.class; r.confidence = round3(last.confidence); }
        this.classifier.remove(r.track_id);
        continue;
      }
      this.classifier.addPosition(r.track_id, r.t, r.enu, r.vel);
      const c = this.classifier.classify(r.track_id, r.t);
      r.class = c.class;
      r.confidence = round3(c.confidence);
    }
    const alerts = this.alerts ? this.alerts.updateAll(tracks) : [];
    return { tracks, alerts };
  }

  /** Confirmed tracks as last updated (what {@link measureTracks} looks for). */
  liveTracks(): LiveTrack[] {
    return [...this.live.values()].map((r) => ({ track_id: r.track_id, t: r.t, enu: r.enu, vel: r.vel }));
  }

  /** Image signatures measured by {@link measureTracks} (here or in a camera worker). */
  addSignatures(samples: readonly TrackSignature[]): void {
    for (const s of samples) {
      if (!this.live.has(s.track_id)) continue;
      this.classifier.addSignature(s.track_id, s);
    }
  }

  /** Measure and add the signatures of the live tracks in one camera frame (in-thread mode). */
  observe(camera: Camera, siteTime: number, frame: Uint8Array, cast?: PixelList): void {
    if (this.live.size === 0) return;
    this.addSignatures(measureTracks(camera, siteTime, frame, cast, this.liveTracks(), this.uv));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.classifier.close();
    this.alerts?.close();
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

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
export function measureTracks(camera: Camera, siteTime: number, frame: Uint8Array, cast: PixelList | undefined, tracks: readonly LiveTrack[], uv = new Float64Array(3)): TrackSignature[] {
  const out: TrackSignature[] = [];
  for (const r of tracks) {
    const dt = siteTime - r.t;
    if (dt < -0.5 || dt > 1) continue;
    const e = r.enu[0]! + r.vel[0]! * dt, n = r.enu[1]! + r.vel[1]! * dt, u = r.enu[2]! + r.vel[2]! * dt;
    if (!camera.projectInto(e, n, u, uv) || !camera.inImage(uv[0]!, uv[1]!)) continue;
    const rangeM = Math.hypot(e - camera.C[0]!, n - camera.C[1]!, u - camera.C[2]!);
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
    const m = measureSignature(frame, camera.width, camera.height, pu, pv);
    if (!m) continue;
    out.push({ track_id: r.track_id, camera: camera.id, t: siteTime, contrast: m.contrast, areaPx: m.areaPx, rangeM, focalPx: camera.fx });
  }
  return out;
}
