/**
 * The live detection pipeline: whole coded frames of the media server's streams → one FFmpeg
 * decoder per stream ({@link DecoderBank}) → each grey picture's RTP timestamp mapped to a
 * capture time by the stream's ClockMapper in the SyncManager (RFC 7273, sender reports, or the
 * arrival fallback) → camera time and site time → frame groups across cameras
 * ({@link FrameGrouper}, ±max_timing_offset_ms around the sync master's frames) → the shared
 * {@link Detector} and {@link TrackStage}, exactly as `dvs detect` drives them in-thread.
 *
 * Times. `epochUnixMs` (default: construction) is site time 0; the live pipeline's site time is
 * seconds since it. With timeSource 'config' (default) a frame's capture time on its camera's
 * reference clock (the clock its sender reports or RFC 7273 signalling speak of) is the camera
 * time, `cameraTime = (captureMs − epoch)/1000`, and `siteTime = clock.siteTime(cameraTime)` with
 * the camera's `clock` from the site config (CONTRACTS §2) — so a camera whose clock is known to
 * be 400 ms ahead is put back on the site's timeline. With 'sync', the SyncManager's own
 * common timeline is used instead (its estimated offset to the master in 'arrival' alignment):
 * `siteTime = (captureMs − offset − epoch)/1000`, and the camera time handed to the Detector is
 * `clock.cameraTime(siteTime)` so its projector maps it back to the same site time.
 *
 * A stream whose clock mapping is still the arrival fallback is not used for `referenceWaitMs`
 * after its session started (its first sender report is normally a second away; mixing
 * arrival-timed and report-timed frames of one stream would step its timeline). A stream that
 * sends no reports is used on arrival times after that.
 */
import type { SiteConfig } from '../config/index.ts';
import { DecoderBank, type BankFrame, type BankStreamStats, type DecoderBankOptions } from '../media/decode/index.ts';
import type { MediaFrame } from '../media/frame.ts';
import type { CaptureMethod, SyncManager } from '../media/sync/index.ts';
import { cameraPositions, type TrackRecord } from '../tracking/index.ts';
import type { SiteCamera } from './cameras.ts';
import { Detector, type Detection, type DetectorOptions } from './detector.ts';
import { liveSiteCameras } from './live-cameras.ts';
import { FrameGrouper, type GrouperCounters, type PendingFrame } from './live-group.ts';
import { TrackStage, type TrackStageOptions } from './tracks.ts';
import { cameraParamsOf, observeCast, type CalibrationSnapshot, type CameraCalibration, type RefinementRecord } from '../calib/online/index.ts';
import { Camera } from '../geometry/index.ts';
import { LiveCalibHost, type LiveCalibOptions } from './live-calib.ts';

/** One whole coded frame as the media server hands it over. */
export interface LiveCodedFrame {
  streamId: string;
  frame: MediaFrame;
  /** Arrival of the frame's first packet, Unix ms (receiver clock). */
  arrivalUnixMs: number;
  /** The SyncManager's clock offset of the stream to the master when the frame arrived, ms (0 in 'shared' alignment). */
  clockOffsetMs: number;
}

/** What the live pipeline needs of the media server. */
export interface LiveMediaSource {
  readonly config: SiteConfig;
  readonly sync: SyncManager;
  /** Subscribe to whole coded frames; returns the unsubscribe function. */
  onCodedFrame(fn: (f: LiveCodedFrame) => void): () => void;
  /** Subscribe to new receiver sessions (sender restart, new SSRC): that stream's decoding and clock start afresh. */
  onSessionReset(fn: (streamId: string) => void): () => void;
}

export type LiveTimeSource = 'config' | 'sync';

export interface LivePipelineOptions {
  detector?: Omit<DetectorOptions, 'onTick' | 'frontEnds'>;
  tracks?: Omit<TrackStageOptions, 'cameras'>;
  /** See the file header. Default 'config'. */
  timeSource?: LiveTimeSource;
  /** Unix ms of site time 0. Default: now at construction. */
  epochUnixMs?: number;
  /** Longest wait of a group for its other cameras, ms. Default 500. */
  maxWaitMs?: number;
  /** A camera silent this long is left out of groups, ms. Default 1000. */
  absentMs?: number;
  /** Decoded frames held per camera while waiting to be grouped. Default 16. */
  maxPendingFrames?: number;
  /** How long a new session's frames wait for a sender report / RFC 7273 clock, ms. Default 3000. */
  referenceWaitMs?: number;
  /** Grouping poll period, ms. Default 20. */
  pollMs?: number;
  /** Decoder options (ring, frame skipping, hwaccel, threads). */
  decoder?: Omit<DecoderBankOptions, 'onFrame' | 'heldFrames'>;
  /** Recent detections kept for the API. Default 2000. */
  keepDetections?: number;
  /** Every group handed to the detector; the frames' pixels are valid only during the call. */
  onGroup?: (g: LiveGroup) => void;
  /** Unix ms clock. Default Date.now. */
  now?: () => number;
  /**
   * Online calibration refinement (docs/LIVE-CALIB.md): observations of the live tracks among
   * each frame's cast pixels and the confirmed track states go to an OnlineRefiner in a worker
   * thread ({@link LiveCalibHost}); its versions are served by GET /api/v1/calibration. Without
   * `calibAdopt` the detector keeps the configured calibration. Default off.
   */
  calibOnline?: boolean | LiveCalibOptions;
  /**
   * Detect with each accepted version (implies calibOnline): at the next frame-group boundary the
   * detector's cameras (intrinsics, poses, clocks) are replaced, and frames are timed with the
   * adopted clocks from then on (docs/LIVE-CALIB.md). Default off.
   */
  calibAdopt?: boolean;
  /** Each accepted or rejected refinement record (with calibOnline). */
  onCalibRecord?: (r: RefinementRecord, s: CalibrationSnapshot) => void;
  /** With calibAdopt: a version was given to the detector, at the start of the group at site time t. */
  onCalibAdopted?: (version: number, t: number) => void;
}

export interface LiveFrame {
  cameraId: string;
  camIndex: number;
  siteTime: number;
  cameraTime: number;
  /** Capture time on the camera's reference clock, Unix ms. */
  captureUnixMs: number;
  method: CaptureMethod;
  uncertaintyMs: number;
  rtpTimestamp: number;
  arrivalUnixMs: number;
  width: number;
  height: number;
  /** Grey pixels; valid only inside onGroup. */
  data: Uint8Array;
}

export interface LiveGroup {
  /** Anchor site time, seconds. */
  t: number;
  anchor: string;
  /** One per pipeline camera (order of `cameras`); null where none was within tolerance. */
  frames: (LiveFrame | null)[];
  complete: boolean;
  spreadMs: number;
}

export interface LivePipelineCounters extends GrouperCounters {
  /** Pictures out of the decoders. */
  decoded: number;
  /** Frames handed to the detector. */
  frames: number;
  /** Dropped: stream still on arrival timing within referenceWaitMs. */
  awaitingClock: number;
  /** Dropped: no clock mapping at all, or a stream not in the pipeline. */
  unmapped: number;
  /** Dropped: picture size differs from the camera's rtp_config.resolution. */
  sizeMismatch: number;
  detections: number;
  trackUpdates: number;
  ticks: number;
}

interface Held {
  frame: LiveFrame;
  release: () => void;
}

interface StreamClock {
  sessionStartMs: number | null;
  clockOffsetMs: number;
}

export class LivePipelineError extends Error {
  readonly code = 'LIVE_PIPELINE';
}

export class LivePipeline {
  readonly cameras: readonly SiteCamera[];
  readonly epochUnixMs: number;
  readonly timeSource: LiveTimeSource;
  readonly toleranceMs: number;
  private readonly own = { decoded: 0, frames: 0, awaitingClock: 0, unmapped: 0, sizeMismatch: 0, detections: 0, trackUpdates: 0, ticks: 0 };
  /** The last group handed to the detector (pixels dropped). */
  latestGroup: LiveGroup | null = null;
  /** Largest spread of a complete group seen, ms. */
  maxSpreadMs = 0;
  /** Site time of the last fusion tick. */
  lastTick: number | null = null;
  private readonly byId = new Map<string, SiteCamera>();
  private readonly detector: Detector;
  private readonly stage: TrackStage;
  private readonly bank: DecoderBank;
  private readonly grouper: FrameGrouper<Held>;
  private readonly clocks = new Map<string, StreamClock>();
  private readonly tracks = new Map<number, TrackRecord>();
  private readonly recent: Detection[] = [];
  private readonly keep: number;
  private readonly referenceWaitMs: number;
  private readonly now: () => number;
  private readonly onGroup: LivePipelineOptions['onGroup'];
  private readonly offs: (() => void)[];
  private readonly timer: NodeJS.Timeout;
  private seq = 0;
  private closed = false;
  /** The online calibration host (calibOnline), else null. Its camera positions are `cameras`' order. */
  readonly calib: LiveCalibHost | null;
  private readonly calibPos = new Map<number, number>();
  private readonly adopt: boolean;
  /** The newest accepted version not yet given to the detector (applied at the next group boundary). */
  private pendingAdoption: { version: number; current: CameraCalibration[] } | null = null;
  private readonly onCalibAdopted: LivePipelineOptions['onCalibAdopted'];
  /** The calibration version the detector uses (0: the configured one). */
  adoptedVersion = 0;
  private readonly uv = new Float64Array(3);

  constructor(private readonly source: LiveMediaSource, opts: LivePipelineOptions = {}) {
    const { cameras, unusable } = liveSiteCameras(source.config);
    if (cameras.length === 0) throw new LivePipelineError(`no usable live camera${unusable.length ? ` (${unusable.map((u) => `${u.id}: ${u.reason}`).join('; ')})` : ''}`);
    this.cameras = cameras;
    for (const c of cameras) this.byId.set(c.id, c);
    this.now = opts.now ?? Date.now;
    this.epochUnixMs = opts.epochUnixMs ?? this.now();
    this.timeSource = opts.timeSource ?? 'config';
    if (this.timeSource !== 'config' && this.timeSource !== 'sync') throw new LivePipelineError(`timeSource must be config or sync, got ${String(this.timeSource)}`);
    this.toleranceMs = source.sync.maxTimingOffsetMs;
    this.referenceWaitMs = opts.referenceWaitMs ?? 3000;
    this.keep = opts.keepDetections ?? 2000;
    this.onGroup = opts.onGroup;
    const pending = opts.maxPendingFrames ?? 16;
    if (!(Number.isInteger(pending) && pending >= 1 && pending <= 1000)) throw new LivePipelineError(`maxPendingFrames must be an integer 1..1000, got ${pending}`);
    if (!(this.referenceWaitMs >= 0) || !(this.keep >= 0)) throw new LivePipelineError('referenceWaitMs and keepDetections must be ≥ 0');
    this.grouper = new FrameGrouper<Held>({
      cameras: cameras.map((c) => c.id), toleranceS: this.toleranceMs / 1000,
      maxWaitMs: opts.maxWaitMs ?? 500, absentMs: opts.absentMs ?? 1000, maxPending: pending,
    }, (f) => f.payload.release());
    this.stage = new TrackStage({ ...opts.tracks, cameras: cameraPositions(source.config) });
    this.detector = new Detector(cameras, source.config.site.volume, {
      ...opts.detector,
      onTick: (t, dets) => this.onTick(t, dets),
    });
    const fb = source.config.stream_processing.frame_buffer;
    // The decoder's ring is only a hand-off here (every picture is taken out at once); the frames
    // waiting for their group are the grouper's (maxPendingFrames). A ring of max_frames_per_stream
    // would pre-allocate that many pictures per stream (300 × 2 MB at 1080p) for nothing.
    this.bank = new DecoderBank({
      capacity: 4, maxFrameAgeMs: fb.frame_timeout_ms, enableFrameSkipping: fb.enable_frame_skipping, maxSkipFrames: fb.max_skip_frames,
      ...opts.decoder,
      // The grouper holds up to `pending` pictures per stream out of the decoder's pool.
      heldFrames: pending + 2,
      onFrame: (f) => this.onDecoded(f),
    });
    // Spawn each decoder now, before streams flow, where the config names codec and size.
    for (const c of cameras) this.prepare(c.id);
    this.offs = [
      source.onCodedFrame((f) => this.onCoded(f)),
      source.onSessionReset((id) => this.onReset(id)),
    ];
    this.adopt = opts.calibAdopt ?? false;
    this.onCalibAdopted = opts.onCalibAdopted;
    if (opts.calibOnline || this.adopt) {
      this.calib = new LiveCalibHost(cameras.map((c) => c.camera.params), typeof opts.calibOnline === 'object' ? opts.calibOnline : {}, this.now);
      cameras.forEach((c, i) => this.calibPos.set(c.index, i));
      if (this.adopt) this.calib.onRecord((r, snap) => { if (r.kind === 'accepted') this.pendingAdoption = { version: snap.version, current: snap.current }; });
      if (opts.onCalibRecord) this.calib.onRecord(opts.onCalibRecord);
    } else this.calib = null;
    const pollMs = opts.pollMs ?? 20;
    this.timer = setInterval(() => this.poll(), pollMs);
    this.timer.unref();
  }

  /** Counters of the grouping and of this stage (a fresh object). */
  get counters(): LivePipelineCounters {
    return { ...this.grouper.counters, ...this.own };
  }

  /** Recent detections with t > since (site seconds). */
  detections(since = -Infinity): Detection[] {
    return this.recent.filter((d) => d.t > since);
  }

  /** Latest update of every track not lost. */
  liveTracks(): TrackRecord[] {
    return [...this.tracks.values()];
  }

  decoderStats(id: string): BankStreamStats | null {
    return this.bank.stats(id);
  }

  /** Forms and processes every group that is ready (also run by the timer). */
  poll(): void {
    if (this.closed) return;
    for (const g of this.grouper.poll(this.now(), this.source.sync.master)) this.process(g.t, g.anchor, g.frames, g.complete, g.spreadMs);
  }

  /** Stops decoding and detection; frames held are released. Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const off of this.offs) off();
    this.grouper.clear();
    await this.bank.close();
    this.detector.close();
    this.stage.close();
    await this.calib?.close();
  }

  // ------------------------------------------------------------------ internals

  private onCoded(e: LiveCodedFrame): void {
    if (this.closed || !this.byId.has(e.streamId)) return;
    let c = this.clocks.get(e.streamId);
    if (!c) this.clocks.set(e.streamId, c = { sessionStartMs: null, clockOffsetMs: 0 });
    c.sessionStartMs ??= this.now();
    c.clockOffsetMs = e.clockOffsetMs;
    this.bank.push(e.streamId, e.frame, e.arrivalUnixMs);
  }

  /** Starts a camera's decoder ahead of its frames when the config names its codec (size: rtp_config.resolution). */
  private prepare(id: string): void {
    const c = this.byId.get(id);
    const codec = c ? this.source.config.cameras[c.index]?.rtp_config.codec : undefined;
    if (c && (codec === 'h264' || codec === 'h265' || codec === 'mjpeg')) this.bank.prepare(id, codec, { width: c.camera.width, height: c.camera.height });
  }

  private onReset(id: string): void {
    this.bank.reset(id);
    this.prepare(id);
    const c = this.clocks.get(id);
    if (c) c.sessionStartMs = null;
  }

  private onDecoded(b: BankFrame): void {
    if (this.closed) { b.release(); return; }
    this.own.decoded++;
    const cam = this.byId.get(b.streamId);
    const mapper = this.source.sync.mapper(b.streamId);
    const clock = this.clocks.get(b.streamId);
    const now = this.now();
    const arrival = b.arrivalMs ?? now;
    const ct = mapper?.captureTime(b.frame.rtpTimestamp, arrival) ?? null;
    if (!cam || !clock || !ct) { this.own.unmapped++; b.release(); return; }
    if (ct.method === 'arrival' && (clock.sessionStartMs === null || now - clock.sessionStartMs < this.referenceWaitMs)) {
      this.own.awaitingClock++;
      b.release();
      return;
    }
    if (b.frame.width !== cam.camera.width || b.frame.height !== cam.camera.height) { this.own.sizeMismatch++; b.release(); return; }
    let siteTime: number, cameraTime: number;
    if (this.timeSource === 'config') {
      cameraTime = (ct.captureMs - this.epochUnixMs) / 1000;
      siteTime = cam.camera.clock.siteTime(cameraTime);
    } else {
      siteTime = (ct.captureMs - clock.clockOffsetMs - this.epochUnixMs) / 1000;
      cameraTime = cam.camera.clock.cameraTime(siteTime);
    }
    // Camera time keeps one definition (through the configured clock in 'sync'); after an
    // adoption the site time is the adopted clock's reading of it (see retime).
    if (this.detector.calibrationChanges > 0) siteTime = this.detector.camera(cam.index).clock.siteTime(cameraTime);
    const frame: LiveFrame = {
      cameraId: cam.id, camIndex: cam.index, siteTime, cameraTime, captureUnixMs: ct.captureMs, method: ct.method, uncertaintyMs: ct.uncertaintyMs,
      rtpTimestamp: b.frame.rtpTimestamp >>> 0, arrivalUnixMs: arrival, width: b.frame.width, height: b.frame.height, data: b.frame.data,
    };
    if (this.grouper.add(cam.id, siteTime, now, { frame, release: b.release })) this.poll();
  }

  private process(t: number, anchor: string, frames: (PendingFrame<Held> | null)[], complete: boolean, spreadMs: number): void {
    const held = frames.filter((f): f is PendingFrame<Held> => f !== null).map((f) => f.payload);
    try {
      // Group boundary: a version accepted since the last group is given to the detector now,
      // before any frame of this group, and this group's frames (timed when they were decoded)
      // are re-timed with the adopted clocks.
      if (this.pendingAdoption) this.applyAdoption(t);
      if (this.detector.calibrationChanges > 0) for (const h of held) this.retime(h.frame);
      const group: LiveGroup = { t, anchor, frames: frames.map((f) => f?.payload.frame ?? null), complete, spreadMs };
      if (this.onGroup) {
        try { this.onGroup(group); } catch { /* a consumer's fault must not stop the pipeline */ }
      }
      // Site-time order inside the group (the Detector's contract).
      for (const h of [...held].sort((a, b) => a.frame.siteTime - b.frame.siteTime)) {
        const f = h.frame;
        const dets = this.detector.push({ camIndex: f.camIndex, seq: this.seq++, cameraTime: f.cameraTime, siteTime: f.siteTime, width: f.width, height: f.height, data: f.data });
        const cam = this.byId.get(f.cameraId)!;
        this.stage.observe(this.detector.camera(f.camIndex), f.siteTime, this.detector.frameView(f.camIndex), this.detector.lastCast(f.camIndex), this.detector.backgroundView(f.camIndex));
        this.own.frames++;
        this.addDetections(dets);
        if (this.calib) this.observeCalib(cam, f);
      }
      this.calib?.tick(t);
      this.latestGroup = { ...group, frames: group.frames.map((f) => (f ? { ...f, data: new Uint8Array(0) } : null)) };
      if (complete) this.maxSpreadMs = Math.max(this.maxSpreadMs, spreadMs);
    } finally {
      for (const h of held) h.release();
    }
  }

  /** As `dvs detect --calib-online` (detect-hook.ts): the live tracks' observations among the frame's cast pixels. */
  private observeCalib(cam: SiteCamera, f: LiveFrame): void {
    const pos = this.calibPos.get(f.camIndex);
    if (pos === undefined) return;
    for (const o of observeCast(this.detector.camera(cam.index), f.siteTime, this.detector.lastCast(f.camIndex), this.stage.liveTracks(), this.uv)) {
      this.calib!.addObservation({ trackId: o.trackId, cam: pos, cameraTime: f.cameraTime, u: o.u, v: o.v });
    }
  }

  /** The accepted version's cameras (by id; resolution and rolling shutter kept) into the detector, all at once. */
  private applyAdoption(t: number): void {
    const p = this.pendingAdoption!;
    this.pendingAdoption = null;
    const updates: Array<{ index: number; camera: Camera }> = [];
    for (const c of this.cameras) {
      const cal = p.current.find((x) => x.id === c.id);
      if (cal) updates.push({ index: c.index, camera: new Camera(cameraParamsOf(cal, this.detector.camera(c.index))) });
    }
    this.detector.setCameras(updates);
    this.adoptedVersion = p.version;
    this.calib?.noteAdopted(p.version);
    try { this.onCalibAdopted?.(p.version, t); } catch { /* a consumer's fault must not stop the pipeline */ }
  }

  /**
   * A frame's site time under the camera's current clock. The camera time is never changed: in
   * 'config' it is the capture time, in 'sync' the sync manager's site time through the
   * configured clock — so the refiner keeps seeing the same camera times, and an adopted clock
   * correction δ moves the frame by δ once (re-deriving the camera time from the adopted clock
   * instead would hand the refiner the same error again after every version).
   */
  private retime(f: LiveFrame): void {
    f.siteTime = this.detector.camera(f.camIndex).clock.siteTime(f.cameraTime);
  }

  private addDetections(dets: readonly Detection[]): void {
    for (const d of dets) this.recent.push(d);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
  }

  private onTick(t: number, dets: readonly Detection[]): void {
    this.own.ticks++;
    this.own.detections += dets.length;
    this.lastTick = t;
    const r = this.stage.tick(t, dets);
    this.own.trackUpdates += r.tracks.length;
    for (const u of r.tracks) {
      if (u.status === 'lost') this.tracks.delete(u.track_id);
      else this.tracks.set(u.track_id, u);
      if (this.calib && u.status === 'confirmed') this.calib.addTrackState({ trackId: u.track_id, t: u.t, enu: u.enu });
    }
  }
}
