/**
 * Image-plane tracklets: a per-camera filter between motion blobs and the voxel projector. A
 * small target moves smoothly across the image and shows in (nearly) every frame; codec and
 * sensor noise put blobs at new random places each frame. A blob is passed on only when it
 * continues a short constant-velocity chain of blobs that has reached `minHits` detections, so
 * the rays cast per frame fall from the whole noise population (about 10³ per 1080p frame at
 * 12 Mb/s) to the few chains that move like an object. Chance chains need ever tighter
 * coincidences: a fresh blob is continued by noise with probability ρ·π·(gate + vmax·dt)², after
 * that by ρ·π·gate² per frame (ρ = blobs per px²); docs/PREPROCESS.md has the figures.
 *
 * Pure and allocation-free in steady state: structure-of-arrays state with a free list, a grid
 * of the frame's blobs for the gate search. Time is the frame's own time (seconds, any clock
 * that increases), so dropped frames are handled by the gates growing with dt.
 */
import { PreprocessError } from './errors.ts';
import type { PixelList } from './blobs.ts';

export interface TrackletOptions {
  /** Fastest apparent motion followed, px/s (default 300): the gate of a one-blob tracklet. */
  maxSpeedPxS?: number;
  /** Gate radius around the constant-velocity prediction, px (default 2); grows by itself per missed frame. */
  gatePx?: number;
  /**
   * Blobs a tracklet needs (this one included) before its blobs are passed on (default 4; on
   * spec-1km 1080p H.264, 3 → 4 with minTravelPx 3 cut the rays cast from 25–70 to 6–35 per
   * frame, the drone kept in 270–280 of 284 frames: docs/PREPROCESS.md).
   */
  minHits?: number;
  /**
   * Consecutive frames a mature tracklet (≥ minHits) may miss before it is dropped (default 6):
   * a faint target shows in only some frames. Its gate grows by half of `gatePx` per missed frame.
   */
  maxMisses?: number;
  /**
   * The same for a young tracklet (default 1): its first gate is `maxSpeedPxS`·dt wide, so
   * letting it wait longer would let noise complete it.
   */
  youngMaxMisses?: number;
  /** Velocity gain of the α-β update (default 0.5; the position gain is 0.7). */
  beta?: number;
  /** Tracklets held at most (default 16384); blobs beyond it start none (counted). */
  capacity?: number;
  /**
   * A tracklet's blobs are cast only once it has moved this far from where it began, px
   * (default 3). Codec noise repeats at the very same pixel for several frames (skipped
   * macroblocks copy the reference frame's noise), forming still chains; a target moves.
   */
  minTravelPx?: number;
  /**
   * Track-before-detect: a mature tracklet that finds no blob in its gate asks the frame's
   * {@link EnergyProbe} for the strongest sub-threshold pixel there, and takes it (cast as a ray
   * with its z as energy) when z ≥ probeZ (default 3; 0 disables). Only mature tracklets probe,
   * so noise cannot grow tracklets this way; a noise-born one survives a probe with p ≈ 1 −
   * (1 − Φ(−probeZ))^(pixels in the gate) for Gaussian noise (the probed pixel must have the
   * tracklet's polarity; 0.3 % for a 13-pixel gate at z 3.5). The probe looks within `gatePx`
   * of the prediction, however many frames were missed. With a probe, blobs also carry a
   * polarity (the sign of their difference) and a tracklet only takes blobs of its own.
   */
  probeZ?: number;
  /**
   * Tracklets with at least this many hits probe (default 2, or minHits when smaller). Below minHits a probed pixel
   * only keeps the tracklet alive (it is neither cast nor counted as a hit).
   */
  probeMinHits?: number;
}

/** Reads the motion energy below the detection threshold (MotionDetector implements it). */
export interface EnergyProbe {
  /**
   * Largest z-score within `radius` px of (u, v) in the last frame, counting only differences of
   * sign `polarity` when it is ±1; its pixel in probeIndex (−1 when none).
   */
  probe(u: number, v: number, radius: number, polarity?: number): number;
  readonly probeIndex: number;
  /** Signed z-score at a pixel (its sign is the polarity: darker or brighter than the background). */
  signedAt(index: number): number;
}

export interface TrackletStats {
  frames: number;
  blobs: number;
  emitted: number;
  /** Live tracklets after the last frame. */
  live: number;
  /** Blobs that could not start a tracklet because the capacity was reached. */
  dropped: number;
  /** Sub-threshold pixels taken by mature tracklets (probeZ). */
  probed: number;
}

const CELL_SHIFT = 4; // 16 px grid cells for the gate search
const CELL = 1 << CELL_SHIFT;
const HIT_LEVELS = 16;
const ALPHA = 0.7;

export class TrackletFilter {
  readonly maxSpeed: number;
  readonly gate: number;
  readonly minHits: number;
  readonly maxMisses: number;
  readonly youngMaxMisses: number;
  readonly beta: number;
  readonly capacity: number;
  readonly probeZ: number;
  readonly minTravel2: number;
  readonly probeMinHits: number;
  readonly stats: TrackletStats = { frames: 0, blobs: 0, emitted: 0, live: 0, dropped: 0, probed: 0 };
  // Tracklet state (structure of arrays).
  private readonly pu: Float64Array;
  /** Where the tracklet began. */
  private readonly fu: Float64Array;
  private readonly fv: Float64Array;
  private readonly pv: Float64Array;
  private readonly vu: Float64Array;
  private readonly vv: Float64Array;
  private readonly tl: Float64Array;
  private readonly hits: Int32Array;
  /** Polarity (−1 darker, +1 brighter, 0 unknown) of the tracklet's first blob. */
  private readonly pol: Int8Array;
  private readonly misses: Int32Array;
  private readonly live: Int32Array;
  private liveCount = 0;
  private readonly free: Int32Array;
  private freeCount: number;
  private readonly order: Int32Array;
  private readonly levelStart = new Int32Array(HIT_LEVELS + 1);
  // The frame's blobs in a grid.
  private readonly gx: number;
  private readonly gy: number;
  private readonly cellStart: Int32Array;
  private cellItems = new Int32Array(0);
  private claimed = new Uint8Array(0);
  private bu = new Float64Array(0);
  private bv = new Float64Array(0);
  private bp = new Int8Array(0);
  private lastT = -Infinity;
  private probedIndex = new Uint32Array(0);
  private probedZ = new Float32Array(0);

  constructor(readonly width: number, readonly height: number, opts: TrackletOptions = {}) {
    const bad = (what: string): never => { throw new PreprocessError('PREPROCESS_OPTIONS', `TrackletOptions: ${what}`); };
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) bad(`bad frame size ${width}×${height}`);
    this.maxSpeed = opts.maxSpeedPxS ?? 300;
    this.gate = opts.gatePx ?? 2;
    this.minHits = opts.minHits ?? 4;
    this.maxMisses = opts.maxMisses ?? 6;
    this.youngMaxMisses = opts.youngMaxMisses ?? 1;
    this.beta = opts.beta ?? 0.5;
    this.capacity = opts.capacity ?? 16384;
    this.probeZ = opts.probeZ ?? 3.5;
    const travel = opts.minTravelPx ?? 3;
    if (!(Number.isFinite(travel) && travel >= 0)) bad('minTravelPx must be a finite number ≥ 0');
    this.minTravel2 = travel * travel;
    this.probeMinHits = opts.probeMinHits ?? Math.min(2, this.minHits);
    if (!(Number.isInteger(this.probeMinHits) && this.probeMinHits >= 1)) bad("probeMinHits must be an integer ≥ 1");
    if (!(Number.isFinite(this.probeZ) && this.probeZ >= 0)) bad('probeZ must be a finite number ≥ 0');
    if (!(Number.isFinite(this.maxSpeed) && this.maxSpeed >= 0)) bad('maxSpeedPxS must be a finite number ≥ 0');
    if (!(Number.isFinite(this.gate) && this.gate > 0)) bad('gatePx must be a finite number > 0');
    if (!(Number.isInteger(this.minHits) && this.minHits >= 1 && this.minHits <= 64)) bad('minHits must be an integer in 1..64');
    if (!(Number.isInteger(this.maxMisses) && this.maxMisses >= 0 && this.maxMisses <= 64)) bad('maxMisses must be an integer in 0..64');
    if (!(Number.isInteger(this.youngMaxMisses) && this.youngMaxMisses >= 0 && this.youngMaxMisses <= 64)) bad('youngMaxMisses must be an integer in 0..64');
    if (!(Number.isFinite(this.beta) && this.beta >= 0 && this.beta <= 1)) bad('beta must be a number in 0..1');
    if (!(Number.isInteger(this.capacity) && this.capacity >= 1 && this.capacity <= 1 << 22)) bad('capacity must be an integer in 1..4194304');
    const c = this.capacity;
    this.pu = new Float64Array(c); this.pv = new Float64Array(c);
    this.fu = new Float64Array(c); this.fv = new Float64Array(c);
    this.vu = new Float64Array(c); this.vv = new Float64Array(c);
    this.tl = new Float64Array(c);
    this.hits = new Int32Array(c); this.misses = new Int32Array(c);
    this.pol = new Int8Array(c);
    this.live = new Int32Array(c); this.order = new Int32Array(c);
    this.free = new Int32Array(c);
    for (let i = 0; i < c; i++) this.free[i] = c - 1 - i;
    this.freeCount = c;
    this.gx = ((width - 1) >> CELL_SHIFT) + 1;
    this.gy = ((height - 1) >> CELL_SHIFT) + 1;
    this.cellStart = new Int32Array(this.gx * this.gy + 1);
  }

  /**
   * Feed one frame's blobs (taken at time `t`, seconds, increasing); writes into `out` the blobs
   * that continue a tracklet with at least `minHits` detections (in input order) and returns
   * their count, then the sub-threshold pixels that mature tracklets took from `probe` (when
   * given; their energy is the probed z). `out` may not be `blobs`.
   */
  push(t: number, blobs: PixelList, out: PixelList, probe?: EnergyProbe): number {
    if (!Number.isFinite(t)) throw new PreprocessError('PREPROCESS_FRAME', `tracklets: frame time ${t} is not finite`);
    if (out === blobs) throw new PreprocessError('PREPROCESS_STATE', 'tracklets: out must differ from the input list');
    const n = blobs.count;
    if (out.index.length < n || out.energy.length < n) throw new PreprocessError('PREPROCESS_STATE', `tracklets: output holds ${out.index.length}, needs ${n}`);
    if (!(t > this.lastT)) {
      // Time went backwards or stood still (a new file, a clock step): start afresh.
      this.reset();
    }
    this.lastT = t;
    this.stats.frames++;
    this.stats.blobs += n;
    this.indexBlobs(blobs);
    const bp = this.bp, pol = this.pol;
    for (let b = 0; b < n; b++) bp[b] = probe ? Math.sign(probe.signedAt(blobs.index[b]!)) : 0;
    this.sortByHits();
    const { pu, pv, vu, vv, tl, hits, misses, bu, bv, claimed, cellStart, cellItems, gx, gy } = this;
    let m = 0;
    let keep = 0;
    // Probed pixels go behind the emitted blobs: collected here first.
    let nProbed = 0;
    if (this.probedIndex.length < this.liveCount) { this.probedIndex = new Uint32Array(this.liveCount); this.probedZ = new Float32Array(this.liveCount); }
    const cap = out.index.length;
    const W = this.width;
    for (let k = 0; k < this.liveCount; k++) {
      const i = this.order[k]!;
      const dt = t - tl[i]!;
      let qu = pu[i]!, qv = pv[i]!, r: number;
      if (hits[i]! >= 2) {
        qu += vu[i]! * dt; qv += vv[i]! * dt;
        r = this.gate * (1 + 0.5 * misses[i]!);
      } else {
        r = this.gate + this.maxSpeed * dt;
      }
      // Nearest unclaimed blob inside the gate.
      const r2 = r * r;
      const c0 = Math.max(0, Math.floor((qu - r) / CELL)), c1 = Math.min(gx - 1, Math.floor((qu + r) / CELL));
      const d0 = Math.max(0, Math.floor((qv - r) / CELL)), d1 = Math.min(gy - 1, Math.floor((qv + r) / CELL));
      let best = -1, bestD2 = r2;
      for (let cy = d0; cy <= d1; cy++) {
        for (let cx = c0; cx <= c1; cx++) {
          const cell = cy * gx + cx;
          for (let p = cellStart[cell]!, e = cellStart[cell + 1]!; p < e; p++) {
            const b = cellItems[p]!;
            if (claimed[b] || bp[b]! * pol[i]! < 0) continue;
            const du = bu[b]! - qu, dv = bv[b]! - qv, d2 = du * du + dv * dv;
            if (d2 <= bestD2 && (d2 < bestD2 || b < best)) { bestD2 = d2; best = b; }
          }
        }
      }
      if (best < 0 && probe && this.probeZ > 0 && hits[i]! >= this.probeMinHits && n + nProbed < cap) {
        const z = probe.probe(qu, qv, this.gate, pol[i]!);
        const at = probe.probeIndex;
        if (z >= this.probeZ && at >= 0) {
          const zu = at % W, zv = (at - zu) / W;
          this.correct(i, qu, qv, zu, zv, dt);
          misses[i] = 0;
          tl[i] = t;
          this.live[keep++] = i;
          if (hits[i]! < this.minHits || !this.travelled(i, zu, zv)) continue;
          this.probedIndex[nProbed] = at;
          this.probedZ[nProbed] = z;
          nProbed++;
          continue;
        }
      }
      if (best < 0) {
        misses[i] = misses[i]! + 1;
        if (misses[i]! > (hits[i]! >= this.minHits ? this.maxMisses : this.youngMaxMisses)) { this.free[this.freeCount++] = i; continue; }
        this.live[keep++] = i;
        continue;
      }
      claimed[best] = 1;
      const zu = bu[best]!, zv = bv[best]!;
      if (hits[i]! >= 2) {
        this.correct(i, qu, qv, zu, zv, dt);
      } else {
        vu[i] = (zu - pu[i]!) / dt; vv[i] = (zv - pv[i]!) / dt;
        pu[i] = zu; pv[i] = zv;
      }
      hits[i] = hits[i]! + 1;
      misses[i] = 0;
      tl[i] = t;
      this.live[keep++] = i;
      if (hits[i]! >= this.minHits && this.travelled(i, zu, zv)) claimed[best] = 2;
    }
    this.liveCount = keep;
    // Blobs nobody claimed start tracklets; claimed-by-a-mature-tracklet blobs are emitted.
    for (let b = 0; b < n; b++) {
      if (claimed[b] === 2) {
        out.index[m] = blobs.index[b]!;
        out.energy[m] = blobs.energy[b]!;
        m++;
      } else if (claimed[b] === 0) {
        if (this.freeCount === 0) { this.stats.dropped++; continue; }
        const i = this.free[--this.freeCount]!;
        pu[i] = bu[b]!; pv[i] = bv[b]!; vu[i] = 0; vv[i] = 0; tl[i] = t;
        this.fu[i] = bu[b]!; this.fv[i] = bv[b]!; pol[i] = bp[b]!;
        hits[i] = 1; misses[i] = 0;
        this.live[this.liveCount++] = i;
        if (this.minHits <= 1 && this.minTravel2 === 0) {
          out.index[m] = blobs.index[b]!;
          out.energy[m] = blobs.energy[b]!;
          m++;
        }
      }
    }
    for (let j = 0; j < nProbed; j++) {
      out.index[m] = this.probedIndex[j]!;
      out.energy[m] = this.probedZ[j]!;
      m++;
    }
    this.stats.probed += nProbed;
    out.count = m;
    this.stats.emitted += m;
    this.stats.live = this.liveCount;
    return m;
  }

  /** α-β update of tracklet i, predicted at (qu, qv), by a position (zu, zv) dt seconds on. */
  private correct(i: number, qu: number, qv: number, zu: number, zv: number, dt: number): void {
    const ru = zu - qu, rv = zv - qv;
    this.pu[i] = qu + ALPHA * ru; this.pv[i] = qv + ALPHA * rv;
    this.vu[i] = this.vu[i]! + (this.beta * ru) / dt; this.vv[i] = this.vv[i]! + (this.beta * rv) / dt;
  }

  /** Whether tracklet i, now at (u, v), is at least minTravelPx from where it began. */
  private travelled(i: number, u: number, v: number): boolean {
    const du = u - this.fu[i]!, dv = v - this.fv[i]!;
    return du * du + dv * dv >= this.minTravel2;
  }

  /** Forget every tracklet. */
  reset(): void {
    for (let k = 0; k < this.liveCount; k++) this.free[this.freeCount++] = this.live[k]!;
    this.liveCount = 0;
    this.lastT = -Infinity;
  }

  /** The frame's blobs into a grid of 16 px cells (counting sort), positions as floats. */
  private indexBlobs(blobs: PixelList): void {
    const n = blobs.count, W = this.width, H = this.height;
    if (this.claimed.length < n) {
      const c = Math.max(n, 2 * this.claimed.length, 256);
      this.claimed = new Uint8Array(c); this.bu = new Float64Array(c); this.bv = new Float64Array(c); this.cellItems = new Int32Array(c);
      this.bp = new Int8Array(c);
    }
    const cs = this.cellStart, gx = this.gx;
    cs.fill(0);
    for (let b = 0; b < n; b++) {
      const idx = blobs.index[b]!;
      if (idx >= W * H) throw new PreprocessError('PREPROCESS_FRAME', `tracklets: blob index ${idx} outside a ${W}×${H} frame`);
      const u = idx % W, v = (idx - u) / W;
      this.bu[b] = u; this.bv[b] = v; this.claimed[b] = 0;
      cs[((v >> CELL_SHIFT) * gx + (u >> CELL_SHIFT)) + 1]!++;
    }
    for (let c = 1; c < cs.length; c++) cs[c]! += cs[c - 1]!;
    // Fill, then shift the starts back (cs[c] ends up as the start of cell c).
    for (let b = 0; b < n; b++) {
      const cell = ((this.bv[b]! >> CELL_SHIFT) * gx + (this.bu[b]! >> CELL_SHIFT));
      this.cellItems[cs[cell]!++] = b;
    }
    for (let c = cs.length - 1; c > 0; c--) cs[c] = cs[c - 1]!;
    cs[0] = 0;
  }

  /** Live tracklets into `order`, most hits first (ties: older slot order kept). */
  private sortByHits(): void {
    const ls = this.levelStart;
    ls.fill(0);
    for (let k = 0; k < this.liveCount; k++) ls[HIT_LEVELS - Math.min(HIT_LEVELS, this.hits[this.live[k]!]!)]!++;
    let acc = 0;
    for (let l = 0; l <= HIT_LEVELS; l++) { const c = ls[l]!; ls[l] = acc; acc += c; }
    for (let k = 0; k < this.liveCount; k++) {
      const i = this.live[k]!;
      this.order[ls[HIT_LEVELS - Math.min(HIT_LEVELS, this.hits[i]!)]!++] = i;
    }
  }
}
