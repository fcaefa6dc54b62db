/**
 * `npm run bench`: prints throughput figures (never asserted in tests). Options:
 *   --frames N   frames per camera for the render+encode run (default 90 = 3 s of spec-1km)
 *   --detect-frames N  frames per camera for the dvs detect vs decode-only run (default 300)
 *   --detect-dir DIR  instead: the whole videos of a rendered scenario (e.g. out/accept/spec-1km
 *                from `npm run accept`), decode-only and dvs detect back to back
 *   --only NAMES comma-separated groups to run (geometry, preprocess, voxel, sim, detect,
 *                classify, tracking, calib, media, media-live, media-lanes, media-send-decode); default all
 *   --json PATH  also write the figures as JSON
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { frames: { type: 'string', default: '90' }, 'detect-frames': { type: 'string', default: '300' }, 'detect-dir': { type: 'string' }, only: { type: 'string' }, json: { type: 'string' } } });
const frames = Number(values.frames);
// dvs detect starts a worker per camera (a second or two): on a short clip that start-up dominates.
const detectFrames = Number(values['detect-frames']);

type Group = { title: string; run: () => Promise<Record<string, number>> };
// Each group imports only its own module: loading (and running) the others' code in the same
// process changed the JIT's view of shared helpers and made the tracker step measure ~2× slower.
const groups: Record<string, Group> = {
  geometry: { title: 'geometry', run: async () => (await import('./geometry.ts')).benchGeometry() },
  preprocess: { title: 'preprocess (motion kernel, 1920×1080, one core)', run: async () => (await import('./preprocess.ts')).benchPreprocess() },
  voxel: { title: 'voxel projector (CPU, 4 × 1080p cameras, 2000 noise pixels each per frame)', run: async () => (await import('./voxel.ts')).benchVoxel() },
  sim: { title: `simulator (scenarios/spec-1km.yaml, ${frames} frames per camera)`, run: async () => (await import('./sim.ts')).benchSim(frames) },
  detect: values['detect-dir']
    ? { title: `offline detection (dvs detect vs decode-only on the whole videos of ${values['detect-dir']})`, run: async () => (await import('./detect.ts')).benchDetectDir(values['detect-dir']!) }
    : { title: `offline detection (dvs detect on ${detectFrames} frames per camera of spec-1km.yaml)`, run: async () => (await import('./detect.ts')).benchDetect(detectFrames) },
  classify: { title: 'classify and alerts (8 s windows, 4 cameras; 50 tracks at 30 fps; 3 zones)', run: async () => (await import('./classify.ts')).benchClassify() },
  tracking: { title: 'tracking (50 confirmed tracks, 200 detections per scan; issue target < 2 ms)', run: async () => (await import('./tracking.ts')).benchTracking() },
  calib: { title: 'self-calibration (dvs calib on a simulated 4-camera calibration flight, 3 min; bench/calib.ts for details)', run: async () => (await import('./calib.ts')).benchCalib() },
  media: { title: 'media ingest (1080p30 H.264 4 Mb/s over RTP: parse + jitter buffer + depacketize, decode excluded)', run: async () => (await import('./media.ts')).benchMedia() },
  'media-live': { title: 'media live (LiveStream on a UDP pair, 1080p30 H.264 4 Mb/s replayed in real time; socket to whole frame, decode excluded)', run: async () => (await import('./media-live.ts')).benchMediaLive() },
  'media-lanes': { title: 'media lanes (16 LiveStreams on 2 ingest-lane worker threads, as dvs serve runs them; same stream and method as media-live, CPU of every thread)', run: async () => (await import('./media-live.ts')).benchMediaLive({ mode: 'lanes', streams: [16], lanes: 2 }) },
  'media-send-decode': { title: 'media sender and decoder (1080p30 H.264 4 Mb/s: RTP packetization; StreamDecoder vs FFmpeg alone)', run: async () => (await import('./media-send-decode.ts')).benchMediaSendDecode() },
};

const names = values.only ? values.only.split(',') : Object.keys(groups);
for (const n of names) if (!groups[n]) throw new Error(`unknown bench group '${n}' (groups: ${Object.keys(groups).join(', ')})`);
const results: Record<string, number> = {};
const show = (r: Record<string, number>) => {
  for (const [k, v] of Object.entries(r)) {
    results[k] = v;
    console.log(`  ${k.padEnd(46)} ${v >= 1000 ? v.toExponential(3) : v.toFixed(2)}`);
  }
};

if (names.length === 1) {
  const g = groups[names[0]!]!;
  console.log(g.title);
  show(await g.run());
} else {
  // Several groups: one fresh process each (see above), results merged.
  console.log(`DroneVoxelServer benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
  const dir = mkdtempSync(join(tmpdir(), 'dvs-bench-'));
  try {
    const pass = ['--frames', String(frames), '--detect-frames', String(detectFrames), ...(values['detect-dir'] ? ['--detect-dir', values['detect-dir']] : [])];
    for (const n of names) {
      const out = join(dir, `${n}.json`);
      const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--only', n, '--json', out, ...pass], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`bench group ${n} failed (exit ${r.status})`);
      Object.assign(results, JSON.parse(readFileSync(out, 'utf8')) as Record<string, number>);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
