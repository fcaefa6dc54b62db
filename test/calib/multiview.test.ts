/**
 * The dataset converter on the real multi-view drone data (../shared, never copied here).
 * Skips with a printed reason when the data are absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convert, readCameras, readLabels, readSyncTables } from '../../scripts/multiview-to-csv.ts';
import { parseTrackCsv } from '../../src/calib/index.ts';
import { loadSiteConfig } from '../../src/config/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ROOT = resolve(import.meta.dirname, '../../../shared/datasets/multiview-drone');
const DS4 = join(ROOT, 'dataset4');
const present = existsSync(join(DS4, 'cameras.txt'));
const skip = present ? false : `multi-view drone dataset not found at ${ROOT}`;
if (skip) console.log(`# skipped: ${skip}`);

test('dataset 4: cameras, frame rates and intrinsics from cameras.txt and the calibration files', { skip }, () => {
  const cams = readCameras(DS4, join(ROOT, 'calibration'));
  assert.deepEqual(cams.map((c) => c.model), ['gopro3', 'p20pro', 'mate7', 'mate10', 'sony5100', 'sonyG', 'sony5n_1440x1080']);
  // Values as printed in the calibration JSON files; Mate 7/10 at the README's remapped 30 fps.
  assert.equal(cams[0]!.fps, 59.94006);
  assert.ok(Math.abs(cams[0]!.K[0]![0]! - 874.4721846047786) < 1e-9);
  assert.equal(cams[3]!.fps, 30);
  assert.deepEqual(cams[3]!.resolution, [3840, 2160]);
  assert.equal(cams[6]!.fps, 25);
});

test('dataset 4: labels without the (0, 0) "no drone" rows; counts match awk', { skip }, () => {
  // awk 'NF==3 && $1+0==$1 && !($2==0 && $3==0)' cam3.txt | wc -l  →  7274 (23537 for cam0, 3834 for cam6)
  assert.equal(readLabels(join(DS4, 'detections', 'cam3.txt')).length, 7274);
  assert.equal(readLabels(join(DS4, 'detections', 'cam0.txt')).length, 23537);
  const c6 = readLabels(join(DS4, 'detections', 'cam6.txt'));
  assert.equal(c6.length, 3834);
  assert.deepEqual(c6[0], [553, 1433.55463054, 103.25955665]);
});

test('dataset 4: the README sync tables (values as printed)', { skip }, () => {
  const t = readSyncTables(readFileSync(join(DS4, 'README.md'), 'utf8'))!;
  assert.equal(t.alpha.length, 7);
  assert.equal(t.alpha[0]![5], 0.8342);
  assert.equal(t.beta[0]![6], -1562.26);
  assert.equal(t.beta[6]![5], 6142.0);
});

test('dataset 4 → dvs calib input: site.yaml loads, CSVs parse with t = frame / fps', { skip }, (tt) => {
  const out = tmpDir(tt);
  const log = console.log;
  console.log = () => {};
  try { convert(DS4, out, join(ROOT, 'calibration')); } finally { console.log = log; }
  const cfg = loadSiteConfig(join(out, 'site.yaml'));
  assert.equal(cfg.cameras.length, 7);
  assert.ok(cfg.cameras.every((c) => c.intrinsics_guess && !c.pose && !c.approx_pose));
  const tr = parseTrackCsv(readFileSync(join(out, 'det', 'cam6.csv'), 'utf8'), 'cam6');
  assert.equal(tr.t.length, 3834);
  assert.ok(Math.abs(tr.t[0]! - 553 / 25) < 1e-6);
  assert.ok(existsSync(join(out, 'sync-truth.json')));
  // RTK log → beacon: 2475 rows in rtk.txt (wc -l), sample index / 5 Hz.
  const b = readFileSync(join(out, 'beacon.csv'), 'utf8').trim().split('\n');
  assert.equal(b.length, 1 + 2475);
  assert.equal(b[2], '0.200,-101.7184,-76.5786,-18.8337');
});
