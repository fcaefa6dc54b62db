/**
 * End to end on rendered images: the simulator draws a flapping bird and a drone into camera frames
 * (sky gradient, drifting clouds, sensor noise, 8-bit quantisation; once also through H.264 and
 * back with FFmpeg, as the cameras deliver them); the test measures their
 * signatures in the pixels, as the pipeline will at the tracked position, and classifies. Only
 * the frames and the true positions (standing in for the tracker's) are used, not the renderer's
 * appearance model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { classifyTrack, measureSignature, type Classification, type IntensitySeries, type TrackHistory, type Vec3 } from '../../src/classify/index.ts';
import { decodeAllGray } from '../../src/ingest/index.ts';
import { buildRenderers, FfmpegEncoder, parseScenario } from '../../src/sim/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

const W = 480, H = 270, FPS = 30, FRAMES = 165, WARMUP = 45;
const SCENARIO = `
name: classify-rendered
seed: 77
duration_s: 6
site:
  origin: {lat: 47.0, lon: 8.0, alt_m: 400}
  volume: {min: [-300, 0, 0], max: [300, 600, 200], voxel_m: 2}
sky: {brightness: 185, gradient: 25, clouds: 0.3, cloud_speed_mps: 5}
cameras:
  - {id: cam01, resolution: [${W}, ${H}], fps: ${FPS}, pose: {enu: [0, 0, 5], yaw: 0, pitch: 14, roll: 0},
     intrinsics: {fx: 700, fy: 700, cx: 240, cy: 135, k1: -0.05, k2: 0.0}, noise_sigma: 2.0}
  - {id: cam02, resolution: [${W}, ${H}], fps: ${FPS}, pose: {enu: [60, -20, 5], yaw: -14, pitch: 14, roll: 0},
     intrinsics: {fx: 700, fy: 700, cx: 240, cy: 135, k1: -0.05, k2: 0.0}, noise_sigma: 2.0}
targets:
  - {id: bird1, class: bird, size_m: 0.6, intensity: -50, flap_hz: 5.5, path: [[0, -30, 140, 45], [6, 30, 150, 48]]}
  - {id: drone1, class: drone, size_m: 0.35, intensity: -60, path: [[0, 40, 110, 22], [3, 20, 115, 25], [6, 20, 115, 25]]}
`;

interface Measured { bird: { c: Classification; flapHz: number }; drone: { c: Classification } }

/** Render (optionally through H.264 and back), measure the signatures at the true positions, classify. */
async function renderMeasureClassify(opts: { birdSizeM: number; kbps?: number; dir?: string }): Promise<Measured> {
  const r = parseScenario(SCENARIO.replace('size_m: 0.6', `size_m: ${opts.birdSizeM}`));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  const { renderers, targets } = buildRenderers(r.value);
  const sig = new Map<string, IntensitySeries & { areaPx: number[]; rangeM: number[] }>();
  const hist = targets.map((): TrackHistory => ({ t: [], enu: [] }));
  const uv = new Float64Array(3);
  for (const rd of renderers) {
    let frames: Uint8Array[] = [];
    for (let k = 0; k < FRAMES; k++) { const f = new Uint8Array(rd.frameBytes); rd.renderInto(k, f); frames.push(f); }
    if (opts.kbps && opts.dir) {
      const path = join(opts.dir, `${rd.spec.id}.mkv`);
      const enc = new FfmpegEncoder({ path, width: W, height: H, fps: FPS, codec: 'h264', bitrateKbps: opts.kbps, gop: 2 * FPS });
      for (const f of frames) { const b = await enc.acquire(); b.set(f); enc.submit(b); }
      await enc.close();
      frames = await decodeAllGray(path, W, H);
    }
    const bg = new Uint8Array(rd.frameBytes);
    for (let k = WARMUP; k < FRAMES; k++) {
      const frame = frames[k]!;
      const t = rd.cam.clock.siteTime(rd.frameCameraTime(k));
      targets.forEach((tg, i) => {
        const p = tg.trajectory.position(t);
        if (!rd.cam.projectInto(p[0], p[1], p[2], uv)) return;
        const range = Math.hypot(p[0] - rd.spec.pose.enu[0]!, p[1] - rd.spec.pose.enu[1]!, p[2] - rd.spec.pose.enu[2]!);
        const radius = Math.ceil((0.5 * tg.spec.size_m * rd.cam.fx) / range) + 1; // the blob's half-extent, as a tracker would know it
        // Temporal background as the motion stage keeps one: per-pixel median of frames 10–40 back.
        const cx = Math.round(uv[0]!), cy = Math.round(uv[1]!), R = radius + 6;
        for (let y = Math.max(0, cy - R); y <= Math.min(H - 1, cy + R); y++) {
          for (let x = Math.max(0, cx - R); x <= Math.min(W - 1, cx + R); x++) {
            const v = [40, 30, 20, 10].map((j) => frames[k - j]![y * W + x]!).sort((a, b) => a - b);
            bg[y * W + x] = (v[1]! + v[2]!) >> 1;
          }
        }
        const m = measureSignature(frame, W, H, uv[0]!, uv[1]!, { radiusPx: radius, background: bg });
        if (!m) return;
        const key = `${tg.id}/${rd.spec.id}`;
        let s = sig.get(key);
        if (!s) sig.set(key, (s = { camera: rd.spec.id, t: [], contrast: [], areaPx: [], rangeM: [], focalPx: rd.cam.fx }));
        s.t.push(t); s.contrast.push(m.contrast); s.areaPx.push(m.areaPx); s.rangeM.push(range);
        if (rd === renderers[0]) { hist[i]!.t.push(t); hist[i]!.enu.push(p as Vec3); }
      });
    }
  }
  const classify = (i: number): Classification => classifyTrack(hist[i]!, [...sig].filter(([k]) => k.startsWith(`${targets[i]!.id}/`)).map(([, s]) => s));
  const bi = targets.findIndex((x) => x.cls === 'bird'), di = targets.findIndex((x) => x.cls === 'drone');
  return { bird: { c: classify(bi), flapHz: targets[bi]!.flapHz }, drone: { c: classify(di) } };
}

test('rendered frames: the flapping bird is a bird at its wing-beat frequency, the drone a drone', async () => {
  const { bird, drone } = await renderMeasureClassify({ birdSizeM: 0.6 });
  assert.equal(bird.c.class, 'bird', JSON.stringify(bird.c.features.flicker));
  assert.ok(Math.abs(bird.c.features.flicker.peakHz - bird.flapHz) < 0.5, `${bird.c.features.flicker.peakHz} vs ${bird.flapHz} Hz`);
  assert.equal(drone.c.class, 'drone', JSON.stringify(drone.c.features));
});

test('through H.264 at 0.19 bit/pixel (the spec rig\'s rate): a 1.2 m bird is still a bird, the drone not a bird', async (t) => {
  const { bird, drone } = await renderMeasureClassify({ birdSizeM: 1.2, kbps: 750, dir: tmpDir(t) });
  assert.equal(bird.c.class, 'bird', JSON.stringify(bird.c.features.flicker));
  assert.ok(Math.abs(bird.c.features.flicker.peakHz - bird.flapHz) < 0.5, `${bird.c.features.flicker.peakHz} vs ${bird.flapHz} Hz`);
  assert.notEqual(drone.c.class, 'bird', JSON.stringify(drone.c.features));
});
