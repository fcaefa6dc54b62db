/**
 * After fusion: one stage that turns each tick's 3D detections into track updates (tracker),
 * labels them drone / bird / unknown (classifier: kinematics and the image signatures measured
 * in the camera frames) and raises zone alerts. Shared by offline `dvs detect` and, later, the live server.
 */
import { AlertEngine, type Alert, type ZoneShape } from '../alerts/index.ts';
import { TrackClassifier, type TrackClassifierOptions } from '../classify/index.ts';
import type { Camera } from '../geometry/index.ts';
import type { PixelList } from '../preprocess/index.ts';
import { Tracker, type TrackRecord, type TrackerOptions, type Vec3 } from '../tracking/index.ts';
import type { Detection } from './detector.ts';
import { measureTracks, type LiveTrack, type TrackSignature } from './signatures.ts';

export type { LiveTrack, TrackSignature } from './signatures.ts';

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
  /** Last update of every tentative or confirmed track: where to look for it in the next frames. */
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
      // Tentative tracks are measured too: their samples are there when the track is confirmed.
      if (r.status === 'lost') this.live.delete(r.track_id); else this.live.set(r.track_id, r);
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

  /** Tentative and confirmed tracks as last updated (what {@link measureTracks} looks for). */
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
  observe(camera: Camera, siteTime: number, frame: Uint8Array, cast?: PixelList, background?: Uint8Array): void {
    if (this.live.size === 0) return;
    this.addSignatures(measureTracks(camera, siteTime, frame, cast, this.liveTracks(), this.uv, background));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.classifier.close();
    this.alerts?.close();
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
