/**
 * `npm run bench`: prints throughput figures (never asserted in tests). Options:
 *   --frames N   frames per camera for the render+encode run (default 90 = 3 s of spec-1km)
 *   --detect-frames N  frames per camera for the dvs detect vs decode-only run (default 300)
 *   --json PATH  also write the figures as JSON
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { benchCalib } from './calib.ts';
import { benchClassify } from './classify.ts';
import { benchDetect } from './detect.ts';
import { benchGeometry } from './geometry.ts';
import { benchMedia } from './media.ts';
import { benchMediaLive } from './media-live.ts';
import { benchMediaSendDecode } from './media-send-decode.ts';
import { benchPreprocess } from './preprocess.ts';
import { benchSim } from './sim.ts';
import { benchTracking } from './tracking.ts';
import { benchVoxel } from './voxel.ts';

const { values } = parseArgs({ options: { frames: { type: 'string', default: '90' }, 'detect-frames': { type: 'string', default: '300' }, json: { type: 'string' } } });
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
console.log('geometry');
show(benchGeometry());
console.log('preprocess (motion kernel, 1920×1080, one core)');
show(await benchPreprocess());
console.log('voxel projector (CPU, 4 × 1080p cameras, 2000 noise pixels each per frame)');
show(benchVoxel());
console.log(`simulator (scenarios/spec-1km.yaml, ${frames} frames per camera)`);
show(await benchSim(frames));
console.log(`offline detection (dvs detect on ${detectFrames} frames per camera of spec-1km.yaml)`);
show(await benchDetect(detectFrames));
console.log('classify and alerts (8 s windows, 4 cameras; 50 tracks at 30 fps; 3 zones)');
show(benchClassify());
console.log('tracking (50 confirmed tracks, 200 detections per scan; issue target < 2 ms)');
show(benchTracking());
console.log('self-calibration (dvs calib on a simulated 4-camera calibration flight, 3 min; bench/calib.ts for details)');
show(await benchCalib());
console.log('media ingest (1080p30 H.264 4 Mb/s over RTP: parse + jitter buffer + depacketize, decode excluded)');
show(await benchMedia());
console.log('media live (LiveStream on a UDP pair, 1080p30 H.264 4 Mb/s replayed in real time; socket to whole frame, decode excluded)');
show(await benchMediaLive());
console.log('media sender and decoder (1080p30 H.264 4 Mb/s: RTP packetization; StreamDecoder vs FFmpeg alone)');
show(await benchMediaSendDecode());
if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
