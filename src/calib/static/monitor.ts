/**
 * BumpMonitor: notices that a camera was knocked or has drifted, and re-estimates its orientation.
 *
 * Frames are sampled every `sampleEveryS` into a median background. The first full background
 * becomes the reference; afterwards, every `checkEveryS`, a fresh background is compared with
 * the reference: ORB matches on the static region give the rotation Δ between them
 * ({@link estimateOrientationChange}), skyline alignment gives a second, independent Δ. A change
 * of more than `thresholdDeg` is a bump: the report carries the re-estimated orientation
 * (R_new = Δ·R). The window that first shows a bump may straddle it (a median of two views), so
 * by default the monitor waits for the next window: if that one still differs from the reference
 * by more than the threshold, its estimate and background are adopted (`adopted`); if not, the
 * change was transient and nothing is adopted. Below the threshold the reference is kept, so a
 * slow drift accumulates until it is flagged.
 */
import { Camera, normDeg, orientationFromRotation, type Orientation } from '../../geometry/index.ts';
import { CalibInputError } from '../errors.ts';
import { MedianBackground } from './background.ts';
import { loadCv, type Cv } from './cv.ts';
import { applyChange, estimateOrientationChange, type OrientationChange, type OrientationChangeOptions } from './orientation.ts';
import { alignSkyline, extractSkyline, type SkylineAlignment } from './skyline.ts';

export interface BumpMonitorOptions {
  /** The camera as currently believed (pose and intrinsics). */
  camera: Camera;
  /** Orientation change flagged as a bump, degrees (default 0.1). */
  thresholdDeg?: number;
  /** Frames per background median (default 7). */
  depth?: number;
  /** Seconds between frames sampled into the background (default 1). */
  sampleEveryS?: number;
  /** Seconds between checks once a reference exists (default 10). */
  checkEveryS?: number;
  /** Run skyline alignment as well (default true). */
  skyline?: boolean;
  /** After a bump, take the new orientation and background as the reference (default true). */
  adopt?: boolean;
  /** Adopt only when the next check confirms the bump (default true; false: adopt at once). */
  confirm?: boolean;
  orientation?: OrientationChangeOptions;
}

export interface BumpReport {
  /** Time of the check (the caller's clock, seconds). */
  t: number;
  /** The change exceeds the threshold. */
  bumped: boolean;
  /** The bump was adopted by this check (confirmed by a second window, or at once without `confirm`). */
  adopted: boolean;
  /** Estimated change, degrees: ORB's when it succeeded, else the skyline's (NaN when both failed). */
  changeDeg: number;
  /** Which estimator `changeDeg` and `orientation` come from. */
  source: 'orb' | 'skyline' | 'none';
  orb: OrientationChange;
  skyline: SkylineAlignment | null;
  /** Re-estimated orientation and world→camera rotation (the believed ones when nothing changed or nothing was measured). */
  orientation: Orientation;
  R: Float64Array;
  /** Orientation change in the site's terms, degrees. */
  dYawDeg: number;
  dPitchDeg: number;
  dRollDeg: number;
}

export class BumpMonitor {
  private cam: Camera;
  private readonly bg: MedianBackground;
  private ref: Uint8Array | null = null;
  private lastSample = -Infinity;
  private lastCheck = -Infinity;
  private closed = false;
  /** A bump was seen by the last check and awaits confirmation. */
  private pending = false;
  readonly thresholdDeg: number;
  readonly sampleEveryS: number;
  readonly checkEveryS: number;
  /** Every check made, oldest first. */
  readonly history: BumpReport[] = [];

  constructor(private readonly cv: Cv, private readonly o: BumpMonitorOptions) {
    this.cam = o.camera;
    this.thresholdDeg = o.thresholdDeg ?? 0.1;
    this.sampleEveryS = o.sampleEveryS ?? 1;
    this.checkEveryS = o.checkEveryS ?? 10;
    if (!(this.thresholdDeg > 0)) throw new CalibInputError(`BumpMonitor: thresholdDeg must be positive, got ${this.thresholdDeg}`);
    if (!(this.sampleEveryS >= 0)) throw new CalibInputError(`BumpMonitor: sampleEveryS must be ≥ 0, got ${this.sampleEveryS}`);
    if (!(this.checkEveryS >= 0)) throw new CalibInputError(`BumpMonitor: checkEveryS must be ≥ 0, got ${this.checkEveryS}`);
    this.bg = new MedianBackground(this.cam.width, this.cam.height, o.depth ?? 7);
  }

  /** A monitor with OpenCV.js loaded (the first call in a process takes about a second or two). */
  static async create(o: BumpMonitorOptions): Promise<BumpMonitor> {
    const { cv } = await loadCv();
    return new BumpMonitor(cv, o);
  }

  /** The camera as now believed (its orientation updated after each adopted bump). */
  get camera(): Camera {
    return this.cam;
  }

  get reference(): Uint8Array | null {
    return this.ref;
  }

  /**
   * Offer a grey frame taken at time `t` (seconds, increasing). Returns the report when this
   * frame completed a check, else null.
   */
  push(frame: Uint8Array, t: number): BumpReport | null {
    this.assertOpen();
    if (t - this.lastSample < this.sampleEveryS) return null;
    this.lastSample = t;
    this.bg.push(frame);
    if (!this.bg.full) return null;
    if (!this.ref) {
      this.setReference(this.bg.median()!);
      this.lastCheck = t;
      return null;
    }
    if (t - this.lastCheck < this.checkEveryS) return null;
    this.lastCheck = t;
    const cur = this.bg.median()!;
    // Each check uses fresh frames only: a window spanning a bump would mix two views.
    this.bg.clear();
    return this.check(cur, t);
  }

  /** Use `background` as the reference view of the believed orientation. */
  setReference(background: Uint8Array): void {
    this.assertOpen();
    if (background.length !== this.cam.width * this.cam.height) throw new CalibInputError(`BumpMonitor: reference has ${background.length} bytes, expected ${this.cam.width}×${this.cam.height}`);
    this.ref = Uint8Array.from(background);
    this.pending = false;
    this.bg.clear();
  }

  /** Compare a background with the reference now. */
  check(background: Uint8Array, t: number): BumpReport {
    this.assertOpen();
    if (!this.ref) throw new CalibInputError('BumpMonitor: no reference background yet');
    const W = this.cam.width, H = this.cam.height;
    const orb = estimateOrientationChange(this.cv, this.cam, this.ref, background, this.o.orientation);
    let sky: SkylineAlignment | null = null;
    if (this.o.skyline ?? true) sky = alignSkyline(this.cam, extractSkyline(this.ref, W, H), extractSkyline(background, W, H));
    const source = orb.ok ? 'orb' : sky ? 'skyline' : 'none';
    const delta = orb.ok ? orb.R : sky ? sky.R : null;
    const before = orientationFromRotation(this.cam.R);
    const changeDeg = orb.ok ? orb.angleDeg : sky ? sky.angleDeg : NaN;
    const after = delta ? applyChange(this.cam.R, delta) : { R: Float64Array.from(this.cam.R), orientation: before };
    const bumped = changeDeg > this.thresholdDeg;
    const adopt = bumped && (this.o.adopt ?? true) && (this.pending || !(this.o.confirm ?? true));
    this.pending = bumped && !adopt && (this.o.adopt ?? true);
    const report: BumpReport = {
      t, bumped, adopted: adopt, changeDeg, source, orb, skyline: sky,
      orientation: after.orientation, R: after.R,
      dYawDeg: normDeg(after.orientation.yaw - before.yaw), dPitchDeg: after.orientation.pitch - before.pitch, dRollDeg: normDeg(after.orientation.roll - before.roll),
    };
    this.history.push(report);
    if (adopt) {
      const p = this.cam.params;
      this.cam = new Camera({ ...p, pose: { ...p.pose, ...after.orientation } });
      this.ref = Uint8Array.from(background);
    }
    return report;
  }

  /** Drop the frames held; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.bg.clear();
    this.ref = null;
  }

  private assertOpen(): void {
    if (this.closed) throw new CalibInputError('BumpMonitor: used after close()');
  }
}
