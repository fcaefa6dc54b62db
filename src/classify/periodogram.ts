/**
 * Generalised Lomb–Scargle periodogram (Zechmeister & Kürster 2009, A&A 496, 577): at each trial
 * frequency f the least-squares fit of y ≈ a·cos 2πft + b·sin 2πft + c to unevenly spaced samples;
 * the power p(f) = 1 − χ²(f)/χ²₀ is the fraction of the variance that sinusoid explains (0..1).
 * Frequencies lie on an even grid so cos/sin of every sample advance by one complex rotation per
 * step instead of a trigonometric call (error grows ~k·ε, negligible for a few thousand steps).
 */

export interface FrequencyGrid {
  /** First frequency, step and count, Hz. */
  f0: number;
  df: number;
  nf: number;
}

/**
 * GLS power (and optionally the fitted amplitude sqrt(a² + b²)) of `n` samples at the grid
 * frequencies into `power[0..nf)` and `amp[0..nf)`. Times may be uneven and need not start at 0;
 * at least 4 samples are needed, else the power is 0. `scratch` (≥ 6·nf) avoids allocation.
 */
export function glsPeriodogram(
  t: ArrayLike<number>, y: ArrayLike<number>, n: number, grid: FrequencyGrid,
  power: Float64Array, amp?: Float64Array, scratch?: Float64Array,
): void {
  glsPeriodogramMulti(t, [y], n, grid, [power], amp ? [amp] : undefined, scratch);
}

/**
 * The same for several series sampled at the same times (a camera's contrast and blob area): the
 * sums of the trigonometric terms are shared, only Σy·cos and Σy·sin are per series.
 * `scratch` ≥ (4 + 2·ys.length)·nf.
 */
export function glsPeriodogramMulti(
  t: ArrayLike<number>, ys: readonly ArrayLike<number>[], n: number, grid: FrequencyGrid,
  powers: Float64Array[], amps?: Float64Array[], scratch?: Float64Array,
): void {
  const { f0, df, nf } = grid;
  const m = ys.length;
  for (let j = 0; j < m; j++) { powers[j]!.fill(0, 0, nf); amps?.[j]?.fill(0, 0, nf); }
  if (n < 4 || m === 0) return;
  const need = (4 + 2 * m) * nf;
  const acc = scratch && scratch.length >= need ? scratch : new Float64Array(need);
  acc.fill(0, 0, need);
  // Accumulators per frequency, each a contiguous block: ΣC, ΣS, ΣC², ΣCS, then ΣyC, ΣyS per series.
  const aC = acc.subarray(0, nf), aS = acc.subarray(nf, 2 * nf), aCC = acc.subarray(2 * nf, 3 * nf), aCS = acc.subarray(3 * nf, 4 * nf);
  const aYC = ys.map((_, j) => acc.subarray((4 + 2 * j) * nf, (5 + 2 * j) * nf));
  const aYS = ys.map((_, j) => acc.subarray((5 + 2 * j) * nf, (6 + 2 * j) * nf));
  const cs = new Float64Array(nf), sn = new Float64Array(nf);
  const tRef = t[0]!;
  const sy = new Float64Array(m), syy = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const ti = t[i]! - tRef;
    const th0 = 2 * Math.PI * f0 * ti, dth = 2 * Math.PI * df * ti;
    let c = Math.cos(th0), s = Math.sin(th0);
    const cd = Math.cos(dth), sd = Math.sin(dth);
    for (let k = 0; k < nf; k++) {
      cs[k] = c; sn[k] = s;
      aC[k] = aC[k]! + c;
      aS[k] = aS[k]! + s;
      aCC[k] = aCC[k]! + c * c;
      aCS[k] = aCS[k]! + c * s;
      const cn = c * cd - s * sd;
      s = s * cd + c * sd;
      c = cn;
    }
    for (let j = 0; j < m; j++) {
      const yi = ys[j]![i]!;
      sy[j] = sy[j]! + yi; syy[j] = syy[j]! + yi * yi;
      const yc = aYC[j]!, ysn = aYS[j]!;
      for (let k = 0; k < nf; k++) {
        yc[k] = yc[k]! + yi * cs[k]!;
        ysn[k] = ysn[k]! + yi * sn[k]!;
      }
    }
  }
  const inv = 1 / n;
  for (let j = 0; j < m; j++) {
    const Y = sy[j]! * inv;
    const YY = syy[j]! * inv - Y * Y;
    if (!(YY > 0)) continue;
    const power = powers[j]!, amp = amps?.[j], yc = aYC[j]!, ysn = aYS[j]!;
    for (let k = 0; k < nf; k++) {
      const C = aC[k]! * inv, S = aS[k]! * inv;
      const YC = yc[k]! * inv - Y * C;
      const YS = ysn[k]! * inv - Y * S;
      const CC = aCC[k]! * inv - C * C;
      const SS = 1 - aCC[k]! * inv - S * S;
      const CS = aCS[k]! * inv - C * S;
      const D = CC * SS - CS * CS;
      if (!(D > 1e-12)) continue; // all samples in phase (f a multiple of a regular sampling rate)
      power[k] = Math.min(1, Math.max(0, (SS * YC * YC + CC * YS * YS - 2 * CS * YC * YS) / (YY * D)));
      if (amp) {
        const a = (YC * SS - YS * CS) / D, b = (YS * CC - YC * CS) / D;
        amp[k] = Math.hypot(a, b);
      }
    }
  }
}

/**
 * Index of the largest value in v[0..n) and its position refined by a parabola through the
 * neighbours (fractional index; the index itself at the ends).
 */
export function refinedPeak(v: ArrayLike<number>, n: number): { index: number; at: number; value: number } {
  let k = 0;
  for (let i = 1; i < n; i++) if (v[i]! > v[k]!) k = i;
  const value = v[k] ?? 0;
  if (k === 0 || k === n - 1) return { index: k, at: k, value };
  const a = v[k - 1]!, b = v[k]!, c = v[k + 1]!;
  const den = a - 2 * b + c;
  const d = den < 0 ? (0.5 * (a - c)) / den : 0;
  return { index: k, at: k + Math.max(-0.5, Math.min(0.5, d)), value };
}

/**
 * False-alarm probability of a combined GLS peak of power `p` (fraction of variance explained by
 * one sinusoid fitted per channel in `channels` channels, `n` samples in all) among `m` independent
 * frequencies, under white Gaussian noise. At one frequency the explained and residual sums are
 * χ² with ν₁ = 2·channels and ν₂ = n − 3·channels degrees of freedom, so
 * P(power ≥ p) = I_{1−p}(ν₂/2, ν₁/2) (for one channel: (1 − p)^((n−3)/2), Z&K 2009 eq. 24);
 * over m frequencies FAP = 1 − (1 − P)^m.
 */
export function falseAlarmProbability(p: number, n: number, channels: number, m: number): number {
  const nu1 = 2 * channels, nu2 = n - 3 * channels;
  if (nu2 <= 0 || !(p > 0)) return 1;
  if (p >= 1) return 0;
  const single = regularizedBeta(1 - p, nu2 / 2, nu1 / 2);
  const fap = -Math.expm1(Math.max(1, m) * Math.log1p(-Math.min(single, 1 - 1e-16)));
  return Math.min(1, Math.max(0, fap));
}

/** Regularised incomplete beta I_x(a, b) by its continued fraction (modified Lentz). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(lnFront);
  // The fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d; h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d; if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative). */
export function lnGamma(x: number): number {
  const g = 7;
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  x -= 1;
  let s = c[0]!;
  for (let i = 1; i < g + 2; i++) s += c[i]! / (x + i);
  const tt = x + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(tt) - tt + Math.log(s);
}
