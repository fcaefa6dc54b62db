/**
 * Ingest lanes as worker threads. Each lane is one `worker_threads` Worker running the
 * `LiveStream`s assigned to it (socket receive, RTP parsing, jitter buffer, depacketizing, RTCP),
 * so that receive work runs beside the main thread (API, sync, live pipeline) and on other cores.
 *
 * The main thread holds a `RemoteLiveStream` per stream: the `LiveStreamHandle` the stream
 * manager drives. Options are validated on the main thread (a throw-away `LiveStream` is
 * constructed), so bad options fail exactly as in-process. connect/disconnect/close are requests
 * answered by the worker; events, whole frames (their bytes transferred, not copied) and metrics
 * (pushed every `metricsIntervalMs` and with each event) come back as messages, in order.
 *
 * Times: the worker's clock is `performance.now()` shifted onto the main thread's time origin,
 * so every time a stream reports (arrival, events, metrics) is on the main thread's clock.
 *
 * Back-pressure: frames posted but not yet handled by the main thread are counted in a shared
 * counter. Past `maxQueuedFrames` the lane drops a stream's frames until that stream's next key
 * frame (so the decoder sees a gap, never a frame whose references are missing), and counts them.
 *
 * A lane that dies (uncaught error, exit) reports every connected stream on it as lost
 * (reason 'transport'); the manager's reconnection policy takes over, and the next connect starts
 * a fresh worker for the lane with its streams re-created (their cumulative metrics restart).
 */
import { Worker } from 'node:worker_threads';
import { MediaError } from '../media/errors.ts';
import type { MediaFrame } from '../media/frame.ts';
import { carryMetrics, type LiveStreamHandle } from '../media/manager/manager.ts';
import { LiveStream, type LiveStreamEvent, type LiveStreamMetrics, type LiveStreamOptions } from '../media/stream/live.ts';

/** LiveStream options that cross the thread boundary (no functions, no allocator object). */
export type WireStreamOptions = Omit<LiveStreamOptions, 'ports' | 'clock' | 'onFrame' | 'onEvent'> & {
  /** The main thread's port allocator settings: the worker keeps its own allocator with them. */
  portAllocator: { range: readonly [number, number] | null; bindAddress: string } | null;
};

export type ToLane =
  | { op: 'create'; key: number; opts: WireStreamOptions }
  | { op: 'connect'; key: number; req: number; reserved: number[] }
  | { op: 'disconnect' | 'close'; key: number; req: number }
  /** Test hook: the worker throws an uncaught error. */
  | { op: 'crash' };

export type FromLane =
  /** Whole frames in order (bytes transferred), with the metrics of those streams that were due. */
  | { t: 'frames'; items: Array<[number, MediaFrame]>; metrics: Array<[number, LiveStreamMetrics]> }
  | { t: 'event'; key: number; event: LiveStreamEvent; metrics: LiveStreamMetrics }
  /** Metrics of streams without recent frames; utilization (over the last second) once a second. */
  | { t: 'metrics'; list: Array<[number, LiveStreamMetrics]>; utilization: number | null; dropped: number }
  | { t: 'reply'; req: number; key: number; error: { message: string; code: string | null } | null; metrics: LiveStreamMetrics | null };

export interface LaneWorkerData {
  lane: number;
  /** performance.timeOrigin of the main thread. */
  mainTimeOrigin: number;
  metricsIntervalMs: number;
  maxQueuedFrames: number;
  frameBatchMs: number;
  /** Int32Array over it: [0] frames posted by the worker, [1] frames handled by the main thread. */
  queue: SharedArrayBuffer;
}

export interface LanePoolOptions {
  lanes: number;
  /** Age after which a stream's metrics are pushed again (with its frames, or on their own), ms. Default 200. */
  metricsIntervalMs?: number;
  /**
   * Frames of a lane reach the main thread at most once per this many ms, batched (each
   * main-thread wake-up costs more than the message; arrival times are stamped on the lane, so the
   * batching adds latency, not timing error). 0 sends each frame at once. Default 10.
   */
  frameBatchMs?: number;
  /** Frames a lane may have in flight to the main thread before it drops (until a key frame). Default 240. */
  maxQueuedFrames?: number;
}

export interface LaneThreadStatus {
  lane: number;
  /** Whether the lane's worker is running now. */
  running: boolean;
  /** Event-loop utilization of the worker (0–1) over the last second; null before a sample. */
  utilization: number | null;
  /** Frames dropped by back-pressure since the pool started (all of the lane's workers). */
  dropped_frames: number;
  /** Times the lane's worker died and was started again. */
  restarts: number;
  /** Why the last worker of this lane stopped unexpectedly, null when none did. */
  last_error: string | null;
}

export class LanePool {
  readonly lanes: number;
  private readonly workers: LaneWorker[];
  private nextKey = 1;
  private closed = false;

  constructor(opts: LanePoolOptions) {
    if (!Number.isInteger(opts.lanes) || opts.lanes < 1) throw new MediaError('MEDIA_OPTIONS', `lanes must be a positive integer, got ${opts.lanes}`);
    this.lanes = opts.lanes;
    const metricsIntervalMs = opts.metricsIntervalMs ?? 200;
    const maxQueuedFrames = opts.maxQueuedFrames ?? 240;
    const frameBatchMs = opts.frameBatchMs ?? 10;
    if (!(frameBatchMs >= 0 && frameBatchMs <= 100)) throw new MediaError('MEDIA_OPTIONS', `frameBatchMs must be in 0..100, got ${frameBatchMs}`);
    if (!(metricsIntervalMs >= 10 && metricsIntervalMs <= 10_000)) throw new MediaError('MEDIA_OPTIONS', `metricsIntervalMs must be in 10..10000, got ${metricsIntervalMs}`);
    if (!Number.isInteger(maxQueuedFrames) || maxQueuedFrames < 1) throw new MediaError('MEDIA_OPTIONS', `maxQueuedFrames must be a positive integer, got ${maxQueuedFrames}`);
    this.workers = Array.from({ length: this.lanes }, (_, lane) => new LaneWorker(lane, metricsIntervalMs, maxQueuedFrames, frameBatchMs));
  }

  /** A stream on lane `lane` (its worker starts on the first connect). Throws as `new LiveStream(opts)` would. */
  create(lane: number, opts: LiveStreamOptions): LiveStreamHandle {
    if (this.closed) throw new MediaError('MEDIA_STATE', 'lane pool is closed');
    const w = this.workers[lane];
    if (!w) throw new MediaError('MEDIA_OPTIONS', `no lane ${lane} (lanes: ${this.lanes})`);
    return new RemoteLiveStream(w, this.nextKey++, opts);
  }

  status(): LaneThreadStatus[] {
    return this.workers.map((w) => w.status());
  }

  /** Test hook: makes lane `lane`'s worker throw an uncaught error (it dies as a crashed lane would). */
  crashForTest(lane: number): void {
    this.workers[lane]?.post({ op: 'crash' });
  }

  /** Stops every worker (streams should be closed first; any still open are reported lost). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
  op: 'connect' | 'disconnect' | 'close';
}

/** One lane: its worker (started on demand) and the proxies of the streams placed on it. */
class LaneWorker {
  private worker: Worker | null = null;
  private readonly proxies = new Map<number, RemoteLiveStream>();
  private readonly pending = new Map<number, Pending>();
  private nextReq = 1;
  private queue = new Int32Array(new SharedArrayBuffer(8));
  private utilization: number | null = null;
  private droppedBase = 0;
  private dropped = 0;
  private restarts = 0;
  private started = 0;
  private lastError: string | null = null;
  private crashMessage: string | null = null;
  private closing = false;

  constructor(readonly lane: number, private readonly metricsIntervalMs: number, private readonly maxQueuedFrames: number, private readonly frameBatchMs: number) {}

  attach(p: RemoteLiveStream): void {
    this.proxies.set(p.key, p);
    if (this.worker) this.post({ op: 'create', key: p.key, opts: p.wire });
  }

  detach(key: number): void {
    this.proxies.delete(key);
  }

  alive(): boolean {
    return this.worker !== null;
  }

  status(): LaneThreadStatus {
    return {
      lane: this.lane, running: this.worker !== null,
      utilization: this.utilization === null ? null : Math.round(this.utilization * 1e4) / 1e4,
      dropped_frames: this.droppedBase + this.dropped, restarts: this.restarts, last_error: this.lastError,
    };
  }

  post(m: ToLane): void {
    this.worker?.postMessage(m);
  }

  /** Sends a request, starting the worker first when needed. */
  request(op: Pending['op'], key: number, extra: { reserved?: number[] } = {}): Promise<void> {
    if (this.closing) return Promise.reject(new MediaError('MEDIA_STATE', `ingest lane ${this.lane} is closed`));
    const w = this.ensure();
    const req = this.nextReq++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(req, { resolve, reject, op });
      w.ref(); // a pending answer keeps the process alive
      if (op === 'connect') w.postMessage({ op, key, req, reserved: extra.reserved ?? [] } satisfies ToLane);
      else w.postMessage({ op, key, req } satisfies ToLane);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const w = this.worker;
    if (!w) return;
    await w.terminate();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    if (this.started > 0) this.restarts++;
    this.started++;
    this.droppedBase += this.dropped;
    this.dropped = 0;
    this.queue = new Int32Array(new SharedArrayBuffer(8));
    this.utilization = null;
    this.crashMessage = null;
    const data: LaneWorkerData = {
      lane: this.lane, mainTimeOrigin: performance.timeOrigin, metricsIntervalMs: this.metricsIntervalMs,
      maxQueuedFrames: this.maxQueuedFrames, frameBatchMs: this.frameBatchMs, queue: this.queue.buffer as SharedArrayBuffer,
    };
    const w = new Worker(new URL('./lane-worker-boot.js', import.meta.url), { workerData: data, name: `dvs-lane-${this.lane}` });
    w.unref();
    this.worker = w;
    w.on('message', (m: FromLane) => this.onMessage(m));
    w.on('error', (e) => { this.crashMessage = e instanceof Error ? e.message : String(e); });
    w.on('exit', (code) => this.onExit(w, code));
    for (const p of this.proxies.values()) w.postMessage({ op: 'create', key: p.key, opts: p.wire } satisfies ToLane);
    return w;
  }

  private onMessage(m: FromLane): void {
    switch (m.t) {
      case 'frames': {
        for (const [key, metrics] of m.metrics) this.proxies.get(key)?.setMetrics(metrics);
        for (const [key, frame] of m.items) {
          try {
            this.proxies.get(key)?.deliverFrame(frame);
          } catch {
            // a consumer's fault must not stop the lane (LiveStream catches the same way in-process)
          } finally {
            Atomics.add(this.queue, 1, 1);
          }
        }
        break;
      }
      case 'event':
        this.proxies.get(m.key)?.deliverEvent(m.event, m.metrics);
        break;
      case 'metrics': {
        for (const [key, metrics] of m.list) this.proxies.get(key)?.setMetrics(metrics);
        if (m.utilization !== null) this.utilization = m.utilization;
        this.dropped = m.dropped;
        break;
      }
      case 'reply': {
        const p = this.pending.get(m.req);
        if (!p) break;
        this.pending.delete(m.req);
        if (this.pending.size === 0) this.worker?.unref();
        if (m.metrics) this.proxies.get(m.key)?.setMetrics(m.metrics);
        if (m.error) p.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
        else p.resolve();
        break;
      }
    }
  }

  private onExit(w: Worker, code: number): void {
    if (this.worker !== w) return;
    this.worker = null;
    const why = this.crashMessage ?? `exit code ${code}`;
    if (!this.closing) this.lastError = why;
    const message = this.closing ? `ingest lane ${this.lane} closed` : `ingest lane ${this.lane} worker stopped (${why})`;
    // Requests in flight: a connect fails, disconnect/close are done (nothing runs any more).
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      if (p.op === 'connect') p.reject(new Error(message));
      else p.resolve();
    }
    for (const p of this.proxies.values()) p.workerLost(message);
  }
}

const CONNECTED: ReadonlySet<LiveStreamMetrics['state']> = new Set(['connecting', 'waiting', 'receiving']);

/** The main thread's handle of a LiveStream running on an ingest lane. */
export class RemoteLiveStream implements LiveStreamHandle {
  readonly id: string;
  readonly description: string;
  readonly wire: WireStreamOptions;
  private cached: LiveStreamMetrics;
  /** Metrics before the lane's worker died (its stream object died with it); null when none. */
  private base: LiveStreamMetrics | null = null;
  private readonly initial: LiveStreamMetrics;
  private closed = false;

  constructor(private readonly lane: LaneWorker, readonly key: number, private readonly opts: LiveStreamOptions) {
    // Validation and the credential-free description, exactly as in-process.
    const probe = new LiveStream({ ...opts, onFrame: undefined, onEvent: undefined });
    this.id = probe.id;
    this.description = probe.description;
    this.cached = this.initial = probe.metrics();
    const { ports, clock: _clock, onFrame: _f, onEvent: _e, ...rest } = opts;
    this.wire = { ...rest, portAllocator: ports ? { range: ports.range, bindAddress: ports.bindAddress } : null };
    lane.attach(this);
  }

  /** The lane this stream runs on. */
  get laneIndex(): number {
    return this.lane.lane;
  }

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new MediaError('MEDIA_STATE', `stream ${this.id} is closed`));
    const reserved = this.opts.ports?.reservedPorts() ?? [];
    return this.lane.request('connect', this.key, { reserved });
  }

  async disconnect(): Promise<void> {
    if (this.closed || !this.lane.alive()) {
      if (!this.closed) this.cached = { ...this.cached, state: 'idle' };
      return;
    }
    await this.lane.request('disconnect', this.key);
    this.cached = { ...this.cached, state: 'idle' };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.lane.alive()) await this.lane.request('close', this.key);
    } finally {
      this.lane.detach(this.key);
      this.cached = { ...this.cached, state: 'closed' };
    }
  }

  metrics(): LiveStreamMetrics {
    return carryMetrics(this.base, this.cached);
  }

  // ------------------------------------------------------------------ from the lane

  setMetrics(m: LiveStreamMetrics): void {
    if (!this.closed) this.cached = m;
  }

  deliverFrame(f: MediaFrame): void {
    this.opts.onFrame?.(f);
  }

  deliverEvent(ev: LiveStreamEvent, m: LiveStreamMetrics): void {
    this.setMetrics(m);
    this.opts.onEvent?.(ev);
  }

  workerLost(message: string): void {
    const was = this.cached.state;
    if (this.closed) return;
    // The worker's stream object is gone; a fresh one starts from zero: keep the totals so far.
    this.base = carryMetrics(this.base, this.cached);
    this.cached = { ...this.initial, state: 'idle' };
    if (CONNECTED.has(was)) this.opts.onEvent?.({ type: 'lost', id: this.id, reason: 'transport', message, atMs: performance.now() });
  }
}
