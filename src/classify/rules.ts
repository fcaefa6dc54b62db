/**
 * The rule model: each feature adds bounded evidence (log-odds, positive = bird) and the sum goes
 * through a logistic into pBird. Labels come from pBird with an unknown band in the middle, so a
 * track that has shown nothing decisive stays 'unknown'. Terms and weights (docs/CLASSIFY.md):
 *   flicker   +3.0  significant periodicity (FAP ≤ 1e-3) in the wing band 3–12 Hz, depth ≥ 0.08,
 *                   relative SNR of the contrast ≥ 1.5
 *   flapMemory +1.5 no flicker now, but the caller saw one recently (DecideContext; replaces 'steady')
 *   steady    −2.0  ≥ 2 s of a well-seen target (SNR ≥ 5) that could have shown a 0.08 modulation and did not
 *   hover     −2.0 × min(1, hoverFraction / 0.5)   birds of this size do not hold still in the air
 *   wander    +0.75 ≥ 6 s, straightness < 0.7 at > 2 m/s   meandering flight
 *   fast      −1.0  mean speed > 25 m/s
 * Kinematic terms need ≥ 1.5 s of track. Default band: bird at pBird ≥ 0.75, drone at ≤ 0.25.
 */
import { ClassifyError } from './errors.ts';
import { KINEMATIC_DEFAULTS, kinematicFeatures, type KinematicOptions } from './kinematics.ts';
import { FLICKER_DEFAULTS, flickerFeatures, type FlickerOptions } from './signature.ts';
import type { Classification, FlickerFeatures, IntensitySeries, KinematicFeatures, TargetClass, TrackHistory } from './types.ts';

export interface RuleOptions {
  kinematics?: KinematicOptions;
  flicker?: FlickerOptions;
  /** Wing-beat band, Hz (default [3, 12]). */
  wingBandHz?: [number, number];
  /** Smallest relative modulation that counts as flapping (default 0.08). */
  minDepth?: number;
  /**
   * The flicker term also needs the relative SNR of the contrast (|mean| / σ) to be at least this
   * (default 1.5). A faint target (a drone at 1 km: flux ≈ its noise) has a relative series
   * of noise around a mean near zero; a chance peak there has a large 'depth' that means nothing.
   */
  flickerMinSnr?: number;
  /** Kinematic terms need this much track, s (default 1.5). */
  minDuration_s?: number;
  /** The steady term needs this much intensity history, s, and this relative SNR (defaults 2, 5). */
  steadyMinDuration_s?: number;
  steadyMinSnr?: number;
  /** Wander term: minimum duration s, straightness below, mean speed above m/s (defaults 6, 0.7, 2). */
  wanderMinDuration_s?: number;
  wanderStraightness?: number;
  wanderMinSpeed_mps?: number;
  /** Fast term: mean speed above, m/s (default 25). */
  fastSpeed_mps?: number;
  /** Evidence weights (log-odds). */
  weights?: Partial<Record<'flicker' | 'steady' | 'hover' | 'wander' | 'fast', number>>;
  /** Half-width of the unknown band around pBird = 0.5 (default 0.25: bird ≥ 0.75, drone ≤ 0.25). */
  unknownBand?: number;
}

export type ResolvedRuleOptions = Required<Omit<RuleOptions, 'weights' | 'kinematics' | 'flicker'>> & {
  weights: Record<'flicker' | 'steady' | 'hover' | 'wander' | 'fast', number>;
  kinematics: Required<KinematicOptions>;
  flicker: Required<FlickerOptions>;
};

export const RULE_DEFAULTS: ResolvedRuleOptions = {
  kinematics: KINEMATIC_DEFAULTS, flicker: FLICKER_DEFAULTS, wingBandHz: [3, 12], minDepth: 0.08, flickerMinSnr: 1.5,
  minDuration_s: 1.5, steadyMinDuration_s: 2, steadyMinSnr: 5,
  wanderMinDuration_s: 6, wanderStraightness: 0.7, wanderMinSpeed_mps: 2, fastSpeed_mps: 25,
  weights: { flicker: 3, steady: 2, hover: 2, wander: 0.75, fast: 1 }, unknownBand: 0.25,
};

/** Merge with defaults and validate; throws ClassifyError('CLASSIFY_OPTIONS'). */
export function resolveRuleOptions(opts: RuleOptions = {}): ResolvedRuleOptions {
  const r: ResolvedRuleOptions = {
    ...RULE_DEFAULTS, ...opts,
    kinematics: { ...KINEMATIC_DEFAULTS, ...opts.kinematics },
    flicker: { ...FLICKER_DEFAULTS, ...opts.flicker },
    weights: { ...RULE_DEFAULTS.weights, ...opts.weights },
  };
  const bad = (what: string): never => { throw new ClassifyError('CLASSIFY_OPTIONS', what); };
  const [b0, b1] = r.wingBandHz;
  if (!(b0 > 0 && b1 > b0)) bad(`wingBandHz must be 0 < lo < hi, got [${b0}, ${b1}]`);
  if (!(r.unknownBand >= 0 && r.unknownBand < 0.5)) bad(`unknownBand must be in [0, 0.5), got ${r.unknownBand}`);
  if (!(r.flicker.minHz > 0 && r.flicker.maxHz > r.flicker.minHz)) bad('flicker band must be 0 < minHz < maxHz');
  if (!(r.flicker.oversample >= 1)) bad('flicker.oversample must be ≥ 1');
  if (!(r.flicker.fapThreshold > 0 && r.flicker.fapThreshold < 1)) bad('flicker.fapThreshold must be in (0, 1)');
  if (!(r.flicker.minSamples >= 5)) bad('flicker.minSamples must be ≥ 5');
  if (!(r.flicker.highPass_s >= 0)) bad('flicker.highPass_s must be ≥ 0');
  if (!(r.kinematics.halfWindow_s > 0)) bad('kinematics.halfWindow_s must be > 0');
  for (const [k, w] of Object.entries(r.weights)) if (!(w >= 0 && Number.isFinite(w))) bad(`weight ${k} must be a finite number ≥ 0`);
  for (const k of ['minDepth', 'flickerMinSnr', 'minDuration_s', 'steadyMinDuration_s', 'steadyMinSnr', 'wanderMinDuration_s', 'wanderStraightness', 'wanderMinSpeed_mps', 'fastSpeed_mps'] as const) {
    if (!(r[k] >= 0 && Number.isFinite(r[k]))) bad(`${k} must be a finite number ≥ 0`);
  }
  return r;
}

/** Check a TrackHistory / IntensitySeries for consistent lengths and non-decreasing finite times. */
export function validateInputs(h: TrackHistory, sigs: readonly IntensitySeries[]): void {
  const bad = (what: string): never => { throw new ClassifyError('CLASSIFY_INPUT', what); };
  if (h.enu.length !== h.t.length) bad(`track history: ${h.t.length} times but ${h.enu.length} positions`);
  if (h.vel && h.vel.length !== h.t.length) bad(`track history: ${h.t.length} times but ${h.vel.length} velocities`);
  const mono = (t: readonly number[], what: string): void => {
    for (let i = 0; i < t.length; i++) {
      if (!Number.isFinite(t[i]!)) bad(`${what}: time ${i} is not finite`);
      if (i && t[i]! < t[i - 1]!) bad(`${what}: times decrease at ${i}`);
    }
  };
  mono(h.t, 'track history');
  for (const s of sigs) {
    if (s.contrast.length !== s.t.length) bad(`camera ${s.camera}: ${s.t.length} times but ${s.contrast.length} contrasts`);
    if (s.areaPx && s.areaPx.length !== s.t.length) bad(`camera ${s.camera}: ${s.t.length} times but ${s.areaPx.length} areas`);
    if (Array.isArray(s.rangeM) && s.rangeM.length !== s.t.length) bad(`camera ${s.camera}: ${s.t.length} times but ${s.rangeM.length} ranges`);
    mono(s.t, `camera ${s.camera}`);
  }
}

/** The rule model on already computed features. */
/** What the caller remembers of a track beyond the current window. */
export interface DecideContext {
  /** The track showed a wing beat within its memory (flap-gliding birds pause flapping for seconds). */
  flappedRecently?: boolean;
}

export function decide(k: KinematicFeatures, f: FlickerFeatures, r: ResolvedRuleOptions, ctx: DecideContext = {}): Classification {
  const w = r.weights;
  const ev: Record<string, number> = {};
  const [b0, b1] = r.wingBandHz;
  const significant = f.fap <= r.flicker.fapThreshold;
  const inBand = f.peakHz >= b0 && f.peakHz <= b1;
  if (significant && inBand && f.depth >= r.minDepth && f.snr >= r.flickerMinSnr) ev.flicker = w.flicker;
  else if (ctx.flappedRecently) ev.flapMemory = w.flicker / 2; // a glide between wing beats is not a rotor's steadiness
  else if (!significant && f.cameras > 0 && f.detectableDepth <= r.minDepth && f.snr >= r.steadyMinSnr && f.span_s >= r.steadyMinDuration_s) {
    ev.steady = -w.steady;
  }
  if (k.duration_s >= r.minDuration_s) {
    if (k.hoverFraction > 0) ev.hover = -w.hover * Math.min(1, k.hoverFraction / 0.5);
    if (k.duration_s >= r.wanderMinDuration_s && k.straightness < r.wanderStraightness && k.meanSpeed > r.wanderMinSpeed_mps) ev.wander = w.wander;
    if (k.meanSpeed > r.fastSpeed_mps) ev.fast = -w.fast;
  }
  const score = Object.values(ev).reduce((a, b) => a + b, 0);
  const pBird = 1 / (1 + Math.exp(-score));
  return labelOf(pBird, r.unknownBand, { kinematics: k, flicker: f, evidence: ev, score, pBird });
}

export function labelOf(pBird: number, band: number, features: Classification['features']): Classification {
  let cls: TargetClass = 'unknown';
  if (pBird >= 0.5 + band) cls = 'bird';
  else if (pBird <= 0.5 - band) cls = 'drone';
  const confidence = cls === 'bird' ? pBird : cls === 'drone' ? 1 - pBird : 1 - Math.abs(2 * pBird - 1);
  return { class: cls, confidence, features };
}

/**
 * Classify a track from its history and optional per-camera image signatures. Pure: same input,
 * same output. Throws ClassifyError on malformed input.
 */
export function classifyTrack(history: TrackHistory, signatures: readonly IntensitySeries[] = [], opts: RuleOptions = {}): Classification {
  return classifyResolved(history, signatures, resolveRuleOptions(opts));
}

/** classifyTrack with options already resolved (no per-call merging). */
export function classifyResolved(history: TrackHistory, signatures: readonly IntensitySeries[], r: ResolvedRuleOptions): Classification {
  validateInputs(history, signatures);
  return decide(kinematicFeatures(history, r.kinematics), flickerFeatures(signatures, r.flicker), r);
}
