/**
 * The media server: the composition root of the live media layer. One StreamManager for the
 * site's live cameras (rtsp://, rtp://, tcp:// sources; file: cameras belong to `dvs detect`),
 * a health tick every `load_balancing.health_check_interval_ms` that scores each stream
 * (healthScore with `monitoring.stream_health.thresholds`) into a HealthMonitor, webhook alerts on
 * degraded/recovered, a SyncManager fed with every frame and sender report (master by health), and
 * the ingest lanes: worker threads running the streams' receive work (lane-pool.ts), assigned by
 * lanes.ts's strategies and rebalanced on request (see docs/SERVER.md).
 */
import { availableParallelism } from 'node:os';
import type { CameraConfig, SiteConfig } from '../config/site.ts';
import { redactCredentialsInText } from '../config/redact.ts';
import {
  createWebhookNotifier, HealthMonitor, healthScore, healthSettingsFromConfig, resolveHealthScoreOptions, TypedEmitter,
  type HealthMonitorOptions, type HealthScore, type HealthTransition, type ResolvedHealthScoreOptions, type HealthThresholds,
  type WebhookNotifier, type WebhookNotifierOptions,
} from '../media/health/index.ts';
import {
  definitionFromCamera, managerOptionsFromConfig, StreamManager, StreamManagerError,
  type StreamManagerEvent, type StreamManagerOptions, type StreamSnapshot, type StreamState,
} from '../media/manager/index.ts';
import type { MediaFrame } from '../media/frame.ts';
import { SyncManager, syncOptionsFromConfig, type SyncManagerOptions } from '../media/sync/index.ts';
import { LivePipeline, LivePipelineError, type LiveCodedFrame, type LiveMediaSource, type LivePipelineOptions } from '../pipeline/live.ts';
import { liveSiteCameras } from '../pipeline/live-cameras.ts';
import { LanePool, type LanePoolOptions, type LaneThreadStatus } from './lane-pool.ts';
import { assignLanes, imbalance, LANE_STRATEGIES, type LaneStrategy } from './lanes.ts';
import { MediaServerError } from './errors.ts';

export interface MediaServerOptions {
  /** Number of ingest lanes. Default min(4, availableParallelism()). */
  lanes?: number;
  /**
   * 'worker' (default): each lane is a worker thread running its streams' receive work.
   * 'inline': every stream runs on the main thread and lanes are only an accounting of it
   * (forced when `manager.clock` is given: a test clock cannot drive other threads).
   */
  laneMode?: 'worker' | 'inline';
  /** Worker-lane settings (frames in flight before back-pressure drops, metrics period). */
  lanePool?: Omit<LanePoolOptions, 'lanes'>;
  /** Overrides media_server.load_balancing.strategy. */
  strategy?: LaneStrategy;
  /** HMAC secret of webhook alerts. Default process.env.DVS_WEBHOOK_SECRET. Required when a webhook_url is set. */
  webhookSecret?: string;
  /** Retry/timeout options of the webhook notifier. */
  webhook?: Omit<WebhookNotifierOptions, 'url' | 'secret'>;
  /** Overrides media_server.load_balancing.health_check_interval_ms. */
  healthIntervalMs?: number;
  /** Overrides of the health monitor (degradeBelow comes from health_threshold). */
  monitor?: HealthMonitorOptions;
  /** Overrides of the stream manager options derived from media_server. */
  manager?: Partial<Omit<StreamManagerOptions, 'onFrame'>>;
  /** Overrides of the sync manager options derived from the config. */
  sync?: SyncManagerOptions;
  /**
   * The live detection pipeline (decode → sync → Detector → TrackStage; src/pipeline/live.ts).
   * 'auto' (default): attached when every enabled live camera has a pose, intrinsics and
   * rtp_config resolution and fps; true: attached (start() throws when it cannot be); false: not.
   * An options object attaches it with those options.
   */
  pipeline?: 'auto' | boolean | LivePipelineOptions;
}

/** Whether the live pipeline runs, and why not when it does not. */
export interface PipelineState {
  enabled: boolean;
  reason: string | null;
}

export interface StreamHealthView {
  id: string;
  state: StreamState;
  score: number;
  health_state: 'healthy' | 'degraded';
  worst: HealthScore['worst'];
  /** Unix ms of the tick that computed it. */
  at: number;
}

export type ServerAlert = HealthTransition & { at: number };

/** An online calibration version accepted by the refiner, or adopted by the live detector. */
export interface CalibrationEvent {
  event: 'accepted' | 'adopted';
  version: number;
  /** Site time (s) of the refinement window's end; null when unknown. */
  t: number | null;
  /** Accepted: the parameter set ("clock+pose+focal", …) and the held-out RMS before/after (px). */
  model?: string;
  rmse_before_px?: number;
  rmse_after_px?: number;
  /** Unix ms. */
  at: number;
}

export interface MediaServerEvents {
  state: Extract<StreamManagerEvent, { type: 'state' }> & { at: number };
  calibration: CalibrationEvent;
  health: StreamHealthView[];
  degraded: ServerAlert;
  recovered: ServerAlert;
}

export interface LaneStatus {
  lane: number;
  streams: string[];
  /** Sum of the streams' measured busy time, ms per s. */
  busy_ms_per_s: number;
  /** Sum of priority weights (high 3, medium 2, low 1). */
  weight: number;
  packets_per_s: number;
  bitrate_kbps: number;
  /** Worker mode: the lane thread's state (event-loop utilization, drops, restarts); null inline. */
  thread: LaneThreadStatus | null;
}

export interface LoadBalancingStatus {
  strategy: LaneStrategy;
  lanes: LaneStatus[];
  /** max/mean of the lane loads the strategy balances (busy time, or weight for 'weighted'). */
  imbalance: number;
  /** 'worker': lanes are worker threads; 'logical': every stream runs on the main thread (laneMode 'inline'). */
  mode: 'worker' | 'logical';
  last_rebalance: string | null;
  /** Streams being moved to another lane by the last rebalance (reconnecting there). */
  moving: string[];
}

interface Entry {
  camera: CameraConfig;
  lane: number;
  busyRate: number | null;
  lastBusyMs: number;
  lastPackets: number;
  packetRate: number;
  lastSrArrival: number | null;
  /** Health is fed to the monitor from graceUntil on (see `tick`); null until first active. */
  graceUntil: number | null;
  /** (t, resolution_changes, codec_switches) history over the metrics window. */
  changes: Array<[number, number, number]>;
  health: StreamHealthView;
}

const LIVE_SCHEMES = /^(rtsp|rtp|tcp):\/\//i;
const UNIX_OFFSET = performance.timeOrigin;

export function isLiveCamera(cam: CameraConfig): boolean {
  return LIVE_SCHEMES.test(cam.resolvedSource);
}

export class MediaServer extends TypedEmitter<MediaServerEvents> implements LiveMediaSource {
  readonly config: SiteConfig;
  readonly manager: StreamManager;
  readonly monitor: HealthMonitor;
  readonly sync: SyncManager;
  readonly webhook: WebhookNotifier | null;
  readonly lanes: number;
  readonly healthIntervalMs: number;
  private strategyName: LaneStrategy;
  private readonly thresholds: HealthThresholds;
  private readonly scoreOpts: ResolvedHealthScoreOptions;
  private readonly windowMs: number;
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | null = null;
  private lastTick = performance.now();
  private lastRebalance: string | null = null;
  private unsubscribe: (() => void) | null = null;
  private closed = false;
  private started = false;
  private readonly frameListeners = new Set<(f: LiveCodedFrame) => void>();
  private readonly resetListeners = new Set<(id: string) => void>();
  private readonly pipelineOpt: MediaServerOptions['pipeline'];
  /** Worker-thread lanes (null in inline mode). */
  readonly pool: LanePool | null;
  /** Rebalance moves in progress, by stream id. */
  private readonly moving = new Map<string, Promise<void>>();
  /** The live detection pipeline once started (null when not attached; see pipelineState). */
  pipeline: LivePipeline | null = null;
  pipelineState: PipelineState = { enabled: false, reason: 'not started' };
  /** Unix ms when start() ran (null before). */
  startedAtMs: number | null = null;

  constructor(config: SiteConfig, opts: MediaServerOptions = {}) {
    super();
    this.config = config;
    const lb = config.media_server.load_balancing;
    this.lanes = opts.lanes ?? Math.max(1, Math.min(4, availableParallelism()));
    if (!Number.isInteger(this.lanes) || this.lanes < 1 || this.lanes > 256) throw new MediaServerError('SERVER_OPTIONS', `lanes must be an integer in 1..256, got ${opts.lanes}`);
    this.strategyName = opts.strategy ?? lb.strategy;
    if (!LANE_STRATEGIES.includes(this.strategyName)) throw new MediaServerError('SERVER_OPTIONS', `unknown strategy ${String(this.strategyName)}`);
    this.healthIntervalMs = opts.healthIntervalMs ?? lb.health_check_interval_ms;
    if (!(this.healthIntervalMs >= 10)) throw new MediaServerError('SERVER_OPTIONS', `healthIntervalMs must be ≥ 10, got ${this.healthIntervalMs}`);
    const hs = healthSettingsFromConfig(config, opts.monitor ? { monitor: opts.monitor } : {});
    this.thresholds = hs.thresholds;
    this.scoreOpts = resolveHealthScoreOptions(hs.score);
    this.monitor = new HealthMonitor({ ...hs.monitor, now: Date.now });
    const secret = opts.webhookSecret ?? process.env.DVS_WEBHOOK_SECRET ?? '';
    if (hs.webhookUrl !== '' && secret === '') {
      throw new MediaServerError('WEBHOOK_SECRET', 'monitoring.stream_health.alerting.webhook_url is set but no signing secret is given (set DVS_WEBHOOK_SECRET)');
    }
    this.webhook = createWebhookNotifier({ webhook_url: hs.webhookUrl }, secret, opts.webhook ?? {});
    this.sync = new SyncManager({ ...syncOptionsFromConfig(config), ...opts.sync, healthOf: (id) => this.entries.get(id)?.health.score });
    const mo = { ...managerOptionsFromConfig(config.media_server), ...opts.manager };
    this.windowMs = mo.metricsWindowMs ?? 5000;
    const mode = opts.laneMode ?? 'worker';
    if (mode !== 'worker' && mode !== 'inline') throw new MediaServerError('SERVER_OPTIONS', `laneMode must be 'worker' or 'inline', got ${String(mode)}`);
    this.pool = mode === 'worker' && mo.clock === undefined ? new LanePool({ ...opts.lanePool, lanes: this.lanes }) : null;
    const pool = this.pool;
    this.manager = new StreamManager({
      ...mo, onFrame: (id, f) => this.onFrame(id, f),
      ...(pool ? { streamFactory: (o) => pool.create(this.entries.get(o.id)?.lane ?? 0, o) } : {}),
    });
    this.pipelineOpt = opts.pipeline ?? 'auto';
    this.monitor.on('degraded', (t) => this.alert(t));
    this.monitor.on('recovered', (t) => this.alert(t));
  }

  get strategy(): LaneStrategy {
    return this.strategyName;
  }

  /** Registers every enabled live camera and starts it; arms the health tick. Call once. */
  start(): StreamSnapshot[] {
    if (this.closed) throw new MediaServerError('SERVER_CLOSED', 'media server is closed');
    if (this.started) throw new MediaServerError('SERVER_STATE', 'media server already started');
    this.started = true;
    this.startedAtMs = Date.now();
    this.startPipeline(); // throws before any stream starts when the pipeline was asked for and cannot run
    this.unsubscribe = this.manager.on((e) => this.onManagerEvent(e));
    const live = this.config.cameras.filter(isLiveCamera);
    const defs = live.map((cam) => definitionFromCamera(cam)); // every source checked before any stream starts
    for (const cam of live) this.register(cam);
    this.assign(); // lanes first: the stream objects are made on their lane
    live.forEach((cam, k) => this.manager.add(defs[k]!, { start: cam.enabled }));
    this.timer = setInterval(() => this.tick(), this.healthIntervalMs);
    this.timer.unref();
    return this.manager.list();
  }

  /** Whole coded frames of every stream, with their arrival (Unix ms) and sync clock offset (LiveMediaSource). */
  onCodedFrame(fn: (f: LiveCodedFrame) => void): () => void {
    this.frameListeners.add(fn);
    return () => { this.frameListeners.delete(fn); };
  }

  /** New receiver sessions (LiveMediaSource). */
  onSessionReset(fn: (id: string) => void): () => void {
    this.resetListeners.add(fn);
    return () => { this.resetListeners.delete(fn); };
  }

  /** Camera ids served (live cameras of the config, in config order). */
  ids(): string[] {
    return [...this.entries.keys()];
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  camera(id: string): CameraConfig {
    return this.entry(id).camera;
  }

  snapshot(id: string): StreamSnapshot {
    this.entry(id);
    return this.manager.get(id);
  }

  health(id: string): StreamHealthView {
    return this.entry(id).health;
  }

  lane(id: string): number {
    return this.entry(id).lane;
  }

  start1(id: string): StreamSnapshot {
    this.entry(id);
    return this.manager.start(id);
  }

  async stop(id: string): Promise<StreamSnapshot> {
    this.entry(id);
    return this.manager.stop(id);
  }

  async restart(id: string): Promise<StreamSnapshot> {
    this.entry(id);
    return this.manager.restart(id);
  }

  /** Replaces a camera's entry (already validated) and restarts its stream when it was running. */
  async configure(id: string, camera: CameraConfig): Promise<StreamSnapshot> {
    const e = this.entry(id);
    if (camera.id !== id) throw new MediaServerError('SERVER_OPTIONS', `cannot rename stream ${id} to ${camera.id}`);
    if (!isLiveCamera(camera)) throw new StreamManagerError('STREAM_SOURCE', `camera ${id}: source must be rtsp://, rtp:// or tcp://`);
    const def = definitionFromCamera(camera); // throws STREAM_SOURCE before anything changes
    const snap = await this.manager.configure(id, def);
    e.camera = camera;
    e.graceUntil = null;
    this.monitor.remove(id);
    const k = this.config.cameras.findIndex((c) => c.id === id);
    if (k >= 0) this.config.cameras[k] = camera;
    e.changes = [];
    this.sync.resetStream(id);
    for (const fn of this.resetListeners) {
      try { fn(id); } catch { /* ignore */ }
    }
    return snap;
  }

  /** Current lane assignment with per-lane measured load. */
  status(): LoadBalancingStatus {
    const lanes: LaneStatus[] = Array.from({ length: this.lanes }, (_, lane) => ({ lane, streams: [], busy_ms_per_s: 0, weight: 0, packets_per_s: 0, bitrate_kbps: 0, thread: null }));
    const weight = { high: 3, medium: 2, low: 1 } as const;
    for (const [id, e] of this.entries) {
      const l = lanes[e.lane]!;
      l.streams.push(id);
      l.busy_ms_per_s += e.busyRate ?? 0;
      l.weight += weight[e.camera.rtp_config.priority];
      l.packets_per_s += e.packetRate;
      l.bitrate_kbps += this.manager.get(id).metrics.stream_bitrate_kbps;
    }
    const threads = this.pool?.status();
    for (const l of lanes) l.thread = threads?.[l.lane] ?? null;
    for (const l of lanes) {
      l.busy_ms_per_s = round(l.busy_ms_per_s, 4);
      l.packets_per_s = round(l.packets_per_s, 1);
      l.bitrate_kbps = round(l.bitrate_kbps, 1);
    }
    const loads = lanes.map((l) => (this.strategyName === 'weighted' ? l.weight : l.busy_ms_per_s));
    return {
      strategy: this.strategyName, lanes, imbalance: round(imbalance(loads), 3), mode: this.pool ? 'worker' : 'logical',
      last_rebalance: this.lastRebalance, moving: [...this.moving.keys()],
    };
  }

  /**
   * Reassigns every stream with the current measurements (optionally switching strategy). In
   * worker mode each moved stream is closed on its old lane and reconnected on its new one in the
   * background (`settled()` waits for that); it keeps its state unless no RTP arrives in time.
   */
  rebalance(strategy?: LaneStrategy): { moved: Array<{ id: string; from: number; to: number }>; status: LoadBalancingStatus } {
    if (this.closed) throw new MediaServerError('SERVER_CLOSED', 'media server is closed');
    if (strategy !== undefined) {
      if (!LANE_STRATEGIES.includes(strategy)) throw new MediaServerError('SERVER_OPTIONS', `unknown strategy ${String(strategy)}`);
      this.strategyName = strategy;
    }
    const moved = this.assign();
    if (this.pool && this.started) for (const m of moved) this.relocate(m.id);
    this.lastRebalance = new Date().toISOString();
    return { moved, status: this.status() };
  }

  /** Resolves when every move of the last rebalances is done. */
  async settled(): Promise<void> {
    while (this.moving.size > 0) await Promise.all([...this.moving.values()]);
  }

  /** Stops every stream, the tick, the sync manager and the notifier (waits up to drainMs for alerts in flight). Safe twice. */
  async close(drainMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.moving.values()]);
    await this.manager.close();
    await this.pool?.close();
    await this.pipeline?.close();
    this.unsubscribe?.();
    this.monitor.close();
    this.sync.close();
    await this.webhook?.close({ drainMs });
  }

  // ------------------------------------------------------------------ internals

  private register(cam: CameraConfig): void {
    this.entries.set(cam.id, {
      camera: cam, lane: 0, busyRate: null, lastBusyMs: 0, lastPackets: 0, packetRate: 0, lastSrArrival: null, graceUntil: null, changes: [],
      health: { id: cam.id, state: 'idle', score: 0, health_state: 'healthy', worst: null, at: Date.now() },
    });
    this.sync.addStream(cam.id, { clockRate: 90000 });
  }

  /** Moves a stream to the lane its entry now names (worker mode), in the background. */
  private relocate(id: string): void {
    const prev = this.moving.get(id) ?? Promise.resolve();
    const run = prev.then(async () => {
      const e = this.entries.get(id);
      if (this.closed || !e) return;
      // The new stream object's windowed metrics start empty: judge its health again after one window.
      if (this.manager.get(id).state === 'active') e.graceUntil = performance.now() + this.windowMs;
      await this.manager.relocate(id);
    }).catch(() => { /* the stream's own policy reports failures */ }).finally(() => {
      if (this.moving.get(id) === run) this.moving.delete(id);
    });
    this.moving.set(id, run);
  }

  private assign(): Array<{ id: string; from: number; to: number }> {
    const inputs = [...this.entries].map(([id, e]) => ({ id, priority: e.camera.rtp_config.priority, busyMsPerS: e.busyRate }));
    const next = assignLanes(inputs, this.lanes, this.strategyName);
    const moved: Array<{ id: string; from: number; to: number }> = [];
    for (const [id, lane] of next) {
      const e = this.entries.get(id)!;
      if (e.lane !== lane) moved.push({ id, from: e.lane, to: lane });
      e.lane = lane;
    }
    return moved;
  }

  private startPipeline(): void {
    const opt = this.pipelineOpt;
    if (opt === false) { this.pipelineState = { enabled: false, reason: 'disabled' }; return; }
    if (opt === 'auto') {
      const { cameras, unusable } = liveSiteCameras(this.config);
      if (cameras.length === 0 || unusable.length > 0) {
        const why = unusable.length > 0 ? unusable.map((u) => `${u.id}: ${u.reason}`).join('; ') : 'no live camera';
        this.pipelineState = { enabled: false, reason: `not every live camera has the geometry detection needs (${why})` };
        return;
      }
    }
    try {
      const base: LivePipelineOptions = typeof opt === 'object' ? opt : {};
      const adopted = base.onCalibAdopted;
      this.pipeline = new LivePipeline(this, {
        ...base,
        onCalibAdopted: (version, t) => {
          adopted?.(version, t);
          this.emit('calibration', { event: 'adopted', version, t, at: Date.now() });
        },
      });
      this.pipeline.calib?.onRecord((r) => {
        if (r.kind !== 'accepted') return;
        this.emit('calibration', {
          event: 'accepted', version: r.version, t: r.t, at: Date.now(),
          ...(r.model !== undefined ? { model: r.model } : {}),
          ...(r.rmse_before_px !== undefined ? { rmse_before_px: r.rmse_before_px } : {}),
          ...(r.rmse_after_px !== undefined ? { rmse_after_px: r.rmse_after_px } : {}),
        });
      });
      this.pipelineState = { enabled: true, reason: null };
    } catch (e) {
      if (opt === true || typeof opt === 'object') throw e;
      this.pipelineState = { enabled: false, reason: e instanceof LivePipelineError ? e.message : String(e) };
    }
  }

  /**
   * Each whole frame, on the main thread: hand it to the sync manager (and to the live pipeline's
   * decoder when attached). Inline, this runs inside the stream's receive callback and so counts
   * in its busy time; with worker lanes it is the main thread's work, not the lane's.
   */
  private onFrame(id: string, f: MediaFrame): void {
    const e = this.entries.get(id);
    if (!e || this.closed) return;
    const arrivalUnixMs = UNIX_OFFSET + (f.arrivalMs ?? performance.now());
    const synced = this.sync.pushFrame({ streamId: id, rtpTimestamp: f.timestamp, arrivalMs: arrivalUnixMs });
    if (this.frameListeners.size > 0) {
      const ev: LiveCodedFrame = { streamId: id, frame: f, arrivalUnixMs, clockOffsetMs: synced ? synced.captureMs - synced.syncMs : 0 };
      for (const fn of this.frameListeners) {
        try { fn(ev); } catch { /* a consumer's fault must not stop ingest */ }
      }
    }
  }

  private onManagerEvent(ev: StreamManagerEvent): void {
    if (ev.type === 'state') {
      const e = this.entries.get(ev.id);
      if (e) {
        e.health = { ...e.health, state: ev.to };
        if (ev.to === 'stopped' || ev.to === 'idle') {
          // Stopped on purpose: no alert; judged afresh when started again.
          e.graceUntil = null;
          this.monitor.remove(ev.id);
          e.health = { ...e.health, health_state: 'healthy' };
        } else if (ev.to === 'active' && e.graceUntil === null) {
          e.graceUntil = performance.now() + this.windowMs;
        }
      }
      this.emit('state', { ...ev, reason: ev.reason === null ? null : redactCredentialsInText(ev.reason), at: UNIX_OFFSET + ev.atMs });
    } else if (ev.type === 'stream' && ev.event.type === 'ready') {
      // A stream moved to another lane continues the same RTP session: keep its clock fit.
      if (ev.moved) return;
      // A new receiver session (sender restart, new SSRC): the old clock fit no longer applies.
      this.sync.resetStream(ev.id);
      const e = this.entries.get(ev.id);
      if (e) e.lastSrArrival = null;
      for (const fn of this.resetListeners) {
        try { fn(ev.id); } catch { /* ignore */ }
      }
    }
  }

  /** One health tick: score every stream, feed the monitor and the sync manager, measure lane load. */
  tick(): void {
    if (this.closed) return;
    const nowPerf = performance.now();
    const dtS = Math.max(1e-3, (nowPerf - this.lastTick) / 1000);
    this.lastTick = nowPerf;
    const now = Date.now();
    const views: StreamHealthView[] = [];
    for (const [id, e] of this.entries) {
      const s = this.manager.get(id);
      const m = s.metrics;
      // Window counts of resolution changes / codec switches: cumulative now minus the oldest
      // sample still inside the metrics window.
      e.changes.push([nowPerf, m.resolution_changes, m.codec_switches]);
      while (e.changes.length > 1 && e.changes[1]![0] <= nowPerf - this.windowMs) e.changes.shift();
      const base = e.changes[0]!;
      const j = m.jitter_ms;
      const score = healthScore({
        packetLossRate: m.packet_loss_rate,
        jitterMs: { current: j.current ?? 0, min: j.min ?? 0, max: j.max ?? 0, mean: j.mean ?? 0 },
        frameDropRate: m.frame_drop_rate,
        networkLatencyMs: m.network_latency_ms,
        bitrateKbps: m.stream_bitrate_kbps,
        width: m.resolution?.[0] ?? 0,
        height: m.resolution?.[1] ?? 0,
        fps: m.fps ?? 0,
        ...(e.camera.rtp_config.fps !== undefined ? { expectedFps: e.camera.rtp_config.fps } : {}),
        resolutionChanges: m.resolution_changes - base[1],
        codecSwitches: m.codec_switches - base[2],
        secondsSinceLastFrame: m.last_frame_ms === null ? Infinity : (nowPerf - m.last_frame_ms) / 1000,
        state: s.state,
      }, this.thresholds, this.scoreOpts);
      // Startup grace: the monitor judges a stream from one metrics window after it first became
      // active (frames withheld until the first key frame would otherwise raise an alert at every
      // start); a stream that never came up is judged once it is failed.
      if ((e.graceUntil !== null && nowPerf >= e.graceUntil) || s.state === 'failed') this.monitor.update(id, score, now);
      const st = this.monitor.status(id);
      e.health = { id, state: s.state, score: round(score.score, 2), health_state: st?.state ?? 'healthy', worst: score.worst, at: now };
      this.sync.setHealth(id, score.score, now);
      const sr = m.last_sender_report;
      if (sr !== null && sr.arrivalMs !== e.lastSrArrival) {
        e.lastSrArrival = sr.arrivalMs;
        this.sync.pushSenderReport(id, sr);
      }
      // Busy time of the stream's receive work (a reconfigured stream's new object starts its
      // counter again; lane moves and restarts carry it on).
      const busyMs = m.busy_ms;
      const busy = Math.max(0, busyMs - (busyMs >= e.lastBusyMs ? e.lastBusyMs : 0)) / dtS;
      e.lastBusyMs = busyMs;
      e.busyRate = e.busyRate === null ? busy : 0.7 * e.busyRate + 0.3 * busy;
      e.packetRate = Math.max(0, m.packets_received - (m.packets_received >= e.lastPackets ? e.lastPackets : 0)) / dtS;
      e.lastPackets = m.packets_received;
      views.push(e.health);
    }
    this.sync.electMaster(now);
    this.emit('health', views);
  }

  private alert(t: HealthTransition): void {
    const e = this.entries.get(t.streamId);
    const at = t.atMs;
    this.webhook?.notify(`stream.${t.type}`, {
      stream_id: t.streamId, state: e?.health.state ?? null, health_score: round(t.score, 2), worst: t.worst,
      since: new Date(t.sinceMs).toISOString(), at: new Date(at).toISOString(),
      threshold: this.config.media_server.load_balancing.health_threshold,
    });
    this.emit(t.type, { ...t, at });
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new StreamManagerError('STREAM_UNKNOWN', `no stream ${JSON.stringify(id)}`);
    return e;
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
