import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseTrackCsv } from '../../src/calib/index.ts';
import { applySimilarity, umeyama } from '../../src/calib/solvers/index.ts';
import { main } from '../../src/cli/main.ts';
import { Camera, type CameraParams } from '../../src/geometry/index.ts';

/**
 * The acceptance set-up end to end at a small size: `dvs sim` renders four 480×270 H.264 cameras
 * (12.5–15 fps, 60 s, a 1.2 m drone weaving 180–330 m out) whose site.yaml claims poses 5 m and
 * 5° off, focal lengths 10 % off and clocks 0.8–2 s off; `dvs calib` without --detections takes
 * the drone's 2D tracks from the videos and calibrates. Truth: the simulator's truth-cameras.json
 * and truth.jsonl (the path), never the calibration's own numbers.
 */
function scenario(): Record<string, unknown> {
  const at = [60, 250, 60];
  const cam = (id: string, enu: number[], fps: number, clock: { offset_ms: number; drift_ppm: number }, fx: number, k1: number, off: number) => {
    const dx = at[0]! - enu[0]!, dy = at[1]! - enu[1]!, dz = at[2]! - enu[2]!;
    return {
      id, resolution: [480, 270], fps,
      pose: { enu, yaw: (Math.atan2(dx, dy) * 180) / Math.PI, pitch: (Math.atan2(dz, Math.hypot(dx, dy)) * 180) / Math.PI, roll: 0 },
      intrinsics: { fx, fy: fx, cx: 240, cy: 135, k1, k2: 0.01 },
      clock, noise_sigma: 2, codec: 'h264', bitrate_kbps: 1500,
      report_error: { pos_m: 5, angle_deg: 5, f_rel: 0.1, offset_ms: off },
    };
  };
  return {
    name: 'mini-calib', seed: 5, duration_s: 60,
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-300, -100, 0], max: [400, 600, 300], voxel_m: 8 } },
    sky: { brightness: 185, gradient: 25, clouds: 0.2, cloud_speed_mps: 3 },
    cameras: [
      cam('cam01', [0, 0, 8], 15, { offset_ms: 0, drift_ppm: 0 }, 420, -0.06, 1500),
      cam('cam02', [130, 10, 6], 15, { offset_ms: 12, drift_ppm: 20 }, 430, -0.05, -2000),
      cam('cam03', [-10, 125, 10], 12.5, { offset_ms: -30, drift_ppm: -15 }, 410, -0.07, 800),
      cam('cam04', [135, 140, 7], 15, { offset_ms: 45, drift_ppm: 5 }, 425, -0.06, -1200),
    ],
    targets: [{
      id: 'drone1', class: 'drone', size_m: 1.2, intensity: -60,
      // Waypoints every 5 s: a path that weaves in all three axes, so no shifted copy of it
      // satisfies an epipolar geometry (a smoother 60 s path left the clock search ambiguous).
      path: [[0, -20, 200, 50], [5, 60, 180, 95], [10, 130, 230, 60], [15, 110, 300, 110], [20, 160, 320, 55], [25, 90, 270, 90], [30, 40, 330, 120],
        [35, -30, 300, 60], [40, -50, 240, 100], [45, 10, 210, 45], [50, 40, 190, 85], [55, 110, 220, 50], [60, 140, 260, 100]],
    }],
  };
}

test('dvs calib from the videos (no --detections): claims 5 m / 5° / f +10 % / clocks 0.8–2 s off → RMSE < 1 px, clocks ±5 ms, centres ±0.5 m', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dvs-video-calib-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'scenario.yaml'), stringify(scenario()));
  const quiet = { stdout: () => {}, stderr: () => {} };
  const sim = join(dir, 'sim'), out = join(dir, 'calib');
  assert.equal(await main(['sim', '--scenario', join(dir, 'scenario.yaml'), '--out', sim, '--quiet'], quiet), 0);
  const err: string[] = [];
  assert.equal(await main(['calib', '--config', join(sim, 'site.yaml'), '--out', out], { stdout: () => {}, stderr: (s) => { err.push(s); } }), 0, err.join(''));

  const truthCams = (JSON.parse(readFileSync(join(sim, 'truth-cameras.json'), 'utf8')) as { cameras: CameraParams[] }).cameras;
  const cams = truthCams.map((c) => new Camera(c));
  const path = readFileSync(join(sim, 'truth.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: number; id: string; enu: number[] }).filter((r) => r.id === 'drone1');
  // The tracks taken from the videos: nearly every sample on the drone's true projection.
  for (const [i, c] of cams.entries()) {
    const tr = parseTrackCsv(readFileSync(join(out, 'tracks', `${c.id}.csv`), 'utf8'), c.id);
    let near = 0;
    const o = [0, 0, 0];
    for (let k = 0; k < tr.t.length; k++) {
      const s = c.clock.siteTime(tr.t[k]! + c.rowOffsetS(tr.y[k]!));
      const f = (s - path[0]!.t) / 0.1, j = Math.floor(f);
      if (j < 0 || j + 1 >= path.length) continue;
      const w = f - j, p = [0, 1, 2].map((a) => (1 - w) * path[j]!.enu[a]! + w * path[j + 1]!.enu[a]!);
      if (c.projectInto(p[0]!, p[1]!, p[2]!, o) && Math.hypot(o[0]! - tr.x[k]!, o[1]! - tr.y[k]!) < 2) near++;
    }
    assert.ok(tr.t.length > 300, `${c.id}: ${tr.t.length} samples from the video`);
    assert.ok(near >= 0.9 * tr.t.length, `${c.id}: ${near} of ${tr.t.length} samples within 2 px of the drone's true projection (${truthCams[i]!.id})`);
  }

  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
    reference_camera: string; reprojection_rmse_px: number; tracks_from_video: Array<{ id: string; frames: number; samples: number }>;
    cameras: Array<{ id: string; calibrated: boolean; clock: { offset_ms: number; drift_ppm: number }; pose: { enu: number[] }; intrinsics: { fx: number } }>;
  };
  assert.equal(report.tracks_from_video.length, 4);
  assert.ok(report.reprojection_rmse_px < 1, `RMSE ${report.reprojection_rmse_px} px`);
  const byId = new Map(report.cameras.map((c) => [c.id, c]));
  for (const c of cams) assert.ok(byId.get(c.id)?.calibrated, `${c.id} calibrated`);
  // Clocks: site time is the reference's claimed clock, so compare each camera's error with the reference's, mid-flight.
  const clockErr = (i: number): number => {
    const r = byId.get(cams[i]!.id)!;
    return ((1 + r.clock.drift_ppm * 1e-6) * 30 + r.clock.offset_ms / 1000 - cams[i]!.clock.cameraTime(30)) * 1000;
  };
  const refErr = clockErr(cams.findIndex((c) => c.id === report.reference_camera));
  const T = umeyama(cams.flatMap((c) => byId.get(c.id)!.pose.enu), cams.flatMap((c) => Array.from(c.C)))!;
  for (const [i, c] of cams.entries()) {
    const r = byId.get(c.id)!;
    assert.ok(Math.abs(clockErr(i) - refErr) < 5, `${c.id}: clock ${(clockErr(i) - refErr).toFixed(2)} ms off relative to the reference`);
    const p = applySimilarity(T, r.pose.enu);
    const d = Math.hypot(p[0]! - c.C[0]!, p[1]! - c.C[1]!, p[2]! - c.C[2]!);
    assert.ok(d < 0.5, `${c.id}: centre ${d.toFixed(3)} m off after a similarity`);
    assert.ok(Math.abs(r.intrinsics.fx / c.fx - 1) < 0.02, `${c.id}: fx ${r.intrinsics.fx} against ${c.fx}`);
  }
});
