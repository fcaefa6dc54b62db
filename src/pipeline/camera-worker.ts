/**
 * Worker-thread entry: one camera's whole front end off the main thread. It runs the FFmpeg
 * decoder (reading each frame straight into the motion kernel's memory: DirectFrameReader),
 * motion, blobs and tracklets for its camera and measures the image signatures of the
 * tracks the main thread last sent, then posts per frame only the few pixels to cast (a few
 * hundred bytes instead of a 2 MB frame). Flow control: the main thread grants frames (credits);
 * the worker never runs more than the granted frames ahead. Messages: see worker-source.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Camera, type CameraParams } from '../geometry/index.ts';
import { DirectFrameReader, frameTimes } from '../ingest/index.ts';
import { CameraFrontEnd, type FrontEndOptions } from './frontend.ts';
import { measureTracks, type LiveTrack } from './signatures.ts';

export interface CameraWorkerData {
  path: string;
  camIndex: number;
  params: CameraParams;
  fps: number;
  frontEnd: FrontEndOptions;
  /** FFmpeg decoder threads (default: FFmpeg's choice). */
  threads?: number;
}

export type ToWorker = { type: 'credit'; frames: number } | { type: 'tracks'; tracks: LiveTrack[] } | { type: 'stop' };

export type FromWorker =
  | { type: 'frame'; cameraTime: number; siteTime: number; motionPixels: number; index: Uint32Array; energy: Float32Array; signatures: ReturnType<typeof measureTracks> }
  | { type: 'end' }
  | { type: 'error'; message: string };

async function run(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('camera-worker must run as a worker thread');
  const d = workerData as CameraWorkerData;
  const camera = new Camera(d.params);
  const fe = new CameraFrontEnd(camera.width, camera.height, d.frontEnd);
  let credits = 0, stopped = false;
  let tracks: LiveTrack[] = [];
  let wake: (() => void) | null = null;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'credit') credits += m.frames;
    else if (m.type === 'tracks') tracks = m.tracks;
    else stopped = true;
    wake?.();
    wake = null;
  });
  const uv = new Float64Array(3);
  let src: DirectFrameReader | null = null;
  try {
    src = await DirectFrameReader.open({ path: d.path, width: camera.width, height: camera.height, ...(d.threads !== undefined ? { threads: d.threads } : {}) });
    const input = fe.inputBuffer();
    for (let seq = 0; ; seq++) {
      while (credits <= 0 && !stopped) await new Promise<void>((r) => { wake = r; });
      if (stopped) break;
      if (!src.readInto(input)) { await src.finish(); break; }
      credits--;
      const t = frameTimes(seq, d.fps, camera.clock);
      const cast = fe.processInput(t.cameraTime);
      const signatures = tracks.length > 0 ? measureTracks(camera, t.siteTime, fe.frameView(), cast, tracks, uv, fe.backgroundView()) : [];
      const index = cast.index.slice(0, cast.count), energy = cast.energy.slice(0, cast.count);
      const msg: FromWorker = { type: 'frame', cameraTime: t.cameraTime, siteTime: t.siteTime, motionPixels: fe.pixels.count, index, energy, signatures };
      port.postMessage(msg, [index.buffer, energy.buffer]);
      // Let the credit and track messages in between frames (the reads above block this thread).
      await new Promise<void>((r) => setImmediate(r));
    }
    port.postMessage({ type: 'end' } satisfies FromWorker);
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message } satisfies FromWorker);
  } finally {
    src?.close();
    fe.close();
    port.close();
  }
}

void run();
