/**
 * The WASM SIMD kernel against the TypeScript reference: every output field of every frame must
 * be identical (indices, z-scores to the bit, σ, threshold, candidate count) over random frames,
 * simulated scenes, odd sizes, masks, saturated frames and a reset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { MotionDetector, createMotionPixels, type MotionOptions } from '../../src/preprocess/index.ts';
import { renderFrame, runDetector, type SceneSpec } from './scene.ts';

function assertSame(opts: MotionOptions, frames: Uint8Array[]): number {
  assert.equal(new MotionDetector({ ...opts, kernel: 'wasm' }).kernel, 'wasm', 'build/motion.wasm (npm run build:wasm)');
  const ts = runDetector({ ...opts, kernel: 'ts' }, frames);
  const wasm = runDetector({ ...opts, kernel: 'wasm' }, frames);
  let reported = 0;
  for (let f = 0; f < frames.length; f++) {
    assert.deepEqual(wasm[f], ts[f], `frame ${f}`);
    reported += ts[f]!.count;
  }
  return reported;
}

function randomFrames(w: number, h: number, n: number, seed: number): Uint8Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Uint8Array.from({ length: w * h }, () => rng.nextU32() & 255));
}

function sceneFrames(spec: SceneSpec, n: number, seed: number): Uint8Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, f) => renderFrame({ ...spec, cloudEdge: spec.cloudEdge === undefined ? undefined : spec.cloudEdge + 0.3 * f }, [
    { u: 5 + 1.7 * f, v: 0.5 * spec.height + 0.4 * f, contrast: -25 },
    { u: spec.width - 4 - 0.6 * f, v: 3 + 0.9 * f, contrast: 18, size: 2 },
    { u: 0.5 * spec.width, v: 0.5 * spec.height, contrast: f > 20 ? -40 : 0, size: 3 },
  ], rng));
}

test('random frames: heavy top-K compaction and saturated σ', () => {
  for (const [w, h] of [[101, 57], [64, 48], [16, 16]] as const) {
    const frames = randomFrames(w, h, 12, w * 7 + h);
    for (const topK of [1, 7, 300, 100_000]) {
      const n = assertSame({ width: w, height: h, backgroundWindow: 3, thresholdSigma: 0.3, topK }, frames);
      assert.ok(n > 0, `${w}×${h} topK ${topK}: something reported`);
    }
  }
});

test('simulated scenes: noise, targets, a drifting cloud edge, windows 16 and 40', () => {
  const spec: SceneSpec = { width: 203, height: 121, cloudEdge: 60, cloudWidth: 50, cloudContrast: 40 };
  const frames = sceneFrames(spec, 60, 11);
  for (const opts of [{}, { backgroundWindow: 40 }, { topK: 6 }, { thresholdSigma: 2.5, topK: 25 }]) {
    assert.ok(assertSame({ width: spec.width, height: spec.height, ...opts }, frames) > 0);
  }
});

test('odd and tiny sizes (widths not a multiple of 16 or 8)', () => {
  for (const [w, h] of [[1, 1], [1, 17], [7, 3], [9, 1], [15, 9], [17, 5], [23, 2], [33, 31], [250, 7]] as const) {
    const rng = new Rng(w * 131 + h);
    const frames = Array.from({ length: 14 }, (_, f) => renderFrame({ width: w, height: h }, [{ u: (f * 0.9) % w, v: (f * 0.4) % h, contrast: 60 }], rng));
    assertSame({ width: w, height: h, backgroundWindow: 4, topK: 3 }, frames);
    assertSame({ width: w, height: h, backgroundWindow: 4, thresholdSigma: 0.5 }, randomFrames(w, h, 8, w + h));
  }
});

test('privacy masks: concave, overlapping, partly outside the frame', () => {
  const spec: SceneSpec = { width: 97, height: 61 };
  const privacyMasks = [
    [[10, 10], [40, 12], [25, 20], [38, 40], [8, 35]],
    [[30, 30], [120, 25], [110, 80], [35, 70]],
    [[-5, -5], [6.5, -5], [6.5, 70]],
  ] as [number, number][][];
  assertSame({ ...spec, privacyMasks, backgroundWindow: 5 }, sceneFrames(spec, 30, 5));
  assertSame({ ...spec, privacyMasks, backgroundWindow: 2, thresholdSigma: 0.5, topK: 40 }, randomFrames(97, 61, 10, 9));
});

test('all-black, all-white and alternating frames (extreme differences, σ at its floor)', () => {
  const [w, h] = [45, 19];
  const black = new Uint8Array(w * h);
  const white = new Uint8Array(w * h).fill(255);
  const alternating = Array.from({ length: 20 }, (_, f) => (f % 3 === 2 ? white : black));
  assert.equal(assertSame({ width: w, height: h, backgroundWindow: 2 }, Array(8).fill(black)), 0);
  assert.equal(assertSame({ width: w, height: h, backgroundWindow: 2 }, Array(8).fill(white)), 0);
  assert.ok(assertSame({ width: w, height: h, backgroundWindow: 2, topK: 50 }, alternating) > 0);
  const half = Uint8Array.from({ length: w * h }, (_, i) => ((i % w) + (i / w | 0)) % 2 ? 255 : 0);
  assertSame({ width: w, height: h, backgroundWindow: 3, topK: 100 }, [black, black, black, half, white, half, black, half]);
});

test('reset() forgets the background: then as a fresh detector, in both kernels', () => {
  const [w, h] = [40, 30];
  const frames = sceneFrames({ width: w, height: h }, 24, 3);
  const outs = (['ts', 'wasm'] as const).map((kernel) => {
    const opts = { width: w, height: h, kernel, backgroundWindow: 4 };
    const fresh = runDetector(opts, frames.slice(12));
    const det = new MotionDetector(opts);
    const out = createMotionPixels(det.topK);
    for (const fr of frames.slice(0, 12)) det.process(fr, out);
    det.reset();
    const after = frames.slice(12).map((fr) => {
      det.process(fr, out);
      return { ...out, index: out.index.slice(0, out.count), energy: out.energy.slice(0, out.count) };
    });
    det.close();
    det.close();
    assert.deepEqual(after, fresh);
    assert.equal(after[3]!.count, 0, 'warming up again');
    return after;
  });
  assert.deepEqual(outs[1], outs[0]);
});

test('noise tiles of 16, 32 and 64 px and one σ per frame, with masks, odd sizes and heavy compaction', () => {
  const spec: SceneSpec = { width: 203, height: 121, cloudEdge: 60, cloudWidth: 50, cloudContrast: 40 };
  const frames = sceneFrames(spec, 40, 21);
  const privacyMasks = [[[10, 10], [90, 12], [60, 70], [8, 35]]] as [number, number][][];
  for (const noiseTile of [0, 16, 32, 64]) {
    for (const opts of [{}, { privacyMasks, noiseQuantile: 0.5 }, { topK: 9, thresholdSigma: 2 }, { noiseFloor: 0.8, noiseQuantile: 0.9 }]) {
      assert.ok(assertSame({ width: spec.width, height: spec.height, noiseTile, ...opts }, frames) > 0, `tile ${noiseTile} ${JSON.stringify(opts)}`);
    }
    assertSame({ width: 77, height: 45, noiseTile, backgroundWindow: 3, thresholdSigma: 0.4, topK: 30 }, randomFrames(77, 45, 10, noiseTile + 1));
  }
});

test('frames written into inputBuffer() (the decoder\'s direct path) give what process() gives, masks applied, both kernels', () => {
  const spec = { width: 83, height: 45 };
  const privacyMasks = [[[0, 0], [30, 0], [30, 20], [0, 20]] as [number, number][]];
  const frames = sceneFrames(spec, 24, 11);
  for (const kernel of ['ts', 'wasm'] as const) {
    const opts: MotionOptions = { ...spec, privacyMasks, backgroundWindow: 4, kernel };
    const viaProcess = runDetector(opts, frames);
    const det = new MotionDetector(opts);
    const out = createMotionPixels(det.topK);
    const input = det.inputBuffer();
    for (let f = 0; f < frames.length; f++) {
      input.set(frames[f]!);
      det.processInput(out);
      assert.deepEqual({ ...out, index: out.index.slice(0, out.count), energy: out.energy.slice(0, out.count) }, viaProcess[f], `${kernel} frame ${f}`);
      // The frame kept is the masked one: zero inside the mask, the input outside it.
      const view = det.frameView();
      assert.equal(view[5 * 83 + 5], 0);
      assert.equal(view[40 * 83 + 60], frames[f]![40 * 83 + 60]);
    }
    det.close();
  }
});
