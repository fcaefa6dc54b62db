/**
 * `npm run bench`: prints throughput figures (never asserted in tests). Options:
 *   --frames N   frames per camera for the render+encode run (default 90 = 3 s of spec-1km)
 *   --detect-frames N  frames per camera for the dvs detect vs decode-only run (default 300)
 *   --detect-dir DIR  instead: the whole videos of a rendered scenario (e.g. out/accept/spec-1km
 *                from `npm run accept`), decode-only and dvs detect back to back
 *   --only NAMES comma-separated groups to run (geometry, preprocess, voxel, sim, detect,
 *                classify, tracking, calib, media, media-live, media-send-decode); default all
 *   --json PATH  also write the figures as JSON
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { benchCalib } from './calib.ts';
import { benchClassify } from './classify.ts';
import { benchDetect, benchDetectDir } from './detect.ts';
import { benchGeometry } from './geometry.ts';
import { benchMedia } from './media.ts';
import { benchMediaLive } from './media-live.ts';
import { benchMediaSendDecode } from './media-send-decode.ts';
import { benchPreprocess } from './preprocess.ts';
import { benchSim } from './sim.ts';
import { benchTracking } from './tracking.ts';
import { benchVoxel } from './voxel.ts';

const { values } = parseArgs({ options: { frames: { type: 'string', default: '90' }, 'detect-frames': { type: 'string', default: '300' }, 'detect-dir': { type: 'string' }, only: { type: 'string' }, json: { type: 'string' } } });
const only = values.only ? new Set(values.only.split(',')) : null;
const want = (name: string) => only === null || only.has(name);
const frames = Number(values.frames);
// dvs detect starts a worker per camera (a second or two): on a short clip that start-up dominates.
const detectFrames = Number(values['detect-frames']);
console.log(`DroneVoxelServer benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
const results: Record<string, number> = {};
const show = (r: Record<string, number>) => {
  for (const [k, v] of Object.entries(r)) {
    results[k] = v;
    console.log(`  ${k.padEnd(46)} ${v >= 1000 ? v.toExponential(3) : v.toFixed(2)}`);
  }
};
if (want('geometry')) {
  console.log('geometry');
  show(benchGeometry());
}
if (want('preprocess')) {
  console.log('preprocess (motion kernel, 1920×1080, one core)');
  show(await benchPreprocess());
}
if (want('voxel')) {
  console.log('voxel projector (CPU, 4 × 1080p cameras, 2000 noise pixels each per frame)');
  show(benchVoxel());
}
if (want('sim')) {
  console.log(`simulator (scenarios/spec-1km.yaml, ${frames} frames per camera)`);
  show(await benchSim(frames));
}
if (want('detect')) {
  if (values['detect-dir']) {
    console.log(`offline detection (dvs detect vs decode-only on the whole videos of ${values['detect-dir']})`);
    show(await benchDetectDir(values['detect-dir']));
  } else {
    console.log(`offline detection (dvs detect on ${detectFrames} frames per camera of spec-1km.yaml)`);
    show(await benchDetect(detectFrames));
  }
}
if (want('classify')) {
  console.log('classify and alerts (8 s windows, 4 cameras; 50 tracks at 30 fps; 3 zones)');
  show(benchClassify());
}
if (want('tracking')) {
  console.log('tracking (50 confirmed tracks, 200 detections per scan; issue target < 2 ms)');
  show(benchTracking());
}
if (want('calib')) {
  console.log('self-calibration (dvs calib on a simulated 4-camera calibration flight, 3 min; bench/calib.ts for details)');
  show(await benchCalib());
}
if (want('media')) {
  console.log('media ingest (1080p30 H.264 4 Mb/s over RTP: parse + jitter buffer + depacketize, decode excluded)');
  show(await benchMedia());
}
if (want('media-live')) {
  console.log('media live (LiveStream on a UDP pair, 1080p30 H.264 4 Mb/s replayed in real time; socket to whole frame, decode excluded)');
  show(await benchMediaLive());
}
if (want('media-send-decode')) {
  console.log('media sender and decoder (1080p30 H.264 4 Mb/s: RTP packetization; StreamDecoder vs FFmpeg alone)');
  show(await benchMediaSendDecode());
}
if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
