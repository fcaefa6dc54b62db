/**
 * The detector against independent truth: synthetic frames with targets of known position, and
 * sensor noise whose false-alarm rate follows from the Gaussian tail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { MotionDetector, createMotionPixels } from '../../src/preprocess/index.ts';
import { renderFrame, runDetector, type Blob, type SceneSpec } from './scene.ts';

/** P(|z| > 4) for a standard normal: 2·(1 − Φ(4)). */
const TAIL_4 = 6.334e-5;
const W = 240;
const H = 160;

function scene(spec: SceneSpec, n: number, seed: number, blobs: (f: number) => Blob[]): Uint8Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, f) => renderFrame(spec, blobs(f), rng));
}

const pixelOf = (b: Blob) => Math.round(b.v) * W + Math.round(b.u);

test('a moving 1–2 px target: its true pixel is among the motion pixels in ≥ 95% of frames', () => {
  // Sensitivity is set by per-pixel SNR (docs/PREPROCESS.md); these contrasts put the target's
  // own pixel at z ≳ 6 so that a miss means the pipeline lost it (e.g. the background absorbed it).
  for (const [speed, size, contrast] of [[0.5, 1, -40], [1.5, 1, -40], [3, 1, 40], [0.5, 2, -14], [1.2, 2, -14]] as const) {
    const path = (f: number): Blob => ({ u: 20 + speed * f * 0.9, v: 30 + speed * f * 0.44, contrast, size });
    const res = runDetector({ width: W, height: H }, scene({ width: W, height: H }, 60, 17, (f) => [path(f)]));
    let hits = 0;
    for (let f = 16; f < 60; f++) if (res[f]!.index.includes(pixelOf(path(f)))) hits++;
    assert.ok(hits >= 0.95 * 44, `speed ${speed} px/frame, ${size} px, contrast ${contrast}: ${hits}/44`);
  }
});

test('noise only: σ as predicted, false motion pixels as many as the Gaussian tail at k = 4', () => {
  const res = runDetector({ width: W, height: H }, scene({ width: W, height: H, noiseSigma: 2 }, 96, 5, () => []));
  for (let f = 0; f < 16; f++) assert.equal(res[f]!.count, 0, 'warm-up frames report nothing');
  let count = 0;
  for (const r of res.slice(16)) {
    count += r.count;
    // White noise σ = 2 through the denoise kernel (weights 4,1,1,1,1 / 8): σ·√20/8 = 1.118;
    // the background's own Σ-Δ jitter adds a little.
    assert.ok(r.noiseSigma > 1.118 && r.noiseSigma < 1.118 * 1.25, `σ ${r.noiseSigma}`);
    assert.equal(r.threshold, 4 * r.noiseSigma);
    for (let i = 0; i < r.count; i++) assert.ok(r.energy[i]! > 4);
  }
  const expected = TAIL_4 * W * H * 80;
  assert.ok(count > expected / 2.5 && count < expected * 2.5, `${count} noise pixels, Gaussian tail predicts ${expected.toFixed(0)}`);
});

test('a slowly drifting cloud edge adds few false pixels', () => {
  const spec = (f: number): SceneSpec => ({ width: W, height: H, cloudEdge: 60 + 0.2 * f, cloudWidth: 50, cloudContrast: 40 });
  const rng = new Rng(23);
  const frames = Array.from({ length: 96 }, (_, f) => renderFrame(spec(f), [], rng));
  const count = runDetector({ width: W, height: H }, frames).slice(16).reduce((n, r) => n + r.count, 0);
  assert.ok(count < 3 * TAIL_4 * W * H * 80, `${count} pixels`);
});

test('a privacy mask removes motion inside it, and only there', () => {
  const inside = (f: number): Blob => ({ u: 60 + f, v: 60, contrast: -60, size: 2 });
  const outside = (f: number): Blob => ({ u: 20 + f, v: 130, contrast: -60, size: 2 });
  const frames = scene({ width: W, height: H }, 50, 3, (f) => [inside(f), outside(f)]);
  const privacyMasks = [[[40, 40], [200, 40], [200, 90], [40, 90]]] as [number, number][][];
  for (const kernel of ['wasm', 'ts'] as const) {
    const masked = runDetector({ width: W, height: H, kernel, privacyMasks }, frames);
    const open = runDetector({ width: W, height: H, kernel }, frames);
    for (let f = 16; f < 50; f++) {
      for (const i of masked[f]!.index) {
        const u = i % W, v = Math.floor(i / W);
        assert.ok(!(u >= 40 && u < 200 && v >= 40 && v < 90), `frame ${f}: motion at (${u}, ${v}) inside the mask`);
      }
      assert.ok(open[f]!.index.includes(pixelOf(inside(f))), 'without the mask the inner target is seen');
      assert.ok(masked[f]!.index.includes(pixelOf(outside(f))), 'the outer target is still seen');
    }
  }
});

test('topK keeps the strongest: 20 targets of known contrast, topK 8', () => {
  // 12 weak (20..53 grey levels) and 8 strong (80..101) 1-px targets on pixel centres, appearing at frame 20.
  const contrast = (i: number) => (i < 12 ? 20 + 3 * i : 80 + 3 * (i - 12));
  const order = [5, 17, 0, 12, 9, 19, 3, 14, 7, 11, 16, 1, 8, 13, 2, 18, 10, 6, 15, 4]; // shuffled over the grid
  const targets = order.map((i, k): Blob => ({ u: 12 + 22 * (k % 10), v: 40 + 60 * Math.floor(k / 10), contrast: contrast(i) }));
  const frames = scene({ width: W, height: H }, 21, 9, (f) => (f === 20 ? targets : []));
  const strong = targets.filter((t) => t.contrast >= 80).map(pixelOf);
  for (const kernel of ['wasm', 'ts'] as const) {
    const det = new MotionDetector({ width: W, height: H, kernel, topK: 8 });
    const r = createMotionPixels(8);
    for (const fr of frames) det.process(fr, r);
    assert.equal(r.count, 8);
    assert.ok(r.candidates >= 20 + 8, `${r.candidates} candidates`);
    assert.deepEqual([...r.index.subarray(0, r.count)], strong, 'the 8 strongest centres, in raster order');
    for (let i = 0; i < 8; i++) {
      // Denoised difference at a 1-px target's centre: 4·c/8 = c/2 grey levels (± noise).
      const c = targets.find((t) => pixelOf(t) === r.index[i])!.contrast;
      const sigma = det.sigmaAt(r.index[i]!);
      assert.ok(Math.abs(r.energy[i]! * sigma - c / 2) < 5 * sigma, `target ${c}: z ${r.energy[i]}, tile σ ${sigma}`);
    }
    det.close();
  }
});

test('per-tile noise: σ 1 on the left half, σ 6 on the right → each half has its own Gaussian tail; a faint target in the quiet half is found', () => {
  // 256 × 128 px: four 64-px noise tiles across, two per half. Sky 120 + seeded Gaussian noise of
  // σ 1 (u < 128) or σ 6 (u ≥ 128). A 1 px target of contrast +8 on pixel centres in the quiet half
  // moves 1 px per frame: denoised, its pixel has 4·8/8 = 4 grey levels against σ ≈ 0.7 (sensor
  // noise and the background's jitter; z ≈ 5.8, so ~95% expected above k = 4).
  const [w, h, frames] = [256, 128, 316];
  // Four passes across the quiet half (u 10…109) on rows 20, 50, 80, 110 (not noise-sample rows).
  const target = (f: number) => ({ u: 10 + (f % 100), v: 20 + 30 * Math.floor(f / 100) });
  const rng = new Rng(2024);
  const seq = Array.from({ length: frames }, (_, f) => {
    const fr = new Uint8Array(w * h);
    for (let v = 0; v < h; v++) {
      for (let u = 0; u < w; u++) fr[v * w + u] = Math.max(0, Math.min(255, Math.round(120 + (u < 128 ? 1 : 6) * rng.normal())));
    }
    const t = target(f);
    fr[t.v * w + t.u] = Math.min(255, fr[t.v * w + t.u]! + 8);
    return fr;
  });
  const near = (i: number, f: number) => Math.abs((i % w) - target(f).u) <= 3 && Math.abs(Math.floor(i / w) - target(f).v) <= 3;
  const count = (res: ReturnType<typeof runDetector>) => {
    const halves = [0, 0];
    let hits = 0;
    for (let f = 16; f < frames; f++) {
      const r = res[f]!;
      for (const i of r.index) if (!near(i, f)) halves[(i % w) < 128 ? 0 : 1]!++;
      if (r.index.includes(target(f).v * w + target(f).u)) hits++;
    }
    return { halves, hits };
  };
  const expected = TAIL_4 * (w / 2) * h * (frames - 16); // per half, k = 4 on its own σ: ~310
  for (const kernel of ['wasm', 'ts'] as const) {
    const { halves, hits } = count(runDetector({ width: w, height: h, kernel }, seq));
    for (const [side, n] of halves.entries()) {
      assert.ok(n > expected / 3 && n < expected * 3, `${kernel}: ${side ? 'noisy' : 'quiet'} half ${n} false pixels, Gaussian tail ${expected.toFixed(0)}`);
    }
    assert.ok(halves[1]! < 3 * halves[0]! + 10, `${kernel}: noisy half ${halves[1]} vs quiet ${halves[0]}`);
    assert.ok(hits >= 0.9 * (frames - 16), `${kernel}: target found in ${hits}/${frames - 16} frames`);
  }
  // Control: one σ for the whole frame floods the noisy half and loses the faint target.
  const { halves, hits } = count(runDetector({ width: w, height: h, noiseTile: 0, noiseQuantile: 0.5 }, seq));
  assert.ok(halves[1]! > 10 * halves[0]! && halves[1]! > 10 * expected, `one σ per frame: ${halves[1]} vs ${halves[0]}`);
  assert.ok(hits < 0.5 * (frames - 16), `one σ per frame: target found in ${hits} frames`);
});
