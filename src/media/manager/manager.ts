/**
 * Registry of live streams with a connection policy per stream:
 *
 *   idle → connecting → active ⇄ reconnecting → failed (slow retries) ; any → stopped
 *
 * A stream is active from its first accepted RTP packet. Silence longer than
 * `connectionTimeoutMs` (or a transport error) moves it to reconnecting: attempt k (1-based)
 * waits `reconnectBackoffMs[k − 1]` (the last value repeats), connects and waits up to
 * `connectionTimeoutMs` for RTP. After `reconnectAttempts` failed attempts the stream is failed
 * and retried every `failedRetryMs`. Every state change is an event.
 */
import type { CameraConfig } from '../../config/site.ts';
import type { MediaServerConfig } from '../../config/schema.ts';
import { checkRange, MediaError } from '../errors.ts';
import type { MediaFrame } from '../frame.ts';
import { LiveStream, type LiveStreamEvent, type LiveStreamMetrics, type LiveStreamOptions } from '../stream/live.ts';
import { systemClock, Timer, type Clock } from '../transport/clock.ts';
import { PortAllocator } from '../transport/ports.ts';
import { definitionFromCamera, type StreamDefinition } from './definition.ts';
import { StreamManagerError } from './errors.ts';

export type StreamState = 'idle' | 'connecting' | 'active' | 'reconnecting' | 'failed' | 'stopped';

export interface StreamManagerOptions {
  /** Streams running at once (not idle/stopped). Default 16 (`media_server.max_concurrent_streams`). */
  maxConcurrentStreams?: number;
  /** TCP/RTSP handshake deadline and RTP silence limit. Default 5000 ms (`connection_timeout_ms`). */
  connectionTimeoutMs?: number;
  /** Reconnection attempts before `failed`. Default 3 (`reconnect_attempts`). */
  reconnectAttempts?: number;
  /** Wait before attempt k is element k − 1, the last repeating. Default [1000, 2000, 5000] (`reconnect_backoff_ms`). */
  reconnectBackoffMs?: readonly number[];
  /** Period of the retries of a failed stream. Default 30000 ms. */
  failedRetryMs?: number;
  /** Default '0.0.0.0' (`network.bind_address`). */
  bindAddress?: string;
  /** RTSP client UDP ports; null lets the OS choose. Default [50000, 50100] (`network.rtp_port_range`). */
  rtpPortRange?: readonly [number, number] | null;
  /** Default 1500 (`network.max_packet_size`). */
  maxPacketSize?: number;
  /** Default 100 (`network.jitter_buffer_ms`). */
  jitterBufferMs?: number;
  /** Default false (`network.enable_nagle`). */
  nagle?: boolean;
  /** RTSP 'auto': silence after PLAY before switching UDP → TCP. Default 3000 ms. */
  udpFallbackMs?: number;
  /** Window of windowed metrics. Default 5000 ms. */
  metricsWindowMs?: number;
  clock?: Clock;
  /** Whole frames of every stream. */
  onFrame?: (id: string, frame: MediaFrame) => void;
  /**
   * Makes the stream object behind each entry. Default: an in-process `LiveStream`. The media
   * server passes one that runs the stream on an ingest worker thread (src/server/lane-pool.ts).
   */
  streamFactory?: (opts: LiveStreamOptions) => LiveStreamHandle;
}

/** What the manager needs of a stream: `LiveStream`, or a proxy of one on another thread. */
export interface LiveStreamHandle {
  readonly id: string;
  /** Source without credentials. */
  readonly description: string;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  close(): Promise<void>;
  metrics(): LiveStreamMetrics;
}

/** Manager options from the validated `media_server` section. */
export function managerOptionsFromConfig(m: MediaServerConfig): StreamManagerOptions {
  return {
    maxConcurrentStreams: m.max_concurrent_streams,
    connectionTimeoutMs: m.connection_timeout_ms,
    reconnectAttempts: m.reconnect_attempts,
    reconnectBackoffMs: m.reconnect_backoff_ms,
    bindAddress: m.network.bind_address,
    rtpPortRange: m.network.rtp_port_range,
    maxPacketSize: m.network.max_packet_size,
    jitterBufferMs: m.network.jitter_buffer_ms,
    nagle: m.network.enable_nagle,
  };
}

/** Wait before reconnection attempt `attempt` (1-based); the schedule's last value repeats. */
export function backoffDelay(schedule: readonly number[], attempt: number): number {
  return schedule[Math.min(Math.max(attempt, 1), schedule.length) - 1] ?? 0;
}

export type StreamManagerEvent =
  | { type: 'state'; id: string; from: StreamState; to: StreamState; atMs: number; reason: string | null; attempt: number }
  | { type: 'attempt'; id: string; state: StreamState; attempt: number; atMs: number }
  | { type: 'added' | 'removed'; id: string; atMs: number }
  /**
   * A stream object's event. `moved`: the `ready` of the first connection after an active
   * stream was relocated — the same RTP session continues (sync state still applies).
   */
  | { type: 'stream'; id: string; event: LiveStreamEvent; moved?: true };

export interface StreamSnapshot {
  id: string;
  state: StreamState;
  /** Source without credentials. */
  source: string;
  kind: StreamDefinition['source']['kind'];
  codec: LiveStreamMetrics['codec'];
  priority: NonNullable<StreamDefinition['priority']>;
  metrics: LiveStreamMetrics;
  /** Reconnection attempts made since the stream was added. */
  reconnect_count: number;
  /** Current attempt in this reconnecting/failed episode (0 when active). */
  attempt: number;
  last_error: string | null;
  /** Clock time of the last state change, and of entering `active` (null when not active). */
  state_since_ms: number;
  active_since_ms: number | null;
}

interface Entry {
  def: StreamDefinition;
  stream: LiveStreamHandle;
  state: StreamState;
  since: number;
  activeSince: number | null;
  attempt: number;
  reconnects: number;
  lastError: string | null;
  /** Bumped by stop/restart/configure/remove: async continuations of older runs are ignored. */
  run: number;
  /** Bumped per connection attempt: one lost/failed outcome per attempt. */
  token: number;
  timer: Timer;
  /** Cumulative metrics of the stream objects this entry had before a relocation (null: none). */
  carried: LiveStreamMetrics | null;
  /** Relocated while active and not connected since: its next `ready` is marked `moved`. */
  moved: boolean;
}

const RUNNING: ReadonlySet<StreamState> = new Set(['connecting', 'active', 'reconnecting', 'failed']);

export class StreamManager {
  private readonly o: Required<Omit<StreamManagerOptions, 'onFrame' | 'clock' | 'rtpPortRange' | 'streamFactory'>>;
  private readonly clock: Clock;
  private readonly ports: PortAllocator;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(e: StreamManagerEvent) => void>();
  private readonly onFrame: StreamManagerOptions['onFrame'];
  private readonly factory: (opts: LiveStreamOptions) => LiveStreamHandle;
  private closed = false;
  /** Exceptions thrown by listeners (caught). */
  listenerErrors = 0;

  constructor(opts: StreamManagerOptions = {}) {
    const backoff = opts.reconnectBackoffMs ?? [1000, 2000, 5000];
    if (!Array.isArray(backoff) || backoff.length === 0) throw new MediaError('MEDIA_OPTIONS', 'reconnectBackoffMs must hold at least one value');
    backoff.forEach((v, i) => checkRange(`reconnectBackoffMs[${i}]`, v, 0, 86_400_000));
    this.o = {
      maxConcurrentStreams: checkRange('maxConcurrentStreams', opts.maxConcurrentStreams ?? 16, 1, 1024, true),
      connectionTimeoutMs: checkRange('connectionTimeoutMs', opts.connectionTimeoutMs ?? 5000, 1, 3_600_000),
      reconnectAttempts: checkRange('reconnectAttempts', opts.reconnectAttempts ?? 3, 0, 1_000_000, true),
      reconnectBackoffMs: [...backoff],
      failedRetryMs: checkRange('failedRetryMs', opts.failedRetryMs ?? 30_000, 1, 86_400_000),
      bindAddress: opts.bindAddress ?? '0.0.0.0',
      maxPacketSize: checkRange('maxPacketSize', opts.maxPacketSize ?? 1500, 64, 65535, true),
      jitterBufferMs: checkRange('jitterBufferMs', opts.jitterBufferMs ?? 100, 50, 200),
      nagle: opts.nagle ?? false,
      udpFallbackMs: checkRange('udpFallbackMs', opts.udpFallbackMs ?? 3000, 1, 600_000),
      metricsWindowMs: checkRange('metricsWindowMs', opts.metricsWindowMs ?? 5000, 100, 3_600_000),
    };
    this.clock = opts.clock ?? systemClock;
    const range = opts.rtpPortRange === undefined ? ([50000, 50100] as const) : opts.rtpPortRange;
    this.ports = new PortAllocator({ range, bindAddress: this.o.bindAddress });
    this.onFrame = opts.onFrame;
    this.factory = opts.streamFactory ?? ((o) => new LiveStream(o));
  }

  /** Subscribes to every state change and stream event; returns the unsubscribe function. */
  on(listener: (e: StreamManagerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Registers a stream (from a camera entry or a definition) and starts it unless `start` is false. */
  add(camera: CameraConfig | StreamDefinition, opts: { start?: boolean } = {}): StreamSnapshot {
    this.checkOpen();
    const def = 'resolvedSource' in camera ? definitionFromCamera(camera) : camera;
    if (this.entries.has(def.id)) throw new StreamManagerError('STREAM_EXISTS', `stream ${def.id} already exists`);
    const start = opts.start ?? true;
    if (start) this.checkCapacity(def.id);
    const e: Entry = {
      def, stream: null as unknown as LiveStreamHandle, state: 'idle', since: this.clock.now(), activeSince: null,
      attempt: 0, reconnects: 0, lastError: null, run: 0, token: 0, timer: null as unknown as Timer, carried: null, moved: false,
    };
    e.stream = this.newStream(e);
    this.reservePorts(def, true);
    e.timer = new Timer(this.clock, () => void this.connect(e, e.run));
    this.entries.set(def.id, e);
    this.emit({ type: 'added', id: def.id, atMs: this.clock.now() });
    if (start) this.begin(e);
    return this.snapshot(e);
  }

  /** Stops, closes and forgets a stream. */
  async remove(id: string): Promise<void> {
    const e = this.entry(id);
    await this.halt(e, 'stopped', 'removed');
    await e.stream.close();
    this.reservePorts(e.def, false);
    this.entries.delete(id);
    this.emit({ type: 'removed', id, atMs: this.clock.now() });
  }

  /** Starts a stopped, idle or failed stream (a failed one tries again now). */
  start(id: string): StreamSnapshot {
    this.checkOpen();
    const e = this.entry(id);
    if (e.state === 'failed') {
      e.timer.cancel();
      e.attempt = 0;
      this.setState(e, 'reconnecting', 'manual start');
      void this.connect(e, e.run);
    } else if (!RUNNING.has(e.state)) {
      this.checkCapacity(id);
      this.begin(e);
    }
    return this.snapshot(e);
  }

  async stop(id: string): Promise<StreamSnapshot> {
    const e = this.entry(id);
    await this.halt(e, 'stopped', 'stopped by request');
    return this.snapshot(e);
  }

  async restart(id: string): Promise<StreamSnapshot> {
    const e = this.entry(id);
    await this.halt(e, 'stopped', 'restart');
    this.begin(e);
    return this.snapshot(e);
  }

  /**
   * Replaces a stream's definition (source, codec, RTCP settings); a running stream restarts on
   * the new one. Metrics start afresh with the new LiveStream.
   */
  async configure(id: string, update: CameraConfig | Partial<Omit<StreamDefinition, 'id'>>): Promise<StreamSnapshot> {
    const e = this.entry(id);
    const next: StreamDefinition = 'resolvedSource' in update ? definitionFromCamera(update as CameraConfig) : { ...e.def, ...update, id };
    if (next.id !== id) throw new StreamManagerError('STREAM_SOURCE', `configure cannot rename stream ${id} to ${next.id}`);
    const wasRunning = RUNNING.has(e.state);
    await this.halt(e, 'stopped', 'reconfigured');
    await e.stream.close();
    this.reservePorts(e.def, false);
    e.def = next;
    this.reservePorts(next, true);
    e.carried = null;
    e.stream = this.newStream(e);
    if (wasRunning) this.begin(e);
    return this.snapshot(e);
  }

  /**
   * Replaces a stream's stream object with a fresh one from the factory (which may now place it
   * elsewhere, e.g. on another ingest lane) without a state change: a running stream reconnects
   * at once and stays in its state; if no RTP arrives within the connection timeout the usual
   * lost → reconnecting policy applies. Cumulative metrics carry on (`carryMetrics`); windowed
   * ones start afresh with the new object. An active stream's next `ready` is marked `moved`.
   */
  async relocate(id: string): Promise<StreamSnapshot> {
    const e = this.entry(id);
    this.checkOpen();
    const wasRunning = RUNNING.has(e.state);
    const due = e.timer.dueAt; // a reconnection attempt already scheduled keeps its time
    e.run++;
    e.token++;
    e.timer.cancel();
    const old = e.stream;
    await old.disconnect();
    await old.close();
    if (this.closed || e.stream !== old || this.entries.get(id) !== e) return this.snapshot(e); // closed, reconfigured or removed meanwhile
    e.carried = carryMetrics(e.carried, old.metrics());
    e.moved = e.state === 'active';
    e.stream = this.newStream(e);
    if (wasRunning) {
      if (due !== Infinity) {
        e.timer.arm(due); // waiting for the next attempt: it runs on the new placement
      } else {
        void this.connect(e, e.run);
      }
    }
    return this.snapshot(e);
  }

  get(id: string): StreamSnapshot {
    return this.snapshot(this.entry(id));
  }

  list(): StreamSnapshot[] {
    return [...this.entries.values()].map((e) => this.snapshot(e));
  }

  /** Streams counted against maxConcurrentStreams. */
  get running(): number {
    let n = 0;
    for (const e of this.entries.values()) if (RUNNING.has(e.state)) n++;
    return n;
  }

  /** Stops and closes every stream. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.entries.values()].map(async (e) => {
      await this.halt(e, 'stopped', 'manager closed');
      await e.stream.close();
    }));
    this.entries.clear();
  }

  // ------------------------------------------------------------------ policy

  private begin(e: Entry): void {
    e.attempt = 0;
    e.run++;
    this.setState(e, 'connecting', null);
    void this.connect(e, e.run);
  }

  private async connect(e: Entry, run: number): Promise<void> {
    if (run !== e.run || this.closed) return;
    const token = ++e.token;
    if (e.state === 'reconnecting' || e.state === 'failed') {
      e.reconnects++;
      this.emit({ type: 'attempt', id: e.def.id, state: e.state, attempt: e.attempt, atMs: this.clock.now() });
    }
    try {
      await e.stream.connect();
    } catch (err) {
      if (run === e.run && token === e.token) await this.lost(e, run, token, err instanceof Error ? err.message : String(err));
    }
  }

  /** One attempt ended without RTP, or an active stream went silent: schedule the next try. */
  private async lost(e: Entry, run: number, token: number, reason: string): Promise<void> {
    if (run !== e.run || token !== e.token) return;
    e.token++; // this attempt is settled
    e.moved = false; // what comes next is a reconnection, not the moved session
    e.lastError = reason;
    await e.stream.disconnect();
    if (run !== e.run) return;
    if (e.state === 'failed') {
      e.timer.arm(this.clock.now() + this.o.failedRetryMs);
      return;
    }
    const next = e.state === 'reconnecting' ? e.attempt + 1 : 1;
    if (next > this.o.reconnectAttempts) {
      e.attempt = next - 1;
      this.setState(e, 'failed', reason);
      e.timer.arm(this.clock.now() + this.o.failedRetryMs);
      return;
    }
    e.attempt = next;
    this.setState(e, 'reconnecting', reason);
    e.timer.arm(this.clock.now() + backoffDelay(this.o.reconnectBackoffMs, next));
  }

  private onStreamEvent(e: Entry, ev: LiveStreamEvent): void {
    const moved = ev.type === 'ready' && e.moved;
    if (ev.type === 'ready') e.moved = false;
    this.emit({ type: 'stream', id: e.def.id, event: ev, ...(moved ? { moved: true as const } : {}) });
    if (ev.type === 'receiving') {
      if (e.state === 'connecting' || e.state === 'reconnecting' || e.state === 'failed') {
        e.attempt = 0;
        e.activeSince = ev.atMs;
        this.setState(e, 'active', null);
      }
    } else if (ev.type === 'lost') {
      void this.lost(e, e.run, e.token, ev.message);
    }
  }

  private async halt(e: Entry, to: StreamState, reason: string): Promise<void> {
    e.run++;
    e.token++;
    e.moved = false;
    e.timer.cancel();
    await e.stream.disconnect();
    if (e.state !== to) this.setState(e, to, reason);
  }

  private setState(e: Entry, to: StreamState, reason: string | null): void {
    const from = e.state;
    if (to !== 'active') e.activeSince = null;
    e.state = to;
    e.since = this.clock.now();
    this.emit({ type: 'state', id: e.def.id, from, to, atMs: e.since, reason, attempt: e.attempt });
  }

  // ------------------------------------------------------------------ plumbing

  private newStream(e: Entry): LiveStreamHandle {
    const d = e.def;
    const id = d.id;
    return this.factory({
      id, source: d.source,
      ...(d.codec !== undefined ? { codec: d.codec } : {}),
      ...(d.payloadType != null ? { payloadType: d.payloadType } : {}),
      ...(d.ssrc != null ? { ssrc: d.ssrc } : {}),
      ...(d.enableRtcp !== undefined ? { enableRtcp: d.enableRtcp } : {}),
      ...(d.rtcpIntervalMs !== undefined ? { rtcpIntervalMs: d.rtcpIntervalMs } : {}),
      ...(d.source.kind === 'rtsp' && d.source.udpFallbackMs === undefined ? { source: { ...d.source, udpFallbackMs: this.o.udpFallbackMs } } : {}),
      jitterBufferMs: this.o.jitterBufferMs, maxPacketSize: this.o.maxPacketSize, connectionTimeoutMs: this.o.connectionTimeoutMs,
      metricsWindowMs: this.o.metricsWindowMs, bindAddress: this.o.bindAddress, nagle: this.o.nagle, ports: this.ports, clock: this.clock,
      onFrame: (f) => this.onFrame?.(id, f),
      onEvent: (ev) => this.onStreamEvent(e, ev),
    });
  }

  /** Pushed-RTP ports of cameras stay out of the RTSP client port pairs. */
  private reservePorts(def: StreamDefinition, on: boolean): void {
    const src = def.source;
    let ports: number[];
    if (src.kind === 'udp') ports = src.rtcpMux ? [src.port] : [src.port, src.port + 1];
    else if (src.kind === 'rtsp' && src.clientPort !== undefined) ports = [src.clientPort, src.clientPort + 1];
    else return;
    for (const p of ports) {
      if (on) this.ports.reserve(p);
      else this.ports.unreserve(p);
    }
  }

  private snapshot(e: Entry): StreamSnapshot {
    const m = carryMetrics(e.carried, e.stream.metrics());
    return {
      id: e.def.id, state: e.state, source: e.stream.description, kind: e.def.source.kind, codec: m.codec,
      priority: e.def.priority ?? 'medium', metrics: m, reconnect_count: e.reconnects, attempt: e.attempt,
      last_error: e.lastError, state_since_ms: e.since, active_since_ms: e.activeSince,
    };
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new StreamManagerError('STREAM_UNKNOWN', `no stream ${JSON.stringify(id)}`);
    return e;
  }

  private checkCapacity(id: string): void {
    if (this.running >= this.o.maxConcurrentStreams) {
      throw new StreamManagerError('STREAM_LIMIT', `cannot start stream ${id}: max_concurrent_streams (${this.o.maxConcurrentStreams}) streams are already running`);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StreamManagerError('MANAGER_CLOSED', 'stream manager is closed');
  }

  private emit(ev: StreamManagerEvent): void {
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch {
        this.listenerErrors++; // a listener's fault must not stop the manager
      }
    }
  }
}

/**
 * A stream's metrics across a change of stream object (a move to another lane): the cumulative
 * counters of `prev` (the earlier objects, already summed) added to `cur`'s, the cumulative rates
 * recomputed from the sums; windowed figures, state and latest values are `cur`'s (its last
 * packet/frame/sender report and resolution until it has its own).
 */
export function carryMetrics(prev: LiveStreamMetrics | null, cur: LiveStreamMetrics): LiveStreamMetrics {
  if (!prev) return cur;
  const lost = prev.packets_lost + cur.packets_lost;
  const received = prev.packets_received + cur.packets_received;
  const delivered = prev.frames_delivered + cur.frames_delivered;
  const dropped = prev.frames_dropped + cur.frames_dropped;
  const sum = <T extends Record<string, number>>(a: T, b: T): T => {
    const o = { ...b };
    for (const k of Object.keys(a) as Array<keyof T>) o[k] = ((a[k] ?? 0) + (b[k] ?? 0)) as T[keyof T];
    return o;
  };
  return {
    ...cur,
    packets_received: received,
    packets_lost: lost,
    packet_loss_rate_cumulative: received + lost > 0 ? lost / (received + lost) : 0,
    frames_delivered: delivered,
    frames_dropped: dropped,
    frame_drop_rate_cumulative: delivered + dropped > 0 ? dropped / (delivered + dropped) : 0,
    resolution: cur.resolution ?? prev.resolution,
    codec: cur.codec ?? prev.codec,
    resolution_changes: prev.resolution_changes + cur.resolution_changes,
    codec_switches: prev.codec_switches + cur.codec_switches,
    last_sender_report: cur.last_sender_report ?? prev.last_sender_report,
    keyframe_requests: prev.keyframe_requests + cur.keyframe_requests,
    transport: sum(prev.transport as unknown as Record<string, number>, cur.transport as unknown as Record<string, number>) as unknown as LiveStreamMetrics['transport'],
    rejected: sum(prev.rejected, cur.rejected),
    last_packet_ms: cur.last_packet_ms ?? prev.last_packet_ms,
    last_frame_ms: cur.last_frame_ms ?? prev.last_frame_ms,
    busy_ms: prev.busy_ms + cur.busy_ms,
  };
}
