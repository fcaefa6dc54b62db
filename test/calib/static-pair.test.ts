/**
 * Pairwise geometry from static features on simulated video (H.264): two cameras 40 m apart
 * looking at scenery 150–700 m away (enough parallax for the five-point solver), and two 0.85 m
 * apart (too little: must be reported degenerate, rotation only). Truth: the true poses of
 * truth-cameras.json, combined by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, runSim, type Scenario } from '../../src/sim/index.ts';
import { decodeAllGray } from '../../src/ingest/index.ts';
import { Camera, rotationAngleBetween } from '../../src/geometry/index.ts';
import { MedianBackground, loadCv, pairwiseGeometry } from '../../src/calib/static/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

const DEG = 180 / Math.PI;
const W = 640, H = 360;

function scenario(): Scenario {
  const cam = (id: string, enu: number[], yaw: number) => ({
    id, resolution: [W, H], fps: 5, pose: { enu, yaw, pitch: 4, roll: 0 },
    intrinsics: { fx: 520, fy: 520, cx: 319.5, cy: 179.5, k1: -0.05, k2: 0 },
    noise_sigma: 2, codec: 'h264', bitrate_kbps: 1500,
  });
  const r = parseScenario(JSON.stringify({
    name: 'static-pair', seed: 11, duration_s: 1,
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-500, 0, 0], max: [500, 1000, 300], voxel_m: 4 } },
    sky: { brightness: 185, gradient: 25, clouds: 0.4, cloud_speed_mps: 15 },
    scene: { skyline: { buildings: 30, trees: 60, near_m: 150, far_m: 700, sector_deg: [-60, 60], ridge_m: 3000 } },
    cameras: [cam('a', [0, 0, 6], 5), cam('b', [40, 5, 6], -3), cam('c', [40.8, 5.3, 6], -2)],
  }));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

/** Truth by hand: X2 = R·X1 + t with R = R2·R1ᵀ and t ∝ R2·(C1 − C2). */
function truthPair(c1: Camera, c2: Camera): { R: Float64Array; t: number[] } {
  const R = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) R[i * 3 + j] = c2.R[i * 3]! * c1.R[j * 3]! + c2.R[i * 3 + 1]! * c1.R[j * 3 + 1]! + c2.R[i * 3 + 2]! * c1.R[j * 3 + 2]!;
  const d = [0, 1, 2].map((k) => c1.C[k]! - c2.C[k]!);
  const t = [0, 1, 2].map((r) => c2.R[r * 3]! * d[0]! + c2.R[r * 3 + 1]! * d[1]! + c2.R[r * 3 + 2]! * d[2]!);
  const n = Math.hypot(t[0]!, t[1]!, t[2]!);
  return { R, t: t.map((v) => v / n) };
}

test('relative pose from static ORB matches: a 40 m baseline resolves it, a 0.85 m one is flagged degenerate', async (t) => {
  const dir = tmpDir(t);
  const s = scenario();
  await runSim(s, dir, { quiet: true });
  const truth = JSON.parse(readFileSync(join(dir, 'truth-cameras.json'), 'utf8')) as { cameras: { id: string; resolution: number[]; pose: { enu: number[]; yaw: number; pitch: number; roll: number }; intrinsics: { fx: number; fy: number; cx: number; cy: number; k1: number; k2: number } }[] };
  const cams: Record<string, Camera> = {};
  const bgs: Record<string, Uint8Array> = {};
  for (const c of truth.cameras) {
    cams[c.id] = new Camera({ id: c.id, resolution: c.resolution, pose: c.pose, intrinsics: c.intrinsics });
    const m = new MedianBackground(W, H, 5);
    for (const f of await decodeAllGray(join(dir, `${c.id}.mkv`), W, H)) m.push(f);
    bgs[c.id] = m.median()!;
  }
  const { cv } = await loadCv();

  const ab = pairwiseGeometry(cv, cams.a!, bgs.a!, cams.b!, bgs.b!);
  const tab = truthPair(cams.a!, cams.b!);
  assert.ok(ab.ok, ab.reason);
  assert.equal(ab.degenerate, false);
  const rErr = rotationAngleBetween(ab.R, tab.R) * DEG;
  const tErr = Math.acos(Math.min(1, ab.t![0]! * tab.t[0]! + ab.t![1]! * tab.t[1]! + ab.t![2]! * tab.t[2]!)) * DEG;
  // Measured 0.11° and 0.61° (0.05–0.11° and 0.3–0.8° over seeds and renderings); a strip of distant
  // scenery is close to a plane, so the bound is looser than the pixel noise alone would need.
  assert.ok(rErr < 0.3, `a→b rotation error ${rErr.toFixed(3)}°`);
  assert.ok(tErr < 2, `a→b translation direction error ${tErr.toFixed(3)}°`);
  assert.ok(Number.isFinite(ab.ambiguityDeg));
  assert.ok(ab.medianParallaxPx > 20);

  const bc = pairwiseGeometry(cv, cams.b!, bgs.b!, cams.c!, bgs.c!);
  const tbc = truthPair(cams.b!, cams.c!);
  assert.ok(bc.ok, bc.reason);
  assert.equal(bc.degenerate, true);
  assert.equal(bc.t, null);
  const rErr2 = rotationAngleBetween(bc.R, tbc.R) * DEG;
  // A rotation-only fit absorbs parallax up to baseline / nearest depth = 0.85 / 150 m = 0.32°.
  assert.ok(rErr2 < 0.2, `b→c rotation error ${rErr2.toFixed(3)}°`);
  t.diagnostic(`a→b: ${ab.inliers}/${ab.matches} inliers, parallax ${ab.medianParallaxPx.toFixed(1)} px, R error ${rErr.toFixed(3)}°, t error ${tErr.toFixed(3)}°, ambiguity ${ab.ambiguityDeg.toFixed(2)}°; b→c degenerate (rotation-only share ${bc.rotationOnlyShare.toFixed(3)}), R error ${rErr2.toFixed(3)}°`);
});
