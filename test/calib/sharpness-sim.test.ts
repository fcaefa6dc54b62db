/**
 * The Δt optimiser on frames rendered by the project's simulator, through the real front end
 * (motion, blobs, tracklets), the voxel grid, fusion and the tracker: a four-camera rig whose
 * claimed clocks are off by tens of milliseconds. Truth: the scenario's own clocks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRenderers, reportedCamera, type Scenario } from '../../src/sim/index.ts';
import { sharpnessRig } from './sharpness-rig.ts';
import { Camera } from '../../src/geometry/index.ts';
import type { SiteCamera } from '../../src/pipeline/index.ts';
import { EvidenceRecorder, longestTrack, refineClockOffsets } from '../../src/calib/sharpness/index.ts';

function sharpnessScenario(): Scenario {
  // 20 m/s east, climbing and turning north: 100–150 m from every camera.
  return sharpnessRig('sharpness-test', 5, 5, [
    { yaw: 20, fps: 25, offset_ms: 0, err_ms: 0 },
    { yaw: -20, fps: 25, offset_ms: 83, err_ms: 23 },
    { yaw: 150, fps: 30, offset_ms: -46, err_ms: -17 },
    { yaw: -150, fps: 25, offset_ms: 21, err_ms: 12 },
  ], [[0, -45, 110, 30], [2.5, 0, 125, 40], [5, 40, 150, 36]]);
}

test('simulator frames through the real front end: clock errors of +23, −17, +12 ms recovered within ±2 ms (the issue asks ±5)', () => {
  const t0 = performance.now();
  const s = sharpnessScenario();
  const { renderers } = buildRenderers(s);
  // What site.yaml would claim: true poses and intrinsics, clocks off by report_error.
  const cams: SiteCamera[] = s.cameras.map((c, index) => {
    const rep = reportedCamera(c, s.seed, index);
    return { index, id: c.id, fps: c.fps, camera: new Camera({ id: c.id, resolution: c.resolution, pose: c.pose, intrinsics: c.intrinsics, clock: rep.clock }) };
  });
  const rec = new EvidenceRecorder(cams, s.site.volume);
  // Every frame of every camera, merged in claimed site time, as the offline driver does.
  const frames = cams.flatMap((c, i) => Array.from({ length: Math.round(s.duration_s * c.fps) }, (_, k) => ({ i, k, site: c.camera.clock.siteTime(k / c.fps) })));
  frames.sort((a, b) => a.site - b.site || a.i - b.i);
  const buf = cams.map((c) => new Uint8Array(c.camera.width * c.camera.height));
  for (const f of frames) {
    renderers[f.i]!.renderInto(f.k, buf[f.i]!);
    const c = cams[f.i]!;
    rec.push({ camIndex: f.i, seq: f.k, cameraTime: f.k / c.fps, siteTime: f.site, width: c.camera.width, height: c.camera.height, data: buf[f.i]! });
  }
  const recording = rec.finish();
  rec.close(); // safe twice
  const tRender = performance.now();
  const track = longestTrack(recording.detections, new Map(cams.map((c) => [c.id, [c.camera.C[0]!, c.camera.C[1]!, c.camera.C[2]!]])));
  assert.ok(track && track.points.length > 30, `a confirmed track of the drone (${track?.points.length ?? 0} points from ${recording.detections.length} detections)`);
  const obs = recording.log.associate(track.points);
  const r = refineClockOffsets(cams.map((c) => c.camera), obs, { referenceId: 'c1' });
  const tEnd = performance.now();
  const lines: string[] = [];
  for (const [i, c] of r.cameras.entries()) {
    const want = s.cameras[i]!.clock!.offset_ms - s.cameras[0]!.clock!.offset_ms;
    const got = c.clock.offset_ms - r.cameras[0]!.clock.offset_ms;
    lines.push(`${c.id}: ${c.observations} obs, Δ ${c.deltaMs.toFixed(2)} ms, error ${(got - want).toFixed(2)} ms (σ ≈ ${c.sigmaMs.toFixed(2)}), RMS ${c.rmsPxBefore.toFixed(2)} → ${c.rmsPx.toFixed(2)} px`);
    assert.ok(Math.abs(got - want) <= 2, `${c.id}: relative offset ${got.toFixed(2)} ms, truth ${want} ms`);
  }
  console.log(`sharpness sim: ${lines.join('; ')}; spread ${r.spreadBeforeM.toFixed(3)} → ${r.spreadAfterM.toFixed(3)} m; render+detect ${((tRender - t0) / 1000).toFixed(1)} s, association+optimiser ${((tEnd - tRender) / 1000).toFixed(2)} s`);
  assert.ok(r.spreadAfterM < r.spreadBeforeM, 'the peak is sharper');
});
