/**
 * The online refiner on a synthetic rig with known truth (test/calib/synthetic.ts): two targets
 * seen by four cameras, a starting calibration perturbed from the truth; accepted versions must
 * move toward the truth, a bad batch must be rejected and recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera, axisAngleToMatrix, mat3Mul, orientationFromRotation, rotationFromOrientation, rotationAngleBetween, type CameraParams } from '../../src/geometry/index.ts';
import { OnlineRefiner, observeCast, baFromCamera, calibrationOf, cameraParamsOf, type CameraCalibration, type OnlineRefinerOptions, type RefinementRecord } from '../../src/calib/online/index.ts';
import { umeyama, applySimilarity, mul3, transpose3 } from '../../src/calib/solvers/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { observe, rig, targetPath, type RigCamera } from './synthetic.ts';

const path2 = (s: number): [number, number, number] => {
  const p = targetPath(s + 37);
  return [p[0] - 40, p[1] + 35, p[2] + 12];
};

/** Claimed cameras: truth moved by `posM` in a seeded direction, turned by `deg`, f × (1 + fRel), clock + offset (not camera 0's clock). */
function perturbed(cams: RigCamera[], seed: number, posM: number, deg: number, fRel: number, clockMs: number): Camera[] {
  const rng = new Rng(seed);
  return cams.map((c, i) => {
    const p = c.params;
    const d = rng.unitVector(), ax = rng.unitVector();
    const R = mat3Mul(rotationFromOrientation(p.pose), axisAngleToMatrix(ax[0], ax[1], ax[2], (deg * Math.PI) / 180));
    const sign = i % 2 ? 1 : -1;
    const q: CameraParams = {
      ...p,
      pose: { enu: [0, 1, 2].map((k) => p.pose.enu[k]! + posM * d[k]!), ...orientationFromRotation(R) },
      intrinsics: { ...p.intrinsics, fx: p.intrinsics.fx * (1 + fRel), fy: p.intrinsics.fy * (1 + fRel) },
      clock: { offset_ms: p.clock!.offset_ms + (i === 0 ? 0 : sign * clockMs * (0.6 + 0.2 * i)), drift_ppm: p.clock!.drift_ppm },
    };
    return new Camera(q);
  });
}

interface Errors { posM: number; degMax: number; fPct: number; clockMs: number }

/** Errors of a calibration against the truth after the best similarity of centres (the refiner's frame is the anchor's, not the truth's). */
function errors(cal: readonly CameraCalibration[], truth: readonly Camera[]): Errors {
  const src: number[] = [], dst: number[] = [];
  for (let i = 0; i < cal.length; i++) { src.push(...cal[i]!.pose.enu); dst.push(truth[i]!.C[0]!, truth[i]!.C[1]!, truth[i]!.C[2]!); }
  const T = umeyama(src, dst)!;
  let posM = 0, degMax = 0, fPct = 0, clockMs = 0;
  for (let i = 0; i < cal.length; i++) {
    const c = cal[i]!, t = truth[i]!;
    const C = applySimilarity(T, c.pose.enu);
    posM = Math.max(posM, Math.hypot(C[0]! - t.C[0]!, C[1]! - t.C[1]!, C[2]! - t.C[2]!));
    const R = mul3(rotationFromOrientation(c.pose), transpose3(T.R));
    degMax = Math.max(degMax, (rotationAngleBetween(R, t.R) * 180) / Math.PI);
    fPct = Math.max(fPct, Math.abs(c.intrinsics.fx / t.fx - 1) * 100);
    clockMs = Math.max(clockMs, Math.abs(c.clock.offset_ms - (cal[0]!.clock.offset_ms) - (t.clock.b - truth[0]!.clock.b) * 1000));
  }
  return { posM, degMax, fPct, clockMs };
}

interface Feed { obs: Array<{ s: number; cam: number; track: number; tau: number; u: number; v: number }>; states: Array<{ t: number; track: number; enu: number[] }> }

/** Observations (σ = 0.3 px) and tracker-like states (0.1 s, σ = 0.3 m) of both targets over [s0, s1]. */
function feed(cams: RigCamera[], s0: number, s1: number, seed: number): Feed {
  const truth = cams.map((c) => new Camera(c.params));
  const obs: Feed['obs'] = [];
  for (const [track, path] of [[1, targetPath], [2, path2]] as const) {
    cams.forEach((c, i) => {
      const tr = observe(c, s0, s1, 0.3, seed + 10 * track + i, path);
      for (let k = 0; k < tr.t.length; k++) obs.push({ s: truth[i]!.clock.siteTime(tr.t[k]!), cam: i, track, tau: tr.t[k]!, u: tr.x[k]!, v: tr.y[k]! });
    });
  }
  obs.sort((a, b) => a.s - b.s || a.cam - b.cam);
  const rng = new Rng(seed + 999);
  const states: Feed['states'] = [];
  for (let t = s0; t <= s1 + 1e-9; t += 0.1) for (const [track, path] of [[1, targetPath], [2, path2]] as const) {
    const p = path(t);
    states.push({ t, track, enu: p.map((x) => x + 0.3 * rng.normal()) });
  }
  return { obs, states };
}

/** Feed in site-time order, a refinement check after each observation; the calibration after every accepted version. */
function run(r: OnlineRefiner, f: Feed): { records: RefinementRecord[]; versions: CameraCalibration[][] } {
  const records: RefinementRecord[] = [];
  const versions: CameraCalibration[][] = [r.current()];
  let q = 0;
  for (const o of f.obs) {
    while (q < f.states.length && f.states[q]!.t <= o.s) { const s = f.states[q++]!; r.addTrackState({ trackId: s.track, t: s.t, enu: s.enu }); }
    r.addObservation({ trackId: o.track, cam: o.cam, cameraTime: o.tau, u: o.u, v: o.v });
    const rec = r.maybeRefine(o.s);
    if (rec) { records.push(rec); if (rec.kind === 'accepted') versions.push(r.current()); }
  }
  return { records, versions };
}

const OPTS: OnlineRefinerOptions = { windowS: 20, memoryS: 30, everyS: 5, now: () => Date.UTC(2026, 0, 1) };

test('accepted versions move poses, focal lengths and clocks toward the truth and lower the held-out residuals', () => {
  const cams = rig();
  const truth = cams.map((c) => new Camera(c.params));
  const start = perturbed(cams, 5, 1.5, 0.4, 0.03, 30);
  const r = new OnlineRefiner(start, OPTS);
  const { records, versions } = run(r, feed(cams, 100, 140, 1));
  const e0 = errors(versions[0]!, truth);
  const eN = errors(versions[versions.length - 1]!, truth);
  console.log(`online: ${records.filter((x) => x.kind === 'accepted').length} accepted / ${records.length} refinements; start ${JSON.stringify(e0)} → final ${JSON.stringify(eN)}`);
  for (const x of records) console.log(`  t ${x.t} ${x.kind} v${x.version} held-out ${x.rmse_before_px} → ${x.rmse_after_px} px ${x.model} ${JSON.stringify(x.models)}${x.memory_rmse_before_px !== undefined ? `, memory ${x.memory_rmse_before_px} → ${x.memory_rmse_after_px}` : ''}${x.reason ? ` (${x.reason})` : ''}`);
  for (const vv of versions) console.log("  version err", JSON.stringify(errors(vv, truth)));
  const acc = records.filter((x) => x.kind === 'accepted');
  assert.ok(acc.length >= 1, 'at least one accepted version');
  // Toward the truth (the truth is the simulator's, independent of the refiner's arithmetic).
  assert.ok(e0.posM > 1 && e0.clockMs > 15 && e0.fPct > 2.5, `the start is off: ${JSON.stringify(e0)}`);
  assert.ok(eN.posM < 0.3, `centres within 0.3 m after a similarity: ${eN.posM}`);
  assert.ok(eN.degMax < 0.1, `orientations within 0.1°: ${eN.degMax}`);
  assert.ok(eN.fPct < 0.8, `focal lengths within 0.8 %: ${eN.fPct}`);
  assert.ok(eN.clockMs < 3, `clock offsets within 3 ms of the truth (relative to the reference): ${eN.clockMs}`);
  // No version is farther from the truth than the start on any count, and each is closer on some.
  for (const vv of versions.slice(1)) {
    const e = errors(vv, truth);
    assert.ok(e.posM <= e0.posM + 1e-3 && e.degMax <= e0.degMax + 1e-3 && e.fPct <= e0.fPct + 1e-3 && e.clockMs <= e0.clockMs + 1e-3, JSON.stringify(e));
    assert.ok(e.posM < e0.posM - 0.05 || e.clockMs < e0.clockMs - 1 || e.fPct < e0.fPct - 0.1, JSON.stringify(e));
  }
  // Residuals fall and the records say what changed.
  assert.ok(acc.some((x) => x.rmse_after_px! < 0.6 * x.rmse_before_px!), 'a version cuts the held-out RMSE by 40 %');
  // The truth itself scores 0.61–0.72 px on such windows (knot interpolation + σ√2; the next test starts from it).
  assert.ok(acc[acc.length - 1]!.rmse_after_px! < 0.75, `final held-out RMSE ${acc[acc.length - 1]!.rmse_after_px} px at σ = 0.3 px`);
  // Versions are monotone: accepted ones count up by one, rejected ones name the current version.
  let v = 0;
  for (const x of records) {
    if (x.kind === 'accepted') { assert.equal(x.version, v + 1); v = x.version; } else { assert.equal(x.version, v); assert.ok(x.reason); }
    assert.ok(typeof x.t === 'number' && typeof x.wall === 'string');
    assert.equal(x.cameras!.length, 4);
    for (const c of x.cameras!) for (const k of ['d_position_m', 'd_orientation_deg', 'd_focal_pct', 'd_clock_ms', 'rmse_before_px', 'rmse_after_px'] as const) assert.equal(typeof c[k], 'number', `${k}`);
  }
  // The changes recorded for camera c2 add up to undoing its perturbation (clock +30·0.8 ms, f +3 %).
  const c2c = acc.reduce((a, x) => a + x.cameras!.find((c) => c.id === 'c2')!.d_clock_ms, 0);
  assert.ok(Math.abs(c2c + 24) < 4, `c2 clock changes add up to ${c2c} ms (perturbation +24 ms)`);
  const c2f = acc.reduce((a, x) => a + x.cameras!.find((c) => c.id === 'c2')!.d_focal_pct, 0);
  assert.ok(Math.abs(c2f + 2.9) < 0.6, `c2 focal changes add up to ${c2f} % (perturbation +3 %, i.e. −2.9 % back)`);
  // The snapshot is plain JSON with the current calibration and the versions.
  const snap = JSON.parse(JSON.stringify(r.snapshot())) as ReturnType<OnlineRefiner['snapshot']>;
  assert.equal(snap.version, v);
  assert.equal(snap.current.length, 4);
  assert.deepEqual(snap.current, versions[versions.length - 1]);
  assert.equal(snap.versions[0]!.kind, 'initial');
  assert.equal(snap.accepted, acc.length);
  assert.equal(snap.reference_camera, 'c1');
  r.close();
  r.close();
});

test('a bad batch (one camera\'s timestamps off by 150 ms for 8 s) is rejected and recorded; the calibration stays', () => {
  const cams = rig();
  const truth = cams.map((c) => new Camera(c.params));
  const r = new OnlineRefiner(truth, { ...OPTS, minGain: 0.02 });
  const f = feed(cams, 115, 160, 2);
  // From s = 150 on, camera c3 (index 2) stamps its frames 150 ms late.
  for (const o of f.obs) if (o.cam === 2 && o.s >= 150) o.tau += 0.15;
  const { records, versions } = run(r, f);
  for (const x of records) console.log(`  t ${x.t} ${x.kind} v${x.version} held-out ${x.rmse_before_px} → ${x.rmse_after_px} px ${x.model} ${JSON.stringify(x.models)}${x.memory_rmse_before_px !== undefined ? `, memory ${x.memory_rmse_before_px} → ${x.memory_rmse_after_px}` : ''}${x.reason ? ` (${x.reason})` : ''}; c3 Δclock ${x.cameras?.[2]?.d_clock_ms}`);
  const bad = records.filter((x) => x.t! > 150);
  assert.ok(bad.length >= 1);
  for (const x of bad) {
    assert.equal(x.kind, 'rejected', `refinement at ${x.t} rejected`);
    assert.match(x.reason!, /RMSE|implausible/);
  }
  // The rejected candidates would have moved c3's clock away from the truth (which did not change).
  assert.ok(bad.some((x) => Math.abs(x.cameras![2]!.d_clock_ms) > 5), 'a candidate that shifts c3\'s clock was turned down');
  // What stays current is still the truth (to the noise).
  const e = errors(versions[versions.length - 1]!, truth);
  assert.ok(e.clockMs < 2 && e.posM < 0.2, JSON.stringify(e));
  assert.equal(r.snapshot().rejected, records.filter((x) => x.kind === 'rejected').length);
});

test('options are validated at construction', () => {
  const cams = rig().map((c) => new Camera(c.params));
  assert.throws(() => new OnlineRefiner(cams, { referenceCamera: 7 }), /referenceCamera/);
  assert.throws(() => new OnlineRefiner(cams, { windowS: 0, holdOutEvery: 1 }), /windowS.*holdOutEvery/);
  assert.throws(() => new OnlineRefiner(cams.slice(0, 1)), /two cameras/);
  assert.throws(() => new OnlineRefiner(cams, { positionSigmaM: -1, orientationSigmaDeg: Number.NaN, clockSigmaMs: -0.5 }), /positionSigmaM.*orientationSigmaDeg.*clockSigmaMs/);
  assert.throws(() => new OnlineRefiner(cams, { clockSigmaMs: -1 }), (e: Error) => (e as Error & { code?: string }).code === 'CALIB_INPUT');
  assert.doesNotThrow(() => new OnlineRefiner(cams, { positionSigmaM: 0, orientationSigmaDeg: 0, clockSigmaMs: 0 })); // 0: prior off
});

test('observations from cast pixels: the energy-weighted centroid of the blob nearest the projected track', () => {
  const cam = new Camera({ id: 'c', resolution: [320, 240], pose: { enu: [0, 0, 0], yaw: 0, pitch: 0, roll: 0 }, intrinsics: { fx: 400, fy: 400, cx: 160, cy: 120, k1: 0, k2: 0 } });
  // Pixels (u, v, energy): a blob next to where the track projects, and clutter 15 px away.
  const px = [[161, 120, 3], [162, 120, 1], [161, 121, 2], [175, 120, 100]];
  const cast = { count: px.length, index: Uint32Array.from(px, (p) => p[1]! * 320 + p[0]!), energy: Float32Array.from(px, (p) => p[2]!) };
  // The track was at (−1, 100, 0) moving east at 10 m/s at t = 0: at t = 0.1 it is straight ahead, pixel (160, 120).
  const track = { track_id: 7, t: 0, enu: [-1, 100, 0], vel: [10, 0, 0] };
  const o = observeCast(cam, 0.1, cast, [track]);
  assert.equal(o.length, 1);
  assert.equal(o[0]!.trackId, 7);
  assert.ok(Math.abs(o[0]!.u - 967 / 6) < 1e-9 && Math.abs(o[0]!.v - 722 / 6) < 1e-9, JSON.stringify(o[0]));
  assert.equal(o[0]!.pixels, 3);
  // A second track half a metre away: the pixels cannot be attributed, no observation.
  assert.equal(observeCast(cam, 0.1, cast, [track, { track_id: 8, t: 0.1, enu: [0.5, 100, 0], vel: [0, 0, 0] }]).length, 0);
  // A track whose projection has no cast pixel within its gate (4 m at 100 m = 16 px): nothing.
  assert.equal(observeCast(cam, 0.1, cast, [{ track_id: 9, t: 0.1, enu: [-10, 100, 0], vel: [0, 0, 0] }]).length, 0);
});

test('a served calibration rebuilds the same camera (projections agree to 1e-3 px)', () => {
  for (const rc of rig()) {
    const cam = new Camera({ ...rc.params, rolling_shutter: { line_us: 30, direction: 'down' } });
    const back = new Camera(cameraParamsOf(JSON.parse(JSON.stringify(calibrationOf(cam.id, baFromCamera(cam)))) as CameraCalibration, cam));
    for (const s of [100, 117.3, 140]) {
      const p = targetPath(s);
      const a = cam.project(p)!, b = back.project(p)!;
      assert.ok(Math.hypot(a[0] - b[0], a[1] - b[1]) < 1e-3, `${cam.id}: ${a} vs ${b}`);
    }
    assert.equal(back.lineS, cam.lineS);
    assert.ok(Math.abs(back.clock.b - cam.clock.b) < 1e-9 && Math.abs(back.clock.a - cam.clock.a) < 1e-9);
  }
});
