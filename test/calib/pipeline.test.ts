import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrate, CalibInputError, type CalibCameraInput } from '../../src/calib/index.ts';
import { applySimilarity, umeyama } from '../../src/calib/solvers/index.ts';
import { Camera, axisAngleToMatrix, mat3Mul, orientationFromRotation } from '../../src/geometry/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { observe, rig, targetPath } from './synthetic.ts';

/**
 * The acceptance set-up in miniature: what the site claims is 5 m and 5° off per camera, focal
 * lengths 10 % long, clocks up to 2 s off (the reference camera's too); 90 s of a target seen by
 * four cameras at different frame rates, 0.5 px noise.
 */
function claimed(seed: number): { inputs: CalibCameraInput[]; truth: Camera[]; offErr: number[] } {
  const cams = rig();
  const truth = cams.map((c) => new Camera(c.params));
  const rng = new Rng(seed);
  const offErr: number[] = [];
  const inputs = cams.map((c, i) => {
    const p = c.params;
    const d = rng.unitVector(), ax = rng.unitVector();
    const or = orientationFromRotation(mat3Mul(truth[i]!.R, axisAngleToMatrix(ax[0], ax[1], ax[2], 5 * Math.PI / 180)));
    const e = rng.uniform(-2000, 2000);
    offErr.push(e);
    return {
      id: p.id, resolution: p.resolution,
      intrinsics: { ...p.intrinsics, fx: p.intrinsics.fx * 1.1, fy: p.intrinsics.fy * 1.1 },
      approxPose: { enu: [p.pose.enu[0]! + 5 * d[0], p.pose.enu[1]! + 5 * d[1], p.pose.enu[2]! + 5 * d[2]], ...or },
      clock: { offset_ms: p.clock!.offset_ms + e, drift_ppm: 0 },
      track: observe(c, 100, 190, 0.5, 30 + i),
    };
  });
  return { inputs, truth, offErr };
}

test('calibrate: 4 cameras from claimed poses 5 m / 5° off, f +10 %, clocks ±2 s → RMSE < 1 px, clocks ±2 ms, centres ±0.2 m', () => {
  const { inputs, truth } = claimed(5);
  const msgs: string[] = [];
  const r = calibrate(inputs, { onProgress: (m) => msgs.push(m) });
  assert.equal(r.frame, 'enu');
  assert.deepEqual(r.warnings, []);
  assert.ok(r.reprojectionRmsePx < 1, `rmse ${r.reprojectionRmsePx}`);
  assert.ok(msgs.some((m) => m.startsWith('bundle adjustment')));
  // Site time is the reference camera's reported clock: every camera's offset error must equal the
  // reference's (a shift of site time), so compare errors relative to it at mid-window.
  const refIdx = r.cameras.findIndex((c) => c.id === r.referenceCamera);
  const errAt = (i: number, s: number): number => {
    const c = r.cameras[i]!, t = truth[i]!;
    return (1 + c.clock.drift_ppm * 1e-6) * s + c.clock.offset_ms / 1000 - t.clock.cameraTime(s);
  };
  for (let i = 0; i < 4; i++) {
    assert.ok(r.cameras[i]!.calibrated);
    const rel = errAt(i, 145) - errAt(refIdx, 145);
    assert.ok(Math.abs(rel) < 0.002, `${r.cameras[i]!.id}: clock ${rel * 1000} ms off relative to the reference`);
    assert.ok(Math.abs(r.cameras[i]!.intrinsics.fx / truth[i]!.fx - 1) < 0.01, `${r.cameras[i]!.id}: fx ${r.cameras[i]!.intrinsics.fx}`);
    assert.ok(r.cameras[i]!.reprojectionRmsePx < 1);
  }
  const T = umeyama(r.cameras.flatMap((c) => c.pose.enu), truth.flatMap((c) => Array.from(c.C)))!;
  for (let i = 0; i < 4; i++) {
    const p = applySimilarity(T, r.cameras[i]!.pose.enu), t = truth[i]!.C;
    const d = Math.hypot(p[0]! - t[0]!, p[1]! - t[1]!, p[2]! - t[2]!);
    assert.ok(d < 0.2, `${r.cameras[i]!.id}: centre ${d} m off after similarity alignment`);
  }
  // Anchored: the ENU result is only as good as the claims (each exactly 5 m off in a random
  // direction, the fit averages four of them): within 6 m of the truth, and far better in shape.
  for (let i = 0; i < 4; i++) {
    const p = r.cameras[i]!.pose.enu, t = truth[i]!.C;
    assert.ok(Math.hypot(p[0] - t[0]!, p[1] - t[1]!, p[2] - t[2]!) < 6);
  }
  // Trajectory: in site time shifted by the reference clock error δ (s_est = s + δ).
  const delta = -errAt(refIdx, 145);
  let worst = 0, ss = 0;
  for (const { t, enu } of r.trajectory) {
    const p = applySimilarity(T, enu), q = targetPath(t - delta);
    const e = Math.hypot(p[0]! - q[0], p[1]! - q[1], p[2]! - q[2]);
    worst = Math.max(worst, e); ss += e * e;
  }
  const rms = Math.sqrt(ss / r.trajectory.length);
  assert.ok(r.trajectory.length > 800, `${r.trajectory.length} trajectory points`); // 90 s at one knot per 0.1 s
  // One knot per frame interval from ~4 rays of 0.5 px at ~250 m: about 0.1–0.2 m each.
  assert.ok(rms < 0.3, `trajectory RMS ${rms} m`);
  assert.ok(worst < 1.5, `trajectory up to ${worst} m off`);
});

test('calibrate: input errors are CalibInputError with the camera named', () => {
  const { inputs } = claimed(1);
  assert.throws(() => calibrate([inputs[0]!]), CalibInputError);
  assert.throws(() => calibrate([inputs[0]!, inputs[0]!]), /given twice/);
  const short = { ...inputs[1]!, track: { id: 'c2', t: inputs[1]!.track.t.slice(0, 5), x: inputs[1]!.track.x.slice(0, 5), y: inputs[1]!.track.y.slice(0, 5) } };
  assert.throws(() => calibrate([inputs[0]!, short]), /camera c2: only 5 samples/);
  assert.throws(() => calibrate(inputs, { referenceCamera: 'nope' }), /reference camera nope/);
});

test('calibrate with a beacon log and no approximate poses: ENU directly, beacon clock offset recovered', () => {
  const { inputs, truth } = claimed(9);
  const bare = inputs.map(({ approxPose: _a, ...c }) => c);
  // The drone's own log: 5 Hz, 0.3 m noise, clock 7.3 s ahead of site time (truth clock of c1 = site time).
  const rng = new Rng(3);
  const t: number[] = [], enu: number[] = [];
  for (let s = 95; s < 195; s += 0.2) {
    const p = targetPath(s);
    t.push(s + 7.3);
    enu.push(p[0] + 0.3 * rng.normal(), p[1] + 0.3 * rng.normal(), p[2] + 0.3 * rng.normal());
  }
  const r = calibrate(bare, { beacon: { t: Float64Array.from(t), enu: Float64Array.from(enu) } });
  assert.equal(r.frame, 'enu');
  assert.ok(r.beacon);
  // Site time is c1's configured clock, off by its claimed error: beacon offset = 7.3 s + that shift.
  const ref = r.cameras.find((c) => c.id === r.referenceCamera)!;
  const refIdx = r.cameras.indexOf(ref);
  const shift = -(((1 + ref.clock.drift_ppm * 1e-6) * 145 + ref.clock.offset_ms / 1000) - truth[refIdx]!.clock.cameraTime(145));
  assert.ok(Math.abs(r.beacon.offsetS - (7.3 - shift)) < 0.01, `beacon offset ${r.beacon.offsetS} vs ${7.3 - shift}`);
  assert.ok(r.beacon.rmsM < 0.6, `beacon fit RMS ${r.beacon.rmsM} m`);
  for (let i = 0; i < 4; i++) {
    const p = r.cameras[i]!.pose.enu, q = truth[i]!.C;
    const d = Math.hypot(p[0] - q[0]!, p[1] - q[1]!, p[2] - q[2]!);
    assert.ok(d < 0.5, `${r.cameras[i]!.id}: ${d} m from the truth in ENU`);
  }
});

test('calibrate with a beacon log in the adjustment: every clock, the reference camera\'s rate included, measured against the beacon clock', () => {
  // The reference camera c1 runs 250 ppm fast against true time, which is also the beacon's
  // clock (+7.3 s); its configured clock claims 0 ppm. Image data alone fix clocks only relative
  // to c1; the log in the adjustment must recover c1's rate and so every camera's true clock.
  const cams = rig();
  cams[0]!.params.clock = { offset_ms: 0, drift_ppm: 250 };
  const truth = cams.map((c) => new Camera(c.params));
  const inputs: CalibCameraInput[] = cams.map((c, i) => ({
    id: c.params.id, resolution: c.params.resolution, intrinsics: { ...c.params.intrinsics },
    clock: { offset_ms: c.params.clock!.offset_ms + (i === 0 ? 0 : 900), drift_ppm: 0 },
    track: observe(c, 100, 190, 0.5, 40 + i),
  }));
  const rng = new Rng(4);
  const t: number[] = [], enu: number[] = [];
  for (let s = 95; s < 195; s += 0.2) {
    const p = targetPath(s);
    t.push(s + 7.3);
    enu.push(p[0] + 0.03 * rng.normal(), p[1] + 0.03 * rng.normal(), p[2] + 0.03 * rng.normal()); // RTK-grade
  }
  const beacon = { t: Float64Array.from(t), enu: Float64Array.from(enu) };
  /** Worst error (ms) of the beacon time predicted from each camera's estimated clock, over the flight. */
  const worstMs = (r: ReturnType<typeof calibrate>): number => {
    const b = r.beacon!, rate = 1 + (b.adjusted?.referenceDriftPpm ?? 0) * 1e-6;
    let worst = 0;
    for (let i = 0; i < 4; i++) for (const s of [100, 145, 190]) {
      const c = r.cameras[i]!.clock, tc = truth[i]!.clock.cameraTime(s);
      const site = (tc - c.offset_ms / 1000) / (1 + c.drift_ppm * 1e-6);
      worst = Math.max(worst, Math.abs(b.offsetS + site / rate - (s + 7.3)) * 1000);
    }
    return worst;
  };
  // Default σ (the anchoring RMS / √3: an upper bound) and the log's own 3 cm. The rate is only
  // as good as 90 s of log samples make it: about 10 ppm with 3 cm noise at 20–30 m/s.
  for (const [sigma, ppm, ms] of [[undefined, 25, 3], [0.03, 12, 2]] as const) {
    const r = calibrate(inputs, { beacon, referenceCamera: 'c1', ...(sigma ? { beaconSigmaM: sigma } : {}) });
    assert.equal(r.frame, 'enu');
    assert.ok(r.beacon?.adjusted, 'the beacon was used in the adjustment');
    assert.ok(Math.abs(r.beacon.adjusted.referenceDriftPpm - 250) < ppm, `σ ${sigma}: c1 rate against the beacon: ${r.beacon.adjusted.referenceDriftPpm} ppm (true 250)`);
    const w = worstMs(r);
    assert.ok(w < ms, `σ ${sigma}: beacon time from the camera clocks up to ${w} ms off`);
    assert.ok(r.beacon.rmsM < 0.15, `path to log RMS ${r.beacon.rmsM} m`);
    assert.ok(r.reprojectionRmsePx < 0.8, `RMSE ${r.reprojectionRmsePx} px`);
    for (let i = 0; i < 4; i++) {
      const p = r.cameras[i]!.pose.enu, q = truth[i]!.C;
      assert.ok(Math.hypot(p[0] - q[0]!, p[1] - q[1]!, p[2] - q[2]!) < 0.3, `${r.cameras[i]!.id} centre`);
    }
  }
  // Anchoring alone takes the beacon's clock to run at site time's rate: 250 ppm over ±45 s.
  const a = calibrate(inputs, { beacon, referenceCamera: 'c1', beaconAdjust: false });
  assert.equal(a.beacon?.adjusted, undefined);
  assert.ok(worstMs(a) > 8, `anchoring only: ${worstMs(a)} ms`);
});

test('calibrate: a camera whose CSV times were written at the wrong fps (15 fps stamped as 12.5) is synchronized against the reconstructed path', () => {
  const { inputs, truth } = claimed(5);
  const c4 = inputs[3]!;
  // Frame k really at k/15 s on its clock, written as k/12.5: every written time is 1.2× too long,
  // a 20 % rate error that the pairwise search (rate 1 ± 2000 ppm) cannot bridge.
  c4.track = { ...c4.track, t: c4.track.t.map((v) => 1.2 * v) };
  c4.clock = { offset_ms: 0, drift_ppm: 0 };
  const msgs: string[] = [];
  const r = calibrate(inputs, { referenceCamera: 'c1', onProgress: (m) => msgs.push(m) });
  assert.ok(msgs.some((m) => m.startsWith('clock: c4 against the path:')), msgs.filter((m) => m.startsWith('clock')).join('\n'));
  assert.deepEqual(r.warnings, []);
  assert.ok(r.cameras.every((c) => c.calibrated));
  assert.ok(r.reprojectionRmsePx < 1, `rmse ${r.reprojectionRmsePx}`);
  const errAt = (i: number, s: number, scale: number): number => {
    const c = r.cameras[i]!;
    return (1 + c.clock.drift_ppm * 1e-6) * s + c.clock.offset_ms / 1000 - scale * truth[i]!.clock.cameraTime(s);
  };
  // Written-time clock of c4 against the truth × 1.2, relative to the reference at mid-window.
  const rel = (errAt(3, 145, 1.2) - 1.2 * errAt(0, 145, 1)) / 1.2;
  assert.ok(Math.abs(rel) < 0.002, `c4: clock ${rel * 1000} ms off relative to the reference`);
  assert.ok(Math.abs((1 + r.cameras[3]!.clock.drift_ppm * 1e-6) / (1.2 * truth[3]!.clock.a) - 1) < 2e-5, `c4 rate ${r.cameras[3]!.clock.drift_ppm} ppm`);
});

test('calibrate rateSearch: a camera that ran at 21.3 frames/s but whose CSV counts frames at 30 is found by the rate search, and only with it', () => {
  const { inputs, truth } = claimed(5);
  // c4 really runs at 21.3 frames/s (no common rate): frame k at k/21.3 on its clock, written k/30.
  const rc = { ...rig()[3]!, fps: 21.3 };
  const tr = observe(rc, 100, 190, 0.5, 33);
  const scale = 21.3 / 30;
  inputs[3] = { ...inputs[3]!, track: { ...tr, t: tr.t.map((v) => v * scale) }, clock: { offset_ms: 0, drift_ppm: 0 } };
  const plain = calibrate(inputs, { referenceCamera: 'c1' });
  assert.equal(plain.cameras[3]!.calibrated, false, 'without the rate search c4 is left out');
  const msgs: string[] = [];
  const r = calibrate(inputs, { referenceCamera: 'c1', rateSearch: true, onProgress: (m) => msgs.push(m) });
  assert.ok(msgs.some((m) => m.startsWith('clock: c4 by the rate search')), msgs.filter((m) => m.startsWith('clock')).join('\n'));
  assert.ok(r.cameras.every((c) => c.calibrated));
  assert.ok(r.warnings.some((w) => w.startsWith('camera c4: clock by the rate search')));
  assert.ok(r.reprojectionRmsePx < 1, `rmse ${r.reprojectionRmsePx}`);
  // Written-time clock of c4 against the truth × scale, relative to the reference at mid-window.
  const errAt = (i: number, s: number, k: number): number => {
    const c = r.cameras[i]!;
    return (1 + c.clock.drift_ppm * 1e-6) * s + c.clock.offset_ms / 1000 - k * truth[i]!.clock.cameraTime(s);
  };
  const rel = (errAt(3, 145, scale) - scale * errAt(0, 145, 1)) / scale;
  assert.ok(Math.abs(rel) < 0.003, `c4: clock ${rel * 1000} ms off relative to the reference`);
  assert.ok(Math.abs((1 + r.cameras[3]!.clock.drift_ppm * 1e-6) / (scale * truth[3]!.clock.a) - 1) < 5e-5, `c4 rate ${r.cameras[3]!.clock.drift_ppm} ppm`);
});
