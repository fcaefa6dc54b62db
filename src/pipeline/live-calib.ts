/**
 * Live host of the online calibration refiner (docs/LIVE-CALIB.md): observations and confirmed
 * track states gathered on the main thread are batched to a worker thread that owns the
 * OnlineRefiner (a refinement takes 0.3–2.5 s of CPU and must not run on the event loop that
 * receives RTP). At most `maxInFlight` batches are outstanding; while the worker lags, new
 * observations accumulate in the open batch up to `maxBatchObservations` and the rest are dropped
 * and counted — the frame path never waits. A worker error on one batch is counted and reported.
 * A worker crash is reported in {@link view} and the worker is restarted after a backoff
 * (`restartBackoffMs` doubling, at most `maxRestarts` times over the host's life), resuming from
 * the last snapshot (current calibration, version numbers, records; the data window starts
 * empty); the batches in flight at the crash are lost and counted. Past the limit the host stays
 * 'crashed' and the last snapshot stays served.
 */
import { Worker } from 'node:worker_threads';
import type { CameraParams } from '../geometry/index.ts';
import type { CalibrationSnapshot, Observation2D, OnlineRefinerOptions, RefinementRecord, TrackState } from '../calib/online/index.ts';

export type LiveCalibOptions = Omit<OnlineRefinerOptions, 'now'> & {
  /** Batches posted and not yet answered, at most. Default 2. */
  maxInFlight?: number;
  /** Observations held in the open batch while the worker lags; beyond, dropped. Default 20000. */
  maxBatchObservations?: number;
  /** Worker restarts after a crash over the host's life, at most. Default 5 (0: never restart). */
  maxRestarts?: number;
  /** Wait before the first restart, ms; doubled for each further one. Default 1000. */
  restartBackoffMs?: number;
};

export interface CalibWorkerData { cameras: CameraParams[]; options: Omit<OnlineRefinerOptions, 'now'>; resume?: CalibrationSnapshot }
export interface CalibBatch { type: 'batch'; seq: number; t: number; states: TrackState[]; obs: Observation2D[]; final?: boolean }
export type CalibFromWorker =
  | { type: 'snapshot'; seq: number; record: RefinementRecord | null; snapshot: CalibrationSnapshot }
  | { type: 'error'; seq: number; message: string };

export interface LiveCalibView {
  /** 'restarting': the worker crashed and a new one starts after the backoff; 'crashed': no more restarts. */
  state: 'starting' | 'running' | 'restarting' | 'crashed' | 'closed';
  snapshot: CalibrationSnapshot | null;
  batches_sent: number;
  batches_done: number;
  batch_errors: number;
  last_error: string | null;
  observations_sent: number;
  observations_dropped: number;
  /** Unix ms at which each version (index = version number) was received; version 0 = start. */
  version_times: number[];
  /** Worker restarts so far, and the limit. */
  restarts: number;
  max_restarts: number;
  /** Batches posted to a worker that crashed before answering them. */
  batches_lost: number;
  /** The version the detector uses (0: the configured calibration; set by the pipeline when it adopts one). */
  in_use_version: number;
}

export class LiveCalibHost {
  private worker: Worker;
  /** Generation of the current worker: events of an older (crashed) one are ignored. */
  private gen = 0;
  private readonly data: CalibWorkerData;
  private readonly maxRestarts: number;
  private readonly backoffMs: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly maxInFlight: number;
  private readonly maxObs: number;
  private states: TrackState[] = [];
  private obs: Observation2D[] = [];
  private seq = 0;
  private inFlight = 0;
  private lastT = NaN;
  private readonly listeners: Array<(r: RefinementRecord, s: CalibrationSnapshot) => void> = [];
  private readonly waiters: Array<() => void> = [];
  private readonly v: LiveCalibView;

  constructor(cameras: readonly CameraParams[], opts: LiveCalibOptions = {}, private readonly now: () => number = Date.now) {
    const { maxInFlight, maxBatchObservations, maxRestarts, restartBackoffMs, ...refinerOpts } = opts;
    this.maxInFlight = maxInFlight ?? 2;
    this.maxObs = maxBatchObservations ?? 20000;
    this.maxRestarts = maxRestarts ?? 5;
    this.backoffMs = restartBackoffMs ?? 1000;
    if (!(Number.isInteger(this.maxRestarts) && this.maxRestarts >= 0) || !(this.backoffMs >= 0 && Number.isFinite(this.backoffMs))) {
      throw new RangeError(`maxRestarts must be an integer ≥ 0 and restartBackoffMs a finite number ≥ 0 (got ${maxRestarts}, ${restartBackoffMs})`);
    }
    this.v = { state: 'starting', snapshot: null, batches_sent: 0, batches_done: 0, batch_errors: 0, last_error: null, observations_sent: 0, observations_dropped: 0, version_times: [], restarts: 0, max_restarts: this.maxRestarts, batches_lost: 0, in_use_version: 0 };
    this.data = { cameras: cameras.map((c) => structuredClone(c)), options: refinerOpts };
    this.worker = this.spawn();
  }

  /** A worker for the current generation (resuming from the last snapshot after a crash). */
  private spawn(): Worker {
    const g = ++this.gen;
    const snap = this.v.snapshot;
    const data: CalibWorkerData = snap ? { ...this.data, resume: snap } : this.data;
    const w = new Worker(new URL('./live-calib-worker-boot.js', import.meta.url), { workerData: data });
    w.unref();
    w.on('message', (m: CalibFromWorker) => { if (g === this.gen) this.onMessage(m); });
    w.on('error', (e) => { if (g === this.gen) this.fail(`worker crashed: ${e.message}`); });
    w.on('exit', (code) => { if (g === this.gen && this.v.state !== 'closed') this.fail(`worker exited (code ${code})`); });
    return w;
  }

  /** The pipeline reports the version its detector now uses (for the status block). */
  noteAdopted(version: number): void { this.v.in_use_version = version; }

  /** Subscribe to accepted and rejected records. */
  onRecord(fn: (r: RefinementRecord, s: CalibrationSnapshot) => void): void { this.listeners.push(fn); }

  addTrackState(s: TrackState): void { if (this.alive()) this.states.push(s); }

  addObservation(o: Observation2D): void {
    if (!this.alive()) return;
    if (this.obs.length >= this.maxObs) { this.v.observations_dropped++; return; }
    this.obs.push(o);
  }

  /** End of a frame group at site time t: posts the open batch if the worker has room, else keeps accumulating (also while it restarts). */
  tick(t: number): void {
    this.lastT = t;
    if (!this.ready() || this.inFlight >= this.maxInFlight || (this.obs.length === 0 && this.states.length === 0)) return;
    this.post({ type: 'batch', seq: this.seq++, t, states: this.states, obs: this.obs });
  }

  /** Posts a raw message (tests: malformed batches, the crash hook `{type: 'crash'}`). */
  postRaw(m: unknown): void { this.inFlight++; this.v.batches_sent++; this.worker.postMessage(m); }

  /** Resolves when every posted batch is answered (or the worker died). */
  idle(): Promise<void> {
    if (this.inFlight === 0 || !this.ready()) return Promise.resolve();
    return new Promise((res) => this.waiters.push(res));
  }

  /** Posts what is left with a final refinement over it and waits for the answer. */
  async flush(): Promise<void> {
    await this.idle();
    if (this.ready() && Number.isFinite(this.lastT)) { this.post({ type: 'batch', seq: this.seq++, t: this.lastT, states: this.states, obs: this.obs, final: true }); await this.idle(); }
  }

  view(): LiveCalibView { return { ...this.v, version_times: [...this.v.version_times] }; }

  async close(): Promise<void> {
    if (this.v.state === 'closed') return;
    this.v.state = 'closed';
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.release();
    await this.worker.terminate();
  }

  /** Data are taken (a restarting host keeps them for the next worker). */
  private alive(): boolean { return this.v.state === 'starting' || this.v.state === 'running' || this.v.state === 'restarting'; }

  /** A worker is there to post to. */
  private ready(): boolean { return this.v.state === 'starting' || this.v.state === 'running'; }

  private post(b: CalibBatch): void {
    this.v.observations_sent += b.obs.length;
    this.states = []; this.obs = [];
    this.postRaw(b);
  }

  private onMessage(m: CalibFromWorker): void {
    if (m.seq >= 0 || m.type === 'error') { this.inFlight = Math.max(0, this.inFlight - 1); this.v.batches_done++; }
    if (m.type === 'error') { this.v.batch_errors++; this.v.last_error = m.message; }
    else {
      if (this.v.state === 'starting') this.v.state = 'running';
      this.v.snapshot = m.snapshot;
      while (this.v.version_times.length <= m.snapshot.version) this.v.version_times.push(this.now());
      if (m.record) for (const fn of this.listeners) fn(m.record, m.snapshot);
    }
    if (this.inFlight === 0) this.release();
  }

  private fail(reason: string): void {
    if (!this.ready()) return;
    this.v.last_error = reason;
    this.v.batches_lost += this.inFlight;
    this.inFlight = 0;
    this.gen++; // the dead worker's remaining events (exit after error) are ignored
    void this.worker.terminate().catch(() => undefined);
    if (this.v.restarts >= this.maxRestarts) {
      this.v.state = 'crashed';
    } else {
      this.v.state = 'restarting';
      const delay = this.backoffMs * 2 ** this.v.restarts;
      this.v.restarts++;
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (this.v.state !== 'restarting') return;
        this.v.state = 'starting';
        this.worker = this.spawn();
      }, delay);
      this.restartTimer.unref();
    }
    this.release();
  }

  private release(): void { for (const w of this.waiters.splice(0)) w(); }
}
