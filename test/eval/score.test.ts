import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatedPairs, resolveEvalOptions, scoreRun } from '../../src/eval/score.ts';
import type { TrackRow, TruthRow, Vec3 } from '../../src/eval/types.ts';
import { close, grid, lineCameras } from './helpers.ts';

const truthRow = (t: number, id: string, cls: 'drone' | 'bird', enu: Vec3): TruthRow => ({ t, id, class: cls, enu });
const rep = (t: number, track_id: string, enu: Vec3, cls: TrackRow['class'] = 'unknown', status: TrackRow['status'] = 'confirmed'): TrackRow =>
  ({ t, track_id, status, enu, vel: [0, 0, 0], class: cls, confidence: 0.5 });
const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];

// Scenario "line": one drone flying east at 100 m/s, 1000 m north of the four line cameras
// (see helpers.ts). At e it is on camera c's image iff |e − c| ≤ 1000, so it is inside ≥ 3 of
// the images for e ∈ [−800, 1100], i.e. t ∈ [12.25, 31.25]: the 190 instants 12.3 … 31.2.
const droneAt = (t: number): Vec3 => [-2025 + 100 * t, 1000, 0];
const ALL_T = grid(0, 600);

function lineScenario(): { truth: TruthRow[]; tracks: TrackRow[] } {
  const truth = ALL_T.map((t) => truthRow(t, 'd1', 'drone', droneAt(t)));
  const tracks: TrackRow[] = [];
  // Tentative (never counts) on the drone from 10.0 to 14.9.
  for (const t of grid(100, 149)) tracks.push(rep(t, '7', droneAt(t), 'drone', 'tentative'));
  // Confirmed from 15.0 to 40.0, stamped 0.04 s late; 10 m off before t = 20, 4 m off after.
  for (const t of grid(150, 400)) tracks.push(rep(t + 0.04, '7', add(droneAt(t), t < 20 ? [6, 8, 0] : [0, 0, -4]), 'drone'));
  tracks.push(rep(40.1, '7', droneAt(40.1), 'drone', 'lost'));
  return { truth, tracks };
}

test('visibility: counted instants follow the camera footprints; a camera facing away never counts', () => {
  const { truth, tracks } = lineScenario();
  const r = scoreRun(truth, tracks, lineCameras());
  assert.equal(r.detection.countedInstants, 190);
  assert.equal(r.drones[0]!.countedInstants, 190);
  // Asking for 4 cameras: all four see e ∈ [−700, 1000] → t ∈ [13.25, 30.25] → 13.3 … 30.2 = 170.
  assert.equal(scoreRun(truth, tracks, lineCameras(), { minCameras: 4 }).detection.countedInstants, 170);
});

test('Pd and error statistics: tracks offset by known distances', () => {
  const { truth, tracks } = lineScenario();
  const r = scoreRun(truth, tracks, lineCameras());
  // Confirmed from 15.0: 163 of the 190 counted instants are matched (15.0 … 31.2);
  // 50 of them 10 m off (15.0 … 19.9), 113 of them 4 m off (20.0 … 31.2).
  assert.equal(r.detection.matchedInstants, 163);
  close(r.detection.pd, 163 / 190, 1e-12, 'Pd');
  close(r.detection.cep50M, 4, 1e-9, 'CEP50'); // the 82nd of 163 sorted errors
  close(r.detection.meanM, (50 * 10 + 113 * 4) / 163, 1e-9, 'mean');
  close(r.detection.p90M, 10, 1e-9, 'p90'); // rank 145.8 of 0…162 falls among the tens
  close(r.detection.maxM, 10, 1e-9, 'max');
  assert.equal(r.identity.switches, 0);
  assert.deepEqual(r.drones[0]!.trackIds, ['7']);
  // Every confirmed report is within 10 m of the drone: no false track.
  assert.equal(r.falseAlarms.falseTracks, 0);
  assert.equal(r.falseAlarms.perMinute, 0);
  assert.equal(r.checks.pd.pass, true);
  assert.equal(r.checks.cep50.pass, true);
  assert.equal(r.checks.far.pass, true);
});

test('GOSPA over all 601 truth instants, by hand', () => {
  const { truth, tracks } = lineScenario();
  const r = scoreRun(truth, tracks, lineCameras());
  // Per instant d² (c = 50, p = 2, α = 2; a missed or false point costs 1250):
  //  12.3 … 14.9   drone counted, no confirmed report         27 × 1250 (missed)
  //  15.0 … 19.9   matched 10 m off                            50 × 100
  //  20.0 … 31.2   matched 4 m off                            113 × 16
  //  31.3 … 40.1   drone not counted, report present (the     89 × 1250 (false)
  //                last confirmed report, 40.04, is within 0.1 s of 40.1)
  //  others        nothing                                      0
  const n = 601;
  close(r.gospa.meanM, (116 * Math.sqrt(1250) + 50 * 10 + 113 * 4) / n, 1e-9, 'mean');
  close(r.gospa.rmsM, Math.sqrt((116 * 1250 + 50 * 100 + 113 * 16) / n), 1e-9, 'rms');
  close(r.gospa.meanLocalization, (50 * 100 + 113 * 16) / n, 1e-9, 'loc');
  close(r.gospa.meanMissed, (27 * 1250) / n, 1e-9, 'missed');
  close(r.gospa.meanFalse, (89 * 1250) / n, 1e-9, 'false');
  close(r.gospa.meanMissedCount, 27 / n, 1e-12);
  close(r.gospa.meanFalseCount, 89 / n, 1e-12);
});

test('a truth instant uses each track\'s nearest confirmed report within ±0.1 s', () => {
  const truth = [truthRow(5, 'd', 'drone', [0, 0, 0])];
  const tracks = [
    rep(4.92, 'a', [30, 0, 0]), rep(5.02, 'a', [0, 0, 0]), // nearest (0.02 s) is exact
    rep(5.15, 'b', [0, 0, 0]), // 0.15 s away: not used
  ];
  const r = scoreRun(truth, tracks, [], { minCameras: 0 });
  assert.equal(r.detection.matchedInstants, 1);
  assert.equal(r.detection.cep50M, 0);
  assert.deepEqual(r.drones[0]!.trackIds, ['a']);
  // The nearest confirmed report is classed bird: the track does not stand for a drone then.
  const birdy = scoreRun(truth, [rep(4.98, 'a', [0, 0, 0], 'bird'), rep(5.05, 'a', [0, 0, 0], 'drone')], [], { minCameras: 0 });
  assert.equal(birdy.detection.matchedInstants, 0);
  assert.equal(birdy.detection.pd, 0);
});

test('pairing maximises in-gate matches before minimising distance', () => {
  // A at 0, B at 45; P at 40, Q at −45. Nearest-first gives A–P (40) and leaves B (85 from Q)
  // unmatched; the right answer is A–Q (45) and B–P (5).
  assert.deepEqual(gatedPairs([[0, 0, 0], [45, 0, 0]], [[40, 0, 0], [-45, 0, 0]], 50), [1, 0]);
  // One report between two drones serves only one of them.
  const truth = [truthRow(1, 'a', 'drone', [0, 0, 0]), truthRow(1, 'b', 'drone', [40, 0, 0])];
  const r = scoreRun(truth, [rep(1, 't', [30, 0, 0])], [], { minCameras: 0 });
  assert.equal(r.detection.countedInstants, 2);
  assert.equal(r.detection.matchedInstants, 1);
  assert.equal(r.drones[1]!.matchedInstants, 1); // b is 10 m away, a 30 m
});

test('FAR: false confirmed non-bird tracks per minute of truth', () => {
  const drone: Vec3 = [0, 1000, 100], far: Vec3 = [0, 5000, 100];
  const truth = ALL_T.map((t) => truthRow(t, 'd', 'drone', drone)); // 0 … 60 s: one minute
  const tracks: TrackRow[] = [];
  for (const t of ALL_T) tracks.push(rep(t, 'ok', drone, 'drone'));
  for (const t of grid(100, 200)) tracks.push(rep(t, 'F1', far)); // never near a drone: false
  const mixed = (id: string, nearCount: number, total: number, cls: (k: number) => TrackRow['class'] = () => 'unknown') => {
    for (let k = 0; k < total; k++) tracks.push(rep(30 + k / 10, id, k < nearCount ? add(drone, [0, 30, 0]) : far, cls(k)));
  };
  mixed('F2', 4, 10); // 40 % near a drone: false
  mixed('N', 6, 10); // 60 %: not false
  mixed('H', 5, 10); // exactly half: not false ("fewer than half" are near)
  mixed('B', 0, 10, () => 'bird'); // a bird track: not a non-bird track, never a false alarm
  mixed('B2', 0, 10, (k) => (k < 5 ? 'bird' : 'unknown')); // bird only half the time: non-bird, false
  mixed('B3', 0, 10, (k) => (k < 6 ? 'bird' : 'unknown')); // bird 60 %: a bird track
  for (const t of grid(0, 100)) tracks.push(rep(t, 'T', far, 'unknown', 'tentative')); // never confirmed
  const r = scoreRun(truth, tracks, [], { minCameras: 0 });
  assert.deepEqual(r.falseAlarms.tracks.map((f) => f.trackId), ['B2', 'F1', 'F2']);
  assert.equal(r.falseAlarms.falseTracks, 3);
  close(r.falseAlarms.perMinute, 3, 1e-12, 'FAR');
  assert.equal(r.checks.far.pass, false);
  assert.deepEqual(r.falseAlarms.tracks[1], { trackId: 'F1', firstT: 10, lastT: 20, confirmedReports: 101, nearDroneReports: 0 });
  assert.equal(r.falseAlarms.tracks[2]!.nearDroneReports, 4);
  assert.equal(r.tracks.tracks, 9);
  assert.equal(r.tracks.confirmedTracks, 8);
});

test('bird-flag and drone-as-bird rates, overall and per target', () => {
  const truth: TruthRow[] = [];
  const tracks: TrackRow[] = [];
  for (let k = 0; k < 20; k++) {
    const t = k / 10;
    const b1: Vec3 = [10 * t, 500, 50], b2: Vec3 = [1000, 500 + t, 50], b3: Vec3 = [3000, 0, 50], d1: Vec3 = [-1000, 500, 50];
    truth.push(truthRow(t, 'b1', 'bird', b1), truthRow(t, 'b2', 'bird', b2), truthRow(t, 'b3', 'bird', b3), truthRow(t, 'd1', 'drone', d1));
    tracks.push(rep(t, 'tb1', add(b1, [3, 0, 0]), k < 10 ? 'bird' : 'unknown')); // b1: bird half the time
    if (k < 10) tracks.push(rep(t, 'tb2', b2, k < 8 ? 'bird' : 'drone')); // b2: 8 of 10
    if (k < 10) tracks.push(rep(t, 'td1', d1, k === 3 ? 'bird' : 'drone')); // d1: bird 1 of 10
    tracks.push(rep(t, 'tent', b3, 'unknown', 'tentative')); // b3 only ever tentative
    tracks.push(rep(t, 'stray', [0, -2000, 50], 'bird')); // near nothing: associated with no target
  }
  const r = scoreRun(truth, tracks, [], { minCameras: 0 });
  const byId = Object.fromEntries(r.birds.map((b) => [b.id, b]));
  assert.deepEqual(byId['b1'], { id: 'b1', reports: 20, birdReports: 10, flagRate: 0.5 });
  assert.deepEqual(byId['b2'], { id: 'b2', reports: 10, birdReports: 8, flagRate: 0.8 });
  assert.deepEqual(byId['b3'], { id: 'b3', reports: 0, birdReports: 0, flagRate: null });
  close(r.classification.birdFlagRate, 18 / 30, 1e-12);
  assert.equal(r.drones[0]!.reports, 10);
  close(r.drones[0]!.asBirdRate, 0.1, 1e-12);
  close(r.classification.droneAsBirdRate, 0.1, 1e-12);
  assert.deepEqual([r.checks.birdFlag.value, r.checks.birdFlag.pass], [0.5, false]); // worst bird
  assert.deepEqual([r.checks.droneAsBird.value, r.checks.droneAsBird.pass], [0.1, true]);
  // d1 is counted at all 20 instants; td1 stands for it at 0.0 … 0.9 except 0.3 (classed bird),
  // and at 1.0, whose nearest report (0.9) is still within 0.1 s: 10 instants.
  assert.equal(r.drones[0]!.countedInstants, 20);
  assert.equal(r.drones[0]!.matchedInstants, 10);
});

test('identity switches when two crossing drones swap tracks', () => {
  // A flies east along n = 1000, B west along n = 1010; they pass each other at t = 10.
  const A = (t: number): Vec3 => [-500 + 50 * t, 1000, 100];
  const B = (t: number): Vec3 => [500 - 50 * t, 1010, 100];
  const ts = grid(0, 200);
  const truth = ts.flatMap((t) => [truthRow(t, 'A', 'drone', A(t)), truthRow(t, 'B', 'drone', B(t))]);
  const kept = ts.flatMap((t) => [rep(t, '1', A(t)), rep(t, '2', B(t))]);
  const swapped = ts.flatMap((t) => (t < 10 ? [rep(t, '1', A(t)), rep(t, '2', B(t))] : [rep(t, '1', B(t)), rep(t, '2', A(t))]));
  const ok = scoreRun(truth, kept, [], { minCameras: 0 });
  assert.equal(ok.identity.switches, 0);
  assert.equal(ok.detection.pd, 1);
  const sw = scoreRun(truth, swapped, [], { minCameras: 0 });
  assert.equal(sw.identity.switches, 2);
  assert.deepEqual(sw.drones.map((d) => [d.id, d.idSwitches, d.trackIds]), [['A', 1, ['1', '2']], ['B', 1, ['2', '1']]]);
  assert.equal(sw.detection.pd, 1);
  assert.equal(sw.detection.maxM, 0);
});

test('no tracks at all: Pd 0, CEP undefined, FAR 0; options and truth are validated', () => {
  const truth = grid(0, 10).map((t) => truthRow(t, 'd', 'drone', [0, 1000, 0]));
  const r = scoreRun(truth, [], lineCameras());
  assert.equal(r.detection.pd, 0);
  assert.equal(r.detection.cep50M, null);
  assert.equal(r.checks.cep50.pass, null);
  assert.equal(r.falseAlarms.perMinute, 0);
  close(r.gospa.meanM, Math.sqrt(1250), 1e-9); // drone at e = 0 is on all four images: missed throughout
  assert.throws(() => resolveEvalOptions({ gateM: 0 }), RangeError);
  assert.throws(() => resolveEvalOptions({ gospaAlpha: 3 }), RangeError);
  assert.throws(() => resolveEvalOptions({ minCameras: 1.5 }), RangeError);
  assert.throws(() => scoreRun([], [], []), /no rows/);
  assert.throws(() => scoreRun([truthRow(1, 'x', 'drone', [0, 0, 0]), truthRow(1, 'x', 'drone', [1, 0, 0])], [], []), /twice/);
  assert.throws(() => scoreRun([truthRow(1, 'x', 'drone', [0, 0, 0]), truthRow(2, 'x', 'bird', [1, 0, 0])], [], []), /changes class/);
});
