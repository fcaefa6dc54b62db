import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { loadSiteConfig } from '../../src/config/index.ts';
import { Camera } from '../../src/geometry/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { rig, writeRigTrackCsvs } from './synthetic.ts';

function capture(): { io: { stdout: (s: string) => void; stderr: (s: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [], err: string[] = [];
  return { io: { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); } }, out, err };
}

/** site.yaml claiming f 8 % long, clocks 1.5 s off, poses 3 m off (east) and as approx_pose on two cameras. */
function writeSite(dir: string, withCsv = true): string {
  const cams = rig();
  const cameras = cams.map((c, i) => {
    const p = c.params;
    const claimed = { enu: [p.pose.enu[0]! + 3, p.pose.enu[1]!, p.pose.enu[2]!], yaw: p.pose.yaw, pitch: p.pose.pitch, roll: p.pose.roll };
    return {
      id: p.id,
      source: `file:${p.id}.mkv`,
      rtp_config: { protocol: 'file', resolution: p.resolution, fps: c.fps },
      ...(i % 2 === 0 ? { pose: claimed } : { approx_pose: claimed }),
      intrinsics_guess: { ...p.intrinsics, fx: p.intrinsics.fx * 1.08, fy: p.intrinsics.fy * 1.08 },
      clock: { offset_ms: p.clock!.offset_ms + (i === 0 ? 0 : 1500), drift_ppm: 0 },
    };
  });
  const doc = { site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-500, -500, 0], max: [1000, 1000, 300], voxel_m: 4 } }, cameras };
  const path = join(dir, 'site.yaml');
  writeFileSync(path, stringify(doc));
  if (withCsv) writeRigTrackCsvs(dir, cams);
  return path;
}

test('dvs calib: writes a loadable site.yaml with poses, intrinsics and clocks, report.json and trajectory.csv', async (t) => {
  const dir = tmpDir(t);
  const cfg = writeSite(dir);
  const outDir = join(dir, 'out');
  const c = capture();
  const code = await main(['calib', '--config', cfg, '--detections', join(dir, 'det'), '--out', outDir], c.io);
  assert.equal(code, 0, c.err.join(''));
  assert.match(c.out.join(''), /calibrated 4 of 4 cameras \(frame enu\)/);
  assert.ok(c.err.some((l) => l.includes('bundle adjustment')), 'progress on stderr');
  const site = loadSiteConfig(join(outDir, 'site.yaml'));
  const truth = rig().map((r) => new Camera(r.params));
  for (const [i, cam] of site.cameras.entries()) {
    assert.ok(cam.pose && cam.intrinsics && cam.clock, `${cam.id}: filled in`);
    assert.ok(Math.abs(cam.intrinsics.fx / truth[i]!.fx - 1) < 0.01, `${cam.id}: fx ${cam.intrinsics.fx}`);
    // Site time follows c1's configured clock, which is true here: offsets come out absolute.
    const err = (1 + cam.clock.drift_ppm * 1e-6) * 140 + cam.clock.offset_ms / 1000 - truth[i]!.clock.cameraTime(140);
    assert.ok(Math.abs(err) < 0.003, `${cam.id}: clock ${err * 1000} ms off`);
  }
  // file: sources are re-pointed relative to the output folder.
  assert.equal(site.cameras[0]!.resolvedSource, `file:${join(dir, 'c1.mkv')}`);
  const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'));
  assert.equal(report.reference_camera, 'c1');
  assert.equal(report.frame, 'enu');
  assert.equal(report.cameras.length, 4);
  for (const rc of report.cameras) {
    for (const k of ['id', 'reprojection_rmse_px', 'inliers', 'clock', 'position_sigma_m']) assert.ok(k in rc, k);
    assert.ok(rc.reprojection_rmse_px < 1);
  }
  assert.equal(typeof report.elapsed_s, 'number');
  const csv = readFileSync(join(outDir, 'trajectory.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 't,e,n,u');
  assert.ok(csv.length > 500);
  assert.equal(csv[1]!.split(',').length, 4);
});

test('dvs calib: bad input exits 2 with a clear message', async (t) => {
  const dir = tmpDir(t);
  const cfg = writeSite(dir, false);
  let c = capture();
  assert.equal(await main(['calib', '--config', cfg, '--out', join(dir, 'o')], c.io), 2);
  // No --detections: the tracks would come from the videos, which do not exist here.
  assert.match(c.err.join(''), /camera c1: decoding .*c1\.mkv failed/);
  c = capture();
  assert.equal(await main(['calib', '--config', cfg, '--detections', join(dir, 'nope'), '--out', join(dir, 'o')], c.io), 2);
  assert.match(c.err.join(''), /not a folder/);
  const det = join(dir, 'det');
  mkdirSync(det);
  writeFileSync(join(det, 'c1.csv'), 't,x,y\n0,1,2\n0.1,abc,3\n');
  writeFileSync(join(det, 'c2.csv'), 't,x,y\n0,1,2\n');
  c = capture();
  assert.equal(await main(['calib', '--config', cfg, '--detections', det, '--out', join(dir, 'o')], c.io), 2);
  assert.match(c.err.join(''), /c1\.csv: line 3: not a number/);
  writeFileSync(join(det, 'c1.csv'), 'time,u,v\n');
  c = capture();
  assert.equal(await main(['calib', '--config', cfg, '--detections', det, '--out', join(dir, 'o')], c.io), 2);
  assert.match(c.err.join(''), /header must be "t,x,y"/);
  writeFileSync(join(dir, 'beacon.csv'), 't,e,n\n1,2,3\n');
  c = capture();
  assert.equal(await main(['calib', '--config', cfg, '--detections', det, '--out', join(dir, 'o'), '--beacon', join(dir, 'beacon.csv')], c.io), 2);
  assert.match(c.err.join(''), /beacon\.csv: line 1: header must be "t,e,n,u"/);
  for (const [args, re] of [
    [['--beacon-sigma', '0', '--beacon', join(dir, 'beacon.csv')], /--beacon-sigma must be a positive number of metres, got "0"/],
    [['--beacon-sigma', '0.03'], /--beacon-sigma needs --beacon/],
    [['--beacon-anchor-only'], /--beacon-anchor-only needs --beacon/],
    [['--beacon', join(dir, 'beacon.csv'), '--beacon-sigma', '0.03', '--beacon-anchor-only'], /exclude each other/],
  ] as const) {
    c = capture();
    assert.equal(await main(['calib', '--config', cfg, '--detections', det, '--out', join(dir, 'o'), ...args], c.io), 2);
    assert.match(c.err.join(''), re);
  }
  c = capture();
  assert.equal(await main(['calib', '--config', join(dir, 'missing.yaml'), '--detections', det, '--out', join(dir, 'o')], c.io), 2);
  assert.match(c.err.join(''), /invalid config/);
  assert.ok(!existsSync(join(dir, 'o', 'site.yaml')));
});

test('dvs calib: a track whose times run 1.2× (15 fps stamped as 12.5) is calibrated, and site.yaml keeps that camera\'s configured clock', async (t) => {
  const dir = tmpDir(t);
  const cfg = writeSite(dir);
  // Rewrite c4's CSV with every time × 1.2: the camera's real clock is unchanged, the CSV's time base is not.
  const file = join(dir, 'det', 'c4.csv');
  const rows = readFileSync(file, 'utf8').trim().split('\n');
  writeFileSync(file, `${[rows[0], ...rows.slice(1).map((l) => { const [tt, x, y] = l.split(','); return `${(1.2 * Number(tt)).toFixed(6)},${x},${y}`; })].join('\n')}\n`);
  const outDir = join(dir, 'out');
  const c = capture();
  // --max-shift 30 (the 1.2× track sits ~27 s from its claimed clock mid-flight); a wider search lets the pairwise search
  // take a spurious partial overlap of the 1.2× track at −44.7 s (76 of 400 samples: a known
  // weakness of its acceptance, see docs/CALIB.md).
  assert.equal(await main(['calib', '--config', cfg, '--detections', join(dir, 'det'), '--out', outDir, '--reference', 'c1', '--max-shift', '30'], c.io), 0, c.err.join(''));
  assert.match(c.out.join(''), /calibrated 4 of 4 cameras/);
  assert.ok(c.err.some((l) => /warning: camera c4: its track's times run 1\.2\d*× site time/.test(l)), c.err.filter((l) => l.includes('warning')).join(''));
  const site = loadSiteConfig(join(outDir, 'site.yaml'));
  const c4 = site.cameras.find((x) => x.id === 'c4')!;
  assert.deepEqual(c4.clock, { offset_ms: rig()[3]!.params.clock!.offset_ms + 1500, drift_ppm: 0 }, 'the configured clock, unchanged');
  assert.ok(c4.pose && c4.intrinsics, 'pose and intrinsics are still written');
  const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as { cameras: Array<{ id: string; clock: { drift_ppm: number } }> };
  const est = report.cameras.find((x) => x.id === 'c4')!.clock.drift_ppm;
  // 1.2 × the true rate (1 + 80 ppm): +200 096 ppm.
  assert.ok(Math.abs(est - ((1.2 * (1 + 80e-6) - 1) * 1e6)) < 50, `report: ${est} ppm`);
});
