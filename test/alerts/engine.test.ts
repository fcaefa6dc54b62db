import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlertEngine, AlertError, AlertJsonlWriter, formatAlert, zoneFromEnu, type Alert, type TrackUpdate } from '../../src/alerts/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { tmpDir } from '../helpers/tmp.ts';

const close = (a: number | undefined, b: number, tol: number, what = ''): void => assert.ok(a !== undefined && Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);
const SQ: [number, number][] = [[0, 0], [100, 0], [100, 100], [0, 100]];
/** The hand-made zone: a 100 m square, 0–120 m, every event, 20 s loiter, drones only, 5 m hysteresis. */
const square = (extra: Partial<Parameters<typeof zoneFromEnu>[0]> = {}) =>
  zoneFromEnu({ id: 'sq', ceiling_m: 120, alert_on: ['enter', 'loiter', 'exit'], loiter_s: 20, classes: ['drone'], hysteresis_m: 5, polygons: [[SQ]], ...extra });

type Pos = (t: number) => [number, number, number];
function track(id: string, pos: Pos, times: number[], over: Partial<TrackUpdate> = {}): TrackUpdate[] {
  return times.map((t) => ({ t, track_id: id, status: 'confirmed', enu: pos(t), vel: [0, 0, 0], class: 'drone', confidence: 0.9, ...over }));
}
const seconds = (a: number, b: number, dt = 1): number[] => Array.from({ length: Math.round((b - a) / dt) + 1 }, (_, k) => a + k * dt);
const kinds = (as: Alert[]): string => as.map((a) => `${a.kind}@${a.t}`).join(' ');

// Eastward along n = 50 at 50 m height, 4 m/s from e = −30 at t = 0: e = 0 at t = 7.5, e = 100 at t = 32.5.
const east: Pos = (t) => [-30 + 4 * t, 50, 50];

test('a drone crossing the square: enter, loiter and exit at the hand-computed times', () => {
  const eng = new AlertEngine([square()]);
  const alerts = eng.updateAll(track('d1', east, seconds(0, 40)));
  // Enter: first update inside is t = 8 (e = 2); crossing e = 0 at 7.5.
  // Loiter: first update with t − 7.5 ≥ 20, t = 28. Exit: e = 102 at t = 33 is within the 5 m
  // margin, e = 106 at t = 34 beyond it; the track crossed e = 100 at 32.5.
  assert.equal(kinds(alerts), 'enter@8 loiter@28 exit@34');
  const [enter, loiter, exit] = alerts;
  close(enter?.t_cross, 7.5, 1e-9, 'entry crossing');
  close(loiter?.t_cross, 7.5, 1e-9);
  close(exit?.t_cross, 32.5, 1e-9, 'exit crossing');
  assert.deepEqual(enter?.enu, [2, 50, 50]);
  assert.equal(exit?.reason, 'left');
  assert.deepEqual(alerts.map((a) => a.alert_id), ['sq/d1/enter/1', 'sq/d1/loiter/1', 'sq/d1/exit/1']);
  assert.ok(alerts.every((a) => a.zone === 'sq' && a.track_id === 'd1' && a.class === 'drone' && a.confidence === 0.9));
});

test('uneven update times: the entry crossing is interpolated on the straight segment', () => {
  const eng = new AlertEngine([square()]);
  const alerts = eng.updateAll(track('d1', east, [0, 3.3, 7.1, 9.7, 12]));
  // e(7.1) = −1.6 outside, e(9.7) = 8.8 inside: linear interpolation puts e = 0 at 7.5 exactly.
  assert.equal(kinds(alerts), 'enter@9.7');
  close(alerts[0]?.t_cross, 7.5, 1e-9);
});

test('the altitude band: a pass above the ceiling raises nothing; a descent enters when it crosses 120 m', () => {
  const eng = new AlertEngine([square()]);
  assert.deepEqual(eng.updateAll(track('high', (t) => [-30 + 4 * t, 50, 150], seconds(0, 40))), []);
  // Descending at 5 m/s over the middle from 152 m: u = 120 at t = 6.4; first update inside t = 7.
  const down = eng.updateAll(track('down', (t) => [50, 50, 152 - 5 * t], seconds(0, 10)));
  assert.equal(kinds(down), 'enter@7');
  close(down[0]?.t_cross, 6.4, 1e-9);
  // Then a climb from 2 m at 4 m/s: loiter at the first update 20 s after 6.4 (t = 27); out through
  // the ceiling at u = 120, t = 39.5, but the exit only once more than 5 m above it (u > 125 at t > 40.75).
  const up = eng.updateAll(track('down', (t) => [50, 50, 2 + 4 * (t - 10)], seconds(11, 50)));
  assert.equal(kinds(up), 'loiter@27 exit@41');
  close(up[1]?.t_cross, 39.5, 1e-9);
});

test('loiter fires once, at the right time, however long the drone stays', () => {
  const eng = new AlertEngine([square()]);
  // In at 4 m/s until e = 50 (t = 20), then hovering for 200 s.
  const pos: Pos = (t) => [Math.min(-30 + 4 * t, 50), 50, 50];
  const alerts = eng.updateAll(track('h', pos, seconds(0, 220, 0.5)));
  // The update at t = 7.5 lies exactly on the edge e = 0, which belongs to the zone.
  assert.equal(kinds(alerts), 'enter@7.5 loiter@27.5');
  close(alerts[0]?.t_cross, 7.5, 1e-9);
  assert.deepEqual(eng.presentIn('h'), ['sq']);
});

test('zone rules: a bird does not alert in a drones-only zone; min_confidence gates unknowns', () => {
  const eng = new AlertEngine([square(), square({ id: 'any', classes: ['drone', 'bird', 'unknown'], min_confidence: 0.7 })]);
  const bird = eng.updateAll(track('b', east, seconds(0, 40), { class: 'bird' }));
  assert.deepEqual(bird.map((a) => a.alert_id), ['any/b/enter/1', 'any/b/loiter/1', 'any/b/exit/1']);
  const unsure = eng.updateAll(track('u', east, seconds(0, 40), { class: 'unknown', confidence: 0.5 }));
  assert.deepEqual(unsure, []);
  // Tentative tracks never alert, even drones.
  assert.deepEqual(eng.updateAll(track('t', east, seconds(0, 40), { status: 'tentative' })), []);
});

test('a track that becomes an eligible drone while inside alerts then (entry time still the crossing)', () => {
  const eng = new AlertEngine([square()]);
  const ups = track('late', east, seconds(0, 40)).map((u) => (u.t < 15 ? { ...u, class: 'unknown' as const, confidence: 0.6 } : u));
  const alerts = eng.updateAll(ups);
  assert.equal(kinds(alerts), 'enter@15 loiter@28 exit@34');
  close(alerts[0]?.t_cross, 7.5, 1e-9);
});

test('boundary jitter does not spam: one enter, one exit; without hysteresis it would', () => {
  const rng = new Rng(42);
  // Hovering on the west edge e = 0 with ±2 m of tracker noise for 60 s, then flying off west.
  const times = seconds(0, 80, 0.2);
  const jitter = times.map(() => 2 * (rng.next() * 2 - 1));
  const ups = times.map((t, i): TrackUpdate => ({
    t, track_id: 'j', status: 'confirmed', enu: [t < 60 ? jitter[i]! : -(t - 60) * 2, 50, 50], class: 'drone', confidence: 0.9,
  }));
  const withH = new AlertEngine([square()]).updateAll(ups);
  assert.deepEqual(withH.map((a) => a.kind), ['enter', 'loiter', 'exit']);
  // Exit once more than 5 m out: e = −2·(t − 60) < −5 first at t = 62.6.
  close(withH[2]?.t, 62.6, 1e-9);
  const noH = new AlertEngine([square({ hysteresis_m: 0 })]).updateAll(ups);
  assert.ok(noH.filter((a) => a.kind === 'enter').length > 20, `without hysteresis: ${noH.length} alerts`);
});

test('a lost track inside ends its presence (exit, reason lost); the same id later starts presence 2', () => {
  const eng = new AlertEngine([square()]);
  const a = eng.updateAll(track('L', east, seconds(0, 12)));
  const lost = eng.update({ t: 13, track_id: 'L', status: 'lost', enu: east(13), class: 'drone', confidence: 0.9 });
  assert.equal(kinds([...a, ...lost]), 'enter@8 exit@13');
  assert.equal(lost[0]?.reason, 'lost');
  assert.equal(lost[0]?.t_cross, undefined);
  assert.equal(eng.trackCount, 0);
  const again = eng.updateAll(track('L', east, seconds(20, 22)));
  assert.deepEqual(again.map((x) => x.alert_id), ['sq/L/enter/2']);
});

test('a track that stops updating inside ends after staleAfter_s', () => {
  const eng = new AlertEngine([square()], { staleAfter_s: 5 });
  const a = eng.updateAll(track('s', east, seconds(0, 12)));
  const other = eng.updateAll(track('far', (t) => [500, 500, 50], seconds(13, 18)));
  assert.equal(kinds(a), 'enter@8');
  assert.equal(kinds(other), 'exit@17');
  assert.equal(other[0]?.reason, 'stale');
  assert.deepEqual(other[0]?.enu, east(12));
});

test('holes and MultiPolygon: leaving into the hole is an exit, the second polygon an entry', () => {
  const HOLE: [number, number][] = [[40, 40], [40, 60], [60, 60], [60, 40]];
  const FAR: [number, number][] = [[200, 0], [220, 0], [220, 100], [200, 100]];
  const z = zoneFromEnu({ id: 'm', ceiling_m: 120, alert_on: ['enter', 'exit'], classes: ['drone'], hysteresis_m: 0, polygons: [[SQ, HOLE], [FAR]] });
  const alerts = new AlertEngine([z]).updateAll(track('x', east, seconds(0, 70)));
  // e: 0 at 7.5 (in), 40 at 17.5 (into the hole), 60 at 22.5 (out of it), 100 at 32.5, 200 at 57.5, 220 at 62.5.
  assert.equal(kinds(alerts), 'enter@8 exit@18 enter@23 exit@33 enter@58 exit@63');
  const cross = alerts.map((x) => x.t_cross!);
  [7.5, 17.5, 22.5, 32.5, 57.5, 62.5].forEach((want, i) => close(cross[i], want, 1e-9, `crossing ${i}`));
  assert.deepEqual(alerts.map((x) => x.alert_id.split('/').slice(2).join('/')), ['enter/1', 'exit/1', 'enter/2', 'exit/2', 'enter/3', 'exit/3']);
});

test('alerts.jsonl: one JSON object per line, stable keys, same ids on a rerun', async (t) => {
  const run = (): Alert[] => new AlertEngine([square()]).updateAll([...track('d1', east, seconds(0, 40)), ...track('d2', east, seconds(41, 80).map((x) => x - 41 + 0.5))].sort((a, b) => a.t - b.t));
  const first = run(), second = run();
  assert.deepEqual(second, first);
  const path = join(tmpDir(t), 'alerts.jsonl');
  const w = new AlertJsonlWriter(path);
  w.write(first);
  await w.close();
  await w.close();
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, first.length);
  const o = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(o), ['alert_id', 'kind', 'track_id', 'zone', 't', 'enu', 'class', 'confidence', 't_cross']);
  assert.equal(lines[0], formatAlert(first[0]!));
});

test('bad input and use after close are refused with stable codes; close() twice is safe', () => {
  const eng = new AlertEngine([square()]);
  const code = (fn: () => unknown, want: string): void => assert.throws(fn, (e: unknown) => e instanceof AlertError && e.code === want);
  code(() => eng.update({ t: NaN, track_id: 1, status: 'confirmed', enu: [0, 0, 0], class: 'drone', confidence: 1 }), 'ALERT_INPUT');
  code(() => eng.update({ t: 0, track_id: 1, status: 'confirmed', enu: [0, 0], class: 'drone', confidence: 1 }), 'ALERT_INPUT');
  code(() => eng.update({ t: 0, track_id: 1, status: 'gone' as never, enu: [0, 0, 0], class: 'drone', confidence: 1 }), 'ALERT_INPUT');
  code(() => new AlertEngine([square(), square()]), 'ALERT_OPTIONS');
  code(() => new AlertEngine([square()], { hysteresis_m: -1 }), 'ALERT_OPTIONS');
  // Out-of-order updates of one track are dropped and counted.
  eng.update({ t: 5, track_id: 7, status: 'confirmed', enu: [50, 50, 50], class: 'drone', confidence: 1 });
  assert.deepEqual(eng.update({ t: 4, track_id: 7, status: 'confirmed', enu: [500, 50, 50], class: 'drone', confidence: 1 }), []);
  assert.equal(eng.outOfOrder, 1);
  eng.close();
  eng.close();
  code(() => eng.update({ t: 9, track_id: 1, status: 'confirmed', enu: [0, 0, 0], class: 'drone', confidence: 1 }), 'ALERT_STATE');
});
