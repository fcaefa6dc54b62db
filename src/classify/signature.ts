/**
 * Image-signature features: the flicker spectrum of the target's contrast (and blob area) in each
 * camera and its apparent size. Flapping wings modulate both at the wing-beat frequency (3–12 Hz
 * for birds of drone size); rotor blur is steady at video frame rates. Each camera's series is
 * made relative (x / mean − 1) and linearly detrended (optionally high-passed), then the generalised Lomb–Scargle
 * periodograms of all channels are combined with weights n_c (each channel keeps its own
 * amplitude and phase: cameras see the wings from different sides).
 */
import { falseAlarmProbability, glsPeriodogramMulti, refinedPeak } from './periodogram.ts';
import type { FlickerFeatures, IntensitySeries } from './types.ts';

export interface FlickerOptions {
  /**
   * Searched band, Hz (defaults 2 and 15: below 2 Hz lie the codec's GOP rhythm and the slow wander
   * of clouds and exposure, no wing beat of a drone-sized bird); the upper end is capped at 0.98 × the slowest camera's Nyquist frequency. */
  minHz?: number;
  maxHz?: number;
  /** Frequency grid oversampling relative to 1/span (default 3; the peak is refined by a parabola). */
  oversample?: number;
  /** A camera enters with at least this many samples (default 12). */
  minSamples?: number;
  /** FAP at which a peak is called significant; also sets the detectable depth (default 1e-3). */
  fapThreshold?: number;
  /** Use areaPx as an extra channel when present (default true). */
  useArea?: boolean;
  /**
   * High-pass: subtract a centred running mean over this many seconds before the periodogram
   * (default 0: off). It removes the slow wander that video codecs, drifting clouds and background
   * models add below ~1.5 Hz. Off by default: through H.264 with B-frames it lifted the codec's own
   * frame-type periodicity (near fps/8) above the wing-beat threshold, and a drone became a bird
   * in 2 of 5 runs (docs/CLASSIFY.md).
   */
  highPass_s?: number;
}

export const FLICKER_DEFAULTS: Required<FlickerOptions> = { minHz: 2, maxHz: 15, oversample: 3, minSamples: 12, fapThreshold: 1e-3, useArea: true, highPass_s: 0 };

const MAX_BINS = 4096;

interface Chan { t: Float64Array; y: Float64Array; n: number; contrast: boolean; p: Float64Array; amp: Float64Array }

function median(v: number[]): number {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

/** x/mean − 1, minus its least-squares line in t; null when the mean is ~0 or the values are not finite. */
function relativeDetrended(t: readonly number[], x: readonly number[], n: number): Float64Array | null {
  let sx = 0;
  for (let i = 0; i < n; i++) sx += x[i]!;
  const m = sx / n;
  if (!Number.isFinite(m) || Math.abs(m) < 1e-9) return null;
  const y = new Float64Array(n);
  let st = 0;
  for (let i = 0; i < n; i++) { y[i] = x[i]! / m - 1; st += t[i]!; }
  const tm = st / n;
  let stt = 0, sty = 0, sy = 0;
  for (let i = 0; i < n; i++) { const d = t[i]! - tm; stt += d * d; sty += d * y[i]!; sy += y[i]!; }
  const slope = stt > 0 ? sty / stt : 0, ym = sy / n;
  for (let i = 0; i < n; i++) y[i] = y[i]! - ym - slope * (t[i]! - tm);
  return y;
}

/**
 * y minus its centred running mean over a window of w seconds (two pointers, uneven times). For
 * dense even sampling the response is 1 − sinc(f·w): 0 at DC, 0.17 at 1 Hz, 0.59 at 2 Hz for
 * w = 1/3 s, and between 0.8 and 1.22 from 3 Hz up (exactly 1 at multiples of 1/w).
 */
export function highPass(t: ArrayLike<number>, y: Float64Array, n: number, w: number): Float64Array {
  if (!(w > 0)) return y;
  const out = new Float64Array(n);
  let lo = 0, hi = -1, sum = 0;
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    while (hi + 1 < n && t[hi + 1]! <= ti + w / 2) sum += y[++hi]!;
    while (t[lo]! < ti - w / 2) sum -= y[lo++]!;
    out[i] = y[i]! - sum / (hi - lo + 1);
  }
  return out;
}

function variance(y: Float64Array): number {
  let s = 0, ss = 0;
  for (const v of y) { s += v; ss += v * v; }
  const m = s / y.length;
  return Math.max(0, ss / y.length - m * m);
}

const rangeAt = (r: IntensitySeries['rangeM'], i: number): number => (typeof r === 'number' ? r : r?.[i] ?? NaN);

export function flickerFeatures(series: readonly IntensitySeries[], opts: FlickerOptions = {}): FlickerFeatures {
  const o = { ...FLICKER_DEFAULTS, ...opts };
  const chans: Chan[] = [];
  let nyq = Infinity, span = 0;
  const sizes: number[] = [], cvs: number[] = [];
  for (const s of series) {
    const n = Math.min(s.t.length, s.contrast.length);
    if (n < o.minSamples) continue;
    const t = Float64Array.from(s.t.slice(0, n));
    const dts: number[] = [];
    for (let i = 1; i < n; i++) dts.push(t[i]! - t[i - 1]!);
    const dt = median(dts);
    if (!(dt > 0)) continue;
    const y0 = relativeDetrended(s.t, s.contrast, n);
    if (!y0) continue;
    const y = highPass(t, y0, n, o.highPass_s);
    nyq = Math.min(nyq, 0.5 / dt);
    span = Math.max(span, t[n - 1]! - t[0]!);
    chans.push({ t, y, n, contrast: true, p: new Float64Array(0), amp: new Float64Array(0) });
    if (s.areaPx && s.areaPx.length >= n) {
      if (o.useArea) {
        const ya0 = relativeDetrended(s.t, s.areaPx, n);
        const ya = ya0 && highPass(t, ya0, n, o.highPass_s);
        if (ya && variance(ya) > 0) chans.push({ t, y: ya, n, contrast: false, p: new Float64Array(0), amp: new Float64Array(0) });
      }
      // Apparent size: sqrt(area)·range is proportional to the physical size for a rigid target.
      const lin: number[] = [];
      for (let i = 0; i < n; i++) {
        const r = rangeAt(s.rangeM, i), a = s.areaPx[i]!;
        if (Number.isFinite(r) && a > 0) lin.push(Math.sqrt(a) * r);
      }
      if (lin.length >= 3) {
        const mean = lin.reduce((p, q) => p + q, 0) / lin.length;
        const sd = Math.sqrt(lin.reduce((p, q) => p + (q - mean) ** 2, 0) / lin.length);
        if (mean > 0) cvs.push(sd / mean);
        if (s.focalPx && s.focalPx > 0) sizes.push(median(lin) / s.focalPx);
      }
    }
  }
  const contrastChans = chans.filter((c) => c.contrast);
  const base = {
    span_s: span, cameras: contrastChans.length, samples: contrastChans.reduce((p, c) => p + c.n, 0),
    sizeM: sizes.length ? median(sizes) : NaN, sizeCv: cvs.length ? cvs.reduce((p, q) => p + q, 0) / cvs.length : NaN,
  };
  const maxHz = Math.min(o.maxHz, 0.98 * nyq);
  if (!chans.length || !(span > 0) || !(maxHz > o.minHz)) {
    return { ...base, peakHz: NaN, peakPower: 0, prominence: 0, fap: 1, depth: 0, detectableDepth: Infinity, snr: 0, maxHz: Number.isFinite(maxHz) ? maxHz : 0 };
  }
  let df = 1 / (o.oversample * span);
  let nf = Math.floor((maxHz - o.minHz) / df) + 1;
  if (nf > MAX_BINS) { nf = MAX_BINS; df = (maxHz - o.minHz) / (nf - 1); }
  const grid = { f0: o.minHz, df, nf };
  const scratch = new Float64Array(8 * nf);
  for (const c of chans) { c.p = new Float64Array(nf); c.amp = new Float64Array(nf); }
  // Channels of one camera share their times (contrast, then area): one pass for both.
  for (let i = 0; i < chans.length;) {
    const group = [chans[i]!];
    while (i + group.length < chans.length && chans[i + group.length]!.t === chans[i]!.t) group.push(chans[i + group.length]!);
    glsPeriodogramMulti(group[0]!.t, group.map((c) => c.y), group[0]!.n, grid, group.map((c) => c.p), group.map((c) => c.amp), scratch);
    i += group.length;
  }
  // Effective number of independent frequencies: 2·band·span. Monte Carlo on white noise (test/classify
  // periodogram.test.ts) gives the nominal false-alarm rate with it; band·span alone makes it ~2× too low.
  const m = 2 * (maxHz - o.minHz) * span;
  // Two candidate statistics: every channel, and the contrast channels alone. The area of a target
  // a few pixels across is a noisy count that can dilute a faint bird's wing beat (spec-1km-c: the
  // combined peak reached FAP 10⁻³ 0.5 s later than the contrast alone), while for a well-resolved
  // bird the area swings with the wings and helps. The better of the two is taken, and its FAP
  // doubled (Bonferroni: two looks at the same data).
  const combine = (set: Chan[]) => {
    const combined = new Float64Array(nf);
    let nTot = 0;
    for (const c of set) {
      for (let k = 0; k < nf; k++) combined[k] = combined[k]! + c.n * c.p[k]!;
      nTot += c.n;
    }
    for (let k = 0; k < nf; k++) combined[k] = combined[k]! / nTot;
    const pk = refinedPeak(combined, nf);
    return { combined, nTot, channels: set.length, pk, fap: falseAlarmProbability(pk.value, nTot, set.length, m) };
  };
  let best = combine(chans), looks = 1;
  if (contrastChans.length < chans.length) {
    looks = 2;
    const alone = combine(contrastChans);
    if (alone.fap < best.fap) best = alone;
  }
  const { combined, nTot, pk } = best;
  const fap = Math.min(1, looks * best.fap);
  // Prominence: the peak over the median power of the band away from it (±0.5 Hz excluded), a
  // contrast that red (low-frequency-heavy) noise from codecs and clouds does not fake as easily.
  const away: number[] = [];
  for (let k = 0; k < nf; k++) if (Math.abs(k - pk.at) * df > 0.5) away.push(combined[k]!);
  const floor = median(away);
  const prominence = floor > 0 ? pk.value / floor : Infinity;
  // Noise per contrast channel: the variance left after the peak's sinusoid.
  const noise = contrastChans.map((c) => variance(c.y) * (1 - c.p[pk.index]!));
  const depth = contrastChans.reduce((p, c) => p + c.amp[pk.index]!, 0) / contrastChans.length;
  const sigma2 = contrastChans.reduce((p, c, i) => p + c.n * noise[i]!, 0) / contrastChans.reduce((p, c) => p + c.n, 0);
  // Power a significant peak needs (with the chosen statistic and the same doubling), by bisection
  // on the (monotone) FAP; a depth-d sinusoid over noise σ² explains (d²/2)/(d²/2 + σ²) of the variance.
  let lo = 0, hi = 1;
  for (let i = 0; i < 50; i++) {
    const mid = 0.5 * (lo + hi);
    if (looks * falseAlarmProbability(mid, nTot, best.channels, m) > o.fapThreshold) lo = mid; else hi = mid;
  }
  const detectableDepth = hi < 1 ? Math.sqrt((2 * hi * sigma2) / (1 - hi)) : Infinity;
  return {
    ...base, peakHz: o.minHz + pk.at * df, peakPower: pk.value, prominence, fap, depth, detectableDepth,
    snr: median(noise.map((v) => (v > 0 ? 1 / Math.sqrt(v) : Infinity))), maxHz,
  };
}
