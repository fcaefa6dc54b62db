/**
 * One ingest lane's worker thread (see lane-pool.ts): runs the LiveStreams placed on it, posts
 * their frames (bytes transferred), events and metrics to the main thread, answers its requests.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { MediaFrame } from '../media/frame.ts';
import { LiveStream, type LiveStreamMetrics } from '../media/stream/live.ts';
import { systemClock, type Clock } from '../media/transport/clock.ts';
import { PortAllocator } from '../media/transport/ports.ts';
import type { FromLane, LaneWorkerData, ToLane, WireStreamOptions } from './lane-pool.ts';

const data = workerData as LaneWorkerData;
const port = parentPort!;
// Times on the main thread's clock: its performance.now() = ours + (our origin − its origin).
const shift = performance.timeOrigin - data.mainTimeOrigin;
const clock: Clock = { now: () => performance.now() + shift, setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout };
const queue = new Int32Array(data.queue);

interface Slot {
  stream: LiveStream;
  /** Dropping this stream's frames until its next key frame (back-pressure). */
  dropping: boolean;
  /** performance.now() of the last metrics sent for it. */
  metricsAt: number;
}

const slots = new Map<number, Slot>();
const allocators = new Map<string, PortAllocator>();
let dropped = 0;

// Frames go out in batches: at once when the last batch left ≥ frameBatchMs ago, else with the
// first frame after that, or 2·frameBatchMs later at the latest when none comes (each wake-up of
// a thread costs more than the message itself). Arrival
// times are stamped here at receive, so the delay does not move them. Anything else sent flushes
// the batch first, so the main thread sees frames and events in the order they happened.
let batch: Array<[number, MediaFrame]> = [];
let batchBuffers: ArrayBuffer[] = [];
let lastFlush = -Infinity;
let flushTimer: NodeJS.Timeout | null = null;

function flush(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
  if (batch.length === 0) return;
  const now = performance.now();
  lastFlush = now;
  // Metrics of the streams in the batch ride along when due.
  const metrics: Array<[number, LiveStreamMetrics]> = [];
  for (const [key] of batch) {
    const slot = slots.get(key);
    if (slot && now - slot.metricsAt >= data.metricsIntervalMs) {
      slot.metricsAt = now;
      metrics.push([key, slot.stream.metrics()]);
    }
  }
  const m: FromLane = { t: 'frames', items: batch, metrics };
  const transfer = batchBuffers;
  batch = [];
  batchBuffers = [];
  port.postMessage(m, transfer);
}

function post(m: FromLane): void {
  flush();
  port.postMessage(m);
}

function allocatorFor(o: WireStreamOptions['portAllocator']): PortAllocator | undefined {
  if (!o) return undefined;
  const k = JSON.stringify(o);
  let a = allocators.get(k);
  if (!a) {
    a = new PortAllocator({ range: o.range, bindAddress: o.bindAddress });
    allocators.set(k, a);
  }
  return a;
}

function sendFrame(key: number, slot: Slot, f: MediaFrame): void {
  const inFlight = Atomics.load(queue, 0) - Atomics.load(queue, 1);
  if (slot.dropping) {
    if (!f.keyframe || inFlight >= data.maxQueuedFrames >> 1) {
      dropped++;
      return;
    }
    slot.dropping = false;
  } else if (inFlight >= data.maxQueuedFrames) {
    slot.dropping = true;
    dropped++;
    return;
  }
  // The depacketizer builds each frame in a fresh buffer: hand it over without a copy.
  const owned = f.data.byteOffset === 0 && f.data.byteLength === f.data.buffer.byteLength && f.data.buffer instanceof ArrayBuffer;
  const bytes = owned ? f.data : f.data.slice();
  Atomics.add(queue, 0, 1);
  batch.push([key, { ...f, data: bytes }]);
  batchBuffers.push(bytes.buffer as ArrayBuffer);
  const wait = lastFlush + data.frameBatchMs - performance.now();
  if (wait <= 0) flush();
  // Otherwise a later frame flushes the batch once the window is over (no wake-up of its own);
  // the timer only serves a lane that falls quiet, and so waits longer.
  else flushTimer ??= setTimeout(flush, wait + 2 * data.frameBatchMs);
}

function create(key: number, wire: WireStreamOptions): void {
  const { portAllocator, ...opts } = wire;
  const ports = allocatorFor(portAllocator);
  const slot: Slot = { stream: null as unknown as LiveStream, dropping: false, metricsAt: -Infinity };
  slot.stream = new LiveStream({
    ...opts, clock, ...(ports ? { ports } : {}),
    onFrame: (f) => sendFrame(key, slot, f),
    onEvent: (event) => post({ t: 'event', key, event, metrics: slot.stream.metrics() }),
  });
  slots.set(key, slot);
}

async function answer(req: number, key: number, work: () => Promise<void>): Promise<void> {
  let error: { message: string; code: string | null } | null = null;
  try {
    await work();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    error = { message: e instanceof Error ? e.message : String(e), code: typeof code === 'string' ? code : null };
  }
  const slot = slots.get(key);
  post({ t: 'reply', req, key, error, metrics: slot ? slot.stream.metrics() : null });
}

port.on('message', (m: ToLane) => {
  switch (m.op) {
    case 'create':
      create(m.key, m.opts);
      break;
    case 'connect':
      void answer(m.req, m.key, async () => {
        const slot = slots.get(m.key);
        if (!slot) throw new Error(`ingest lane ${data.lane}: no stream ${m.key}`);
        if (slot.stream.metrics().state === 'idle') slot.dropping = false;
        for (const al of allocators.values()) al.setReserved(m.reserved); // the main thread's reservations, as of now
        await slot.stream.connect();
      });
      break;
    case 'disconnect':
      void answer(m.req, m.key, async () => { await slots.get(m.key)?.stream.disconnect(); });
      break;
    case 'close':
      void answer(m.req, m.key, async () => {
        const slot = slots.get(m.key);
        await slot?.stream.close();
        slots.delete(m.key);
      });
      break;
    case 'crash':
      setImmediate(() => { throw new Error(`ingest lane ${data.lane}: crash requested by a test`); });
      break;
  }
});

// Metrics of streams that sent no frame lately (the others' rode with their frames), and the
// lane's event-loop utilization and drops once a second.
let elu = performance.eventLoopUtilization();
let eluAt = performance.now();
const timer = setInterval(() => {
  const now = performance.now();
  const list: Array<[number, LiveStreamMetrics]> = [];
  for (const [key, slot] of slots) {
    if (now - slot.metricsAt < data.metricsIntervalMs) continue;
    slot.metricsAt = now;
    list.push([key, slot.stream.metrics()]);
  }
  let utilization: number | null = null;
  if (now - eluAt >= 1000) {
    const e = performance.eventLoopUtilization();
    utilization = performance.eventLoopUtilization(e, elu).utilization;
    elu = e;
    eluAt = now;
  }
  if (list.length > 0 || utilization !== null) post({ t: 'metrics', list, utilization, dropped });
}, data.metricsIntervalMs);
timer.unref();
