/**
 * Live host of the online calibration refiner (docs/LIVE-CALIB.md): observations and confirmed
 * track states gathered on the main thread are batched to a worker thread that owns the
 * OnlineRefiner (a refinement takes 0.3–2.5 s of CPU and must not run on the event loop that
 * receives RTP). At most `maxInFlight` batches are outstanding; while the worker lags, new
 * observations accumulate in the open batch up to `maxBatchObservations` and the rest are dropped
 * and counted — the frame path never waits. A worker error on one batch is counted and reported;
 * a worker crash stops the host (the last snapshot stays served) and is reported in {@link view}.
 */
import { Worker } from 'node:worker_threads';
import type { CameraParams } from '../geometry/index.ts';
import type { CalibrationSnapshot, Observation2D, OnlineRefinerOptions, RefinementRecord, TrackState } from '../calib/online/index.ts';

export type LiveCalibOptions = Omit<OnlineRefinerOptions, 'now'> & {
  /** Batches posted and not yet answered, at most. Default 2. */
  maxInFlight?: number;
  /** Observations held in the open batch while the worker lags; beyond, dropped. Default 20000. */
  maxBatchObservations?: number;
};

export interface CalibWorkerData { cameras: CameraParams[]; options: Omit<OnlineRefinerOptions, 'now'> }
export interface CalibBatch { type: 'batch'; seq: number; t: number; states: TrackState[]; obs: Observation2D[]; final?: boolean }
export type CalibFromWorker =
  | { type: 'snapshot'; seq: number; record: RefinementRecord | null; snapshot: CalibrationSnapshot }
  | { type: 'error'; seq: number; message: string };

export interface LiveCalibView {
  state: 'starting' | 'running' | 'crashed' | 'closed';
  snapshot: CalibrationSnapshot | null;
  batches_sent: number;
  batches_done: number;
  batch_errors: number;
  last_error: string | null;
  observations_sent: number;
  observations_dropped: number;
  /** Unix ms at which each version (index = version number) was received; version 0 = start. */
  version_times: number[];
}

export class LiveCalibHost {
  private readonly worker: Worker;
  private readonly maxInFlight: number;
  private readonly maxObs: number;
  private states: TrackState[] = [];
  private obs: Observation2D[] = [];
  private seq = 0;
  private inFlight = 0;
  private lastT = NaN;
  private readonly listeners: Array<(r: RefinementRecord, s: CalibrationSnapshot) => void> = [];
  private readonly waiters: Array<() => void> = [];
  private readonly v: LiveCalibView = { state: 'starting', snapshot: null, batches_sent: 0, batches_done: 0, batch_errors: 0, last_error: null, observations_sent: 0, observations_dropped: 0, version_times: [] };

  constructor(cameras: readonly CameraParams[], opts: LiveCalibOptions = {}, private readonly now: () => number = Date.now) {
    const { maxInFlight, maxBatchObservations, ...refinerOpts } = opts;
    this.maxInFlight = maxInFlight ?? 2;
    this.maxObs = maxBatchObservations ?? 20000;
    const data: CalibWorkerData = { cameras: cameras.map((c) => structuredClone(c)), options: refinerOpts };
    this.worker = new Worker(new URL('./live-calib-worker-boot.js', import.meta.url), { workerData: data });
    this.worker.unref();
    this.worker.on('message', (m: CalibFromWorker) => this.onMessage(m));
    this.worker.on('error', (e) => this.fail(`worker crashed: ${e.message}`));
    this.worker.on('exit', (code) => { if (this.v.state !== 'closed') this.fail(`worker exited (code ${code})`); });
  }

  /** Subscribe to accepted and rejected records. */
  onRecord(fn: (r: RefinementRecord, s: CalibrationSnapshot) => void): void { this.listeners.push(fn); }

  addTrackState(s: TrackState): void { if (this.alive()) this.states.push(s); }

  addObservation(o: Observation2D): void {
    if (!this.alive()) return;
    if (this.obs.length >= this.maxObs) { this.v.observations_dropped++; return; }
    this.obs.push(o);
  }

  /** End of a frame group at site time t: posts the open batch if the worker has room, else keeps accumulating. */
  tick(t: number): void {
    this.lastT = t;
    if (!this.alive() || this.inFlight >= this.maxInFlight || (this.obs.length === 0 && this.states.length === 0)) return;
    this.post({ type: 'batch', seq: this.seq++, t, states: this.states, obs: this.obs });
  }

  /** Posts a raw message (tests: malformed batches, the crash hook). */
  postRaw(m: unknown): void { this.inFlight++; this.v.batches_sent++; this.worker.postMessage(m); }

  /** Resolves when every posted batch is answered (or the worker died). */
  idle(): Promise<void> {
    if (this.inFlight === 0 || !this.alive()) return Promise.resolve();
    return new Promise((res) => this.waiters.push(res));
  }

  /** Posts what is left with a final refinement over it and waits for the answer. */
  async flush(): Promise<void> {
    await this.idle();
    if (this.alive() && Number.isFinite(this.lastT)) { this.post({ type: 'batch', seq: this.seq++, t: this.lastT, states: this.states, obs: this.obs, final: true }); await this.idle(); }
  }

  view(): LiveCalibView { return { ...this.v, version_times: [...this.v.version_times] }; }

  async close(): Promise<void> {
    if (this.v.state === 'closed') return;
    this.v.state = 'closed';
    this.release();
    await this.worker.terminate();
  }

  private alive(): boolean { return this.v.state === 'starting' || this.v.state === 'running'; }

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
    if (!this.alive()) return;
    this.v.state = 'crashed';
    this.v.last_error = reason;
    this.release();
  }

  private release(): void { for (const w of this.waiters.splice(0)) w(); }
}
