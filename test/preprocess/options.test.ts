/** Options, lifecycle and misuse: faults carry stable codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MotionDetector, PreprocessError, createMotionPixels, type MotionOptions } from '../../src/preprocess/index.ts';
import { robustSigmaE } from '../../src/preprocess/kernel.ts';

const code = (c: string) => (err: unknown) => err instanceof PreprocessError && err.code === c;

test('invalid options are refused at construction', () => {
  const bad: MotionOptions[] = [
    { width: 0, height: 10 },
    { width: 10.5, height: 10 },
    { width: 10, height: 10, backgroundWindow: 0 },
    { width: 10, height: 10, thresholdSigma: -1 },
    { width: 10, height: 10, thresholdSigma: Number.NaN },
    { width: 10, height: 10, topK: 0 },
    { width: 10, height: 10, kernel: 'gpu' as 'ts' },
    { width: 10, height: 10, privacyMasks: [[[0, 0], [1, 1]]] },
    { width: 10, height: 10, privacyMasks: [[[0, 0], [1, Number.POSITIVE_INFINITY], [2, 0]]] },
  ];
  for (const o of bad) assert.throws(() => new MotionDetector(o), code('PREPROCESS_OPTIONS'), JSON.stringify(o));
});

test('defaults, and the WASM kernel is the default when built', () => {
  const d = new MotionDetector({ width: 64, height: 32 });
  assert.equal(d.backgroundWindow, 16);
  assert.equal(d.thresholdSigma, 4);
  assert.equal(d.topK, 2000);
  assert.equal(d.kernel, 'wasm');
  assert.equal(new MotionDetector({ width: 64, height: 32, kernel: 'ts' }).kernel, 'ts');
});

test('wrong frame or output size, and use after close(), are faults; close() twice is fine', () => {
  for (const kernel of ['wasm', 'ts'] as const) {
    const d = new MotionDetector({ width: 8, height: 4, topK: 5, kernel });
    assert.throws(() => d.process(new Uint8Array(31), createMotionPixels(5)), code('PREPROCESS_FRAME'));
    assert.throws(() => d.process(new Uint8Array(32), createMotionPixels(4)), code('PREPROCESS_FRAME'));
    const out = createMotionPixels(5);
    d.process(new Uint8Array(32), out);
    assert.equal(out.count, 0);
    d.close();
    d.close();
    assert.throws(() => d.process(new Uint8Array(32), out), code('PREPROCESS_STATE'));
  }
});

test('robust σ: 1.4826 × the interpolated median of the |s| histogram', () => {
  const h = new Uint32Array(256);
  h[10] = 100; // all |s| = 10 → median 10 (bin 9.5..10.5, half way)
  assert.equal(robustSigmaE(h, 0), 1.4826 * 10);
  h[0] = 40; // 40 of 140 at 0: half = 70 falls 30/100 into bin 10 → 9.8
  assert.ok(Math.abs(robustSigmaE(h, 0) - 1.4826 * 9.8) < 1e-12);
  assert.equal(robustSigmaE(h, 40), 1.4826 * 10, 'masked zeros left out');
  assert.equal(robustSigmaE(new Uint32Array(256), 0), 0);
});
