/**
 * `dvs sim` end to end (CONTRACTS §4–5): a broken scenario is refused with every mistake listed
 * and nothing written; a good one produces a loadable site.yaml pointing at playable videos, the
 * ground truth every 0.1 s while each target exists, and the true camera parameters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { loadSiteConfig } from '../../src/config/index.ts';
import { rotationAngleBetween, rotationFromOrientation } from '../../src/geometry/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

function capture() {
  const out: string[] = [], err: string[] = [];
  return { io: { stdout: (s: string) => { out.push(s); }, stderr: (s: string) => { err.push(s); } }, out: () => out.join(''), err: () => err.join('') };
}

/** A tiny valid scenario; line numbers in the comments are 1-based lines of the text. */
const GOOD = [
  'name: tiny', //                                                                             1
  'seed: 5', //                                                                                2
  'duration_s: 0.5', //                                                                        3
  'site:', //                                                                                  4
  '  origin: {lat: 47, lon: 8, alt_m: 400}', //                                                5
  '  volume: {min: [-100, 0, 0], max: [100, 300, 100], voxel_m: 4}', //                        6
  'sky: {brightness: 170, gradient: 10, clouds: 0}', //                                        7
  'cameras:', //                                                                               8
  '  - id: cam01', //                                                                          9
  '    resolution: [64, 48]', //                                                               10
  '    fps: 10', //                                                                            11
  '    pose: {enu: [0, 0, 5], yaw: 0, pitch: 10, roll: 0}', //                                 12
  '    intrinsics: {fx: 80, fy: 80, cx: 32, cy: 24}', //                                       13
  '    clock: {offset_ms: 35, drift_ppm: 12}', //                                              14
  '    codec: h264', //                                                                        15
  '    bitrate_kbps: 500', //                                                                  16
  '    report_error: {pos_m: 3, angle_deg: 2, f_rel: 0.1, offset_ms: 200}', //                 17
  '  - id: cam02', //                                                                          18
  '    resolution: [64, 48]', //                                                               19
  '    fps: 10', //                                                                            20
  '    pose: {enu: [20, 0, 5], yaw: -5, pitch: 10}', //                                        21
  '    intrinsics: {fx: 80, fy: 80, cx: 32, cy: 24}', //                                       22
  '    codec: mjpeg', //                                                                       23
  'targets:', //                                                                               24
  '  - id: drone1', //                                                                         25
  '    class: drone', //                                                                       26
  '    size_m: 0.5', //                                                                        27
  '    intensity: -60', //                                                                     28
  '    path: [[0, 0, 100, 30], [0.4, 4, 104, 34]]', //                                         29
  '  - id: bird1', //                                                                          30
  '    class: bird', //                                                                        31
  '    size_m: 0.8', //                                                                        32
  '    intensity: -40', //                                                                     33
  '    meander_m: 0', //                                                                       34
  '    path: [[0.2, -10, 80, 20], [0.3, -9, 81, 21]]', //                                      35
  '  - id: late', //                                                                           36
  '    class: drone', //                                                                       37
  '    size_m: 0.5', //                                                                        38
  '    intensity: -60', //                                                                     39
  '    path: [[1, 0, 100, 30], [2, 4, 104, 34]]', //                                           40
];

function withLines(edits: Record<number, string>): string {
  return GOOD.map((l, i) => edits[i + 1] ?? l).join('\n') + '\n';
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Broken {
  what: string;
  text: string;
  /** [YAML path, line] of every mistake. */
  mistakes: [string, number][];
}

const BROKEN: Broken[] = [
  {
    what: 'schema mistakes',
    text: withLines({ 11: '    fps: 0', 15: '    codec: h266', 27: '    size_m: -0.5', 29: '    path: [[0, 0, 100], [0.4, 4, 104, 34]]' }),
    mistakes: [['cameras[0].fps', 11], ['cameras[0].codec', 15], ['targets[0].size_m', 27], ['targets[0].path[0]', 29]],
  },
  {
    what: 'semantic mistakes',
    text: withLines({ 10: '    resolution: [65, 48]', 18: '  - id: cam01', 33: '    intensity: 0', 35: '    path: [[0.2, -10, 80, 20], [0.1, -9, 81, 21]]' }),
    mistakes: [['cameras[0].resolution[0]', 10], ['cameras[1].id', 18], ['targets[1].intensity', 33], ['targets[1].path[1][0]', 35]],
  },
  {
    what: 'an unknown key and a missing one',
    text: withLines({ 12: '    pose: {enu: [0, 0, 5], yaw: 0, pitch: 10, roll: 0, zoom: 2}', 22: '    intrinsics: {fx: 80, cx: 32, cy: 24}' }),
    mistakes: [['cameras[0].pose.zoom', 12], ['cameras[1].intrinsics', 22]],
  },
  {
    what: 'YAML syntax error',
    text: withLines({ 11: '    fps: 10: 20' }),
    mistakes: [['', 11]],
  },
];

for (const b of BROKEN) {
  test(`dvs sim refuses a scenario with ${b.what}: exit 2, every mistake listed, nothing written`, async (t) => {
    const dir = tmpDir(t);
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, b.text);
    const out = join(dir, 'out');
    const c = capture();
    const code = await main(['sim', '--scenario', file, '--out', out, '--quiet'], c.io);
    assert.equal(code, 2);
    for (const [path, line] of b.mistakes) {
      const where = path === '' ? `${esc(file)}:${line}:\\d+ ` : `${esc(file)}:${line}:\\d+ ${esc(path)}: `;
      assert.match(c.err(), new RegExp(where), `stderr names ${path || 'the syntax error'} at line ${line}:\n${c.err()}`);
    }
    assert.equal(existsSync(out), false, 'the output folder was not created');
    assert.equal(c.out(), '');
  });
}

test('dvs sim with a scenario file that does not exist: exit 2, nothing written', async (t) => {
  const dir = tmpDir(t);
  const c = capture();
  const code = await main(['sim', '--scenario', join(dir, 'nope.yaml'), '--out', join(dir, 'out')], c.io);
  assert.equal(code, 2);
  assert.match(c.err(), /nope\.yaml/);
  assert.equal(existsSync(join(dir, 'out')), false);
});

test('dvs sim usage mistakes: exit 2 with the usage text', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'good.yaml');
  writeFileSync(file, withLines({}));
  for (const argv of [
    ['sim', '--scenario', file],
    ['sim', '--out', join(dir, 'out')],
    ['sim', '--scenario', file, '--out', join(dir, 'out'), '--frames', '0'],
    ['sim', '--scenario', file, '--out', join(dir, 'out'), '--bogus'],
  ]) {
    const c = capture();
    assert.equal(await main(argv, c.io), 2, argv.join(' '));
    assert.match(c.err(), /usage: dvs sim --scenario/, argv.join(' '));
    assert.equal(existsSync(join(dir, 'out')), false, argv.join(' '));
  }
});

interface Probe { codec_name: string; width: number; height: number; nb_read_frames: string }

function probe(file: string): Probe {
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `ffprobe ${file}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { streams: Probe[] }).streams[0]!;
}

test('dvs sim on a good tiny scenario: site.yaml, videos, truth and true cameras', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'tiny.yaml');
  writeFileSync(file, withLines({}));
  const out = join(dir, 'out');
  const c = capture();
  const code = await main(['sim', '--scenario', file, '--out', out, '--quiet'], c.io);
  assert.equal(code, 0, c.err());

  // Videos: playable, the right size, 0.5 s × 10 fps = 5 frames each.
  const p1 = probe(join(out, 'cam01.mkv'));
  const p2 = probe(join(out, 'cam02.mkv'));
  assert.deepEqual([p1.codec_name, p1.width, p1.height, p1.nb_read_frames], ['h264', 64, 48, '5']);
  assert.deepEqual([p2.codec_name, p2.width, p2.height, p2.nb_read_frames], ['mjpeg', 64, 48, '5']);

  // site.yaml: valid for the loader, file: sources resolving to the videos, reported values.
  const site = loadSiteConfig(join(out, 'site.yaml'));
  assert.deepEqual(site.site, { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-100, 0, 0], max: [100, 300, 100], voxel_m: 4 } });
  assert.deepEqual(site.cameras.map((cam) => cam.id), ['cam01', 'cam02']);
  for (const cam of site.cameras) {
    assert.equal(cam.source, `file:${cam.id}.mkv`);
    assert.equal(cam.resolvedSource.replace(/^file:/, ''), join(out, `${cam.id}.mkv`));
    assert.ok(existsSync(join(out, `${cam.id}.mkv`)));
  }
  const [c1, c2] = site.cameras;
  // cam01 claims: 3 m off (positions written to the millimetre), 2° off (to 1e-6°), f × 1.1, +200 ms.
  const d = Math.hypot(c1!.pose!.enu[0] - 0, c1!.pose!.enu[1] - 0, c1!.pose!.enu[2] - 5);
  assert.ok(Math.abs(d - 3) < 2e-3, `claimed position ${d} m from the truth`);
  const ang = rotationAngleBetween(rotationFromOrientation(c1!.pose!), rotationFromOrientation({ yaw: 0, pitch: 10, roll: 0 })) * 180 / Math.PI;
  assert.ok(Math.abs(ang - 2) < 1e-4, `claimed orientation ${ang}° from the truth`);
  assert.ok(Math.abs(c1!.intrinsics!.fx - 88) < 1e-9 && Math.abs(c1!.intrinsics!.fy - 88) < 1e-9);
  assert.equal(c1!.intrinsics!.cx, 32);
  assert.deepEqual(c1!.clock, { offset_ms: 235, drift_ppm: 12 });
  // cam02 has no report_error: it claims the truth.
  assert.deepEqual(c2!.pose, { enu: [20, 0, 5], yaw: -5, pitch: 10, roll: 0 });
  assert.deepEqual(c2!.intrinsics, { fx: 80, fy: 80, cx: 32, cy: 24, k1: 0, k2: 0 });
  assert.deepEqual(c2!.clock, { offset_ms: 0, drift_ppm: 0 });

  // truth.jsonl: every 0.1 s of site time while each target exists, clipped to the scenario.
  const rows = readFileSync(join(out, 'truth.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: number; id: string; class: string; enu: number[] });
  for (const r of rows) assert.deepEqual(Object.keys(r).sort(), ['class', 'enu', 'id', 't']);
  const drone = rows.filter((r) => r.id === 'drone1');
  const bird = rows.filter((r) => r.id === 'bird1');
  assert.equal(rows.filter((r) => r.id === 'late').length, 0, 'a target after the end of the scenario has no rows');
  assert.equal(rows.length, drone.length + bird.length);
  // drone1 exists 0–0.4 s on a straight line at constant speed: enu = (10t, 100 + 10t, 30 + 10t).
  assert.deepEqual(drone.map((r) => r.t), [0, 0.1, 0.2, 0.3, 0.4]);
  for (const r of drone) {
    assert.equal(r.class, 'drone');
    const want = [10 * r.t, 100 + 10 * r.t, 30 + 10 * r.t];
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(r.enu[k]! - want[k]!) < 1e-3, `drone1 at ${r.t}: ${r.enu} vs ${want}`);
  }
  // bird1 exists 0.2–0.3 s (no meander): enu = (−10, 80, 20) + 10·(t − 0.2)·(1, 1, 1).
  assert.deepEqual(bird.map((r) => r.t), [0.2, 0.3]);
  for (const r of bird) {
    assert.equal(r.class, 'bird');
    const s = 10 * (r.t - 0.2);
    const want = [-10 + s, 80 + s, 20 + s];
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(r.enu[k]! - want[k]!) < 1e-3, `bird1 at ${r.t}: ${r.enu} vs ${want}`);
  }

  // truth-cameras.json: the true poses, intrinsics and clocks.
  const truth = JSON.parse(readFileSync(join(out, 'truth-cameras.json'), 'utf8')) as { cameras: { id: string; pose: unknown; intrinsics: unknown; clock: unknown }[] };
  assert.deepEqual(truth.cameras.map(({ id, pose, intrinsics, clock }) => ({ id, pose, intrinsics, clock })), [
    { id: 'cam01', pose: { enu: [0, 0, 5], yaw: 0, pitch: 10, roll: 0 }, intrinsics: { fx: 80, fy: 80, cx: 32, cy: 24, k1: 0, k2: 0 }, clock: { offset_ms: 35, drift_ppm: 12 } },
    { id: 'cam02', pose: { enu: [20, 0, 5], yaw: -5, pitch: 10, roll: 0 }, intrinsics: { fx: 80, fy: 80, cx: 32, cy: 24, k1: 0, k2: 0 }, clock: { offset_ms: 0, drift_ppm: 0 } },
  ]);

  assert.match(c.out(), /cam01: 5 frames 64x48/);
});

test('dvs sim is deterministic: the same scenario twice gives the same site.yaml and truth', async (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'tiny.yaml');
  writeFileSync(file, withLines({}));
  for (const o of ['a', 'b']) assert.equal(await main(['sim', '--scenario', file, '--out', join(dir, o), '--quiet'], capture().io), 0);
  for (const f of ['site.yaml', 'truth.jsonl', 'truth-cameras.json', 'cam01.mkv', 'cam02.mkv']) {
    assert.ok(readFileSync(join(dir, 'a', f)).equals(readFileSync(join(dir, 'b', f))), `${f} identical`);
  }
});
