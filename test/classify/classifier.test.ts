import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClassifyError, classifyTrack, decide, flickerFeatures, resolveRuleOptions, TrackClassifier } from '../../src/classify/index.ts';
import { birdPath, CAMS30, dronePath, synthesize, type CameraDesc } from './synth.ts';

const BIRD = { pos: birdPath, contrast: -50, flapHz: 6, flapDepth: 0.2, sizeM: 0.9, noise: 4, posNoise: 1.5, fixHz: 30 };
const DRONE = { pos: dronePath, contrast: -60, flapHz: 0, flapDepth: 0, sizeM: 0.35, noise: 4, posNoise: 1.5, fixHz: 30 };

test('a bird flapping at 6 Hz on a wandering path is a bird; wing-beat estimate within 0.5 Hz', () => {
  const { history, signatures } = synthesize(BIRD, CAMS30, 0, 8, 1);
  const c = classifyTrack(history, signatures);
  assert.equal(c.class, 'bird', JSON.stringify(c.features.evidence));
  assert.ok(c.confidence >= 0.75, `confidence ${c.confidence}`);
  assert.ok(Math.abs(c.features.flicker.peakHz - 6) < 0.5, `peak ${c.features.flicker.peakHz} Hz`);
  assert.ok(c.features.flicker.fap < 1e-6);
  // The modulation depth given to the synthesiser was 0.2.
  assert.ok(Math.abs(c.features.flicker.depth - 0.2) < 0.05, `depth ${c.features.flicker.depth}`);
  // Apparent size from area, range and focal length: the 0.9 m span (area flaps ±30 %, so within 15 %).
  assert.ok(Math.abs(c.features.flicker.sizeM - 0.9) < 0.15, `size ${c.features.flicker.sizeM}`);
});

const FLICKER_CASES: [string, number, CameraDesc[]][] = [
  ['4 Hz, 30 fps', 4, CAMS30],
  ['9.5 Hz, 30 fps', 9.5, CAMS30],
  ['11 Hz, 25 fps, one camera, 10 % frames lost', 11, [{ id: 'a', fps: 25, at: [0, 0, 0], drop: 0.1 }]],
  ['4.5 Hz, 15 fps, 25 % frames lost', 4.5, CAMS30.map((c) => ({ ...c, fps: 15, drop: 0.25 }))],
  ['7 Hz, cameras at 30, 25 and 15 fps', 7, [{ id: 'a', fps: 30, at: [0, 0, 0] }, { id: 'b', fps: 25, at: [50, 0, 0] }, { id: 'c', fps: 15, at: [0, 50, 0] }]],
];
for (const [name, hz, cams] of FLICKER_CASES) {
  test(`flicker frequency estimate within 0.5 Hz: ${name}`, () => {
    const { signatures } = synthesize({ ...BIRD, flapHz: hz }, cams, 20, 24, Math.round(hz * 10));
    const f = flickerFeatures(signatures);
    assert.ok(Math.abs(f.peakHz - hz) < 0.5, `estimated ${f.peakHz} Hz for ${hz} Hz`);
    assert.ok(f.fap < 1e-3, `fap ${f.fap}`);
    assert.ok(f.peakHz <= f.maxHz);
  });
}

test('a drone cruising then hovering with steady intensity is a drone', () => {
  const { history, signatures } = synthesize(DRONE, CAMS30, 0, 12, 2);
  const c = classifyTrack(history, signatures);
  assert.equal(c.class, 'drone', JSON.stringify(c.features.evidence));
  assert.ok(c.confidence >= 0.75);
  assert.ok(c.features.evidence.steady! < 0, 'steady intensity counted');
  assert.ok(c.features.evidence.hover! < 0, 'hovering counted');
  // Hovering from t = 8 s to 12 s, a third of the track (noisy fixes: within 0.1).
  assert.ok(Math.abs(c.features.kinematics.hoverFraction - 1 / 3) < 0.1, `hover ${c.features.kinematics.hoverFraction}`);
  assert.ok(Math.abs(c.features.flicker.sizeM - 0.35) < 0.05, `size ${c.features.flicker.sizeM}`);
  assert.ok(c.features.flicker.sizeCv < c.features.flicker.detectableDepth + 0.05);
});

test('without image signatures a cruising drone stays unknown (kinematics alone do not decide)', () => {
  const { history } = synthesize(DRONE, CAMS30, 0, 5.5, 3);
  const c = classifyTrack(history, []);
  assert.equal(c.class, 'unknown');
});

test('an ambiguous short track (1 s, noisy, no modulation) stays unknown', () => {
  const { history, signatures } = synthesize({ ...BIRD, flapDepth: 0, noise: 10 }, CAMS30, 0, 1, 4);
  const c = classifyTrack(history, signatures);
  assert.equal(c.class, 'unknown', JSON.stringify(c.features));
  assert.deepEqual(c.features.evidence, {});
  assert.equal(c.confidence, 1);
});

test('malformed input and options are refused with stable codes', () => {
  const code = (fn: () => unknown, want: string): void => assert.throws(fn, (e: unknown) => e instanceof ClassifyError && e.code === want);
  code(() => classifyTrack({ t: [0, 1], enu: [[0, 0, 0]] }), 'CLASSIFY_INPUT');
  code(() => classifyTrack({ t: [1, 0, 2], enu: [[0, 0, 0], [0, 0, 0], [0, 0, 0]] }), 'CLASSIFY_INPUT');
  code(() => classifyTrack({ t: [], enu: [] }, [{ camera: 'a', t: [0, 1], contrast: [1] }]), 'CLASSIFY_INPUT');
  code(() => classifyTrack({ t: [], enu: [] }, [], { wingBandHz: [5, 3] }), 'CLASSIFY_OPTIONS');
  code(() => classifyTrack({ t: [], enu: [] }, [], { unknownBand: 0.6 }), 'CLASSIFY_OPTIONS');
  code(() => new TrackClassifier({ window_s: 0 }), 'CLASSIFY_OPTIONS');
  code(() => new TrackClassifier({ maxSamples: 4 }), 'CLASSIFY_OPTIONS');
});

test('TrackClassifier streaming a bird and a drone: labels settle and hold, windows stay bounded', () => {
  const bird = synthesize(BIRD, CAMS30, 0, 12, 5);
  const drone = synthesize(DRONE, CAMS30, 0, 12, 6);
  const tc = new TrackClassifier({ window_s: 6, maxSamples: 128 });
  // Merge everything into one time-ordered event stream, as a pipeline would deliver it.
  type Ev = { t: number; run: () => void };
  const evs: Ev[] = [];
  for (const [id, x] of [['b', bird], ['d', drone]] as const) {
    x.history.t.forEach((t, i) => evs.push({ t, run: () => tc.addPosition(id, t, x.history.enu[i]!) }));
    for (const s of x.signatures) {
      s.t.forEach((t, i) => evs.push({ t, run: () => tc.addSignature(id, { camera: s.camera, t, contrast: s.contrast[i]!, areaPx: s.areaPx?.[i], rangeM: (s.rangeM as number[])[i], focalPx: s.focalPx }) }));
    }
  }
  evs.sort((a, b) => a.t - b.t);
  const labels = { b: [] as [number, string][], d: [] as [number, string][] };
  let k = 0;
  for (let step = 1; step <= 360; step++) {
    const t = step / 30;
    while (k < evs.length && evs[k]!.t <= t) evs[k++]!.run();
    labels.b.push([t, tc.classify('b', t).class]);
    labels.d.push([t, tc.classify('d', t).class]);
  }
  const after = (xs: [number, string][], t0: number): string[] => xs.filter(([t]) => t >= t0).map(([, c]) => c);
  assert.ok(!labels.b.some(([, c]) => c === 'drone'), 'the bird is never called a drone');
  assert.ok(!labels.d.some(([, c]) => c === 'bird'), 'the drone is never called a bird');
  assert.ok(after(labels.b, 2).every((c) => c === 'bird'), `bird labels after 2 s: ${after(labels.b, 2).join(',')}`);
  assert.ok(after(labels.d, 3).every((c) => c === 'drone'), `drone labels after 3 s: ${after(labels.d, 3).join(',')}`);
  // Bounded memory: at most maxSamples per series and window_s of history.
  const snap = tc.snapshot('b')!;
  assert.ok(snap.history.t.length <= 128);
  assert.ok(snap.history.t[snap.history.t.length - 1]! - snap.history.t[0]! <= 6);
  for (const s of snap.signatures) assert.ok(s.t.length <= 128 && s.t[s.t.length - 1]! - s.t[0]! <= 6);
  // Cheap between recomputations: the same answer object within recompute_s.
  tc.addPosition('b', 12.05, birdPath(12.05));
  const a1 = tc.classify('b', 13); // new data and ≥ 1 s since the last computation: recomputed
  tc.addPosition('b', 12.1, birdPath(12.1));
  assert.equal(tc.classify('b', 13.5), a1); // 0.5 s later: the cached answer
  assert.equal(tc.classify('nobody').class, 'unknown');
  tc.addPosition(7, 1, [0, 0, 0]);
  assert.equal(tc.snapshot('7')?.history.t.length, 1, 'numeric and string ids name the same track');
  tc.remove(7);
  tc.remove('d');
  assert.equal(tc.size, 1);
  tc.close();
  tc.close();
  assert.throws(() => tc.classify('b'), (e: unknown) => e instanceof ClassifyError && e.code === 'CLASSIFY_STATE');
});

test('a faint target (flux σ equal to its mean) with a weak 5 Hz ripple is not a bird; the same ripple on a well-seen target is', () => {
  // Relative SNR = |mean| / σ by construction: 20/20 = 1 for the faint one, 50/10 = 5 for the bright.
  // Over 4 s and 4 cameras at 30 fps the 0.3-deep ripple is significant in both.
  const faint = synthesize({ ...DRONE, contrast: -20, noise: 20, flapHz: 5, flapDepth: 0.3 }, CAMS30, 10, 14, 5);
  const bright = synthesize({ ...DRONE, contrast: -50, noise: 10, flapHz: 5, flapDepth: 0.3 }, CAMS30, 10, 14, 5);
  const ff = flickerFeatures(faint.signatures), fb = flickerFeatures(bright.signatures);
  assert.ok(ff.snr > 0.8 && ff.snr < 1.3, `faint snr ${ff.snr}`);
  assert.ok(fb.snr > 4, `bright snr ${fb.snr}`);
  const r = resolveRuleOptions();
  const kin = { duration_s: 4, samples: 120, meanSpeed: 8, maxSpeed: 9, meanHorizSpeed: 8, meanAccel: 0.5, maxAccel: 1, meanClimb: 0, maxClimb: 0.5, hoverFraction: 0, curvature: 0.01, straightness: 0.95 };
  assert.equal(decide(kin, ff, r).features.evidence.flicker, undefined, JSON.stringify(ff));
  assert.equal(decide(kin, fb, r).class, 'bird', JSON.stringify(fb));
});

test('the rule table on hand-made features (documented weights and band)', () => {
  const kin = { duration_s: 10, samples: 300, meanSpeed: 8, maxSpeed: 9, meanHorizSpeed: 8, meanAccel: 0.5, maxAccel: 1, meanClimb: 0, maxClimb: 0.5, hoverFraction: 0, curvature: 0.01, straightness: 0.95 };
  const flick = { cameras: 3, samples: 360, span_s: 4, peakHz: 6, peakPower: 0.02, prominence: 2, fap: 0.5, depth: 0.02, detectableDepth: 0.1, snr: 3, maxHz: 14.7, sizeM: NaN, sizeCv: NaN };
  const r = resolveRuleOptions();
  const cases: [string, Partial<typeof kin>, Partial<typeof flick>, string, number][] = [
    ['nothing decisive', {}, {}, 'unknown', 0],
    ['flicker in band', {}, { fap: 1e-5, depth: 0.15 }, 'bird', 3],
    ['significant but shallow', {}, { fap: 1e-5, depth: 0.05 }, 'unknown', 0],
    ['significant at 1.5 Hz (outside the wing band)', {}, { fap: 1e-5, depth: 0.3, peakHz: 1.5 }, 'unknown', 0],
    ['significant and deep, but a faint target (relative SNR 1.2 < 1.5)', {}, { fap: 1e-5, depth: 0.3, snr: 1.2 }, 'unknown', 0],
    ['steady and well seen', {}, { detectableDepth: 0.05, snr: 10 }, 'drone', -2],
    ['steady but too short', {}, { detectableDepth: 0.05, snr: 10, span_s: 1.5 }, 'unknown', 0],
    ['hovering half the time', { hoverFraction: 0.5 }, {}, 'drone', -2],
    ['hovering a quarter of the time', { hoverFraction: 0.25 }, {}, 'unknown', -1],
    ['wandering', { straightness: 0.5 }, {}, 'unknown', 0.75],
    ['wandering and fast', { straightness: 0.5, meanSpeed: 30 }, {}, 'unknown', -0.25],
    ['flapping while hovering (kestrel)', { hoverFraction: 0.5 }, { fap: 1e-5, depth: 0.15 }, 'unknown', 1],
    ['kinematics of a 1 s track are ignored', { duration_s: 1, hoverFraction: 1 }, {}, 'unknown', 0],
  ];
  for (const [name, k, f, cls, score] of cases) {
    const c = decide({ ...kin, ...k }, { ...flick, ...f }, r);
    assert.equal(c.class, cls, name);
    assert.ok(Math.abs(c.features.score - score) < 1e-12, `${name}: score ${c.features.score}`);
    const p = 1 / (1 + Math.exp(-score));
    assert.ok(Math.abs(c.confidence - (cls === 'bird' ? p : cls === 'drone' ? 1 - p : 1 - Math.abs(2 * p - 1))) < 1e-12, name);
  }
});

test('TrackClassifier with tracker velocities: a hovering drone is a drone from kinematics', () => {
  const tc = new TrackClassifier();
  for (let k = 0; k <= 120; k++) {
    const t = k / 15;
    const moving = t < 3;
    tc.addPosition('h', t, [moving ? 6 * t : 18, 500, 40], moving ? [6, 0, 0] : [0.1, -0.1, 0]);
  }
  const c = tc.classify('h');
  assert.equal(c.class, 'drone');
  // 8 s window over 8 s of track: hovering from t = 3 s, 5 s of 8.
  assert.ok(Math.abs(c.features.kinematics.hoverFraction - 5 / 8) < 0.01, `${c.features.kinematics.hoverFraction}`);
  assert.ok(tc.snapshot('h')!.history.vel !== undefined);
});

test('a flap-gliding bird (5 s of wing beats, then a 9 s glide) stays a bird through the glide; without the memory it would not', () => {
  const glide = synthesize({ ...BIRD, flapDepth: (t) => (t < 5 ? 0.2 : 0) }, CAMS30, 0, 14, 8);
  const run = (flapMemory_s: number): string[] => {
    const tc = new TrackClassifier({ flapMemory_s });
    const evs: { t: number; run: () => void }[] = [];
    glide.history.t.forEach((t, i) => evs.push({ t, run: () => tc.addPosition('g', t, glide.history.enu[i]!) }));
    for (const s of glide.signatures) s.t.forEach((t, i) => evs.push({ t, run: () => tc.addSignature('g', { camera: s.camera, t, contrast: s.contrast[i]!, areaPx: s.areaPx?.[i] }) }));
    evs.sort((a, b) => a.t - b.t);
    const labels: string[] = [];
    let k = 0;
    for (let step = 1; step <= 14 * 10; step++) {
      const t = step / 10;
      while (k < evs.length && evs[k]!.t <= t) evs[k++]!.run();
      if (t >= 3) labels.push(tc.classify('g', t).class);
    }
    return labels;
  };
  const withMemory = run(10), without = run(0);
  assert.ok(withMemory.every((c) => c === 'bird'), withMemory.join(','));
  // Without it, once the 4 s flicker window holds only the glide, the steady intensity argues for a drone.
  assert.ok(without.slice(-20).some((c) => c !== 'bird'), without.join(','));
});
