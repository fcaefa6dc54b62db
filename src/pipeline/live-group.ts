/**
 * Frame groups of the live pipeline (pure; time enters as arguments).
 *
 * Frames of each camera arrive in capture order with their site time; across cameras they arrive
 * in any order and with different delays. A group is anchored on a frame of the reference camera
 * (the sync manager's master; when it has nothing pending for `maxWaitMs`, the earliest pending
 * frame of any camera) at site time T, and takes from every other camera the pending frame
 * nearest T within ±tolerance. A group is formed as soon as each other camera is decided: it has
 * a frame later than T + tolerance (nothing nearer can come, frames of one camera arrive in
 * order), or it is absent (no frame for `absentMs`; a camera never seen counts from the
 * grouper's first frame), or the anchor has waited `maxWaitMs`.
 * Frames older than T − tolerance that no group took are dropped (`unmatched`). Groups come out
 * in increasing T.
 */

export interface GrouperOptions {
  /** Cameras, in output order. */
  cameras: readonly string[];
  /** ±tolerance around the anchor, seconds (max_timing_offset_ms / 1000). */
  toleranceS: number;
  /** Longest wait for the other cameras after the anchor frame arrived, ms. Default 500. */
  maxWaitMs?: number;
  /** A camera without a frame for this long is left out of groups, ms. Default 1000. */
  absentMs?: number;
  /** Frames held per camera; the oldest beyond it are dropped (`overflow`). Default 32. */
  maxPending?: number;
}

export interface PendingFrame<P> {
  camera: string;
  /** Site time, seconds. */
  t: number;
  /** When it reached the grouper (receiver clock, ms). */
  atMs: number;
  payload: P;
}

export interface FrameGroup<P> {
  /** Anchor site time, seconds. */
  t: number;
  anchor: string;
  /** One entry per camera (constructor order); null where no frame was within tolerance. */
  frames: (PendingFrame<P> | null)[];
  complete: boolean;
  /** max − min site time of the frames in the group, ms (0 for one frame). */
  spreadMs: number;
}

export interface GrouperCounters {
  groups: number;
  complete: number;
  /** Frames dropped because no group took them. */
  unmatched: number;
  /** Frames dropped because a camera held more than maxPending. */
  overflow: number;
  /** Frames dropped because they were older than the last group's anchor − tolerance on arrival. */
  late: number;
}

export class FrameGrouper<P> {
  readonly cameras: readonly string[];
  readonly counters: GrouperCounters = { groups: 0, complete: 0, unmatched: 0, overflow: 0, late: 0 };
  private readonly tol: number;
  private readonly maxWaitMs: number;
  private readonly absentMs: number;
  private readonly maxPending: number;
  private readonly queues = new Map<string, PendingFrame<P>[]>();
  private readonly lastSeen = new Map<string, number>();
  private lastT = -Infinity;
  /** First add() (a camera never seen counts as seen then, so start-up does not leave it out at once). */
  private firstAtMs: number | null = null;

  constructor(o: GrouperOptions, private readonly drop: (f: PendingFrame<P>, why: keyof GrouperCounters) => void = () => {}) {
    if (o.cameras.length === 0 || new Set(o.cameras).size !== o.cameras.length) throw new RangeError('cameras must be distinct and at least one');
    if (!(o.toleranceS >= 0)) throw new RangeError(`toleranceS must be ≥ 0, got ${o.toleranceS}`);
    this.cameras = [...o.cameras];
    this.tol = o.toleranceS;
    this.maxWaitMs = o.maxWaitMs ?? 500;
    this.absentMs = o.absentMs ?? 1000;
    this.maxPending = o.maxPending ?? 32;
    if (!(this.maxWaitMs >= 0) || !(this.absentMs > 0) || !(Number.isInteger(this.maxPending) && this.maxPending >= 1)) throw new RangeError('maxWaitMs ≥ 0, absentMs > 0, maxPending ≥ 1 integer');
    for (const c of this.cameras) this.queues.set(c, []);
  }

  /** Frames waiting, per camera. */
  pending(camera: string): number {
    return this.queues.get(camera)?.length ?? 0;
  }

  /** Adds a frame; returns false (and drops it) for an unknown camera or one too late to group. */
  add(camera: string, t: number, atMs: number, payload: P): boolean {
    const q = this.queues.get(camera);
    if (!q || !Number.isFinite(t)) return false;
    this.lastSeen.set(camera, atMs);
    this.firstAtMs ??= atMs;
    const f: PendingFrame<P> = { camera, t, atMs, payload };
    if (t < this.lastT - this.tol) { this.counters.late++; this.drop(f, 'late'); return false; }
    // Keep site-time order inside a camera (a clock refit can step a frame back a little).
    let i = q.length;
    while (i > 0 && q[i - 1]!.t > t) i--;
    q.splice(i, 0, f);
    while (q.length > this.maxPending) { this.counters.overflow++; this.drop(q.shift()!, 'overflow'); }
    return true;
  }

  /** Groups that can be formed now, anchored preferably on `reference`. */
  poll(nowMs: number, reference: string | null): FrameGroup<P>[] {
    const out: FrameGroup<P>[] = [];
    for (;;) {
      const anchor = this.anchor(nowMs, reference);
      if (!anchor) break;
      const T = anchor.t;
      const waited = nowMs - anchor.atMs >= this.maxWaitMs;
      let ready = true;
      for (const c of this.cameras) {
        if (c === anchor.camera) continue;
        const q = this.queues.get(c)!;
        const last = q[q.length - 1];
        const absent = this.isAbsent(c, nowMs);
        if (!(last && last.t > T + this.tol) && !absent && !waited) { ready = false; break; }
      }
      if (!ready) break;
      out.push(this.form(anchor));
    }
    return out;
  }

  /** Drops everything pending (close, or a reset of every stream). */
  clear(): void {
    for (const q of this.queues.values()) { for (const f of q) this.drop(f, 'unmatched'); q.length = 0; }
  }

  private isAbsent(camera: string, nowMs: number): boolean {
    return nowMs - (this.lastSeen.get(camera) ?? this.firstAtMs ?? -Infinity) >= this.absentMs;
  }

  private anchor(nowMs: number, reference: string | null): PendingFrame<P> | null {
    const rq = reference === null ? undefined : this.queues.get(reference);
    if (rq && rq.length > 0) return rq[0]!;
    // No pending frame of the reference: anchor on the earliest pending frame once it has waited.
    let best: PendingFrame<P> | null = null;
    for (const q of this.queues.values()) if (q.length > 0 && (!best || q[0]!.t < best.t)) best = q[0]!;
    if (!best) return null;
    const refAbsent = rq === undefined || this.isAbsent(reference!, nowMs);
    return refAbsent || nowMs - best.atMs >= this.maxWaitMs ? best : null;
  }

  private form(anchor: PendingFrame<P>): FrameGroup<P> {
    const T = anchor.t;
    const frames: (PendingFrame<P> | null)[] = [];
    let lo = Infinity, hi = -Infinity, n = 0;
    for (const c of this.cameras) {
      const q = this.queues.get(c)!;
      // Older than the window: no later group can take them either.
      while (q.length > 0 && q[0]!.t < T - this.tol && q[0] !== anchor) { this.counters.unmatched++; this.drop(q.shift()!, 'unmatched'); }
      let pick: PendingFrame<P> | null = null;
      if (c === anchor.camera) pick = anchor;
      else {
        for (const f of q) {
          if (f.t > T + this.tol) break;
          if (!pick || Math.abs(f.t - T) < Math.abs(pick.t - T)) pick = f;
        }
      }
      if (pick) {
        // Frames of this camera before the pick are older than anything a later group anchors on.
        while (q[0] !== pick) { this.counters.unmatched++; this.drop(q.shift()!, 'unmatched'); }
        q.shift();
        lo = Math.min(lo, pick.t);
        hi = Math.max(hi, pick.t);
        n++;
      }
      frames.push(pick);
    }
    const complete = n === this.cameras.length;
    this.counters.groups++;
    if (complete) this.counters.complete++;
    this.lastT = Math.max(this.lastT, T);
    return { t: T, anchor: anchor.camera, frames, complete, spreadMs: n > 0 ? (hi - lo) * 1000 : 0 };
  }
}
