/**
 * Scenario files (CONTRACTS §4): the shipped examples load with their defaults filled, and every
 * kind of mistake is refused with its YAML path, the reason and the line it sits on. Paths and
 * line numbers below are read off the hand-written YAML text, not computed by the loader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../../src/config/index.ts';
import { loadScenario, parseScenario } from '../../src/sim/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

const SCENARIOS = join(import.meta.dirname, '..', '..', 'scenarios');

/** A valid scenario; the line numbers in the comments are the 1-based lines of the text. */
const BASE = [
  'name: t', //                                                                     1
  'seed: 1', //                                                                     2
  'duration_s: 2', //                                                               3
  'site:', //                                                                       4
  '  origin: {lat: 47, lon: 8, alt_m: 400}', //                                     5
  '  volume: {min: [-100, 0, 0], max: [100, 500, 200], voxel_m: 4}', //             6
  'cameras:', //                                                                    7
  '  - id: cam01', //                                                               8
  '    resolution: [64, 48]', //                                                    9
  '    fps: 10', //                                                                 10
  '    pose: {enu: [0, 0, 5], yaw: 0, pitch: 10, roll: 0}', //                      11
  '    intrinsics: {fx: 80, fy: 80, cx: 32, cy: 24}', //                            12
  '  - id: cam02', //                                                               13
  '    resolution: [64, 48]', //                                                    14
  '    fps: 10', //                                                                 15
  '    pose: {enu: [20, 0, 5], yaw: 0, pitch: 10}', //                              16
  '    intrinsics: {fx: 80, fy: 80, cx: 32, cy: 24}', //                            17
  'targets:', //                                                                    18
  '  - id: drone1', //                                                              19
  '    class: drone', //                                                            20
  '    size_m: 0.5', //                                                             21
  '    intensity: -60', //                                                          22
  '    path: [[0, 0, 100, 30], [2, 10, 110, 40]]', //                               23
  '  - id: bird1', //                                                               24
  '    class: bird', //                                                             25
  '    size_m: 0.8', //                                                             26
  '    intensity: -40', //                                                          27
  '    path: [[0.5, -10, 80, 20], [1.5, 10, 90, 25]]', //                           28
];

/** BASE with 1-based line `n` replaced by `text` (which may hold several lines). */
function withLines(edits: Record<number, string>): string {
  return BASE.map((l, i) => edits[i + 1] ?? l).join('\n') + '\n';
}

function refused(text: string): ConfigIssue[] {
  const r = parseScenario(text, 'bad.yaml');
  assert.equal(r.ok, false, 'expected the scenario to be refused');
  return r.ok ? [] : r.issues;
}

test('the base scenario of these tests is valid', () => {
  const r = parseScenario(withLines({}));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
});

test('scenarios/demo.yaml parses: 4 cameras, a drone and a bird, values as written', () => {
  const s = loadScenario(join(SCENARIOS, 'demo.yaml'));
  assert.equal(s.name, 'demo');
  assert.equal(s.seed, 42);
  assert.equal(s.duration_s, 30);
  assert.deepEqual(s.cameras.map((c) => c.id), ['cam01', 'cam02', 'cam03', 'cam04']);
  assert.deepEqual(s.cameras.map((c) => c.codec), ['h264', 'h264', 'h265', 'mjpeg']);
  assert.deepEqual(s.cameras[1]!.clock, { offset_ms: 35, drift_ppm: 12 });
  assert.deepEqual(s.cameras[0]!.rolling_shutter, { line_us: 60, direction: 'down' });
  assert.equal(s.cameras[2]!.rolling_shutter, undefined);
  assert.deepEqual(s.targets.map((t) => [t.id, t.class, t.path.length]), [['drone1', 'drone', 5], ['bird1', 'bird', 3]]);
  assert.deepEqual(s.site.volume, { min: [-300, 0, 0], max: [300, 600, 200], voxel_m: 2 });
});

test('scenarios/spec-1km.yaml parses: 4 cameras at 1080p30, one drone, two birds', () => {
  const s = loadScenario(join(SCENARIOS, 'spec-1km.yaml'));
  assert.equal(s.name, 'spec-1km');
  assert.equal(s.duration_s, 120);
  assert.equal(s.cameras.length, 4);
  for (const c of s.cameras) {
    assert.deepEqual(c.resolution, [1920, 1080]);
    assert.equal(c.fps, 30);
    assert.equal(c.bitrate_kbps, 12000);
  }
  assert.deepEqual(s.targets.map((t) => t.class), ['drone', 'bird', 'bird']);
  assert.equal(s.targets[0]!.size_m, 0.35);
});

test('defaults: noise_sigma 2, codec h264, report_error zeros, sky defaults, roll and distortion 0', () => {
  const r = parseScenario(withLines({}));
  assert.ok(r.ok);
  const s = r.value;
  const cam = s.cameras[1]!; // pose written without roll, no optional keys at all
  assert.equal(cam.noise_sigma, 2);
  assert.equal(cam.codec, 'h264');
  assert.equal(cam.bitrate_kbps, 6000);
  assert.deepEqual(cam.report_error, { pos_m: 0, angle_deg: 0, f_rel: 0, offset_ms: 0 });
  assert.equal(cam.pose.roll, 0);
  assert.equal(cam.intrinsics.k1, 0);
  assert.equal(cam.intrinsics.k2, 0);
  assert.equal(cam.clock, undefined);
  assert.equal(cam.rolling_shutter, undefined);
  // No `sky:` section at all: every sky field from its documented default.
  assert.equal(s.sky.brightness, 190);
  assert.equal(s.sky.gradient, 25);
  assert.equal(s.sky.clouds, 0);
  assert.equal(s.sky.cloud_speed_mps, 4);
  assert.equal(s.sky.cloud_alt_m, 1500);
});

test('partial sections keep what is written and fill the rest; targets default to none', () => {
  const text = withLines({
    6: '  volume: {min: [-100, 0, 0], max: [100, 500, 200], voxel_m: 4}\nsky: {brightness: 120}',
    12: '    intrinsics: {fx: 80, fy: 80, cx: 32, cy: 24}\n    report_error: {pos_m: 3}',
  });
  const r = parseScenario(text.split('\ntargets:')[0] + '\n');
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  assert.equal(r.value.sky.brightness, 120);
  assert.equal(r.value.sky.gradient, 25);
  assert.deepEqual(r.value.cameras[0]!.report_error, { pos_m: 3, angle_deg: 0, f_rel: 0, offset_ms: 0 });
  assert.deepEqual(r.value.targets, []);
});

interface Case {
  what: string;
  text: string;
  path: string;
  line: number;
  reason: RegExp;
}

/** Empty camera list: lines 7–17 become one line; `cameras` is then on line 7. */
const noCameras = [...BASE.slice(0, 6), 'cameras: []', ...BASE.slice(17)].join('\n') + '\n';

const CASES: Case[] = [
  { what: 'unknown key', text: withLines({ 11: '    pose: {enu: [0, 0, 5], yaw: 0, pitch: 10, roll: 0, tilt: 3}' }),
    path: 'cameras[0].pose.tilt', line: 11, reason: /unknown key 'tilt'/ },
  { what: 'unknown top-level key', text: withLines({ 3: 'duration_s: 2\nlength_s: 2' }),
    path: 'length_s', line: 4, reason: /unknown key 'length_s'/ },
  { what: 'wrong type', text: withLines({ 10: '    fps: fast' }),
    path: 'cameras[0].fps', line: 10, reason: /expected number/ },
  { what: 'missing required key', text: withLines({ 12: '    intrinsics: {fx: 80, fy: 80, cx: 32}' }),
    path: 'cameras[0].intrinsics', line: 12, reason: /missing required key 'cy'/ },
  { what: 'missing required top-level key', text: withLines({ 3: '# duration_s left out' }),
    path: '', line: 1, reason: /missing required key 'duration_s'/ },
  { what: 'bad codec', text: withLines({ 10: '    fps: 10\n    codec: h266' }),
    path: 'cameras[0].codec', line: 11, reason: /h264\|h265\|mjpeg.*h266/ },
  { what: 'bad target class', text: withLines({ 25: '    class: plane' }),
    path: 'targets[1].class', line: 25, reason: /drone\|bird.*plane/ },
  { what: 'negative size_m', text: withLines({ 21: '    size_m: -0.5' }),
    path: 'targets[0].size_m', line: 21, reason: /> 0/ },
  { what: 'duplicate camera id', text: withLines({ 13: '  - id: cam01' }),
    path: 'cameras[1].id', line: 13, reason: /duplicate camera id 'cam01'/ },
  { what: 'duplicate target id', text: withLines({ 24: '  - id: drone1' }),
    path: 'targets[1].id', line: 24, reason: /duplicate target id 'drone1'/ },
  { what: 'non-increasing waypoint times', text: withLines({ 28: '    path: [[0.5, -10, 80, 20], [0.5, 10, 90, 25]]' }),
    path: 'targets[1].path[1][0]', line: 28, reason: /increase/ },
  { what: 'odd resolution width', text: withLines({ 9: '    resolution: [65, 48]' }),
    path: 'cameras[0].resolution[0]', line: 9, reason: /even/ },
  { what: 'odd resolution height', text: withLines({ 14: '    resolution: [64, 47]' }),
    path: 'cameras[1].resolution[1]', line: 14, reason: /even/ },
  { what: 'principal point outside the image', text: withLines({ 17: '    intrinsics: {fx: 80, fy: 80, cx: 32, cy: 60}' }),
    path: 'cameras[1].intrinsics.cy', line: 17, reason: /outside/ },
  { what: 'volume max <= min', text: withLines({ 6: '  volume: {min: [-100, 0, 0], max: [100, 500, 0], voxel_m: 4}' }),
    path: 'site.volume.max[2]', line: 6, reason: /greater than min/ },
  { what: 'intensity 0', text: withLines({ 22: '    intensity: 0' }),
    path: 'targets[0].intensity', line: 22, reason: /invisible/ },
  { what: 'flap_hz on a drone', text: withLines({ 22: '    intensity: -60\n    flap_hz: 5' }),
    path: 'targets[0].flap_hz', line: 23, reason: /birds only/ },
  { what: 'bad YAML syntax', text: withLines({ 10: '    fps: a: b' }),
    path: '', line: 10, reason: /YAML syntax error/ },
  { what: 'waypoint with 3 numbers', text: withLines({ 23: '    path: [[0, 0, 100], [2, 10, 110, 40]]' }),
    path: 'targets[0].path[0]', line: 23, reason: /exactly 4 items/ },
  { what: 'fps 0', text: withLines({ 15: '    fps: 0' }),
    path: 'cameras[1].fps', line: 15, reason: /> 0/ },
  { what: 'empty cameras list', text: noCameras,
    path: 'cameras', line: 7, reason: /at least 1/ },
  { what: 'non-integer seed', text: withLines({ 2: 'seed: 1.5' }),
    path: 'seed', line: 2, reason: /integer/ },
  { what: 'negative noise_sigma', text: withLines({ 10: '    fps: 10\n    noise_sigma: -1' }),
    path: 'cameras[0].noise_sigma', line: 11, reason: />= 0/ },
  { what: 'unknown key in report_error', text: withLines({ 10: '    fps: 10\n    report_error: {pos_m: 1, yaw_deg: 2}' }),
    path: 'cameras[0].report_error.yaw_deg', line: 11, reason: /unknown key 'yaw_deg'/ },
  { what: 'empty target path', text: withLines({ 23: '    path: []' }),
    path: 'targets[0].path', line: 23, reason: /at least 1/ },
];

for (const c of CASES) {
  test(`refused with path, line and reason: ${c.what}`, () => {
    const issues = refused(c.text);
    assert.equal(issues.length, 1, `exactly one issue expected, got ${JSON.stringify(issues)}`);
    const [i] = issues;
    assert.equal(i!.path, c.path);
    assert.equal(i!.line, c.line, `line of ${JSON.stringify(i)}`);
    assert.match(i!.message, c.reason);
  });
}

test('the cases above cover at least 14 distinct kinds of mistake', () => {
  assert.ok(new Set(CASES.map((c) => c.what)).size >= 14);
});

test('several schema mistakes in one file: every one reported, in line order', () => {
  const issues = refused(withLines({
    9: '    resolution: [64]', // tuple too short
    10: '    fps: 0',
    11: '    pose: {enu: [0, 0, 5], yaw: 0, pitch: 100, roll: 0}', // pitch out of range
    16: '    pose: {enu: [20, 0, 5], yaw: 0, pitch: 10, tilt: 1}', // unknown key
    20: '    class: plane',
    21: '    size_m: -0.5',
    28: '    path: [[0.5, -10, 80], [1.5, 10, 90, 25]]',
  }));
  assert.deepEqual(issues.map((i) => [i.path, i.line]), [
    ['cameras[0].resolution', 9],
    ['cameras[0].fps', 10],
    ['cameras[0].pose.pitch', 11],
    ['cameras[1].pose.tilt', 16],
    ['targets[0].class', 20],
    ['targets[0].size_m', 21],
    ['targets[1].path[0]', 28],
  ]);
});

test('several semantic mistakes in one file: every one reported with its line', () => {
  const issues = refused(withLines({
    6: '  volume: {min: [-100, 0, 0], max: [-200, 500, 200], voxel_m: 4}',
    9: '    resolution: [65, 47]',
    13: '  - id: cam01',
    22: '    intensity: 0\n    flap_hz: 4',
    28: '    path: [[0.5, -10, 80, 20], [0.2, 10, 90, 25]]',
  }));
  const got = new Map(issues.map((i) => [i.path, i]));
  const want: [string, number, RegExp][] = [
    ['site.volume.max[0]', 6, /greater than min/],
    ['cameras[0].resolution[0]', 9, /even/],
    ['cameras[0].resolution[1]', 9, /even/],
    ['cameras[1].id', 13, /duplicate camera id/],
    ['targets[0].intensity', 22, /invisible/],
    ['targets[0].flap_hz', 23, /birds only/],
    ['targets[1].path[1][0]', 29, /increase/],
  ];
  assert.equal(issues.length, want.length, JSON.stringify(issues));
  for (const [path, line, reason] of want) {
    const i = got.get(path);
    assert.ok(i, `no issue at ${path}: ${JSON.stringify(issues)}`);
    assert.equal(i.line, line, path);
    assert.match(i.message, reason);
  }
});

test('loadScenario throws a ConfigError naming the file, line, path and reason of every mistake', (t) => {
  const dir = tmpDir(t);
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, withLines({ 10: '    fps: 0', 21: '    size_m: -0.5' }));
  assert.throws(() => loadScenario(file), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.issues.length, 2);
    assert.match(e.message, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:10:\\d+ cameras\\[0\\]\\.fps: must be > 0`));
    assert.match(e.message, /:21:\d+ targets\[0\]\.size_m: must be > 0/);
    return true;
  });
  assert.throws(() => loadScenario(join(dir, 'missing.yaml')), (e: unknown) => e instanceof ConfigError && /cannot read/.test(e.message));
});
