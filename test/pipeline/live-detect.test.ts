/**
 * The live server detects like `dvs detect`: `dvs stream` (its own process) renders a scenario
 * of three 320×240 cameras and one drone and sends it over RTP with sender reports on one shared
 * clock; `MediaServer` with the live pipeline decodes, times, groups and hands the frames to the
 * Detector and TrackStage. Truth is the scenario itself: the drone flies the straight segment
 * (−30, 90, 35) → (30, 110, 45) m in 10 s, so every 3D detection must lie near that segment,
 * and the times the pipeline gives them must advance with the drone's position along it (the
 * sender's start time is not known here, so the time check is on differences).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSiteConfig } from '../../src/config/index.ts';
import { buildApi, MediaServer } from '../../src/server/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

const A = [-30, 90, 35], B = [30, 110, 45], DURATION = 10;
const CAMS = [
  { id: 'c1', enu: [-40, 0, 2], yaw: 21.8, pitch: 19.4 },
  { id: 'c2', enu: [40, 0, 2], yaw: -21.8, pitch: 19.4 },
  { id: 'c3', enu: [0, 200, 2], yaw: 180, pitch: 20.8 },
];
const INTR = '{fx: 400, fy: 400, cx: 160, cy: 120, k1: 0, k2: 0}';

/** Three consecutive free UDP port pairs (base, base+1, …, base+5) on 127.0.0.1. */
async function freeBase(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 20000);
    const socks = [];
    let ok = true;
    for (let i = 0; i < 6 && ok; i++) {
      const s = createSocket('udp4');
      ok = await new Promise<boolean>((r) => { s.once('error', () => r(false)); s.bind(base + i, '127.0.0.1', () => r(true)); });
      socks.push(s);
    }
    await Promise.all(socks.map((s) => new Promise<void>((r) => { try { s.close(() => r()); } catch { r(); } })));
    if (ok) return base;
  }
  throw new Error('no free port range');
}

/** Distance from p to the segment A–B and the position along it (0..1). */
function toPath(p: number[]): { dist: number; s: number } {
  const d = [B[0]! - A[0]!, B[1]! - A[1]!, B[2]! - A[2]!];
  const w = [p[0]! - A[0]!, p[1]! - A[1]!, p[2]! - A[2]!];
  const len2 = d[0]! ** 2 + d[1]! ** 2 + d[2]! ** 2;
  const s = Math.max(0, Math.min(1, (w[0]! * d[0]! + w[1]! * d[1]! + w[2]! * d[2]!) / len2));
  const q = [A[0]! + s * d[0]!, A[1]! + s * d[1]!, A[2]! + s * d[2]!];
  return { dist: Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!, p[2]! - q[2]!), s };
}

test('dvs stream → live server: 3D detections on the drone path and a confirmed track, as dvs detect gives offline', { timeout: 60000 }, async (t) => {
  const dir = tmpDir(t, 'dvs-live-detect-');
  const scen = join(dir, 'scenario.yaml');
  writeFileSync(scen, [
    'name: live-detect', 'seed: 3', `duration_s: ${DURATION}`,
    'site:', '  origin: {lat: 47.0, lon: 8.0, alt_m: 400}', '  volume: {min: [-100, 0, 0], max: [100, 200, 100], voxel_m: 2}',
    'sky: {brightness: 190, gradient: 20, clouds: 0, cloud_speed_mps: 0}',
    'cameras:', ...CAMS.map((c) => `  - {id: ${c.id}, resolution: [320, 240], fps: 15, pose: {enu: [${c.enu.join(', ')}], yaw: ${c.yaw}, pitch: ${c.pitch}, roll: 0}, intrinsics: ${INTR}, clock: {offset_ms: 0, drift_ppm: 0}, noise_sigma: 1.5, codec: h264, bitrate_kbps: 800}`),
    'targets:', `  - {id: d1, class: drone, size_m: 1.5, intensity: -80, path: [[0, ${A.join(', ')}], [${DURATION}, ${B.join(', ')}]]}`,
  ].join('\n') + '\n');
  const base = await freeBase();
  const yaml = ['site:', '  origin: {lat: 47.0, lon: 8.0, alt_m: 400}', '  volume: {min: [-100, 0, 0], max: [100, 200, 100], voxel_m: 2}',
    'media_server:', '  network: {bind_address: 127.0.0.1, rtp_port_range: [1024, 65535]}', '  connection_timeout_ms: 30000', '  load_balancing: {health_check_interval_ms: 200}',
    'cameras:', ...CAMS.flatMap((c, i) => [`  - id: ${c.id}`, `    source: "rtp://127.0.0.1:${base + 2 * i}"`, '    rtp_config: {codec: h264, fps: 15, resolution: [320, 240]}',
      `    pose: {enu: [${c.enu.join(', ')}], yaw: ${c.yaw}, pitch: ${c.pitch}, roll: 0}`, `    intrinsics: ${INTR}`])].join('\n') + '\n';
  const cfg = parseSiteConfig(yaml, { baseDir: dir });
  assert.ok(cfg.ok, JSON.stringify(!cfg.ok && cfg.issues));
  const srv = new MediaServer(cfg.value, { lanes: 1, pipeline: { maxWaitMs: 6000, absentMs: 8000, maxPendingFrames: 128, decoder: { maxFrameAgeMs: 30000 } } });
  srv.start();
  assert.ok(srv.pipeline, String(srv.pipelineState.reason));
  const app = await buildApi(srv);
  const child = spawn(process.execPath, ['bin/dvs.js', 'stream', '--scenario', scen, '--to', `127.0.0.1:${base}`, '--seconds', '6', '--quiet'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  let api: { tracks: any; detections: any; pipeline: any };
  try {
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0, stderr);
    const end = Date.now() + 15000;
    const drained = () => srv.ids().every((id) => { const d = srv.pipeline!.decoderStats(id); return d !== null && d.decoded >= d.inputs - 3; });
    while (Date.now() < end && !drained()) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 800));
    const get = async (u: string) => (await app.inject({ method: 'GET', url: u })).json() as any;
    api = { tracks: await get('/api/v1/tracks'), detections: await get('/api/v1/detections'), pipeline: await get('/api/v1/pipeline') };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await app.close();
    await srv.close(0);
  }
  const c = srv.pipeline!.counters;
  const dets = api.detections.detections as Array<{ t: number; enu: number[]; cameras: string[] }>;
  const fit = dets.map((d) => ({ t: d.t, ...toPath(d.enu) }));
  const dist = fit.map((f) => f.dist).sort((a, b) => a - b);
  const median = dist[dist.length >> 1] ?? Infinity;
  // Time consistency: the drone's position along the path gives its true time s·10 s; the
  // pipeline's site time minus it must be the same constant for every detection.
  const lag = fit.filter((f) => f.s > 0.02 && f.s < 0.98).map((f) => f.t - f.s * DURATION).sort((a, b) => a - b);
  const lagSpread = lag.length > 0 ? lag[Math.floor(lag.length * 0.9)]! - lag[Math.floor(lag.length * 0.1)]! : Infinity;
  console.log(`# live detect: ${JSON.stringify({ detections: dets.length, median_dist_m: +median.toFixed(2), p90_dist_m: +(dist[Math.floor(dist.length * 0.9)] ?? NaN).toFixed(2), lag_spread_s_p10_p90: +lagSpread.toFixed(3), counters: c, max_spread_ms: srv.pipeline!.maxSpreadMs, confirmed_live_tracks: api.tracks.tracks.length })}`);
  assert.ok(c.complete >= 40, `complete groups ${c.complete}`); // 6 s streamed: 90 frames per camera
  assert.ok(dets.length >= 25, `detections ${dets.length}`);
  assert.ok(median < 2, `median distance to the drone path ${median.toFixed(2)} m`);
  assert.ok(lagSpread < 0.15, `site time − path time spread ${lagSpread.toFixed(3)} s`);
  assert.ok(c.trackUpdates > 0 && api.pipeline.track_updates === c.trackUpdates);
  // The drone is still flying at the end of the stream: its track is live and on the path.
  const live = api.tracks.tracks as Array<{ status: string; enu: number[] }>;
  assert.ok(live.some((t) => t.status === 'confirmed' && toPath(t.enu).dist < 3), JSON.stringify(live));
});
