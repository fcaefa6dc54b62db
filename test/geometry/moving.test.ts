import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera, projectMoving } from '../../src/geometry/index.ts';

test('projectMoving: a target 100 m north moving east at 10 m/s, 0.5 s later, lands where the pinhole says', () => {
  // Camera at the origin, 10 m up, looking north (yaw 0, level): pixel u = cx + fx·east/north.
  const cam = new Camera({ id: 'c', resolution: [640, 480], pose: { enu: [0, 0, 10], yaw: 0, pitch: 0, roll: 0 }, intrinsics: { fx: 500, fy: 500, cx: 320, cy: 240, k1: 0, k2: 0 } });
  const s = { t: 2, enu: [0, 100, 10], vel: [10, 0, 0] };
  const uv = new Float64Array(3);
  const r = projectMoving(cam, 2.5, s, uv, 0.5, 1);
  assert.ok(Math.abs(r - Math.hypot(5, 100)) < 1e-9, `range ${r}`);
  assert.ok(Math.abs(uv[0]! - (320 + (500 * 5) / 100)) < 1e-6, `u ${uv[0]}`);
  assert.ok(Math.abs(uv[1]! - 240) < 1e-6, `v ${uv[1]}`);
  // Outside the time window either way, and out of the image (3 s on: 30 m east at 100 m, u = 470 … 50 s: off).
  assert.ok(Number.isNaN(projectMoving(cam, 3.5, s, uv, 0.5, 1)));
  assert.ok(Number.isNaN(projectMoving(cam, 1.4, s, uv, 0.5, 1)));
  assert.ok(Number.isNaN(projectMoving(cam, 52, s, uv, 0.5, 100)));
});
