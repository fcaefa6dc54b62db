/**
 * The online refiner inside a detection run (`dvs detect --calib-online`): confirmed track
 * updates go in as states, every camera frame's cast pixels near the confirmed tracks as 2D
 * observations; every record is appended to `calibration.jsonl` as it happens, and
 * `calibration.json` (the snapshot: current calibration + records) is written at the end.
 * With `adopt`, every accepted version is also handed to the caller ({@link takeAdoption}) as
 * geometry cameras to give the detector, and the observation gate projects with it from then on.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Camera } from '../../geometry/index.ts';
import type { PixelList } from '../../preprocess/index.ts';
import { observeCast, type TrackPoint } from './observe.ts';
import { OnlineRefiner } from './refiner.ts';
import { cameraParamsOf } from './state.ts';
import type { CalibrationSnapshot, OnlineRefinerOptions, RefinementRecord } from './types.ts';

export interface DetectHookCamera {
  /** Index of the camera in the site config (the detector's camIndex). */
  index: number;
  camera: Camera;
}

export interface DetectCalibrationOptions {
  /** Hand every accepted version to the caller for the detector ({@link DetectCalibration.takeAdoption}). Default false. */
  adopt?: boolean;
}

export class DetectCalibration {
  readonly refiner: OnlineRefiner;
  private readonly position = new Map<number, number>();
  /** The geometry the observation gate projects with: the configured cameras, or with `adopt` the last accepted version. */
  private cams: Camera[];
  private readonly indices: number[];
  private readonly adopt: boolean;
  private pending: Array<{ index: number; camera: Camera }> | null = null;
  /** Versions handed over by {@link takeAdoption}, in order. */
  readonly adopted: number[] = [];
  private pendingVersion = 0;
  private readonly jsonl: string;
  private readonly uv = new Float64Array(3);
  private lastT = NaN;
  private closed = false;

  constructor(cameras: readonly DetectHookCamera[], private readonly outDir: string, opts: OnlineRefinerOptions = {}, hook: DetectCalibrationOptions = {}) {
    this.cams = cameras.map((c) => c.camera);
    this.indices = cameras.map((c) => c.index);
    this.adopt = hook.adopt ?? false;
    cameras.forEach((c, i) => this.position.set(c.index, i));
    this.refiner = new OnlineRefiner(this.cams, opts);
    this.jsonl = join(outDir, 'calibration.jsonl');
    writeFileSync(this.jsonl, '');
    for (const r of this.refiner.snapshot().versions) this.write(r);
  }

  /** Track updates of one fusion tick: confirmed ones become states. */
  tracks(updates: ReadonlyArray<{ t: number; track_id: number; status: string; enu: readonly number[] }>): void {
    for (const u of updates) if (u.status === 'confirmed') this.refiner.addTrackState({ trackId: u.track_id, t: u.t, enu: u.enu });
  }

  /** One camera frame: observations of the live confirmed tracks among its cast pixels, then a refinement if due. */
  frame(camIndex: number, cameraTime: number, siteTime: number, cast: PixelList | undefined, live: readonly TrackPoint[]): RefinementRecord | null {
    if (this.closed) return null;
    const pos = this.position.get(camIndex);
    if (pos === undefined) return null;
    for (const o of observeCast(this.cams[pos]!, siteTime, cast, live, this.uv)) {
      this.refiner.addObservation({ trackId: o.trackId, cam: pos, cameraTime, u: o.u, v: o.v });
    }
    this.lastT = siteTime;
    const r = this.refiner.maybeRefine(siteTime);
    if (r) this.write(r);
    if (r?.kind === 'accepted' && this.adopt) this.stage(r.version);
    return r;
  }

  /**
   * With `adopt`: the cameras of the newest accepted version not yet taken (config index +
   * geometry camera; resolution and rolling shutter kept from the configured camera), else null.
   * The caller applies them to the detector at a boundary of its choice (offline.ts: right after
   * the next fusion tick).
   */
  takeAdoption(): Array<{ index: number; camera: Camera }> | null {
    const p = this.pending;
    if (p) { this.pending = null; this.adopted.push(this.pendingVersion); }
    return p;
  }

  private stage(version: number): void {
    const cur = this.refiner.current();
    this.cams = this.cams.map((base, i) => new Camera(cameraParamsOf(cur[i]!, base)));
    this.pending = this.cams.map((camera, i) => ({ index: this.indices[i]!, camera }));
    this.pendingVersion = version;
  }

  /** A last refinement over the final window, then calibration.json; safe to call twice. */
  finish(): CalibrationSnapshot {
    if (!this.closed) {
      this.closed = true;
      if (Number.isFinite(this.lastT) && this.refiner.pendingObservations > 0) {
        const r = this.refiner.refine(this.lastT);
        if (r) this.write(r);
      }
      writeFileSync(join(this.outDir, 'calibration.json'), `${JSON.stringify(this.refiner.snapshot(), null, 2)}\n`);
      this.refiner.close();
    }
    return this.refiner.snapshot();
  }

  private write(r: RefinementRecord): void {
    appendFileSync(this.jsonl, `${JSON.stringify(r)}\n`);
  }
}
