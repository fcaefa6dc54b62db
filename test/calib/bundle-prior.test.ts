/**
 * MAP priors of the bundle adjustment (BaOptions.priors) on a small synthetic problem whose
 * truth is known: three pinhole cameras ~500 m from a target, projections written out here
 * (no distortion, a = 1, global shutter), Gaussian pixel noise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rotationAngleBetween, axisAngleToMatrix, mat3Mul } from '../../src/geometry/index.ts';
import { bundleAdjust, type BaCamera, type BaObservations } from '../../src/calib/bundle.ts';
import { lookAtRotation } from './synthetic.ts';
import { Rng } from '../../src/util/rng.ts';

const F = 1000, W = 640, H = 480;


function cam(C: number[], b: number): BaCamera {
  return {
    R: lookAtRotation(C, [0, 0, 100]), C: Float64Array.from(C), fx: F, fy: F, cx: W / 2, cy: H / 2,
    k1: 0, k2: 0, k3: 0, p1: 0, p2: 0, a: 1, b, lineS: 0, rsUp: false, height: H,
  };
}

const clone = (c: BaCamera): BaCamera => ({ ...c, R: Float64Array.from(c.R), C: Float64Array.from(c.C) });

/** Target at site time s: around (0, 0, 100), a weaving path at about `speed` m/s. */
const path = (speed: number) => (s: number): number[] => [
  speed * (0.6 * s + 2 * Math.sin(0.5 * s)), speed * (0.4 * s + 2 * Math.cos(0.4 * s)), 100 + speed * Math.sin(0.3 * s)];

/** Observations at 15 fps over [0, T] s of the given truth, σ px noise; camera time = site time + b. */
function observe(truth: readonly BaCamera[], X: (s: number) => number[], T: number, sigma: number, seed: number): BaObservations {
  const rng = new Rng(seed);
  const cam: number[] = [], t: number[] = [], u: number[] = [], v: number[] = [];
  for (let i = 0; i < truth.length; i++) {
    const c = truth[i]!;
    for (let s = 0.2; s < T - 0.2; s += 1 / 15) {
      const p = X(s), R = c.R;
      const d = [p[0]! - c.C[0]!, p[1]! - c.C[1]!, p[2]! - c.C[2]!];
      const q = [0, 1, 2].map((r) => R[3 * r]! * d[0]! + R[3 * r + 1]! * d[1]! + R[3 * r + 2]! * d[2]!);
      cam.push(i); t.push(s + c.b);
      u.push(F * q[0]! / q[2]! + W / 2 + sigma * rng.normal());
      v.push(F * q[1]! / q[2]! + H / 2 + sigma * rng.normal());
    }
  }
  return { cam: Int32Array.from(cam), t: Float64Array.from(t), u: Float64Array.from(u), v: Float64Array.from(v) };
}

function knots(X: (s: number) => number[], T: number, dt: number): Float64Array {
  const n = Math.ceil(T / dt) + 1, out = new Float64Array(3 * n);
  for (let j = 0; j < n; j++) out.set(X(j * dt), 3 * j);
  return out;
}

const truthRig = (): BaCamera[] => [cam([500, 0, 20], 0), cam([-300, 400, 30], 0.040), cam([-200, -450, 25], -0.030)];

/** Clock offsets after the adjustment (poses, intrinsics held), errors vs truth in ms. */
function clockErrors(speed: number, T: number, sigmaPx: number, start: readonly BaCamera[], priors: Parameters<typeof bundleAdjust>[3]['priors']): number[] {
  const truth = truthRig();
  const obs = observe(truth, path(speed), T, sigmaPx, 5);
  const cams = start.map(clone);
  bundleAdjust(cams, { s0: 0, dt: 0.1, X: knots(path(speed), T, 0.1) }, obs, {
    refCamera: 0, fixedPose: [1, 2], intrinsics: false, drifts: false, maxIterations: 30, ...(priors ? { priors } : {}),
  });
  return cams.map((c, i) => (c.b - truth[i]!.b) * 1000);
}

test('clock prior: a nearly hovering target (0.1 m/s at ~500 m) leaves the clock weak; the prior holds it, the data still win for a fast target', () => {
  const truth = truthRig();
  // Start and prior mean: the truth + 3 ms / −3 ms (a previous version that was nearly right).
  const start = truth.map(clone);
  start[1]!.b += 0.003; start[2]!.b -= 0.003;
  // At 0.1 m/s and ~550 m the image moves ≈ 0.18 px/s = 1.8e-4 px/ms: with σ = 1 px per axis and
  // ~290 frames per camera the data alone fix a clock to only ≈ 1/(1.8e-4·√(2·290)) ≈ 230 ms.
  const free = clockErrors(0.1, 20, 1, start, undefined);
  assert.ok(Math.max(Math.abs(free[1]!), Math.abs(free[2]!)) > 15, `without a prior the weak clock wanders: ${free.map((x) => x.toFixed(1))} ms`);
  // σ = 5 ms prior: posterior = (e_p/σ_p² + e_d/σ_d²)/(1/σ_p² + 1/σ_d²) with σ_d ≈ 230 ms → within
  // |e_p| + (σ_p²/σ_d²)·|e_d| ≈ 3 + 5e-4·|e_d| ms; 4.5 ms allows e_d up to 3 s.
  const held = clockErrors(0.1, 20, 1, start, { clockSigmaMs: 5 });
  for (const i of [1, 2]) assert.ok(Math.abs(held[i]!) < 4.5, `cam ${i}: with the prior ${held[i]!.toFixed(2)} ms`);
  // Fast weaving target (≈ 20 m/s), σ = 0.02 px: the data alone put the clocks within 0.3 ms of
  // the truth from a start 25 ms off. With a σ = 10 ms prior centred 25 ms off, the estimate moves
  // by 25·σ_d²/(σ_d² + σ_p²): measured ≈ 3–5 ms here, i.e. the clock is fixed by the data (with the
  // knots free) to σ_d ≈ 4 ms — far better than the prior. Bound: within 5 ms of the truth and of
  // the data-only estimate (a fifth of the prior's offset).
  const wrong = truth.map(clone);
  wrong[1]!.b += 0.025; wrong[2]!.b -= 0.025;
  const fast = clockErrors(20, 10, 0.02, wrong, { clockSigmaMs: 10 });
  const dataOnly = clockErrors(20, 10, 0.02, wrong, undefined);
  for (const i of [1, 2]) {
    assert.ok(Math.abs(fast[i]!) < 5, `cam ${i}: fast target, prior 25 ms off: ${fast[i]!.toFixed(2)} ms`);
    // The prior moves the estimate by less than a fifth of its own offset: the data dominate.
    assert.ok(Math.abs(fast[i]! - dataOnly[i]!) < 5, `cam ${i}: prior pulled ${fast[i]!.toFixed(2)} vs ${dataOnly[i]!.toFixed(2)} ms`);
  }
});

test('pose prior: a camera with no observations ends at its prior mean (position and orientation), the rows need no data to act', () => {
  const truth = truthRig();
  const obs0 = observe(truth.slice(0, 2), path(10), 10, 0.5, 9); // camera 2 sees nothing
  const start = truth.map(clone);
  // Prior means: camera 2 one metre east and 0.5° off; camera 1 two metres off.
  const rot = axisAngleToMatrix(0, 0, 1, 0.5 * Math.PI / 180);
  const toward = [
    undefined,
    { R: truth[1]!.R, C: [truth[1]!.C[0]! + 2, truth[1]!.C[1]!, truth[1]!.C[2]!], b: truth[1]!.b },
    { R: mat3Mul(rot, truth[2]!.R), C: [truth[2]!.C[0]! + 1, truth[2]!.C[1]!, truth[2]!.C[2]!], b: truth[2]!.b },
  ];
  const cams = start.map(clone);
  bundleAdjust(cams, { s0: 0, dt: 0.1, X: knots(path(10), 10, 0.1) }, obs0, {
    refCamera: 0, intrinsics: false, clocks: false, maxIterations: 30,
    scale: { cam: 1, dist: Math.hypot(800, 400, 10), sigma: 1e-3 },
    priors: { positionSigmaM: [0, 5, 0.5], orientationSigmaDeg: 0.1, toward },
  });
  // No data on camera 2: the MAP estimate is the prior mean.
  assert.ok(Math.abs(cams[2]!.C[0]! - toward[2]!.C[0]!) < 1e-3, `cam 2 x ${cams[2]!.C[0]}`);
  assert.ok(rotationAngleBetween(cams[2]!.R, toward[2]!.R) < 1e-4 * Math.PI / 180, 'cam 2 turned to its prior');
});
