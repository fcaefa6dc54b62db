/**
 * The Δt optimiser on synthetic geometry with known truth: four hand-built cameras, a target
 * flying a curved path at 10–20 m/s, image positions made by projecting the true path at each
 * camera's true frame times (true clock, rolling shutter by fixed-point iteration), plus pixel
 * noise and outliers; the site config's clocks are off by known amounts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { loadSiteConfig } from '../../src/config/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { Camera, type CameraParams } from '../../src/geometry/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { CalibFailedError, CalibInputError } from '../../src/calib/index.ts';
import { EvidenceLog, refineClockOffsets, subpixelCentroids, type TargetObservations } from '../../src/calib/sharpness/index.ts';

const CENTRE = [0, 160, 60];
/** The true path: an ellipse of 40 × 25 m with a vertical wobble; speed 9–16 m/s. */
function truth(s: number): [number, number, number] {
  const w = 0.38;
  return [CENTRE[0]! + 40 * Math.cos(w * s), CENTRE[1]! + 25 * Math.sin(w * s), CENTRE[2]! + 8 * Math.sin(0.7 * s)];
}

function lookAt(id: string, enu: number[], fps: number, clock: { offset_ms: number; drift_ppm: number }, rs?: number): CameraParams & { fps: number } {
  const dx = CENTRE[0]! - enu[0]!, dy = CENTRE[1]! - enu[1]!, dz = CENTRE[2]! - enu[2]!;
  const yaw = (Math.atan2(dx, dy) * 180) / Math.PI, pitch = (Math.atan2(dz, Math.hypot(dx, dy)) * 180) / Math.PI;
  return {
    id, fps, resolution: [1280, 720], pose: { enu, yaw, pitch, roll: 0 },
    intrinsics: { fx: 1000, fy: 1000, cx: 639.5, cy: 359.5, k1: -0.05, k2: 0.01 },
    clock, ...(rs !== undefined ? { rolling_shutter: { line_us: rs, direction: 'down' as const } } : {}),
  };
}

/** True cameras, and what the config claims (clock offsets off by `err` ms). */
function rig(err: number[]) {
  const trueCams = [
    lookAt('c0', [-90, 20, 4], 30, { offset_ms: 0, drift_ppm: 0 }),
    lookAt('c1', [95, 40, 6], 30, { offset_ms: 137, drift_ppm: 0 }),
    lookAt('c2', [-70, 300, 5], 25, { offset_ms: -41, drift_ppm: 40 }),
    lookAt('c3', [80, 280, 3], 30, { offset_ms: 12.5, drift_ppm: -25 }, 30),
  ];
  const claimed = trueCams.map((c, i) => new Camera({ ...c, clock: { offset_ms: c.clock!.offset_ms + err[i]!, drift_ppm: c.clock!.drift_ppm } }));
  return { trueCams, claimed };
}

/** Frame k at camera time k/fps; the row the target lands on is exposed at k/fps + v·line. */
function observe(p: CameraParams & { fps: number }, durS: number, sigmaPx: number, outlierFrac: number, rng: Rng): TargetObservations {
  const cam = new Camera(p);
  const t: number[] = [], u: number[] = [], v: number[] = [];
  const uv = new Float64Array(3);
  for (let k = 0; k < durS * p.fps; k++) {
    const tau = k / p.fps;
    let row = cam.height / 2, ok = true;
    for (let it = 0; it < 6 && ok; it++) {
      const s = cam.clock.siteTime(cam.rowTime(tau, row));
      const X = truth(s);
      ok = cam.projectInto(X[0], X[1], X[2], uv);
      row = uv[1]!;
    }
    if (!ok || !cam.inImage(uv[0]!, uv[1]!)) continue;
    t.push(tau);
    if (rng.next() < outlierFrac) { u.push(rng.uniform(0, 1279)); v.push(rng.uniform(0, 719)); continue; }
    u.push(uv[0]! + sigmaPx * rng.normal()); v.push(uv[1]! + sigmaPx * rng.normal());
  }
  return { id: p.id, t, u, v };
}

test('clock errors of +5, +23, −17 and +31 ms are recovered within ±2 ms relative to the reference', () => {
  const err = [5, 23, -17, 31];
  const { trueCams, claimed } = rig(err);
  const rng = new Rng(2024);
  const obs = trueCams.map((c) => observe(c, 6, 0.5, 0.03, rng));
  const t0 = performance.now();
  const r = refineClockOffsets(claimed, obs, { referenceId: 'c0' });
  const ms = performance.now() - t0;
  assert.equal(r.referenceCamera, 'c0');
  const lines: string[] = [];
  for (const [i, c] of r.cameras.entries()) {
    // The config's clock after correction against the truth, both relative to the reference.
    const want = trueCams[i]!.clock!.offset_ms - trueCams[0]!.clock!.offset_ms;
    const got = c.clock.offset_ms - r.cameras[0]!.clock.offset_ms;
    lines.push(`${c.id}: Δ ${c.deltaMs.toFixed(2)} ms (want ${(-(err[i]! - err[0]!)).toFixed(2)}), error ${(got - want).toFixed(2)} ms, σ ≈ ${c.sigmaMs.toFixed(2)} ms, ${c.rays} rays, RMS ${c.rmsPxBefore.toFixed(2)} → ${c.rmsPx.toFixed(2)} px`);
    assert.ok(Math.abs(got - want) <= 2, `${c.id}: ${got} vs ${want}`);
    assert.equal(c.clock.drift_ppm, claimed[i]!.clock.params.drift_ppm, 'drift untouched');
  }
  console.log(`sharpness synthetic: ${lines.join('; ')}; spread ${r.spreadBeforeM.toFixed(3)} → ${r.spreadAfterM.toFixed(3)} m; ${r.sweeps} sweeps, ${r.evaluations} evaluations, ${ms.toFixed(0)} ms`);
  assert.equal(r.cameras[0]!.deltaMs, 0, 'the reference is not moved');
  assert.ok(r.cameras.slice(1).every((c) => c.refined));
  // Sharper peak: at 0.5 px noise the rays meet to well under a pixel once the clocks agree.
  assert.ok(r.spreadAfterM < 0.5 * r.spreadBeforeM, `spread ${r.spreadBeforeM} → ${r.spreadAfterM} m`);
  for (const c of r.cameras) assert.ok(c.rmsPx < 1, `${c.id} RMS ${c.rmsPx} px at the optimum`);
});

test('the reference camera defines time: another reference gives the same relative clocks', () => {
  const err = [5, 23, -17, 31];
  const { trueCams, claimed } = rig(err);
  const rng = new Rng(7);
  const obs = trueCams.map((c) => observe(c, 6, 0.5, 0, rng));
  const r = refineClockOffsets(claimed, obs, { referenceId: 'c2', maxOffsetMs: 80 });
  assert.equal(r.cameras[2]!.deltaMs, 0);
  for (const [i, c] of r.cameras.entries()) {
    const want = trueCams[i]!.clock!.offset_ms - trueCams[2]!.clock!.offset_ms;
    const got = c.clock.offset_ms - r.cameras[2]!.clock.offset_ms;
    assert.ok(Math.abs(got - want) <= 2, `${c.id}: ${got} vs ${want}`);
  }
});

test('blobs with clutter associated to a noisy 3D track, integer pixels: offsets within ±2 ms', () => {
  const err = [0, -26, 18, 9];
  const { trueCams, claimed } = rig(err);
  const rng = new Rng(99);
  const log = new EvidenceLog(claimed);
  for (const p of trueCams) {
    const o = observe(p, 6, 0.3, 0, rng);
    const W = 1280;
    // Every frame: the target's blob (rounded to the pixel, as the blob grouper does) and 0–6
    // clutter blobs anywhere, one of them sometimes 20–40 px from the target.
    for (let k = 0; k < o.t.length; k++) {
      const idx: number[] = [Math.round(o.v[k]!) * W + Math.round(o.u[k]!)];
      const clutter = Math.floor(rng.uniform(0, 7));
      for (let c = 0; c < clutter; c++) idx.push(Math.floor(rng.uniform(0, 719)) * W + Math.floor(rng.uniform(0, 1279)));
      if (rng.next() < 0.3) {
        const a = rng.uniform(0, 2 * Math.PI), d = rng.uniform(20, 40);
        idx.push(Math.round(Math.min(719, Math.max(0, o.v[k]! + d * Math.sin(a)))) * W + Math.round(Math.min(1279, Math.max(0, o.u[k]! + d * Math.cos(a)))));
      }
      idx.sort(() => rng.next() - 0.5);
      log.add(p.id, o.t[k]!, { count: idx.length, index: Uint32Array.from(idx), energy: new Float32Array(idx.length).fill(5) });
    }
  }
  // The tracked target: the truth every 1/15 s with 1 m of noise per axis (a detector's 3D peaks).
  const track = [];
  for (let s = -0.5; s < 6.5; s += 1 / 15) {
    const X = truth(s);
    track.push({ t: s, enu: X.map((x) => x + rng.normal()) });
  }
  const obs = log.associate(track, { gatePx: 15 });
  for (const o of obs) assert.ok(o.t.length > 0.9 * 6 * (o.id === 'c2' ? 25 : 30), `${o.id}: ${o.t.length} frames associated`);
  // No clutter blob was taken: every associated pixel is within a pixel of the true projection.
  const r = refineClockOffsets(claimed, obs, { referenceId: 'c0' });
  for (const [i, c] of r.cameras.entries()) {
    const want = trueCams[i]!.clock!.offset_ms - trueCams[0]!.clock!.offset_ms;
    const got = c.clock.offset_ms - r.cameras[0]!.clock.offset_ms;
    assert.ok(Math.abs(got - want) <= 2, `${c.id}: ${got} vs ${want}`);
  }
  console.log(`sharpness association: ${r.cameras.map((c) => `${c.id} Δ ${c.deltaMs.toFixed(2)} ms, RMS ${c.rmsPx.toFixed(2)} px`).join('; ')}`);
});

test('bad input is refused with the calibration errors', () => {
  const { trueCams, claimed } = rig([0, 0, 0, 0]);
  const rng = new Rng(1);
  const obs = trueCams.map((c) => observe(c, 6, 0.5, 0, rng));
  assert.throws(() => refineClockOffsets(claimed, [...obs, { id: 'nope', t: [0], u: [1], v: [1] }]), CalibInputError);
  assert.throws(() => refineClockOffsets(claimed, obs, { referenceId: 'c9' }), CalibInputError);
  assert.throws(() => refineClockOffsets(claimed, obs, { maxOffsetMs: -1 }), CalibInputError);
  // One camera alone cannot be timed against anything.
  assert.throws(() => refineClockOffsets(claimed, [obs[0]!]), CalibFailedError);
  // A camera with too few observations is left out and says so.
  const few = { ...obs[3]!, t: Array.from(obs[3]!.t).slice(0, 5), u: Array.from(obs[3]!.u).slice(0, 5), v: Array.from(obs[3]!.v).slice(0, 5) };
  const r = refineClockOffsets(claimed, [obs[0]!, obs[1]!, obs[2]!, few]);
  assert.equal(r.cameras[3]!.refined, false);
  assert.match(r.cameras[3]!.note ?? '', /5 usable observations/);
});

test('dvs calib --sharpness --detections: CSV tracks (t on each camera\'s clock) refine the config\'s clocks', async (t) => {
  const dir = tmpDir(t);
  const err = [0, 23, -17, 9];
  const { trueCams } = rig(err);
  const rng = new Rng(31);
  mkdirSync(join(dir, 'det'));
  const cameras = trueCams.map((c, i) => {
    const o = observe(c, 6, 0.3, 0, rng);
    writeFileSync(join(dir, 'det', `${c.id}.csv`), ['t,x,y', ...Array.from(o.t, (tt, k) => `${tt.toFixed(6)},${o.u[k]!.toFixed(3)},${o.v[k]!.toFixed(3)}`)].join('\n') + '\n');
    return {
      id: c.id, source: `file:${c.id}.mkv`, rtp_config: { protocol: 'file', resolution: c.resolution, fps: c.fps },
      pose: c.pose, intrinsics: c.intrinsics, clock: { offset_ms: c.clock!.offset_ms + err[i]!, drift_ppm: c.clock!.drift_ppm },
      ...(c.rolling_shutter ? { rolling_shutter: c.rolling_shutter } : {}),
    };
  });
  writeFileSync(join(dir, 'site.yaml'), stringify({ site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-200, -100, 0], max: [200, 400, 200], voxel_m: 2 } }, cameras }));
  const out: string[] = [], errs: string[] = [];
  const io = { stdout: (x: string) => { out.push(x); }, stderr: (x: string) => { errs.push(x); } };
  assert.equal(await main(['calib', '--config', join(dir, 'site.yaml'), '--sharpness', '--detections', join(dir, 'det'), '--reference', 'c0', '--out', join(dir, 'out'), '--quiet'], io), 0, errs.join(''));
  assert.match(out.join(''), /refined 3 clock offsets against c0/);
  const site = loadSiteConfig(join(dir, 'out', 'site.yaml'));
  const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as { cameras: { id: string; clock: { offset_ms: number } }[]; sharpness: { source: string } };
  assert.equal(report.sharpness.source, 'csv');
  for (const [i, c] of site.cameras.entries()) {
    assert.ok(Math.abs(c.clock!.offset_ms - trueCams[i]!.clock!.offset_ms) <= 2, `${c.id}: ${c.clock!.offset_ms} vs ${trueCams[i]!.clock!.offset_ms}`);
    assert.ok(Math.abs(report.cameras[i]!.clock.offset_ms - c.clock!.offset_ms) < 1e-3);
    assert.deepEqual(c.pose, cameras[i]!.pose, 'poses untouched');
  }
  // Bad values are usage errors (exit 2), nothing written.
  assert.equal(await main(['calib', '--config', join(dir, 'site.yaml'), '--sharpness', '--max-offset-ms', '0', '--out', join(dir, 'bad')], io), 2);
  assert.equal(await main(['calib', '--config', join(dir, 'site.yaml'), '--sharpness', '--detections', join(dir, 'nope'), '--out', join(dir, 'bad')], io), 2);
  // Video mode on cameras without any pose: bad input (exit 2), named.
  writeFileSync(join(dir, 'nopose.yaml'), stringify({ site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [0, 0, 0], max: [100, 100, 100], voxel_m: 2 } },
    cameras: cameras.map((c) => ({ id: c.id, source: c.source, rtp_config: c.rtp_config, intrinsics: c.intrinsics })) }));
  errs.length = 0;
  assert.equal(await main(['calib', '--config', join(dir, 'nopose.yaml'), '--sharpness', '--out', join(dir, 'bad')], io), 2);
  assert.match(errs.join(''), /camera c0: needs pose or approx_pose/);
});

test('sub-pixel centroids: symmetric blobs give their centre of symmetry, the sign follows the blob', () => {
  const W = 40, H = 30;
  const bg = new Uint8Array(W * H).fill(100);
  const frame = new Uint8Array(bg);
  // A dark 2×2 target centred at (10.5, 20.5) with a fainter symmetric ring, and a bright 3×1 bar centred at (30, 5).
  for (const [x, y] of [[10, 20], [11, 20], [10, 21], [11, 21]]) frame[y! * W + x!] = 40;
  for (const [x, y] of [[9, 20], [12, 20], [9, 21], [12, 21], [10, 19], [11, 19], [10, 22], [11, 22]]) frame[y! * W + x!] = 85;
  for (const x of [29, 30, 31]) frame[5 * W + x] = 160;
  frame[5 * W + 30] = 190;
  // The blob grouper's rounded pixels: (11, 21) for the target, (30, 5) for the bar; one flat patch of sky.
  const list = { count: 3, index: Uint32Array.from([21 * W + 11, 5 * W + 30, 10 * W + 25]), energy: new Float32Array(3) };
  const out = new Float64Array(6);
  subpixelCentroids(list, frame, bg, W, H, out);
  assert.ok(Math.abs(out[0]! - 10.5) < 1e-12 && Math.abs(out[1]! - 20.5) < 1e-12, `target at ${out[0]}, ${out[1]}`);
  assert.ok(Math.abs(out[2]! - 30) < 1e-12 && Math.abs(out[3]! - 5) < 1e-12, `bar at ${out[2]}, ${out[3]}`);
  assert.deepEqual([out[4], out[5]], [25, 10], 'no difference: the pixel stays');
});
