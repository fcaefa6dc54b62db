/**
 * Track signatures in the pipeline are measured against the motion stage's temporal background:
 * a target in front of structured sky (a cloud edge through the measuring window) keeps its true
 * flux, which a ring fitted around the window alone cannot give (a plane does not fit a step).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera } from '../../src/geometry/index.ts';
import { CameraFrontEnd } from '../../src/pipeline/frontend.ts';
import { measureTracks } from '../../src/pipeline/signatures.ts';

const W = 320, H = 240;

test('measureTracks with the front end\'s background: a 5×3 px target 40 levels dark on a cloud edge measures −600 grey·px', () => {
  const cam = new Camera({ id: 'c', resolution: [W, H], pose: { enu: [0, 0, 10], yaw: 0, pitch: 0, roll: 0 }, intrinsics: { fx: 400, fy: 400, cx: 160, cy: 120, k1: 0, k2: 0 } });
  const target = [0, 200, 10]; // straight ahead: the principal point
  const uv = new Float64Array(3);
  assert.ok(cam.projectInto(target[0]!, target[1]!, target[2]!, uv));
  const cu = Math.round(uv[0]!), cv = Math.round(uv[1]!);
  // Sky: 150, with a cloud 30 levels brighter left of a vertical edge 2 px right of the target,
  // plus a gentle vertical gradient; static, so the background converges to it exactly.
  const sky = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) sky[y * W + x] = 150 + (x <= cu + 2 ? 30 : 0) + Math.round(y / 12);
  const fe = new CameraFrontEnd(W, H);
  for (let k = 0; k < 80; k++) fe.process(sky, k / 30);
  // The last frame: the target appears (too briefly for a Σ-Δ background to take it in).
  const frame = sky.slice();
  for (let y = cv - 1; y <= cv + 1; y++) for (let x = cu - 2; x <= cu + 2; x++) frame[y * W + x] = frame[y * W + x]! - 40;
  fe.process(frame, 80 / 30);
  const track = { track_id: 7, t: 80 / 30, enu: target, vel: [0, 0, 0] };
  // Window: radius from the 1.2 m design span at 200 m (fx 400): ceil(0.6·400/200) + 2 = 4 → 9×9.
  const [withBg] = measureTracks(cam, 80 / 30, fe.frameView(), undefined, [track], uv, fe.backgroundView());
  assert.ok(withBg, 'the target is measured');
  assert.equal(withBg.track_id, 7);
  // On the rows the last Σ-Δ step touched, the background moved 1 level towards the target.
  assert.ok(Math.abs(withBg.contrast - -600) <= 15, `flux ${withBg.contrast} vs −600`);
  assert.equal(withBg.areaPx, 15);
  const [without] = measureTracks(cam, 80 / 30, fe.frameView(), undefined, [track], uv);
  assert.ok(without && Math.abs(without.contrast - -600) > 100, `without the background the cloud edge leaks in: ${without?.contrast}`);
  fe.close();
});
