/**
 * The static-scene and bump extensions of the simulator: scenery lands where the camera model
 * puts its 3D geometry (in two cameras), a bump switches a camera to exactly the view of a camera
 * built at the bumped pose, and scenarios without the extensions render as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRenderers, buildScene, parseScenario, type Scenario, type SceneBuilding } from '../../src/sim/index.ts';
import { Camera } from '../../src/geometry/index.ts';

function scenario(over: { scene?: unknown; cameras: Record<string, unknown>[]; sky?: Record<string, unknown> }): Scenario {
  const r = parseScenario(JSON.stringify({
    name: 'scene-test', seed: 4, duration_s: 1,
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-500, 0, 0], max: [500, 1000, 300], voxel_m: 4 } },
    sky: over.sky ?? { brightness: 180, gradient: 0, clouds: 0 },
    ...(over.scene !== undefined ? { scene: over.scene } : {}),
    cameras: over.cameras,
  }));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

const camSpec = (id: string, enu: number[], yaw: number, extra: Record<string, unknown> = {}) => ({
  id, resolution: [320, 180], fps: 5, pose: { enu, yaw, pitch: 2, roll: 0 },
  intrinsics: { fx: 300, fy: 300, cx: 159.5, cy: 89.5, k1: 0, k2: 0 }, noise_sigma: 0, codec: 'mjpeg', ...extra,
});

function frames(s: Scenario, cam: number, n: number): Uint8Array[] {
  const { renderers } = buildRenderers(s);
  const r = renderers[cam]!;
  return Array.from({ length: n }, (_, k) => { const b = new Uint8Array(r.frameBytes); r.renderInto(k, b); return b; });
}

test('a building\'s roof edge appears where each camera projects it (sub-pixel, two viewpoints)', (t) => {
  let worst = 0;
  // One building 100–130 m north-ish, nothing else; flat grey sky so the edge is a clean step.
  const scene = { skyline: { buildings: 1, trees: 0, near_m: 100, far_m: 130, sector_deg: [-5, 5], ridge_m: 0, building_height_m: [25, 30], supersample: 8 } };
  const s = scenario({ scene, cameras: [camSpec('a', [0, 0, 3], 0), camSpec('b', [15, -5, 4], -6)] });
  const b = buildScene(s)!.objects[0] as SceneBuilding;
  assert.equal(b.kind, 'building');
  // Footprint corners from the recorded geometry, by hand: centre ± half-length along the long
  // axis (yaw from north) ± half-width across it.
  const ya = (b.yaw_deg * Math.PI) / 180;
  const ax = [Math.sin(ya), Math.cos(ya)], ac = [Math.cos(ya), -Math.sin(ya)];
  const corner = (i: number, j: number): [number, number] => [b.e + i * (b.length_m / 2) * ax[0]! + j * (b.width_m / 2) * ac[0]!, b.n + i * (b.length_m / 2) * ax[1]! + j * (b.width_m / 2) * ac[1]!];
  for (const [ci, spec] of s.cameras.entries()) {
    const cam = new Camera({ id: spec.id, resolution: spec.resolution, pose: spec.pose, intrinsics: spec.intrinsics });
    // The face whose centre is nearest the camera faces it; its top edge is on the silhouette
    // (the camera is below the roof).
    const faces: [[number, number], [number, number]][] = [[corner(1, 1), corner(1, -1)], [corner(-1, 1), corner(-1, -1)], [corner(1, 1), corner(-1, 1)], [corner(1, -1), corner(-1, -1)]];
    const dist = (f: [[number, number], [number, number]]) => Math.hypot((f[0][0] + f[1][0]) / 2 - cam.C[0]!, (f[0][1] + f[1][1]) / 2 - cam.C[1]!);
    const face = faces.sort((p, q) => dist(p) - dist(q))[0]!;
    const img = frames(s, ci, 1)[0]!;
    let checked = 0;
    for (const f of [0.3, 0.5, 0.7]) {
      const P = [face[0][0] + f * (face[1][0] - face[0][0]), face[0][1] + f * (face[1][1] - face[0][1]), b.height_m];
      const uv = cam.project(P)!;
      const Q = cam.project([P[0]! + 0.01 * (face[1][0] - face[0][0]), P[1]! + 0.01 * (face[1][1] - face[0][1]), b.height_m])!;
      const u = Math.round(uv[0]);
      if (u < 2 || u > 317) continue;
      const slope = (Q[1] - uv[1]) / (Q[0] - uv[0]);
      const vTrue = uv[1] + slope * (u - uv[0]); // edge row at the column centre
      // Edge row measured by area: sky level above, facade level just below (inside the 1.2 m
      // window-free band under the roof), and the sky fraction of the rows in between.
      const v0 = Math.round(vTrue);
      const col = (v: number) => img[v * 320 + u]!;
      const sky = col(v0 - 4), wall = col(v0 + 2);
      assert.ok(sky - wall > 20, `camera ${spec.id}: the roof edge has contrast (${sky} over ${wall})`);
      let frac = 0;
      for (let v = v0 - 3; v <= v0 + 1; v++) frac += (col(v) - wall) / (sky - wall);
      const vMeasured = v0 - 3.5 + frac;
      assert.ok(Math.abs(vMeasured - vTrue) < 0.2, `camera ${spec.id}: edge at row ${vMeasured.toFixed(3)}, projection says ${vTrue.toFixed(3)}`);
      worst = Math.max(worst, Math.abs(vMeasured - vTrue));
      checked++;
    }
    assert.ok(checked >= 2, `camera ${spec.id}: edge points in view`);
  }
  t.diagnostic(`worst roof-edge error ${worst.toFixed(3)} px`);
});

test('a bump switches the camera to exactly the view of a camera built at the bumped pose', () => {
  const scene = { skyline: { buildings: 12, trees: 20, near_m: 120, far_m: 500, sector_deg: [-40, 40], supersample: 2 } };
  const bump = { t_s: 0.4, yaw_deg: 0.5, pitch_deg: -0.2, roll_deg: 0.1 };
  const sky = { brightness: 180, gradient: 20, clouds: 0.3 };
  const bumped = frames(scenario({ scene, sky, cameras: [camSpec('a', [0, 0, 5], 0, { noise_sigma: 2, bump })] }), 0, 5);
  const still = frames(scenario({ scene, sky, cameras: [camSpec('a', [0, 0, 5], 0, { noise_sigma: 2 })] }), 0, 5);
  const moved = frames(scenario({ scene, sky, cameras: [camSpec('a', [0, 0, 5], 0, { noise_sigma: 2, pose: { enu: [0, 0, 5], yaw: 0.5, pitch: 1.8, roll: 0.1 } })] }), 0, 5);
  // Frames 0, 1 (t = 0, 0.2 s) before the bump; 2–4 after.
  for (let k = 0; k < 5; k++) {
    const expect = k < 2 ? still[k]! : moved[k]!;
    assert.deepEqual(bumped[k], expect, `frame ${k}`);
    if (k >= 2) assert.notDeepEqual(bumped[k], still[k], `frame ${k} differs from the unbumped view`);
  }
});

test('no skyline (scene absent or empty) renders exactly as before', () => {
  const sky = { brightness: 170, gradient: 25, clouds: 0.4 };
  const a = frames(scenario({ sky, cameras: [camSpec('a', [0, 0, 5], 30, { noise_sigma: 2 })] }), 0, 2);
  const b = frames(scenario({ sky, scene: {}, cameras: [camSpec('a', [0, 0, 5], 30, { noise_sigma: 2 })] }), 0, 2);
  assert.deepEqual(a, b);
});

test('scene and bump options are validated', () => {
  const base = { name: 'x', seed: 1, duration_s: 1, site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-5, 0, 0], max: [5, 10, 3], voxel_m: 1 } } };
  const bad = parseScenario(JSON.stringify({ ...base, scene: { skyline: { near_m: 500, far_m: 300, ridge_m: 200 } }, cameras: [camSpec('a', [0, 0, 5], 0)] }));
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    const paths = bad.issues.map((i) => i.path);
    assert.ok(paths.includes('scene.skyline.far_m'), JSON.stringify(paths));
    assert.ok(paths.includes('scene.skyline.ridge_m'), JSON.stringify(paths));
  }
  const badBump = parseScenario(JSON.stringify({ ...base, cameras: [camSpec('a', [0, 0, 5], 0, { bump: { t_s: 1, yaw_deg: 45 } })] }));
  assert.equal(badBump.ok, false);
  const ok = parseScenario(JSON.stringify({ ...base, cameras: [camSpec('a', [0, 0, 5], 0, { bump: { t_s: 1, yaw_deg: 0.2 } })] }));
  assert.ok(ok.ok);
  if (ok.ok) assert.deepEqual(ok.value.cameras[0]!.bump, { t_s: 1, yaw_deg: 0.2, pitch_deg: 0, roll_deg: 0 });
});
