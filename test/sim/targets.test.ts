/**
 * Target appearance: a bird's wing beat shows as a flicker of its contrast and span at the
 * wing-beat frequency, found here by spectral analysis of sampled appearances (not by reading
 * the code's formula); a drone looks the same at every instant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedTarget, type SimTarget } from '../../src/sim/index.ts';

type Appearance = { widthM: number; heightM: number; contrast: number };

function target(over: Partial<SimTarget>): SimTarget {
  return { id: 't', class: 'bird', size_m: 0.8, intensity: -50, path: [[0, 0, 100, 30], [10, 50, 100, 30]], ...over };
}

const RATE = 200; // Hz
const SECONDS = 5;

function sample(tg: SimulatedTarget, pick: (a: Appearance) => number): number[] {
  const a: Appearance = { widthM: 0, heightM: 0, contrast: 0 };
  const out: number[] = [];
  for (let i = 0; i < RATE * SECONDS; i++) out.push(pick(tg.appearanceAt(1 + i / RATE, a)));
  return out;
}

/**
 * Frequency (Hz) of the largest peak of the DFT magnitude of `x` (mean removed), scanned from
 * 0.5 to 30 Hz in 0.01 Hz steps with a Hann window.
 */
function dominantHz(x: number[]): number {
  const n = x.length;
  const mean = x.reduce((s, v) => s + v, 0) / n;
  const w = x.map((v, i) => (v - mean) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1))));
  let best = 0, bestHz = 0;
  for (let f = 0.5; f <= 30; f += 0.01) {
    let re = 0, im = 0;
    const step = (2 * Math.PI * f) / RATE;
    for (let i = 0; i < n; i++) {
      re += w[i]! * Math.cos(step * i);
      im -= w[i]! * Math.sin(step * i);
    }
    const mag = re * re + im * im;
    if (mag > best) { best = mag; bestHz = f; }
  }
  return bestHz;
}

test('the spectral estimate itself finds a known sinusoid within 0.05 Hz', () => {
  const x = Array.from({ length: RATE * SECONDS }, (_, i) => 3 + Math.cos(2 * Math.PI * 4.37 * (i / RATE) + 1));
  assert.ok(Math.abs(dominantHz(x) - 4.37) < 0.05);
});

test('a bird with flap_hz: contrast and span flicker at that frequency', () => {
  for (const hz of [3.3, 5, 7.9, 12]) {
    const tg = new SimulatedTarget(target({ flap_hz: hz }), 7, 0);
    const contrast = sample(tg, (a) => a.contrast);
    const width = sample(tg, (a) => a.widthM);
    assert.ok(Math.max(...contrast) - Math.min(...contrast) > 5, `${hz} Hz: contrast really varies`);
    assert.ok(Math.max(...width) - Math.min(...width) > 0.1, `${hz} Hz: span really varies`);
    const fc = dominantHz(contrast), fw = dominantHz(width);
    assert.ok(Math.abs(fc - hz) < 0.1, `contrast flickers at ${fc} Hz, flap_hz ${hz}`);
    assert.ok(Math.abs(fw - hz) < 0.1, `span flickers at ${fw} Hz, flap_hz ${hz}`);
  }
});

test('a bird keeps the sign of its contrast and a size no larger than size_m', () => {
  for (const intensity of [-50, 40]) {
    const tg = new SimulatedTarget(target({ intensity, flap_hz: 5 }), 3, 1);
    const a: Appearance = { widthM: 0, heightM: 0, contrast: 0 };
    for (let i = 0; i < 400; i++) {
      tg.appearanceAt(i / 200, a);
      assert.ok(Math.sign(a.contrast) === Math.sign(intensity) && Math.abs(a.contrast) <= Math.abs(intensity), `contrast ${a.contrast}`);
      assert.ok(a.widthM > 0 && a.widthM <= 0.8 + 1e-12 && a.heightM > 0 && a.heightM <= 0.8 + 1e-12, `size ${a.widthM}×${a.heightM}`);
    }
  }
});

test('a bird without flap_hz beats its wings at a seeded 3–8 Hz, different across seeds, fixed per seed', () => {
  const seen: number[] = [];
  for (let seed = 1; seed <= 8; seed++) {
    const tg = new SimulatedTarget(target({}), seed, 0);
    const f = dominantHz(sample(tg, (a) => a.contrast));
    assert.ok(f >= 3 - 0.1 && f <= 8 + 0.1, `seed ${seed}: ${f} Hz`);
    assert.ok(Math.abs(f - tg.flapHz) < 0.1, `seed ${seed}: flapHz ${tg.flapHz} vs measured ${f}`);
    assert.equal(new SimulatedTarget(target({}), seed, 0).flapHz, tg.flapHz, 'same seed, same wing beat');
    seen.push(tg.flapHz);
  }
  assert.ok(Math.max(...seen) - Math.min(...seen) > 0.5, `wing beats vary with the seed: ${seen.join(', ')}`);
  // Another target of the same scenario gets its own wing beat.
  assert.notEqual(new SimulatedTarget(target({}), 1, 1).flapHz, new SimulatedTarget(target({}), 1, 0).flapHz);
});

test('a drone looks the same at every instant: size_m wide, 0.4·size_m tall, contrast = intensity', () => {
  const tg = new SimulatedTarget(target({ class: 'drone', size_m: 0.35, intensity: -60 }), 5, 0);
  assert.equal(tg.flapHz, 0);
  const a: Appearance = { widthM: 0, heightM: 0, contrast: 0 };
  for (let i = 0; i < 1000; i++) {
    tg.appearanceAt(i * 0.0123, a);
    assert.equal(a.widthM, 0.35);
    assert.ok(Math.abs(a.heightM - 0.14) < 1e-12, `height ${a.heightM}`);
    assert.equal(a.contrast, -60);
  }
});

test('targets follow their waypoints: a drone has no meander, a bird meanders by default unless meander_m is 0', () => {
  const drone = new SimulatedTarget(target({ class: 'drone' }), 9, 0);
  const bird = new SimulatedTarget(target({}), 9, 1);
  const tame = new SimulatedTarget(target({ meander_m: 0 }), 9, 1);
  // The straight 2-waypoint path: e = 5t, n = 100, u = 30.
  for (const t of [0, 2.5, 7, 10]) {
    assert.deepEqual(drone.trajectory.position(t).map((x) => Math.round(x * 1e9) / 1e9), [5 * t, 100, 30]);
    assert.deepEqual(tame.trajectory.position(t).map((x) => Math.round(x * 1e9) / 1e9), [5 * t, 100, 30]);
  }
  let off = 0;
  for (let t = 0; t <= 10; t += 0.5) {
    const p = bird.trajectory.position(t);
    off = Math.max(off, Math.hypot(p[0] - 5 * t, p[1] - 100, p[2] - 30));
  }
  assert.ok(off > 1, `a bird wanders off the straight line (${off.toFixed(2)} m)`);
});
