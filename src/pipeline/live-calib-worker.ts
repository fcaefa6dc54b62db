/**
 * Worker thread of the live online-calibration host (live-calib.ts): owns an OnlineRefiner,
 * applies each batch of track states and 2D observations, runs maybeRefine, posts the record (if
 * any) and the snapshot back. A batch that throws is answered with an error message; the refiner
 * keeps its state. `{type: 'crash'}` throws outside the handler's try (test hook: a crashed worker).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Camera, type CameraParams } from '../geometry/index.ts';
import { OnlineRefiner, type OnlineRefinerOptions } from '../calib/online/index.ts';
import type { CalibBatch, CalibFromWorker, CalibWorkerData } from './live-calib.ts';

const data = workerData as CalibWorkerData;
// A restarted worker resumes from the host's last snapshot (calibration, versions, records).
const refiner = new OnlineRefiner(data.cameras.map((p: CameraParams) => new Camera(p)), data.options as OnlineRefinerOptions, data.resume);
const post = (m: CalibFromWorker): void => parentPort!.postMessage(m);
post({ type: 'snapshot', seq: -1, record: null, snapshot: refiner.snapshot() });

parentPort!.on('message', (b: CalibBatch | { type: 'crash' }) => {
  if (b.type === 'crash') throw new Error('crash requested (test hook)');
  try {
    if (!Array.isArray(b.states) || !Array.isArray(b.obs) || !Number.isFinite(b.t)) throw new Error('malformed batch');
    for (const o of b.obs) {
      if (!(o.cam >= 0 && o.cam < data.cameras.length) || !Number.isFinite(o.u) || !Number.isFinite(o.v) || !Number.isFinite(o.cameraTime)) throw new Error(`bad observation (cam ${o.cam})`);
    }
    for (const s of b.states) if (Number.isFinite(s.t) && s.enu.length === 3) refiner.addTrackState(s);
    for (const o of b.obs) refiner.addObservation(o);
    const record = b.final && refiner.pendingObservations > 0 ? refiner.refine(b.t) : refiner.maybeRefine(b.t);
    post({ type: 'snapshot', seq: b.seq, record, snapshot: refiner.snapshot() });
  } catch (e) {
    post({ type: 'error', seq: b.seq, message: e instanceof Error ? e.message : String(e) });
  }
});
