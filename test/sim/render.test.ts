/**
 * The renderer against independent truth, on decoded video: where a target appears (the true
 * camera's projection of its true position) and how much signal a sub-pixel target deposits
 * (its footprint area × contrast).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseScenario, runSim, type Scenario } from '../../src/sim/index.ts';
import { decodeAllGray } from '../../src/ingest/index.ts';
import { Camera } from '../../src/geometry/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** A one-camera scenario with a flat sky (no clouds, no gradient) so the background is known. */
function scenario(over: { target: Record<string, unknown>; camera?: Record<string, unknown>; duration?: number }): Scenario {
  const yaml = JSON.stringify({
    name: 'render-test', seed: 3, duration_s: over.duration ?? 1,
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-500, 0, 0], max: [500, 1000, 300], voxel_m: 4 } },
    sky: { brightness: 160, gradient: 0, clouds: 0 },
    cameras: [{
      id: 'cam', resolution: [320, 240], fps: 10,
      pose: { enu: [0, 0, 5], yaw: 0, pitch: 10, roll: 0 }, // horizon far below the targets
      intrinsics: { fx: 400, fy: 400, cx: 160, cy: 120, k1: -0.05, k2: 0.01 },
      noise_sigma: 0, codec: 'mjpeg', bitrate_kbps: 30000, psf_sigma_px: 0.5,
      ...over.camera,
    }],
    targets: [{ id: 't', class: 'drone', ...over.target }],
  });
  const r = parseScenario(yaml);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

test('a close, high-contrast target appears within 0.5 px of the true projection of its true position', async (t) => {
  const dir = tmpDir(t);
  // Moving target (sideways and away) so the check covers several sub-pixel phases.
  const s = scenario({ target: { size_m: 1.0, intensity: -90, path: [[0, -12, 100, 8], [1, 10, 104, 12]] } });
  await runSim(s, dir, { quiet: true });
  const frames = await decodeAllGray(join(dir, 'cam.mkv'), 320, 240);
  assert.equal(frames.length, 10);
  const c = s.cameras[0]!;
  const cam = new Camera({ id: 'cam', resolution: c.resolution, pose: c.pose, intrinsics: c.intrinsics });
  for (let k = 0; k < frames.length; k++) {
    const tk = k / 10; // global shutter, true clock 0: frame k is at site time k/10
    // True position by linear interpolation of the 2-point path (the spline is linear between two points).
    const p: [number, number, number] = [-12 + 22 * tk, 100 + 4 * tk, 8 + 4 * tk];
    const uv = cam.project(p)!;
    // Intensity-weighted centroid of the deficit in a 15×15 window around the prediction.
    const f = frames[k]!;
    let sw = 0, su = 0, sv = 0;
    const u0 = Math.round(uv[0]), v0 = Math.round(uv[1]);
    for (let v = v0 - 7; v <= v0 + 7; v++) {
      for (let u = u0 - 7; u <= u0 + 7; u++) {
        const w = Math.max(0, 160 - f[v * 320 + u]! - 1); // deficit below the flat sky, minus codec ripple
        sw += w; su += w * u; sv += w * v;
      }
    }
    assert.ok(sw > 200, `frame ${k}: target signal found (${sw})`);
    const err = Math.hypot(su / sw - uv[0], sv / sw - uv[1]);
    assert.ok(err < 0.5, `frame ${k}: centroid ${(su / sw).toFixed(2)},${(sv / sw).toFixed(2)} vs projection ${uv[0].toFixed(2)},${uv[1].toFixed(2)} (${err.toFixed(3)} px)`);
  }
});

test('a sub-pixel target deposits footprint area × contrast of signal (within 20 %), not enlarged', async (t) => {
  const dir = tmpDir(t);
  // 0.4 m at 200 m with fx = 400: ellipse 0.8 px wide, 0.32 px tall → area π·0.4·0.16 = 0.201 px².
  // Contrast −150 → expected total deficit 30.2 grey-level·px, spread over a few pixels by the PSF.
  // Sensor noise σ = 1 dithers the 8-bit quantisation, as in a real camera; 30 frames average it.
  const s = scenario({ target: { size_m: 0.4, intensity: -150, path: [[0, 0, 200, 30], [3, 0.3, 200, 30]] }, camera: { noise_sigma: 1 }, duration: 3 });
  await runSim(s, dir, { quiet: true });
  const frames = await decodeAllGray(join(dir, 'cam.mkv'), 320, 240);
  assert.equal(frames.length, 30);
  const c = s.cameras[0]!;
  const cam = new Camera({ id: 'cam', resolution: c.resolution, pose: c.pose, intrinsics: c.intrinsics });
  const area = Math.PI * ((400 * 0.2) / 200) * ((400 * 0.08) / 200); // semi-axes by hand: fx·(w/2)/d, fy·(h/2)/d
  const expected = area * 150;
  let total = 0;
  for (let k = 0; k < frames.length; k++) {
    const uv = cam.project([0.1 * (k / 10), 200, 30])!;
    const f = frames[k]!;
    const u0 = Math.round(uv[0]), v0 = Math.round(uv[1]);
    // Background from a ring 4–6 px out (flat sky: its median is the sky level under noise).
    const ring: number[] = [];
    for (let v = v0 - 6; v <= v0 + 6; v++) for (let u = u0 - 6; u <= u0 + 6; u++) if (Math.max(Math.abs(u - u0), Math.abs(v - v0)) >= 4) ring.push(f[v * 320 + u]!);
    const bg = ring.reduce((a, b) => a + b, 0) / ring.length;
    let deficit = 0;
    for (let v = v0 - 2; v <= v0 + 2; v++) for (let u = u0 - 2; u <= u0 + 2; u++) deficit += bg - f[v * 320 + u]!;
    total += deficit;
  }
  const mean = total / frames.length;
  console.log(`sub-pixel deficit: measured ${mean.toFixed(2)}, area×contrast ${expected.toFixed(2)}`);
  assert.ok(Math.abs(mean - expected) <= 0.2 * expected, `mean deficit ${mean.toFixed(2)} vs area×contrast ${expected.toFixed(2)}`);
});

test('rolling shutter and camera clock: each row shows the target where it was when that row was exposed', async (t) => {
  const dir = tmpDir(t);
  // A fast crossing target (60 m/s at 100 m → 240 px/s) seen by a camera whose rows take 200 µs
  // each (48 ms top to bottom) and whose clock runs 250 ms ahead and 1000 ppm fast.
  const s = scenario({
    target: { size_m: 1.0, intensity: -90, path: [[0, -30, 100, 25], [1.5, 60, 100, 25]] },
    camera: { rolling_shutter: { line_us: 200, direction: 'down' }, clock: { offset_ms: 250, drift_ppm: 1000 } },
    duration: 1.5,
  });
  await runSim(s, dir, { quiet: true });
  const frames = await decodeAllGray(join(dir, 'cam.mkv'), 320, 240);
  const c = s.cameras[0]!;
  const cam = new Camera({ id: 'cam', resolution: c.resolution, pose: c.pose, intrinsics: c.intrinsics });
  const at = (ts: number): [number, number, number] => [-30 + 60 * ts, 100, 25]; // straight line, 60 m/s
  let checked = 0;
  for (let k = 0; k < frames.length; k++) {
    // By hand from CONTRACTS §1–2: frame k is stamped k/fps on the camera clock; row v is exposed
    // at camera time k/fps + v·200 µs, i.e. site time (that − 0.25)/1.001.
    const siteOfRow = (v: number) => (k / 10 + v * 200e-6 - 0.25) / 1.001;
    let v = 120;
    for (let i = 0; i < 5; i++) v = cam.project(at(siteOfRow(v)))![1];
    const ts = siteOfRow(v);
    if (ts < 0.05 || ts > 1.45) continue; // target alive over [0, 1.5] s of site time only
    const uv = cam.project(at(ts))!;
    const naive = cam.project(at(k / 10))!; // ignoring clock and shutter
    const f = frames[k]!;
    let sw = 0, su = 0, sv = 0;
    const u0 = Math.round(uv[0]), v0 = Math.round(uv[1]);
    for (let y = v0 - 8; y <= v0 + 8; y++) {
      for (let x = u0 - 8; x <= u0 + 8; x++) {
        if (x < 0 || x >= 320) continue;
        const w = Math.max(0, 159 - f[y * 320 + x]!);
        sw += w; su += w * x; sv += w * y;
      }
    }
    if (u0 < 10 || u0 > 310) continue;
    assert.ok(sw > 200, `frame ${k}: target found`);
    const err = Math.hypot(su / sw - uv[0], sv / sw - uv[1]);
    assert.ok(err < 0.5, `frame ${k}: centroid off the row-time projection by ${err.toFixed(3)} px`);
    assert.ok(Math.abs(naive[0] - uv[0]) > 20, 'the check must be able to tell the clock apart');
    const globalShutter = cam.project(at(siteOfRow(0)))!; // clock right, rolling shutter ignored
    assert.ok(Math.abs(globalShutter[0] - uv[0]) > 3, 'the check must be able to tell the rolling shutter apart');
    checked++;
  }
  assert.ok(checked >= 8, `checked ${checked} frames`);
});
