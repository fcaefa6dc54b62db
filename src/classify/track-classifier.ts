/**
 * Incremental classification for the tracker and the pipeline: per-track sliding windows of the
 * path and of each camera's intensity samples (bounded by time and by count), a cached result
 * recomputed at most every `recompute_s` of site time, and label hysteresis so a track does not
 * flicker between labels near the band edges.
 */
import { ClassifyError } from './errors.ts';
import { kinematicFeatures } from './kinematics.ts';
import { decide, labelOf, resolveRuleOptions, type ResolvedRuleOptions, type RuleOptions } from './rules.ts';
import { flickerFeatures } from './signature.ts';
import type { Classification, IntensitySeries, TrackHistory, Vec3 } from './types.ts';

export interface TrackClassifierOptions extends RuleOptions {
  /** Sliding window of history kept per track, s of site time (default 8). */
  window_s?: number;
  /** The flicker spectrum uses only the newest this many seconds of intensity samples (default 4; cost ∝ its square). */
  flickerWindow_s?: number;
  /** At most this many samples per track path and per camera series (default 512). */
  maxSamples?: number;
  /** classify() recomputes a track at most this often, s of site time (default 1). */
  recompute_s?: number;
  /**
   * While a track's label is 'unknown', recompute this often instead (default 0.25 s): a young
   * track's wing beat becomes significant within a fraction of a second of more samples, and a
   * bird seen by three cameras for only ten seconds cannot wait a whole second per look. Settled
   * tracks (most of them) keep the slower rate, so the cost stays bounded.
   */
  recomputeUnknown_s?: number;
  /**
   * After a wing beat was seen, this many seconds of site time count as "flapped recently":
   * steady intensity then does not argue for a drone, and the memory adds half the flicker
   * evidence (default 10; 0 disables). Flap-gliding birds pause their wing beats for seconds.
   */
  flapMemory_s?: number;
  /** A label once given holds until pBird falls back inside 0.5 ± (unknownBand − holdBand) (default 0.1). */
  holdBand?: number;
}

/** Track ids as the tracker writes them (CONTRACTS §6); numbers and their decimal strings name the same track. */
export type TrackKey = string | number;

/** One camera's measurement of a track's target in one frame. */
export interface SignatureSample {
  camera: string;
  t: number;
  contrast: number;
  areaPx?: number;
  rangeM?: number;
  focalPx?: number;
}

/** Fixed-capacity FIFO of rows (t + k values) in typed arrays. */
class Ring {
  readonly t: Float64Array;
  readonly v: Float64Array;
  start = 0;
  len = 0;
  constructor(readonly cap: number, readonly k: number) {
    this.t = new Float64Array(cap);
    this.v = new Float64Array(cap * k);
  }
  push(t: number, vals: ArrayLike<number>): void {
    if (this.len === this.cap) { this.start = (this.start + 1) % this.cap; this.len--; }
    const i = (this.start + this.len) % this.cap;
    this.t[i] = t;
    for (let c = 0; c < this.k; c++) this.v[i * this.k + c] = vals[c] ?? NaN;
    this.len++;
  }
  trimBefore(tMin: number): void {
    while (this.len > 0 && this.t[this.start]! < tMin) { this.start = (this.start + 1) % this.cap; this.len--; }
  }
  last(): number {
    return this.len ? this.t[(this.start + this.len - 1) % this.cap]! : -Infinity;
  }
  /** Column c as a plain array in time order (c = −1: times). */
  column(c: number): number[] {
    const out = new Array<number>(this.len);
    for (let j = 0; j < this.len; j++) {
      const i = (this.start + j) % this.cap;
      out[j] = c < 0 ? this.t[i]! : this.v[i * this.k + c]!;
    }
    return out;
  }
}

interface TrackState {
  path: Ring; // e, n, u, ve, vn, vu (NaN velocity when not given)
  cams: Map<string, { ring: Ring; focalPx: number }>; // contrast, area, range
  result: Classification | undefined;
  computedAt: number;
  /** Site time of the last computation that found a wing beat, and of the first one of that streak. */
  lastFlap: number;
  firstFlap: number;
  dirty: boolean;
}

/** Two wing-beat findings this far apart (s of site time) make the flap memory hold. */
const FLAP_CONFIRM_S = 1;

const UNKNOWN_FEATURES = (): Classification => labelOf(0.5, 0.25, {
  kinematics: { duration_s: 0, samples: 0, meanSpeed: 0, maxSpeed: 0, meanHorizSpeed: 0, meanAccel: 0, maxAccel: 0, meanClimb: 0, maxClimb: 0, hoverFraction: 0, curvature: 0, straightness: 1 },
  flicker: { cameras: 0, samples: 0, span_s: 0, peakHz: NaN, peakPower: 0, prominence: 0, fap: 1, depth: 0, detectableDepth: Infinity, snr: 0, maxHz: 0, sizeM: NaN, sizeCv: NaN },
  evidence: {}, score: 0, pBird: 0.5,
});

export class TrackClassifier {
  private readonly rules: ResolvedRuleOptions;
  private readonly window: number;
  private readonly flickerWindow: number;
  private readonly maxSamples: number;
  private readonly recompute: number;
  private readonly recomputeUnknown: number;
  private readonly hold: number;
  private readonly flapMemory: number;
  private readonly tracks = new Map<string, TrackState>();
  private closed = false;

  constructor(opts: TrackClassifierOptions = {}) {
    this.rules = resolveRuleOptions(opts);
    this.window = opts.window_s ?? 8;
    this.flickerWindow = opts.flickerWindow_s ?? 4;
    this.maxSamples = opts.maxSamples ?? 512;
    this.recompute = opts.recompute_s ?? 1;
    this.recomputeUnknown = opts.recomputeUnknown_s ?? Math.min(0.25, this.recompute);
    this.hold = opts.holdBand ?? 0.1;
    this.flapMemory = opts.flapMemory_s ?? 10;
    const bad = (what: string): never => { throw new ClassifyError('CLASSIFY_OPTIONS', what); };
    if (!(this.window > 0 && Number.isFinite(this.window))) bad(`window_s must be > 0, got ${this.window}`);
    if (!(Number.isInteger(this.maxSamples) && this.maxSamples >= 16)) bad(`maxSamples must be an integer ≥ 16, got ${this.maxSamples}`);
    if (!(this.flickerWindow > 0)) bad(`flickerWindow_s must be > 0, got ${this.flickerWindow}`);
    if (!(this.recompute >= 0)) bad(`recompute_s must be ≥ 0, got ${this.recompute}`);
    if (!(this.recomputeUnknown >= 0)) bad(`recomputeUnknown_s must be ≥ 0, got ${this.recomputeUnknown}`);
    if (!(this.flapMemory >= 0)) bad(`flapMemory_s must be ≥ 0, got ${this.flapMemory}`);
    if (!(this.hold >= 0 && this.hold <= this.rules.unknownBand)) bad(`holdBand must be in [0, unknownBand], got ${this.hold}`);
  }

  /** Tracks currently held. */
  get size(): number {
    return this.tracks.size;
  }

  private state(trackId: TrackKey): TrackState {
    if (this.closed) throw new ClassifyError('CLASSIFY_STATE', 'TrackClassifier used after close()');
    const id = String(trackId);
    let s = this.tracks.get(id);
    if (!s) {
      s = { path: new Ring(this.maxSamples, 6), cams: new Map(), result: undefined, computedAt: -Infinity, lastFlap: -Infinity, firstFlap: -Infinity, dirty: true };
      this.tracks.set(id, s);
    }
    return s;
  }

  /** A track position (and velocity when the tracker has one) at site time t. Out-of-order samples are dropped. */
  addPosition(trackId: TrackKey, t: number, enu: Readonly<Vec3>, vel?: Readonly<Vec3>): void {
    const s = this.state(trackId);
    if (!Number.isFinite(t) || t < s.path.last()) return;
    s.path.push(t, [enu[0], enu[1], enu[2], vel?.[0] ?? NaN, vel?.[1] ?? NaN, vel?.[2] ?? NaN]);
    s.path.trimBefore(t - this.window);
    s.dirty = true;
  }

  /** One camera's intensity measurement of the track's target. Out-of-order samples are dropped. */
  addSignature(trackId: TrackKey, sample: SignatureSample): void {
    const s = this.state(trackId);
    let c = s.cams.get(sample.camera);
    if (!c) { c = { ring: new Ring(this.maxSamples, 3), focalPx: NaN }; s.cams.set(sample.camera, c); }
    if (!Number.isFinite(sample.t) || !Number.isFinite(sample.contrast) || sample.t < c.ring.last()) return;
    c.ring.push(sample.t, [sample.contrast, sample.areaPx ?? NaN, sample.rangeM ?? NaN]);
    c.ring.trimBefore(sample.t - this.window);
    if (sample.focalPx !== undefined) c.focalPx = sample.focalPx;
    s.dirty = true;
  }

  /**
   * The track's current class. Recomputed when new samples arrived and at least `recompute_s` of
   * site time passed since the last computation (t defaults to the newest sample); otherwise the
   * cached answer. Unknown track ids answer 'unknown' with confidence 1.
   */
  classify(trackId: TrackKey, t?: number): Classification {
    if (this.closed) throw new ClassifyError('CLASSIFY_STATE', 'TrackClassifier used after close()');
    const s = this.tracks.get(String(trackId));
    if (!s) return UNKNOWN_FEATURES();
    let now = t ?? s.path.last();
    if (t === undefined) for (const c of s.cams.values()) now = Math.max(now, c.ring.last());
    const every = s.result?.class === 'unknown' ? this.recomputeUnknown : this.recompute;
    if (s.result && (!s.dirty || now - s.computedAt < every)) return s.result;
    const raw = this.compute(s, now);
    s.result = this.withHysteresis(s.result, raw);
    s.computedAt = now;
    s.dirty = false;
    return s.result;
  }

  /** The last answer without computing (undefined before the first classify()). */
  current(trackId: TrackKey): Classification | undefined {
    return this.tracks.get(String(trackId))?.result;
  }

  /** The windows as the pure classifier's inputs (also what classify() evaluates). */
  snapshot(trackId: TrackKey): { history: TrackHistory; signatures: IntensitySeries[] } | undefined {
    const s = this.tracks.get(String(trackId));
    return s ? this.inputsOf(s) : undefined;
  }

  /** Forget a track (deleted by the tracker). */
  remove(trackId: TrackKey): void {
    this.tracks.delete(String(trackId));
  }

  /** Drop every track whose newest sample is older than t − window_s. */
  prune(t: number): void {
    for (const [id, s] of this.tracks) {
      let last = s.path.last();
      for (const c of s.cams.values()) last = Math.max(last, c.ring.last());
      if (last < t - this.window) this.tracks.delete(id);
    }
  }

  close(): void {
    this.closed = true;
    this.tracks.clear();
  }

  private inputsOf(s: TrackState): { history: TrackHistory; signatures: IntensitySeries[] } {
    const p = s.path;
    const t = p.column(-1);
    const col = [0, 1, 2, 3, 4, 5].map((c) => p.column(c));
    const enu = t.map((_, i): Vec3 => [col[0]![i]!, col[1]![i]!, col[2]![i]!]);
    const hasVel = t.length > 0 && col[3]!.every(Number.isFinite);
    const history: TrackHistory = hasVel ? { t, enu, vel: t.map((_, i): Vec3 => [col[3]![i]!, col[4]![i]!, col[5]![i]!]) } : { t, enu };
    const signatures: IntensitySeries[] = [];
    for (const [camera, c] of [...s.cams].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (!c.ring.len) continue;
      const area = c.ring.column(1), range = c.ring.column(2);
      const sig: IntensitySeries = { camera, t: c.ring.column(-1), contrast: c.ring.column(0) };
      if (area.every(Number.isFinite)) sig.areaPx = area;
      if (range.every(Number.isFinite)) sig.rangeM = range;
      if (Number.isFinite(c.focalPx)) sig.focalPx = c.focalPx;
      signatures.push(sig);
    }
    return { history, signatures };
  }

  private compute(s: TrackState, now: number): Classification {
    s.path.trimBefore(now - this.window);
    for (const c of s.cams.values()) c.ring.trimBefore(now - this.window);
    const { history, signatures: all } = this.inputsOf(s);
    const signatures = all.map((sig) => recent(sig, now - this.flickerWindow));
    // The memory holds only a wing beat seen in computations at least FLAP_CONFIRM_S apart: one
    // chance peak (a faint drone's noise can make one) then gives bird for that look alone, not
    // for the whole memory.
    const inMemory = now - s.lastFlap <= this.flapMemory;
    const ctx = { flappedRecently: this.flapMemory > 0 && inMemory && s.lastFlap - s.firstFlap >= FLAP_CONFIRM_S };
    const c = decide(kinematicFeatures(history, this.rules.kinematics), flickerFeatures(signatures, this.rules.flicker), this.rules, ctx);
    if (c.features.evidence.flicker !== undefined) {
      if (!inMemory) s.firstFlap = now;
      s.lastFlap = now;
    }
    return c;
  }

  private withHysteresis(prev: Classification | undefined, raw: Classification): Classification {
    const p = raw.features.pBird, keep = 0.5 + this.rules.unknownBand - this.hold;
    if (prev?.class === 'bird' && raw.class !== 'bird' && p >= keep) return { class: 'bird', confidence: p, features: raw.features };
    if (prev?.class === 'drone' && raw.class !== 'drone' && 1 - p >= keep) return { class: 'drone', confidence: 1 - p, features: raw.features };
    return raw;
  }
}

/** The part of a series at or after tMin. */
function recent(s: IntensitySeries, tMin: number): IntensitySeries {
  let i = 0;
  while (i < s.t.length && s.t[i]! < tMin) i++;
  if (i === 0) return s;
  const out: IntensitySeries = { camera: s.camera, t: s.t.slice(i), contrast: s.contrast.slice(i) };
  if (s.areaPx) out.areaPx = s.areaPx.slice(i);
  if (s.rangeM !== undefined) out.rangeM = typeof s.rangeM === 'number' ? s.rangeM : s.rangeM.slice(i);
  if (s.focalPx !== undefined) out.focalPx = s.focalPx;
  return out;
}
