/**
 * Image-plane tracklets (src/preprocess/tracklets.ts) and the sub-threshold probe of
 * MotionDetector, on hand-made blob lists and frames whose answers follow from the rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MotionDetector, TrackletFilter, createBlobList, createMotionPixels, type EnergyProbe, type PixelList } from '../../src/preprocess/index.ts';
import { Rng } from '../../src/util/rng.ts';

const W = 200, H = 100;
function list(points: [number, number, number?][]): PixelList {
  const l = createBlobList(Math.max(8, points.length));
  points.forEach(([u, v, e], k) => { l.index[k] = v * W + u; l.energy[k] = e ?? 5; });
  l.count = points.length;
  return l;
}
const emitted = (out: PixelList) => Array.from(out.index.subarray(0, out.count), (i) => [i % W, Math.floor(i / W)]);

const M3 = { minHits: 3, minTravelPx: 0 };

test('a blob moving 2 px per frame is cast from its third detection on; one-off blobs never', () => {
  const tf = new TrackletFilter(W, H, M3);
  const out = createBlobList(64);
  const casts: number[][][] = [];
  for (let k = 0; k < 6; k++) {
    // The target at (20 + 2k, 50); a one-off blob far from everything, at a new place each frame.
    tf.push(k / 30, list([[20 + 2 * k, 50], [100 + 15 * k, 10 + 12 * k]]), out);
    casts.push(emitted(out));
  }
  assert.deepEqual(casts, [[], [], [[24, 50]], [[26, 50]], [[28, 50]], [[30, 50]]]);
  assert.equal(tf.stats.emitted, 4);
  assert.equal(tf.stats.blobs, 12);
});

test('minTravelPx: a still chain is never cast, a moving one once it is 3 px from its start (defaults)', () => {
  const tf = new TrackletFilter(W, H);
  assert.equal(tf.minHits, 4);
  const out = createBlobList(8);
  const still = [0, 1, 2, 3, 4, 5].map((k) => tf.push(k * 0.04, list([[50, 50]]), out));
  assert.deepEqual(still, [0, 0, 0, 0, 0, 0]);
  const moving = new TrackletFilter(W, H);
  // 0.6 px per frame: 4 hits at frame 3 (1.8 px travelled), 3 px reached at frame 5.
  const n = [0, 1, 2, 3, 4, 5, 6].map((k) => moving.push(k * 0.04, list([[50 + 0.6 * k | 0, 50]]), out));
  assert.deepEqual(n, [0, 0, 0, 0, 0, 1, 1]);
  const loose = new TrackletFilter(W, H, M3);
  assert.deepEqual([0, 1, 2, 3].map((k) => loose.push(k * 0.04, list([[50, 50]]), out)), [0, 0, 1, 1], 'minTravelPx 0: still chains count');
});

test('gates: a one-blob tracklet reaches maxSpeed·dt + gate, then the prediction ± gate', () => {
  // maxSpeed 60 px/s at 10 frames/s: 6 px + 2 px gate for the second blob.
  const tf = new TrackletFilter(W, H, { maxSpeedPxS: 60, gatePx: 2, minHits: 3, minTravelPx: 0 });
  const out = createBlobList(8);
  tf.push(0, list([[10, 10]]), out);
  tf.push(0.1, list([[17, 10]]), out); // 7 px away: inside 8
  // Velocity 70 px/s → prediction (24, 10); 26.5 is 2.5 px off: outside the 2 px gate.
  assert.equal(tf.push(0.2, list([[26.5 | 0, 13]]), out), 0, '(26, 13) is 3.6 px from the prediction');
  const tf2 = new TrackletFilter(W, H, { maxSpeedPxS: 60, gatePx: 2, minHits: 3, minTravelPx: 0 });
  tf2.push(0, list([[10, 10]]), out);
  assert.equal(tf2.push(0.1, list([[19, 10]]), out), 0);
  // 9 px > 8: the second blob started its own tracklet, so a third on the line is not cast either.
  assert.equal(tf2.push(0.2, list([[28, 10]]), out), 0);
  const tf3 = new TrackletFilter(W, H, { maxSpeedPxS: 60, gatePx: 2, minHits: 3, minTravelPx: 0 });
  tf3.push(0, list([[10, 10]]), out);
  tf3.push(0.1, list([[17, 10]]), out);
  assert.equal(tf3.push(0.2, list([[25, 11]]), out), 1, '(25, 11) is 1.4 px from (24, 10)');
});

test('misses: a mature tracklet bridges up to maxMisses frames, a young one youngMaxMisses', () => {
  const out = createBlobList(8);
  const mature = new TrackletFilter(W, H, { ...M3, maxMisses: 3, youngMaxMisses: 0, probeZ: 0 });
  for (let k = 0; k < 3; k++) mature.push(k, list([[10 + k, 40]]), out);
  for (let k = 3; k < 6; k++) mature.push(k, list([]), out); // three frames missed
  assert.equal(mature.push(6, list([[16, 40]]), out), 1, 'back after 3 misses: still the same tracklet');
  for (let k = 7; k < 11; k++) mature.push(k, list([]), out); // four misses: dropped
  assert.equal(mature.push(11, list([[21, 40]]), out), 0);
  const young = new TrackletFilter(W, H, { ...M3, youngMaxMisses: 0, maxSpeedPxS: 10 });
  young.push(0, list([[10, 40]]), out);
  young.push(1, list([]), out);
  young.push(2, list([[12, 40]]), out);
  assert.equal(young.push(3, list([[13, 40]]), out), 0, 'the first tracklet died after one miss; the new one has 2 hits');
  assert.equal(young.push(4, list([[14, 40]]), out), 1);
});

test('polarity: with a probe, a tracklet of dark blobs does not take a bright one', () => {
  const signs = new Map<number, number>();
  const probe: EnergyProbe = { probeIndex: -1, probe: () => 0, signedAt: (i) => signs.get(i) ?? 0 };
  const tf = new TrackletFilter(W, H, M3);
  const out = createBlobList(8);
  for (let k = 0; k < 3; k++) { signs.set(40 * W + 10 + k, -6); tf.push(k, list([[10 + k, 40]]), out, probe); }
  assert.equal(out.count, 1);
  signs.set(40 * W + 13, +6);
  assert.equal(tf.push(3, list([[13, 40]]), out, probe), 0, 'a bright blob on the dark tracklet\'s path');
  signs.set(40 * W + 14, -6);
  assert.equal(tf.push(4, list([[14, 40]]), out, probe), 1, 'the dark tracklet bridged the miss');
});

test('the most established tracklet claims a contested blob first', () => {
  const tf = new TrackletFilter(W, H, { ...M3, probeZ: 0 });
  const out = createBlobList(8);
  for (let k = 0; k < 4; k++) tf.push(k / 30, list([[30 + k, 30]]), out);
  // A fresh blob right next to the next position starts a young tracklet one frame before.
  tf.push(4 / 30, list([[34, 30], [35, 31]]), out);
  assert.deepEqual(emitted(out), [[34, 30]]);
  // Next frame one blob between both predictions: the mature one takes it and casts it.
  assert.equal(tf.push(5 / 30, list([[35, 30]]), out), 1);
});

test('time going backwards starts afresh; bad input is refused with a clear error', () => {
  const tf = new TrackletFilter(W, H, M3);
  const out = createBlobList(8);
  for (let k = 0; k < 3; k++) tf.push(k, list([[10 + k, 10]]), out);
  assert.equal(out.count, 1);
  assert.equal(tf.push(0.5, list([[13, 10]]), out), 0);
  assert.throws(() => tf.push(NaN, list([]), out), /not finite/);
  assert.throws(() => tf.push(9, list([[0, 0]]), createBlobList(0)), /output holds/);
  assert.throws(() => new TrackletFilter(W, H, { gatePx: 0 }), /gatePx/);
  assert.throws(() => new TrackletFilter(0, H), /frame size/);
  const big = createBlobList(1); big.index[0] = W * H; big.count = 1;
  assert.throws(() => tf.push(10, big, out), /outside/);
});

test('probe: a mature tracklet takes a sub-threshold pixel and casts it; a 2-hit one only survives on it', () => {
  // A fake probe answering z = 3.5 at one pixel (independent of any motion detector).
  // Every blob and the probed pixel are darker than the background (polarity −1).
  const at = (u: number, v: number, z = 3.7): EnergyProbe => {
    const p = {
      probeIndex: -1,
      probe(pu: number, pv: number, r: number, polarity?: number) {
        const ok = (u - pu) ** 2 + (v - pv) ** 2 <= r * r && polarity !== 1;
        p.probeIndex = ok ? v * W + u : -1;
        return ok ? z : 0;
      },
      signedAt: () => -5,
    };
    return p;
  };
  const out = createBlobList(8);
  const tf = new TrackletFilter(W, H, M3);
  for (let k = 0; k < 3; k++) tf.push(k, list([[10 + k, 20]]), out);
  const p = at(13, 20);
  assert.equal(tf.push(3, list([]), out, p), 1);
  assert.deepEqual(emitted(out), [[13, 20]]);
  assert.equal(out.energy[0], Math.fround(3.7));
  assert.equal(tf.stats.probed, 1);
  // Below probeZ: nothing taken.
  const weak = new TrackletFilter(W, H, { ...M3, probeZ: 3.8 });
  for (let k = 0; k < 3; k++) weak.push(k, list([[10 + k, 20]]), out);
  assert.equal(weak.push(3, list([]), out, at(13, 20)), 0);
  // A 2-hit tracklet probes but casts nothing; it stays alive through 3 empty frames (youngMaxMisses 1).
  const two = new TrackletFilter(W, H, { ...M3, youngMaxMisses: 1 });
  two.push(0, list([[10, 60]]), out, at(0, 0));
  two.push(1, list([[11, 60]]), out, at(0, 0));
  for (const k of [2, 3, 4]) assert.equal(two.push(k, list([]), out, at(10 + k, 60)), 0);
  // It survived three empty frames (youngMaxMisses is 1); its third real hit makes it mature.
  assert.equal(two.push(5, list([[15, 60]]), out, at(0, 0)), 1);
  assert.deepEqual(emitted(out), [[15, 60]]);
  const noProbe = new TrackletFilter(W, H, { ...M3, youngMaxMisses: 1 });
  noProbe.push(0, list([[10, 60]]), out);
  noProbe.push(1, list([[11, 60]]), out);
  for (const k of [2, 3, 4]) noProbe.push(k, list([]), out);
  assert.equal(noProbe.push(5, list([[15, 60]]), out), 0, 'without the probe it died after one miss');
});

test('clutter: uniform noise blobs at 10⁻³ per px² seldom form chains; a target in it is kept', () => {
  const rng = new Rng(5);
  const w = 640, h = 480, perFrame = Math.round(1e-3 * w * h);
  const tf = new TrackletFilter(w, h, { ...M3, probeZ: 0 });
  const blobs = createBlobList(perFrame + 1), out = createBlobList(perFrame + 1);
  let targetCast = 0, noiseCast = 0;
  const frames = 60;
  for (let k = 0; k < frames; k++) {
    const tu = 100 + 3 * k, tv = 200 + k;
    blobs.index[0] = tv * w + tu; blobs.energy[0] = 8;
    for (let j = 1; j <= perFrame; j++) blobs.index[j] = Math.floor(rng.next() * h) * w + Math.floor(rng.next() * w);
    blobs.count = perFrame + 1;
    tf.push(k / 30, blobs, out);
    for (let j = 0; j < out.count; j++) if (out.index[j] === tv * w + tu) targetCast++; else noiseCast++;
  }
  // The target is cast from frame 3 on (58 frames). Noise: a fresh blob's gate (2 + 300/30 = 12 px,
  // 452 px²) holds another blob with p ≈ 0.36, its third within the 2 px gate (12.6 px²) with
  // p ≈ 0.012 + a second chance after one miss ≈ 0.03: about 307·0.36·0.03 ≈ 3 new chains a
  // frame, each cast again while it keeps finding blobs in its growing gate (measured 6.7).
  console.log(`clutter: target cast ${targetCast}/58, noise cast ${(noiseCast / frames).toFixed(2)} per frame of ${perFrame} blobs`);
  assert.equal(targetCast, 58);
  assert.ok(noiseCast / frames < 0.03 * perFrame, `noise cast ${noiseCast / frames} per frame`);
});

test('MotionDetector.probe reads the denoised difference below the threshold, as computed by hand', () => {
  const w = 64, h = 32;
  const md = new MotionDetector({ width: w, height: h, backgroundWindow: 16, topK: 100 });
  const px = createMotionPixels(100);
  const flat = new Uint8Array(w * h).fill(100);
  for (let k = 0; k < 20; k++) md.process(flat, px);
  assert.equal(px.count, 0);
  // One pixel 3 grey levels brighter. Noise-free frames: σ is at its floor of 0.5 grey level
  // (4 in 1/8 units); the plus filter gives 4·3 = 12 at the pixel and 3 at each neighbour, so
  // z = 12 / 4 = 3 (< the threshold 4: not a motion pixel) and 0.75 beside it.
  const f = flat.slice();
  f[10 * w + 20] = 103;
  md.process(f, px);
  assert.equal(px.count, 0, 'below the threshold');
  assert.equal(md.probe(21.2, 10.4, 2), 3);
  assert.equal(md.probeIndex, 10 * w + 20);
  assert.equal(md.probe(21.2, 10.4, 2, +1), 3, 'brighter: polarity +1');
  assert.equal(md.probe(21.2, 10.4, 2, -1), 0, 'nothing darker');
  assert.equal(md.signedAt(10 * w + 20), 3);
  assert.equal(md.probe(22, 10, 1.5), 0.75);
  assert.equal(md.probeIndex, 10 * w + 21);
  assert.equal(md.probe(50, 25, 2), 0);
  assert.equal(md.probeIndex, -1);
  md.close();
  // The TypeScript reference kernel gives the same.
  const ref = new MotionDetector({ width: w, height: h, backgroundWindow: 16, topK: 100, kernel: 'ts' });
  for (let k = 0; k < 20; k++) ref.process(flat, px);
  ref.process(f, px);
  assert.equal(ref.probe(21.2, 10.4, 2), 3);
  ref.close();
});
