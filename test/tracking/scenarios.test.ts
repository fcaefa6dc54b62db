import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tracker, createDefaultFilter, type TrackRecord, type Vec3 } from '../../src/tracking/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { dist, line, makeScans, type Path } from './helpers.ts';

const geometry = { fallbackSigmaM: 2 };

test('IMM: mode probability moves to constant acceleration in a turn and back to constant velocity on straight flight', () => {
  // 15 m/s east for 10 s, a level turn at 5 m/s² (ω = a/v = 1/3 rad/s) for 6 s, then straight for 12 s.
  const v = 15, a = 5, w = a / v, T1 = 10, T2 = 16, T3 = 28;
  const R0 = v / w;
  const pos = (t: number): Vec3 => {
    if (t <= T1) return [v * t, 0, 100];
    if (t <= T2) { const th = w * (t - T1); return [v * T1 + R0 * Math.sin(th), R0 * (1 - Math.cos(th)), 100]; }
    const th = w * (T2 - T1), dt = t - T2;
    return [v * T1 + R0 * Math.sin(th) + v * Math.cos(th) * dt, R0 * (1 - Math.cos(th)) + v * Math.sin(th) * dt, 100];
  };
  const imm = createDefaultFilter();
  const rng = new Rng(7);
  const sigma = 1.5;
  const R = Float64Array.from([sigma ** 2, 0, 0, 0, sigma ** 2, 0, 0, 0, sigma ** 2]);
  const s = imm.initiate(0, pos(0), R, { velocitySigma: 15, accelerationSigma: 3 });
  const res = { d2: 0, logDetS: 0 };
  const muCa: { t: number; p: number }[] = [];
  const errs: number[] = [];
  for (let k = 1; k <= T3 * 15; k++) {
    const t = k / 15, p = pos(t);
    imm.predict(s, t);
    imm.update(s, [p[0] + sigma * rng.normal(), p[1] + sigma * rng.normal(), p[2] + sigma * rng.normal()], R, res);
    muCa.push({ t, p: s.mu[1]! });
    if (t > 3) errs.push(dist(s.x, p));
  }
  const mean = (t0: number, t1: number) => { const xs = muCa.filter((m) => m.t >= t0 && m.t < t1).map((m) => m.p); return xs.reduce((x, y) => x + y, 0) / xs.length; };
  const straight1 = mean(5, 10), turn = mean(11.5, 16), straight2 = mean(22, 28);
  assert.ok(straight1 < 0.25, `CA probability on straight flight: ${straight1}`);
  assert.ok(turn > 0.6, `CA probability in the turn: ${turn}`);
  assert.ok(straight2 < 0.25, `CA probability back on straight flight: ${straight2}`);
  const rms = Math.sqrt(errs.reduce((x, e) => x + e * e, 0) / errs.length);
  assert.ok(rms < sigma, `filtered position RMS ${rms} m is below the measurement σ ${sigma} m`);
});

/** Track id closest to the truth in the records of one scan time (confirmed only). */
function nearestTrack(recs: TrackRecord[], p: Vec3, gate: number): number | undefined {
  let best: TrackRecord | undefined;
  for (const r of recs) if (r.status === 'confirmed' && dist(r.enu, p) < gate && (!best || dist(r.enu, p) < dist(best.enu, p))) best = r;
  return best?.track_id;
}

test('two targets crossing 10 m apart keep their identities', () => {
  // A flies east, B flies north-east; closest approach 10 m (in height) at t = 20 s, 15 Hz scans,
  // σ = 2 m detections with Pd 0.9.
  const A: Path = line([-300, 0, 100], [15, 0, 0]);
  const B: Path = (t) => [-212 + 10.6 * t, -212 + 10.6 * t, 110];
  assert.ok(Math.abs(dist(A(20), B(20)) - 10) < 0.1);
  for (const seed of [1, 2, 3, 4, 5]) {
    const scans = makeScans([A, B], { dt: 1 / 15, duration: 40, pd: 0.9, sigma: 2, seed });
    const tr = new Tracker({ geometry });
    const idsA = new Set<number>(), idsB = new Set<number>();
    for (const s of scans) {
      const recs = tr.step(s.t, s.dets);
      if (s.t < 2) continue; // confirmation
      const a = nearestTrack(recs, s.truth[0]!, 10), b = nearestTrack(recs, s.truth[1]!, 10);
      assert.ok(a !== undefined && b !== undefined, `seed ${seed}, t=${s.t}: both targets tracked`);
      idsA.add(a); idsB.add(b);
    }
    assert.equal(idsA.size, 1, `seed ${seed}: target A seen as tracks ${[...idsA]}`);
    assert.equal(idsB.size, 1, `seed ${seed}: target B seen as tracks ${[...idsB]}`);
    assert.notEqual([...idsA][0], [...idsB][0]);
  }
});

test('clutter at 5/s in a 1.2 km box confirms no track while the true target is confirmed within 1 s', () => {
  const box = { min: [-600, -600, 0] as Vec3, max: [600, 600, 400] as Vec3 };
  const target: Path = line([-200, -100, 120], [8, 5, 0.5]);
  let falseConfirmed = 0, tentative = 0;
  for (const seed of [11, 12, 13]) {
    const scans = makeScans([target], { dt: 1 / 15, duration: 60, pd: 0.85, sigma: 2, clutterPerS: 5, box, seed });
    const clutter = scans.reduce((a, s) => a + s.dets.filter((d) => d.energy === 0.5).length, 0);
    assert.ok(clutter > 250 && clutter < 350, `~300 false detections, got ${clutter}`);
    const tr = new Tracker({ geometry });
    const confirmedIds = new Set<number>();
    let firstConfirmed = Infinity;
    for (const s of scans) {
      for (const r of tr.step(s.t, s.dets)) {
        if (r.status === 'tentative') tentative++;
        if (r.status !== 'confirmed') continue;
        confirmedIds.add(r.track_id);
        if (dist(r.enu, s.truth[0]!) > 15) falseConfirmed++;
        else firstConfirmed = Math.min(firstConfirmed, r.t);
      }
    }
    assert.equal(falseConfirmed, 0, `seed ${seed}: confirmed records away from the target`);
    assert.equal(confirmedIds.size, 1, `seed ${seed}: confirmed ids ${[...confirmedIds]}`);
    assert.ok(firstConfirmed <= 1, `seed ${seed}: target confirmed at ${firstConfirmed} s`);
  }
  assert.ok(tentative > 500, 'the clutter did start tentative tracks');
});

test('split detections of one target (two peaks 6 m apart per scan) give one confirmed track; without exclusion and merging, two', () => {
  // The detector sometimes reports a second peak a few metres along the viewing direction.
  const target: Path = line([0, 500, 100], [10, 0, 0]);
  const rng = new Rng(5);
  const scans = makeScans([target], { dt: 1 / 15, duration: 20, pd: 0.95, sigma: 1, seed: 21 });
  for (const s of scans) if (s.dets.length > 0 && rng.next() < 0.6) { const e = s.dets[0]!.enu; s.dets.push({ enu: [e[0]!, e[1]! + 6 + rng.normal(), e[2]!] }); }
  const confirmedIds = (opts: { birthExclusionM?: number; mergeScans?: number }) => {
    const tr = new Tracker({ geometry: { fallbackSigmaM: 1 }, ...opts });
    const ids = new Set<number>();
    let last: Set<number> = new Set();
    for (const s of scans) {
      const recs = tr.step(s.t, s.dets).filter((r) => r.status === 'confirmed');
      for (const r of recs) ids.add(r.track_id);
      last = new Set(recs.map((r) => r.track_id));
    }
    return { ids, last };
  };
  const plain = confirmedIds({ birthExclusionM: 0, mergeScans: 0 });
  assert.ok(plain.last.size >= 2, `without the remedies the split peaks hold ${plain.last.size} tracks at the end`);
  const fixed = confirmedIds({});
  assert.deepEqual([...fixed.ids], [1], `confirmed ids ${[...fixed.ids]}`);
});
