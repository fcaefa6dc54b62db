/**
 * AlertEngine: fed with track updates (CONTRACTS §6 records) in time order, it keeps for every
 * (track, zone) pair whether the track is present in the zone and emits alert records when an
 * eligible track enters, loiters in or leaves it.
 *
 * - Presence is geometric: it starts at the first update with the position inside the zone
 *   (boundary included) and ends at the first update more than `hysteresis_m` outside it
 *   (horizontally past an edge, or below the floor / above the ceiling), when the track is
 *   reported lost, or when it has not been updated for `staleAfter_s`.
 * - A presence becomes eligible (alerting) at the first update inside at which the track is
 *   confirmed, of a class the zone lists and at least as confident as its min_confidence.
 * - enter: at that update (t = the update's time; t_cross = the interpolated moment the straight
 *   segment from the previous update crossed into the zone; the update time when there is none).
 * - loiter: once per presence, at the first eligible update with t − t_cross(enter) ≥ loiter_s.
 * - exit: when an eligible presence ends; t = the update's time, t_cross = the last moment the
 *   track crossed out of the zone itself (before wandering past the hysteresis margin).
 * Alert ids are `zone/track/kind/n`, n the track's presence count in that zone (1, 2, …, kept
 * across a track's loss and return): the same input always yields the same ids.
 */
import { AlertError } from './errors.ts';
import { zoneDepth, type ZoneShape } from './zone-shape.ts';

export type Vec3 = [number, number, number];
export type TrackStatus = 'tentative' | 'confirmed' | 'lost';
export type TrackClass = 'drone' | 'bird' | 'unknown';

/** One line of tracks.jsonl (CONTRACTS §6). */
export interface TrackUpdate {
  t: number;
  track_id: string | number;
  status: TrackStatus;
  enu: readonly number[];
  vel?: readonly number[];
  class: TrackClass;
  confidence: number;
}

export type AlertKind = 'enter' | 'loiter' | 'exit';

/** One line of alerts.jsonl. */
export interface Alert {
  alert_id: string;
  kind: AlertKind;
  track_id: string | number;
  zone: string;
  /** Site time of the update that raised the alert, s. */
  t: number;
  /** Position at that update, ENU m. */
  enu: Vec3;
  class: TrackClass;
  confidence: number;
  /** enter/loiter: the interpolated entry time; exit: the interpolated time it crossed out (absent for lost/stale). */
  t_cross?: number;
  /** exit only: 'left' (crossed out), 'lost' (the tracker lost it), 'stale' (no update for staleAfter_s). */
  reason?: 'left' | 'lost' | 'stale';
}

export interface AlertEngineOptions {
  /** Default boundary hysteresis, m, for zones without their own (default 5). */
  hysteresis_m?: number;
  /** A track silent this long ends its presences, s (default 5; Infinity disables). */
  staleAfter_s?: number;
  /**
   * Presence counters (the n of alert ids) are remembered for this many (zone, track) pairs, also
   * after a track is gone, so a reused track id continues its count (default 65536; oldest forgotten first).
   */
  retainCounters?: number;
}

interface Presence {
  inside: boolean;
  seq: number;
  entryCross: number;
  eligible: boolean;
  loitered: boolean;
  lastOutCross: number | undefined;
}

interface TrackState {
  id: string | number;
  t: number;
  enu: Vec3;
  cls: TrackClass;
  confidence: number;
  presences: Presence[]; // one per zone, in zone order
}

const STATUSES = new Set<TrackStatus>(['tentative', 'confirmed', 'lost']);
const CLASSES = new Set<TrackClass>(['drone', 'bird', 'unknown']);

export class AlertEngine {
  private readonly zones: readonly ZoneShape[];
  private readonly hyst: number[];
  private readonly staleAfter: number;
  private readonly tracks = new Map<string, TrackState>();
  private readonly seqs = new Map<string, number>();
  private readonly retain: number;
  private lastStaleCheck = -Infinity;
  private closed = false;
  /** Updates dropped because they were older than the track's previous update. */
  outOfOrder = 0;

  constructor(zones: readonly ZoneShape[], opts: AlertEngineOptions = {}) {
    const h = opts.hysteresis_m ?? 5;
    this.staleAfter = opts.staleAfter_s ?? 5;
    this.retain = opts.retainCounters ?? 65536;
    if (!(Number.isInteger(this.retain) && this.retain >= 1)) throw new AlertError('ALERT_OPTIONS', `retainCounters must be an integer ≥ 1, got ${this.retain}`);
    if (!(h >= 0 && Number.isFinite(h))) throw new AlertError('ALERT_OPTIONS', `hysteresis_m must be a finite number ≥ 0, got ${h}`);
    if (!(this.staleAfter > 0)) throw new AlertError('ALERT_OPTIONS', `staleAfter_s must be > 0, got ${this.staleAfter}`);
    const ids = new Set<string>();
    for (const z of zones) {
      if (ids.has(z.id)) throw new AlertError('ALERT_OPTIONS', `duplicate zone id '${z.id}'`);
      ids.add(z.id);
    }
    this.zones = [...zones];
    this.hyst = this.zones.map((z) => z.hysteresis_m ?? h);
  }

  /** Tracks currently remembered. */
  get trackCount(): number {
    return this.tracks.size;
  }

  /** Zone ids a track is present in now (geometric presence, eligible or not). */
  presentIn(trackId: string | number): string[] {
    const s = this.tracks.get(String(trackId));
    return s ? this.zones.filter((_, i) => s.presences[i]!.inside).map((z) => z.id) : [];
  }

  /** Feed one track update; returns the alerts it raised (possibly none), in zone order. */
  update(u: TrackUpdate): Alert[] {
    if (this.closed) throw new AlertError('ALERT_STATE', 'AlertEngine used after close()');
    const e = u.enu[0], n = u.enu[1], up = u.enu[2];
    if (!Number.isFinite(u.t) || e === undefined || n === undefined || up === undefined || !Number.isFinite(e) || !Number.isFinite(n) || !Number.isFinite(up)) {
      throw new AlertError('ALERT_INPUT', `track ${u.track_id}: non-finite time or position`);
    }
    if (!STATUSES.has(u.status)) throw new AlertError('ALERT_INPUT', `track ${u.track_id}: unknown status '${String(u.status)}'`);
    if (!CLASSES.has(u.class)) throw new AlertError('ALERT_INPUT', `track ${u.track_id}: unknown class '${String(u.class)}'`);
    const out = this.expire(u.t, String(u.track_id));
    const key = String(u.track_id);
    const pos: Vec3 = [e, n, up];
    let s = this.tracks.get(key);
    if (s && u.t < s.t) { this.outOfOrder++; return out; }
    if (u.status === 'lost') {
      if (s) {
        s.t = u.t; s.enu = pos; s.cls = u.class; s.confidence = u.confidence;
        this.endAll(s, u.track_id, 'lost', out);
        this.tracks.delete(key);
      }
      return out;
    }
    if (!s) {
      s = { id: u.track_id, t: u.t, enu: pos, cls: u.class, confidence: u.confidence, presences: this.zones.map(() => ({ inside: false, seq: 0, entryCross: 0, eligible: false, loitered: false, lastOutCross: undefined })) };
      this.tracks.set(key, s);
      this.step(s, undefined, u, pos, out);
    } else {
      const prev = { t: s.t, enu: s.enu };
      this.step(s, prev, u, pos, out);
    }
    s.t = u.t; s.enu = pos; s.cls = u.class; s.confidence = u.confidence;
    return out;
  }

  /** Feed many updates (in time order); all alerts raised, in order. */
  updateAll(us: Iterable<TrackUpdate>): Alert[] {
    const out: Alert[] = [];
    for (const u of us) out.push(...this.update(u));
    return out;
  }

  /**
   * End the presences of tracks not updated for staleAfter_s before t (exit with reason 'stale' at
   * time t, last known position). update() calls this itself; call it when time moves on without updates.
   */
  expire(t: number, except?: string): Alert[] {
    const out: Alert[] = [];
    if (!Number.isFinite(this.staleAfter) || t - this.lastStaleCheck < Math.min(1, this.staleAfter / 4)) return out;
    this.lastStaleCheck = t;
    for (const [key, s] of this.tracks) {
      if (key === except || t - s.t < this.staleAfter) continue;
      this.endAll(s, s.id, 'stale', out, t);
      this.tracks.delete(key);
    }
    return out;
  }

  /** Forget everything; later calls throw. Safe to call twice. Does not emit exits. */
  close(): void {
    this.closed = true;
    this.tracks.clear();
    this.seqs.clear();
  }

  private step(s: TrackState, prev: { t: number; enu: Vec3 } | undefined, u: TrackUpdate, pos: Vec3, out: Alert[]): void {
    this.zones.forEach((z, i) => {
      const p = s.presences[i]!;
      const d = zoneDepth(z, pos[0], pos[1], pos[2]);
      const dPrev = prev ? zoneDepth(z, prev.enu[0], prev.enu[1], prev.enu[2]) : NaN;
      if (!p.inside) {
        if (d < 0) return;
        p.inside = true;
        p.seq = this.nextSeq(z.id, String(u.track_id));
        p.eligible = false;
        p.loitered = false;
        p.lastOutCross = undefined;
        p.entryCross = prev && dPrev < 0 ? crossingTime(z, prev, u.t, pos) : u.t;
      } else if (d < -this.hyst[i]!) {
        const tOut = p.lastOutCross ?? (prev && dPrev >= 0 ? crossingTime(z, prev, u.t, pos) : u.t);
        p.inside = false;
        if (p.eligible) this.emit(out, z, p, 'exit', u.track_id, u.t, pos, u.class, u.confidence, tOut, 'left');
        return;
      } else if (d < 0) {
        if (prev && dPrev >= 0) p.lastOutCross = crossingTime(z, prev, u.t, pos);
        else if (p.lastOutCross === undefined) p.lastOutCross = u.t;
      } else {
        p.lastOutCross = undefined;
      }
      const ok = u.status === 'confirmed' && z.classes.includes(u.class) && u.confidence >= z.min_confidence;
      if (!ok) return;
      if (!p.eligible) {
        p.eligible = true;
        if (z.alert_on.includes('enter')) this.emit(out, z, p, 'enter', u.track_id, u.t, pos, u.class, u.confidence, p.entryCross);
      }
      if (!p.loitered && u.t - p.entryCross >= z.loiter_s) {
        p.loitered = true;
        if (z.alert_on.includes('loiter')) this.emit(out, z, p, 'loiter', u.track_id, u.t, pos, u.class, u.confidence, p.entryCross);
      }
    });
  }

  private nextSeq(zone: string, track: string): number {
    const key = `${zone}\u0000${track}`;
    const n = (this.seqs.get(key) ?? 0) + 1;
    this.seqs.delete(key); // re-insert: the Map's order is then least recently used first
    this.seqs.set(key, n);
    if (this.seqs.size > this.retain) this.seqs.delete(this.seqs.keys().next().value!);
    return n;
  }

  private endAll(s: TrackState, trackId: string | number, reason: 'lost' | 'stale', out: Alert[], t = s.t): void {
    this.zones.forEach((z, i) => {
      const p = s.presences[i]!;
      if (!p.inside) return;
      p.inside = false;
      if (p.eligible) this.emit(out, z, p, 'exit', trackId, t, s.enu, s.cls, s.confidence, undefined, reason);
    });
  }

  private emit(out: Alert[], z: ZoneShape, p: Presence, kind: AlertKind, trackId: string | number, t: number, enu: Vec3,
    cls: TrackClass, confidence: number, tCross: number | undefined, reason?: Alert['reason']): void {
    if (kind === 'exit' && !z.alert_on.includes('exit')) return;
    const a: Alert = { alert_id: `${z.id}/${trackId}/${kind}/${p.seq}`, kind, track_id: trackId, zone: z.id, t, enu: [enu[0], enu[1], enu[2]], class: cls, confidence };
    if (tCross !== undefined) a.t_cross = tCross;
    if (reason) a.reason = reason;
    out.push(a);
  }
}

/**
 * When the straight segment from the previous update to this one crosses the zone boundary,
 * assuming constant speed along it: bisection on the segment parameter for the sign change of
 * the depth (continuous along the segment), 50 halvings.
 */
function crossingTime(z: ZoneShape, prev: { t: number; enu: Vec3 }, t: number, pos: Vec3): number {
  const at = (s: number): number => zoneDepth(z, prev.enu[0] + s * (pos[0] - prev.enu[0]), prev.enu[1] + s * (pos[1] - prev.enu[1]), prev.enu[2] + s * (pos[2] - prev.enu[2]));
  const inAt0 = at(0) >= 0;
  let lo = 0, hi = 1;
  for (let i = 0; i < 50; i++) {
    const mid = 0.5 * (lo + hi);
    if ((at(mid) >= 0) === inAt0) lo = mid; else hi = mid;
  }
  return prev.t + hi * (t - prev.t);
}
