/**
 * Clock-drift prior of the bundle adjustment (BaOptions.priors.driftSigmaPpm) on a small synthetic
 * problem with a known answer: three pinhole cameras ~500 m from a target, poses and intrinsics
 * held, clock offsets, drifts and the path free; projections written out here (no distortion,
 * global shutter), camera time = a·site time + b, 1 px Gaussian noise per axis.
 *
 * For a linear-Gaussian problem a prior N(μ, σp²) on one parameter turns that parameter's
 * data-only marginal N(d, σd²) into the posterior mean (d/σd² + μ/σp²)/(1/σd² + 1/σp²): the
 * weakly determined drift (slow target, σd of hundreds of ppm) must land there — pulled most of
 * the way to μ — and the strongly determined one (fast target, σd of a few ppm) must not move.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundleAdjust, type BaCamera, type BaObservations, type BaPriors, type BaReport } from '../../src/calib/bundle.ts';
import { lookAtRotation } from './synthetic.ts';
import { Rng } from '../../src/util/rng.ts';

const F = 1000, W = 640, H = 480, FPS = 15, T = 120;


function cam(C: number[], b: number, ppm: number): BaCamera {
  return {
    R: lookAtRotation(C, [0, 0, 100]), C: Float64Array.from(C), fx: F, fy: F, cx: W / 2, cy: H / 2,
    k1: 0, k2: 0, k3: 0, p1: 0, p2: 0, a: 1 + ppm * 1e-6, b, lineS: 0, rsUp: false, height: H,
  };
}
const clone = (c: BaCamera): BaCamera => ({ ...c, R: Float64Array.from(c.R), C: Float64Array.from(c.C) });

/** True drifts: camera 1 +40 ppm, camera 2 −30 ppm against the reference (camera 0). */
const truthRig = (): BaCamera[] => [cam([500, 0, 20], 0, 0), cam([-300, 400, 30], 0.040, 40), cam([-200, -450, 25], -0.030, -30)];

/** Target around (0, 0, 100), amplitude A m, angular rate w rad/s (speed ≈ A·w). */
const path = (A: number, w: number) => (s: number): number[] => [A * Math.sin(w * s), A * Math.cos(0.7 * w * s), 100 + 0.3 * A * Math.sin(0.5 * w * s)];

/** Each camera's frames k/FPS on its own clock whose site time (τ − b)/a is in [0.3, T − 0.3]. */
function observe(truth: readonly BaCamera[], X: (s: number) => number[], sigmaPx: number, seed: number): BaObservations {
  const rng = new Rng(seed);
  const cam: number[] = [], t: number[] = [], u: number[] = [], v: number[] = [];
  truth.forEach((c, i) => {
    for (let k = Math.ceil((0.3 * c.a + c.b) * FPS); (k / FPS - c.b) / c.a < T - 0.3; k++) {
      const tau = k / FPS, s = (tau - c.b) / c.a;
      const p = X(s), R = c.R;
      const d = [p[0]! - c.C[0]!, p[1]! - c.C[1]!, p[2]! - c.C[2]!];
      const q = [0, 1, 2].map((r) => R[3 * r]! * d[0]! + R[3 * r + 1]! * d[1]! + R[3 * r + 2]! * d[2]!);
      cam.push(i); t.push(tau);
      u.push(F * q[0]! / q[2]! + W / 2 + sigmaPx * rng.normal());
      v.push(F * q[1]! / q[2]! + H / 2 + sigmaPx * rng.normal());
    }
  });
  return { cam: Int32Array.from(cam), t: Float64Array.from(t), u: Float64Array.from(u), v: Float64Array.from(v) };
}

/**
 * Adjust from the true rig with the drifts set to the nominal 0 ppm and offsets 5 ms off (poses,
 * intrinsics held; knots every 0.1 s, smoothness σ `accSigma` m/s², a few times the path's true
 * acceleration, so that pixel noise does not show up as knot-to-knot velocity); returns drifts
 * (ppm) and the report.
 */
function run(X: (s: number) => number[], sigmaPx: number, accSigma: number, priors: BaPriors | undefined): { ppm: number[]; rep: BaReport } {
  const truth = truthRig();
  const obs = observe(truth, X, sigmaPx, 11);
  const dt = 0.1;
  const cams = truth.map((c, i) => { const s = clone(c); s.a = 1; if (i > 0) s.b += 0.005; return s; });
  const n = Math.ceil(T / dt) + 1, K = new Float64Array(3 * n);
  for (let j = 0; j < n; j++) K.set(X(j * dt), 3 * j);
  const rep = bundleAdjust(cams, { s0: 0, dt, X: K }, obs, {
    refCamera: 0, fixedPose: [1, 2], intrinsics: false, accSigma, maxIterations: 100, ...(priors ? { priors } : {}),
  });
  return { ppm: cams.map((c) => (c.a - 1) * 1e6), rep };
}

/** Posterior mean of a Gaussian marginal N(d, σd²) under a prior N(μ, σp²). */
const posterior = (d: number, sd: number, mu: number, sp: number): number => (d / sd ** 2 + mu / sp ** 2) / (1 / sd ** 2 + 1 / sp ** 2);

test('drift prior: a slow target leaves the drift weak (σd of hundreds of ppm); a 50 ppm prior at the nominal rate pulls it there by the Gaussian posterior', () => {
  // 10 m/s at ~550 m (≈ 18 px/s of image motion), 1 px noise; acceleration ≤ 2.5 m/s², σ_a 10 m/s².
  const X = path(40, 0.25);
  const data = run(X, 1, 10, undefined);
  const sd = data.rep.clockSigma.map((c) => c.driftPpm);
  for (const i of [1, 2]) assert.ok(sd[i]! > 100, `camera ${i}: formal drift σ ${sd[i]!.toFixed(0)} ppm should be weak`);
  assert.equal(sd[0], 0, 'the reference clock is held');
  // The two drifts are correlated through the shared path, so the scalar update holds for a prior
  // on one camera at a time (the other's prior off).
  const mu = 0, sp = 50;
  for (const i of [1, 2]) {
    const pr = run(X, 1, 10, { driftSigmaPpm: [0, i === 1 ? sp : 0, i === 2 ? sp : 0], toward: [undefined, { a: 1 + mu * 1e-6 }, { a: 1 + mu * 1e-6 }] });
    const expect = posterior(data.ppm[i]!, sd[i]!, mu, sp);
    const sPost = 1 / Math.sqrt(1 / sd[i]! ** 2 + 1 / sp ** 2);
    // Exact for a linear-Gaussian problem; here the covariance is a linearization at the data-only
    // optimum and the formal σ is scaled by the estimated noise level (the adjustment itself weighs
    // pixels as σ = 1 px): 10 % of the pull + 1 ppm (measured: 6.8 of 77 and 4.2 of 49 ppm).
    const tol = 0.1 * Math.abs(data.ppm[i]! - expect) + 1;
    assert.ok(Math.abs(pr.ppm[i]! - expect) < tol, `camera ${i}: data-only ${data.ppm[i]!.toFixed(1)} ± ${sd[i]!.toFixed(0)}, with the prior ${pr.ppm[i]!.toFixed(1)}, Gaussian posterior ${expect.toFixed(1)} (±${tol.toFixed(1)})`);
    // Within 3 posterior σ of the truth (+40, −30 ppm).
    const truth = [0, 40, -30][i]!;
    assert.ok(Math.abs(pr.ppm[i]! - truth) < 3 * sPost, `camera ${i}: ${pr.ppm[i]!.toFixed(1)} ppm vs truth ${truth} (posterior σ ${sPost.toFixed(0)})`);
    // The reported σ shrinks to about the prior's (× the estimated noise level, √σ̂² ≈ 1.2 here).
    const sp2 = pr.rep.clockSigma[i]!.driftPpm;
    assert.ok(sp2 < sd[i]! && sp2 < 1.3 * sp, `camera ${i}: σ with the prior ${sp2.toFixed(1)} (data only ${sd[i]!.toFixed(1)})`);
  }
});

test('drift prior: with a fast target the data fix the drift to ~10 ppm and a 50 ppm prior at the nominal rate (40 and 30 ppm off the truth) moves it by only σd²/(σd² + σp²) of that', () => {
  // ≈ 100 m/s weaving at ~550 m (≈ 180 px/s), 1 px noise, acceleration ≤ 100 m/s², σ_a 300 m/s².
  const X = path(100, 1);
  const data = run(X, 1, 300, undefined);
  const both = run(X, 1, 300, { driftSigmaPpm: [0, 50, 50] }); // prior mean: the start, a = 1 (nominal)
  for (const i of [1, 2]) {
    const pr = run(X, 1, 300, { driftSigmaPpm: [0, i === 1 ? 50 : 0, i === 2 ? 50 : 0] });
    const truth = [0, 40, -30][i]!, sd = data.rep.clockSigma[i]!.driftPpm;
    assert.ok(sd < 15, `camera ${i}: formal drift σ ${sd.toFixed(2)} ppm`);
    assert.ok(Math.abs(data.ppm[i]! - truth) < 3 * sd, `camera ${i}: data-only ${data.ppm[i]!.toFixed(2)} ppm vs truth ${truth}`);
    // Expected pull (0 − d)·σd²/(σd² + σp²): a few ppm; with priors on both, under 5 ppm too.
    const expect = posterior(data.ppm[i]!, sd, 0, 50);
    assert.ok(Math.abs(both.ppm[i]! - data.ppm[i]!) < 5, `camera ${i}: with priors on both ${both.ppm[i]!.toFixed(2)}, without ${data.ppm[i]!.toFixed(2)}`);
    assert.ok(Math.abs(pr.ppm[i]! - expect) < 0.3 + 0.1 * Math.abs(expect - data.ppm[i]!), `camera ${i}: ${pr.ppm[i]!.toFixed(3)} vs Gaussian posterior ${expect.toFixed(3)}`);
  }
});

test('drift prior: per camera (σ 0 or NaN = off) and never on a held clock', () => {
  const X = path(40, 0.25);
  const data = run(X, 1, 10, undefined);
  const one = run(X, 1, 10, { driftSigmaPpm: [0, 50, 0] });
  assert.ok(Math.abs(one.ppm[1]!) < 0.5 * Math.abs(data.ppm[1]!), `camera 1 pulled toward 0: ${one.ppm[1]!.toFixed(1)} vs ${data.ppm[1]!.toFixed(1)}`);
  // The reference's prior (5 ppm toward +500 ppm) is ignored: its clock is held; NaN is off.
  const withRef = run(X, 1, 10, { driftSigmaPpm: [5, 50, NaN], toward: [{ a: 1 + 500e-6 }, undefined, undefined] });
  assert.equal(withRef.ppm[0], 0, 'reference drift stays 0');
  assert.deepEqual(withRef.ppm, one.ppm, 'same result as without the reference prior');
});
