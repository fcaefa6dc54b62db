import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CovarianceDeleter, TimeDeleter, Tracker, TrackingConfigError, TrackingInputError, type TrackRecord } from '../../src/tracking/index.ts';

// Detections without cameras get the fallback covariance (σ = 2 m here).
const geometry = { fallbackSigmaM: 2 };
const det = (e: number, n: number, u: number) => ({ enu: [e, n, u] as [number, number, number] });

test('M-of-N: confirmed on the M-th hit, given up once M hits within N scans are impossible', () => {
  const tr = new Tracker({ geometry, confirmation: { m: 3, n: 5 } });
  // Hits at every scan (0.1 s apart, target at rest): tentative, tentative, confirmed.
  const s: TrackRecord[][] = [];
  for (let k = 0; k < 4; k++) s.push(tr.step(k * 0.1, [det(100, 200, 50)]));
  assert.deepEqual(s.map((r) => r.map((x) => [x.track_id, x.status])), [[[1, 'tentative']], [[1, 'tentative']], [[1, 'confirmed']], [[1, 'confirmed']]]);

  // Hit, miss, hit, miss, hit: 3 hits on the 5th scan → confirmed there.
  const t2 = new Tracker({ geometry, confirmation: { m: 3, n: 5 } });
  const pattern = [true, false, true, false, true];
  const st = pattern.map((h, k) => t2.step(k * 0.1, h ? [det(0, 0, 100)] : [])[0]!.status);
  assert.deepEqual(st, ['tentative', 'tentative', 'tentative', 'tentative', 'confirmed']);

  // Hit then three misses: 3 misses > N − M = 2 on the 4th scan → one "lost" record, then nothing.
  const t3 = new Tracker({ geometry, confirmation: { m: 3, n: 5 } });
  const recs = [[det(0, 0, 100)], [], [], [], [], []].map((d, k) => t3.step(k * 0.1, d));
  assert.deepEqual(recs.map((r) => r.map((x) => x.status)), [['tentative'], ['tentative'], ['tentative'], ['lost'], [], []]);
  assert.equal(t3.tracks.length, 0);

  // Without tentative records, a failed tentative track leaves no trace at all.
  const t4 = new Tracker({ geometry, confirmation: { m: 3, n: 5 }, emitTentative: false });
  assert.deepEqual([[det(0, 0, 100)], [], [], [], []].flatMap((d, k) => t4.step(k * 0.1, d)), []);
});

test('time deleter: a confirmed track coasts for maxCoastS, then one "lost" record', () => {
  const tr = new Tracker({ geometry, confirmation: { m: 2, n: 2 }, deleters: [new TimeDeleter({ maxCoastS: 1 })] });
  const out: TrackRecord[] = [];
  // Target flying east at 10 m/s, detected for 1 s (10 Hz), then silent.
  for (let k = 0; k <= 30; k++) {
    const t = k / 10;
    out.push(...tr.step(t, t <= 1 + 1e-9 ? [det(10 * t, 0, 80)] : []));
  }
  const last = out.filter((r) => r.status !== 'lost').at(-1)!;
  const lost = out.filter((r) => r.status === 'lost');
  assert.equal(lost.length, 1);
  // Last update at t = 1.0; coasting records up to t = 2.0 (1.0 s after it), deleted at 2.1 (> 1 s).
  assert.equal(last.t, 2);
  assert.equal(lost[0]!.t, 2.1);
  assert.equal(lost[0]!.track_id, 1);
  // While coasting, the prediction keeps flying east: ~10 m/s × 1.1 s past the last detection.
  assert.ok(Math.abs(lost[0]!.enu[0] - 21) < 4, `coasted to ${lost[0]!.enu[0]}`);
  assert.ok(Math.abs(lost[0]!.vel[0] - 10) < 3);
  assert.equal(tr.tracks.length, 0);
});

test('covariance deleter: a coasting track goes once its position spread passes the bound', () => {
  const tr = new Tracker({ geometry, confirmation: { m: 2, n: 2 }, deleters: [new CovarianceDeleter({ maxPositionSigmaM: 10 })] });
  const out: TrackRecord[] = [];
  for (let k = 0; k <= 100; k++) out.push(...tr.step(k / 10, k <= 10 ? [det(0, 0, 80)] : []));
  const lost = out.filter((r) => r.status === 'lost');
  assert.equal(lost.length, 1);
  assert.ok(lost[0]!.t > 1.1 && lost[0]!.t < 10, `deleted at ${lost[0]!.t}`);
});

test('gating: a detection far outside the gate starts its own track instead of updating', () => {
  const tr = new Tracker({ geometry, confirmation: { m: 2, n: 3 } });
  for (let k = 0; k < 5; k++) tr.step(k / 10, [det(0, 0, 100)]);
  assert.equal(tr.tracks.length, 1);
  const before = tr.tracks[0]!;
  // 60 m away: d² ≈ 60²/(P + R) ≫ 16.3.
  const r = tr.step(0.5, [det(60, 0, 100)]);
  assert.deepEqual(r.map((x) => [x.track_id, x.status]), [[1, 'confirmed'], [2, 'tentative']]);
  assert.equal(before.updatedThisScan, false);
  assert.ok(Math.abs(r[0]!.enu[0]) < 1, 'track 1 did not move toward the far detection');
  // 4 m away is inside the gate: the track takes it.
  const r2 = tr.step(0.6, [det(4, 0, 100)]);
  assert.equal(tr.tracks.find((x) => x.id === 1)!.updatedThisScan, true);
  assert.ok(r2[0]!.enu[0] > 0.5);
});

test('a ghost 28 m from a confirmed target does not grow into a track by feeding on the target\'s split detections', () => {
  // A confirmed target at rest at (0, 0, 100) whose detector also reports a split peak 1 m away
  // every scan (two peaks of one target); one ghost detection 28 m away starts a tentative track.
  // The split peaks are within the birth exclusion (20 m) of the confirmed track: they are the
  // target's, so the tentative ghost gets nothing and is given up; no second confirmed track.
  const tr = new Tracker({ geometry, confirmation: { m: 3, n: 5 }, initialVelocitySigma: 30 });
  for (let k = 0; k < 5; k++) tr.step(k / 10, [det(0, 0, 100)]);
  const recs: TrackRecord[] = [];
  recs.push(...tr.step(0.5, [det(0, 0, 100), det(28, 0, 100)]));
  for (let k = 6; k < 14; k++) recs.push(...tr.step(k / 10, [det(0, 0, 100), det(1, 0, 100)]));
  assert.ok(recs.some((r) => r.track_id === 2 && r.status === 'tentative'), 'the ghost started a tentative track');
  assert.ok(!recs.some((r) => r.track_id === 2 && r.status === 'confirmed'), 'the ghost was never confirmed');
  assert.ok(recs.some((r) => r.track_id === 2 && r.status === 'lost'), 'the ghost was given up');
  assert.deepEqual(tr.tracks.map((x) => [x.id, x.status]), [[1, 'confirmed']]);
});

test('contract checks: time never goes back, detections must be finite, options validated', () => {
  const tr = new Tracker({ geometry });
  tr.step(5, []);
  assert.throws(() => tr.step(4, []), TrackingInputError);
  tr.step(5.1, [det(0, 0, 0)]);
  assert.throws(() => tr.step(6, [{ enu: [0, Number.NaN, 0] }]), TrackingInputError);
  // The refused step changed nothing: the track was not predicted or counted.
  assert.equal(tr.tracks[0]!.scans, 1);
  assert.equal(tr.tracks[0]!.state.t, 5.1);
  assert.equal(tr.step(5.2, [det(0, 0, 0)])[0]!.track_id, 1);
  assert.throws(() => new Tracker({ confirmation: { m: 4, n: 3 } }), TrackingConfigError);
  assert.throws(() => new Tracker({ gateProbability: 1 }), TrackingConfigError);
  assert.throws(() => new Tracker({ initialVelocitySigma: 0 }), TrackingConfigError);
});

test('classification hook fills class and confidence of every record', () => {
  const tr = new Tracker({ geometry, classify: (t) => ({ class: t.status === 'confirmed' ? 'drone' : 'unknown', confidence: t.hits / 10 }) });
  const recs = [0, 1, 2, 3, 4, 5].flatMap((k) => tr.step(k / 10, [det(0, 0, 50)]));
  assert.deepEqual(recs.map((r) => [r.class, r.confidence]), [['unknown', 0.1], ['unknown', 0.2], ['unknown', 0.3], ['unknown', 0.4], ['drone', 0.5], ['drone', 0.6]]);
  const plain = new Tracker({ geometry }).step(0, [det(0, 0, 0)]);
  assert.deepEqual(plain, [{ t: 0, track_id: 1, status: 'tentative', enu: [0, 0, 0], vel: [0, 0, 0], class: 'unknown', confidence: 0 }]);
});
