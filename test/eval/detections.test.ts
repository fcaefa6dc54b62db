import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera } from '../../src/geometry/index.ts';
import { scoreDetections, parseDetectionsJsonl, EvalInputError, type TruthRow } from '../../src/eval/index.ts';

const cam = (id: string, e: number) => new Camera({ id, resolution: [640, 480], pose: { enu: [e, 0, 0], yaw: 0, pitch: 0, roll: 0 }, intrinsics: { fx: 500, fy: 500, cx: 320, cy: 240, k1: 0, k2: 0 } });
const cameras = [cam('a', -20), cam('b', 0), cam('c', 20)];

// A drone flying east at 10 m/s, 100 m north, from e = −50 to e = 50 (and one instant at 100).
// Each camera sees |e − e_cam| ≤ 64 m at 100 m (half field of view: 320/500), so all three see
// e ∈ [−40, 40] (t = 0.1 … 0.9): nine counted instants. A bird far away.
const truth: TruthRow[] = [];
for (let i = 0; i <= 10; i++) truth.push({ t: i / 10, id: 'd', class: 'drone', enu: [-50 + 10 * i, 100, 10] });
truth.push({ t: 1.1, id: 'd', class: 'drone', enu: [100, 100, 10] });
for (let i = 0; i <= 11; i++) truth.push({ t: i / 10, id: 'b', class: 'bird', enu: [0, 300, 50] });

test('detection scoring: found fraction, median error and far-off detections counted by hand', () => {
  const dets = [];
  // At t = 0.0 … 0.9: a detection 3 m above the drone for even i, 20 m off (a miss) for odd i.
  for (let i = 0; i <= 9; i++) dets.push({ t: i / 10, enu: [-50 + 10 * i, 100, 10 + (i % 2 === 0 ? 3 : 20)] as [number, number, number] });
  // Near the bird (not far), and two far-off ones.
  dets.push({ t: 0.5, enu: [5, 300, 50] as [number, number, number] }, { t: 0.5, enu: [0, 500, 50] as [number, number, number] }, { t: 1.1, enu: [-300, 0, 0] as [number, number, number] });
  const s = scoreDetections(truth, dets, cameras);
  assert.equal(s.instants, 9);
  // Even i: the 3 m detection at that instant. Odd i: its own detection is 20 m off, but a
  // neighbour's (±0.1 s) is 10 m west/east and 3 m up: √109 = 10.44 m ≤ 15. All nine found.
  assert.equal(s.found, 9);
  // Errors: 3 m × 4 (i = 2, 4, 6, 8), √109 × 5 (i = 1, 3, 5, 7, 9) → median √109.
  assert.ok(Math.abs(s.medianErrorM! - Math.sqrt(109)) < 1e-9);
  assert.equal(s.detections, 13);
  assert.equal(s.far, 2); // (0, 500, 50) is 200 m from the bird; (−300, 0, 0) far from all
  assert.ok(Math.abs(s.spanS - 1.1) < 1e-9);
  assert.ok(Math.abs(s.farPerS - 2 / 1.1) < 1e-9);
});

test('detection scoring: no detections → nothing counted, no division by zero', () => {
  const s = scoreDetections(truth, [], cameras);
  assert.equal(s.instants, 0);
  assert.equal(s.fraction, null);
  assert.equal(s.farPerS, 0);
});

test('detections.jsonl parsing names the file and line of a malformed row', () => {
  assert.equal(parseDetectionsJsonl('{"t": 1, "enu": [1, 2, 3], "energy": 5, "cameras": ["a"]}\n', 'd.jsonl').length, 1);
  assert.throws(() => parseDetectionsJsonl('{"t": 1, "enu": [1, 2, 3]}\n{"t": "x", "enu": [1, 2, 3]}\n', 'd.jsonl'), (e: unknown) => e instanceof EvalInputError && /d\.jsonl:2/.test(e.message));
});

test('dvs eval --detections: the table on stdout, JSON on request, --tracks and --detections exclusive', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { evalCommand } = await import('../../src/cli/eval.ts');
  const dir = mkdtempSync(join(tmpdir(), 'dvs-evaldet-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'truth.jsonl'), truth.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(dir, 'truth-cameras.json'), JSON.stringify({ cameras: cameras.map((c) => ({ id: c.id, resolution: [640, 480], pose: c.params.pose, intrinsics: c.params.intrinsics })) }));
  const dets = Array.from({ length: 10 }, (_, i) => ({ t: i / 10, enu: [-50 + 10 * i, 100, 12], energy: 30, cameras: ['a', 'b', 'c'] }));
  writeFileSync(join(dir, 'det.jsonl'), dets.map((d) => JSON.stringify(d)).join('\n') + '\n');
  const io = { out: '', err: '', stdout(s: string) { this.out += s; }, stderr(s: string) { this.err += s; } };
  assert.equal(await evalCommand(['--truth', join(dir, 'truth.jsonl'), '--detections', join(dir, 'det.jsonl')], io), 0);
  assert.match(io.out, /with a detection within 15 m\s+9 \(100\.0 %\)/); // the nine counted instants, each 2 m off
  io.out = '';
  assert.equal(await evalCommand(['--truth', join(dir, 'truth.jsonl'), '--detections', join(dir, 'det.jsonl'), '--format', 'json'], io), 0);
  const j = JSON.parse(io.out) as { found: number; medianErrorM: number; far: number };
  assert.equal(j.found, 9);
  assert.ok(Math.abs(j.medianErrorM - 2) < 1e-9);
  assert.equal(j.far, 0);
  assert.equal(await evalCommand(['--truth', join(dir, 'truth.jsonl'), '--detections', join(dir, 'det.jsonl'), '--tracks', join(dir, 'det.jsonl')], io), 2);
  assert.match(io.err, /not both/);
});
