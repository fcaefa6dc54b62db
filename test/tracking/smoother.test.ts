import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantVelocity, Tracker, invert, rtsSmooth, type TrackPoint } from '../../src/tracking/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { dist, line, makeScans } from './helpers.ts';

test('RTS with (almost) no process noise equals the least-squares straight line through the detections', () => {
  // With q → 0 and a diffuse velocity prior, the smoothed track is the weighted least-squares fit of
  // z = a + b·t per axis (equal R, so ordinary LS): b = Σ(t−t̄)(z−z̄)/Σ(t−t̄)², a = z̄ − b·t̄.
  const rng = new Rng(3);
  const sigma = 3;
  const R = Float64Array.from([sigma ** 2, 0, 0, 0, sigma ** 2, 0, 0, 0, sigma ** 2]);
  const pts: TrackPoint[] = [];
  for (let k = 0; k < 40; k++) {
    const t = 0.1 * k + (k % 3) * 0.02; // uneven spacing
    pts.push({ t, z: Float64Array.from([5 + 12 * t + sigma * rng.normal(), -3 - 4 * t + sigma * rng.normal(), 80 + 0.5 * t + sigma * rng.normal()]), R });
  }
  const sm = rtsSmooth(new ConstantVelocity({ q: 1e-12 }), pts, { velocitySigma: 1e4, accelerationSigma: 0 });
  assert.equal(sm.length, pts.length);
  for (let axis = 0; axis < 3; axis++) {
    const tm = pts.reduce((a, p) => a + p.t, 0) / pts.length;
    const zm = pts.reduce((a, p) => a + p.z[axis]!, 0) / pts.length;
    const b = pts.reduce((a, p) => a + (p.t - tm) * (p.z[axis]! - zm), 0) / pts.reduce((a, p) => a + (p.t - tm) ** 2, 0);
    const a = zm - b * tm;
    pts.forEach((p, k) => {
      assert.ok(Math.abs(sm[k]!.x[axis]! - (a + b * p.t)) < 1e-4, `axis ${axis}, point ${k}: ${sm[k]!.x[axis]} vs ${a + b * p.t}`);
      assert.ok(Math.abs(sm[k]!.x[3 + axis]! - b) < 1e-4);
    });
  }
});

test('smoothing the tracker\'s history lowers the position error of a noisy straight track', () => {
  const path = line([0, 400, 90], [9, -4, 0.3]);
  const scans = makeScans([path], { dt: 1 / 15, duration: 20, pd: 0.9, sigma: 3, seed: 8 });
  const tr = new Tracker({ geometry: { fallbackSigmaM: 3 }, keepHistory: true });
  const filteredErr: number[] = [];
  for (const s of scans) {
    const recs = tr.step(s.t, s.dets).filter((r) => r.status === 'confirmed');
    if (recs.length === 1 && s.t > 2) filteredErr.push(dist(recs[0]!.enu, s.truth[0]!));
  }
  const track = tr.tracks.find((x) => x.status === 'confirmed')!;
  const hist = track.history!;
  assert.ok(hist.length > 250);
  const sm = rtsSmooth(new ConstantVelocity({ q: 0.5 }), hist, { velocitySigma: 15, accelerationSigma: 0 });
  const smoothErr = sm.filter((s) => s.t > 2).map((s) => dist(s.x, path(s.t)));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(smoothErr) < 0.7 * mean(filteredErr), `smoothed ${mean(smoothErr)} m vs filtered ${mean(filteredErr)} m`);
});

test('Gauss–Jordan inverse: a known 3×3 inverse and a singular matrix', () => {
  // [[2, 1, 0], [1, 3, 1], [0, 1, 4]]⁻¹ = (1/18)·[[11, −4, 1], [−4, 8, −2], [1, −2, 5]] (det = 18).
  const out = new Float64Array(9);
  assert.equal(invert(out, Float64Array.from([2, 1, 0, 1, 3, 1, 0, 1, 4]), 3, new Float64Array(9)), true);
  [11, -4, 1, -4, 8, -2, 1, -2, 5].forEach((v, i) => assert.ok(Math.abs(out[i]! - v / 18) < 1e-14));
  assert.equal(invert(out, Float64Array.from([1, 2, 3, 2, 4, 6, 0, 0, 1]), 3, new Float64Array(9)), false);
});
