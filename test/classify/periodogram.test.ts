import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, solve } from 'ml-matrix';
import { falseAlarmProbability, glsPeriodogram, glsPeriodogramMulti, lnGamma, refinedPeak, regularizedBeta } from '../../src/classify/index.ts';
import { Rng } from '../../src/util/rng.ts';

const close = (a: number, b: number, tol: number, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

test('lnGamma at hand values: Γ(5) = 24, Γ(1/2) = √π, Γ(1) = 1', () => {
  close(lnGamma(5), Math.log(24), 1e-12);
  close(lnGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12);
  close(lnGamma(1), 0, 1e-12);
  close(lnGamma(10.5), Math.log(1133278.3889487856), 1e-10); // Γ(10.5) = 9.5·8.5·…·0.5·√π
});

test('regularised incomplete beta against closed forms', () => {
  const binom = (n: number, k: number): number => { let r = 1; for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i; return r; };
  for (const x of [0.01, 0.2, 0.5, 0.77, 0.99]) {
    close(regularizedBeta(x, 3.5, 1), x ** 3.5, 1e-12, `I_${x}(3.5, 1)`);
    close(regularizedBeta(x, 1, 4.2), 1 - (1 - x) ** 4.2, 1e-12, `I_${x}(1, 4.2)`);
    // Integer a, b: I_x(a, b) = P(Binomial(a + b − 1, x) ≥ a).
    for (const [a, b] of [[2, 3], [5, 7], [30, 3]] as const) {
      let want = 0;
      for (let j = a; j <= a + b - 1; j++) want += binom(a + b - 1, j) * x ** j * (1 - x) ** (a + b - 1 - j);
      close(regularizedBeta(x, a, b), want, 1e-11, `I_${x}(${a}, ${b})`);
    }
  }
  close(regularizedBeta(0.5, 7.3, 7.3), 0.5, 1e-12);
});

test('GLS power and amplitude equal a brute-force least-squares sinusoid fit on uneven times', () => {
  const rng = new Rng(11);
  const n = 57;
  const t = Array.from({ length: n }, () => 3 + 4 * rng.next()).sort((a, b) => a - b);
  const y = t.map((x) => 2 + 0.7 * Math.cos(2 * Math.PI * 4.3 * x + 1) + 0.5 * rng.normal());
  const grid = { f0: 1.05, df: 0.37, nf: 30 };
  const power = new Float64Array(grid.nf), amp = new Float64Array(grid.nf);
  glsPeriodogram(t, y, n, grid, power, amp);
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const tss = y.reduce((a, b) => a + (b - mean) ** 2, 0);
  for (let k = 0; k < grid.nf; k++) {
    const f = grid.f0 + k * grid.df;
    const X = new Matrix(t.map((x) => [Math.cos(2 * Math.PI * f * x), Math.sin(2 * Math.PI * f * x), 1]));
    const beta = solve(X.transpose().mmul(X), X.transpose().mmul(Matrix.columnVector(y)));
    const fit = X.mmul(beta).to1DArray();
    const rss = y.reduce((a, b, i) => a + (b - fit[i]!) ** 2, 0);
    close(power[k]!, 1 - rss / tss, 1e-9, `power at ${f.toFixed(2)} Hz`);
    close(amp[k]!, Math.hypot(beta.get(0, 0), beta.get(1, 0)), 1e-8, `amplitude at ${f.toFixed(2)} Hz`);
  }
});

test('a noiseless sinusoid: peak at its frequency with power 1, refined within 0.02 Hz', () => {
  const rng = new Rng(3);
  const t: number[] = [];
  for (let k = 0; k < 200; k++) if (rng.next() > 0.2) t.push(k / 25 + 0.004 * rng.next());
  const y = t.map((x) => -40 + 6 * Math.sin(2 * Math.PI * 7.3 * x));
  const span = t[t.length - 1]! - t[0]!;
  const grid = { f0: 1, df: 1 / (3 * span), nf: Math.floor(11 * 3 * span) };
  const power = new Float64Array(grid.nf), amp = new Float64Array(grid.nf);
  glsPeriodogram(t, y, t.length, grid, power, amp);
  const pk = refinedPeak(power, grid.nf);
  close(grid.f0 + pk.at * grid.df, 7.3, 0.02, 'frequency');
  // At the exact frequency the sinusoid explains all the variance, with its own amplitude.
  const p1 = new Float64Array(1), a1 = new Float64Array(1);
  glsPeriodogram(t, y, t.length, { f0: 7.3, df: 1, nf: 1 }, p1, a1);
  close(p1[0]!, 1, 1e-9, 'power at 7.3 Hz');
  close(a1[0]!, 6, 1e-9, 'amplitude at 7.3 Hz');
});

test('FAP: one channel, one frequency is (1 − p)^((n − 3)/2); monotone in p', () => {
  for (const [p, n] of [[0.1, 50], [0.3, 20], [0.02, 200]] as const) close(falseAlarmProbability(p, n, 1, 1), (1 - p) ** ((n - 3) / 2), 1e-12);
  close(falseAlarmProbability(0.1, 50, 1, 10), 1 - (1 - 0.9 ** 23.5) ** 10, 1e-12);
  assert.ok(falseAlarmProbability(0.2, 90, 3, 40) > falseAlarmProbability(0.3, 90, 3, 40));
  assert.equal(falseAlarmProbability(0, 90, 3, 40), 1);
  assert.equal(falseAlarmProbability(0.5, 5, 3, 40), 1); // no residual degrees of freedom
});

test('FAP is calibrated on white noise (Monte Carlo, 1 and 3 channels, m = 2·band·span)', () => {
  const rng = new Rng(7);
  for (const [K, N] of [[1, 120], [3, 100]] as const) {
    let at05 = 0, at20 = 0;
    const trials = 400, T = 4, bandHz = 13;
    const grid = { f0: 1, df: 1 / (3 * T), nf: Math.floor(bandHz * T * 3) + 1 };
    const p = new Float64Array(grid.nf), comb = new Float64Array(grid.nf), scratch = new Float64Array(6 * grid.nf);
    for (let tr = 0; tr < trials; tr++) {
      comb.fill(0);
      for (let c = 0; c < K; c++) {
        const t: number[] = [], y: number[] = [];
        for (let i = 0; i < N; i++) { t.push(((i + 0.3 * rng.next()) * T) / N); y.push(rng.normal()); }
        glsPeriodogram(t, y, N, grid, p, undefined, scratch);
        for (let k = 0; k < grid.nf; k++) comb[k] = comb[k]! + p[k]! / K;
      }
      const fap = falseAlarmProbability(refinedPeak(comb, grid.nf).value, K * N, K, 2 * bandHz * T);
      if (fap < 0.05) at05++;
      if (fap < 0.2) at20++;
    }
    // Binomial σ at 400 trials: 0.011 and 0.020; allow about 3σ.
    assert.ok(at05 / trials > 0.02 && at05 / trials < 0.085, `K=${K}: rate at FAP 0.05 = ${at05 / trials}`);
    assert.ok(at20 / trials > 0.14 && at20 / trials < 0.26, `K=${K}: rate at FAP 0.2 = ${at20 / trials}`);
  }
});

test('the multi-series periodogram equals one call per series', () => {
  const rng = new Rng(21);
  const t = Array.from({ length: 80 }, (_, i) => i / 30 + 0.004 * rng.next());
  const ys = [t.map(() => rng.normal()), t.map((x) => Math.sin(2 * Math.PI * 5 * x) + 0.3 * rng.normal()), t.map(() => 3)];
  const grid = { f0: 1, df: 0.13, nf: 100 };
  const powers = ys.map(() => new Float64Array(grid.nf)), amps = ys.map(() => new Float64Array(grid.nf));
  glsPeriodogramMulti(t, ys, t.length, grid, powers, amps);
  ys.forEach((y, j) => {
    const p = new Float64Array(grid.nf), a = new Float64Array(grid.nf);
    glsPeriodogram(t, y, t.length, grid, p, a);
    for (let k = 0; k < grid.nf; k++) { close(powers[j]![k]!, p[k]!, 1e-12); close(amps[j]![k]!, a[k]!, 1e-12); }
  });
  assert.ok(powers[2]!.every((v) => v === 0), 'a constant series has no power');
});
