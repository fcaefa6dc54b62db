/**
 * Jitter buffer as a pure core: packets go in with their arrival time, come out in sequence
 * order once they have waited `delayMs`; a missing packet is declared lost as soon as a later
 * packet's playout time has come (wall-clock driven, so a stalled stream still drains).
 * With `earlyRelease`, a packet that continues the released sequence without a gap comes out at
 * once: only packets behind a gap wait, so `delayMs` is how long a missing (reordered or late)
 * packet is waited for, and in-order traffic passes with no delay and no timer.
 * Storage is a fixed ring of `capacity` slots indexed by extended sequence number.
 */
import { checkRange } from '../errors.ts';
import { seqDiff } from '../rtp/sequence.ts';

export interface JitterBufferOptions {
  /** Playout delay in ms, 50–200 (`stream_processing.jitter_buffer_ms`). Default 100. */
  delayMs?: number;
  /** Ring size in packets (a power of two is not required), 16–65536. Default 2048. */
  capacity?: number;
  /**
   * A sequence jump larger than this (either way) is a sender restart: buffered packets are
   * flushed and numbering restarts at the new packet. Default 3000 (RFC 3550 §A.1 MAX_DROPOUT).
   */
  maxDropout?: number;
  /**
   * Release a packet at once when it is the next in sequence (after the stream's first release):
   * the delay applies only behind a gap. Default false (every packet waits `delayMs`).
   */
  earlyRelease?: boolean;
}

export interface Sequenced {
  sequenceNumber: number;
}

export type JitterOutput<P> =
  | { kind: 'packet'; packet: P; /** Extended sequence number. */ seq: number; /** When it was pushed. */ arrivalMs: number }
  | { kind: 'lost'; /** Extended number of the first missing packet. */ seq: number; count: number }
  /** Sequence numbering restarted (sender restart or SSRC change upstream). */
  | { kind: 'reset' };

export type PushOutcome = 'accepted' | 'duplicate' | 'late' | 'reset';

/** Receives what `drain` releases, in the order `poll` would list it (no objects made per packet). */
export interface JitterVisitor<P> {
  packet(packet: P, seq: number, arrivalMs: number): void;
  lost(seq: number, count: number): void;
  reset(): void;
}

export interface JitterBufferStats {
  accepted: number;
  duplicates: number;
  late: number;
  lost: number;
  resets: number;
  /** Packets released early because the ring was full. */
  overflows: number;
}

export class JitterBuffer<P extends Sequenced> {
  readonly delayMs: number;
  readonly capacity: number;
  readonly earlyRelease: boolean;
  private readonly maxDropout: number;
  private readonly slots: (P | undefined)[];
  private readonly seqs: Float64Array;
  private readonly arrivals: Float64Array;
  private next = -1; // extended seq to release next; −1 before the first packet
  private highest = -1;
  private count = 0;
  /** False until the first release after start or reset: until then `next` may move back. */
  private releasedAny = false;
  private ready: JitterOutput<P>[] = [];
  readonly stats: JitterBufferStats = { accepted: 0, duplicates: 0, late: 0, lost: 0, resets: 0, overflows: 0 };

  constructor(opts: JitterBufferOptions = {}) {
    this.delayMs = checkRange('delayMs', opts.delayMs ?? 100, 50, 200);
    this.capacity = checkRange('capacity', opts.capacity ?? 2048, 16, 65536, true);
    this.maxDropout = checkRange('maxDropout', opts.maxDropout ?? 3000, 16, 32767, true);
    this.earlyRelease = opts.earlyRelease ?? false;
    this.slots = new Array(this.capacity);
    this.seqs = new Float64Array(this.capacity).fill(-1);
    this.arrivals = new Float64Array(this.capacity);
  }

  /** Packets held right now. */
  get size(): number {
    return this.count;
  }

  push(packet: P, nowMs: number): PushOutcome {
    const s = packet.sequenceNumber & 0xffff;
    let outcome: PushOutcome = 'accepted';
    if (this.next < 0) {
      this.next = this.highest = 0x10000 + s;
    }
    let ext = this.highest + seqDiff(this.highest & 0xffff, s);
    if (Math.abs(ext - this.highest) > this.maxDropout) {
      // Sender restart: hand out what we hold, then start over at this packet.
      this.drainAll();
      this.ready.push({ kind: 'reset' });
      this.stats.resets++;
      this.next = this.highest = 0x10000 + s;
      ext = this.next;
      this.releasedAny = false;
      outcome = 'reset';
    }
    // Nothing released yet: an earlier packet than the first one seen simply starts the stream.
    if (ext < this.next && !this.releasedAny && this.highest - ext < this.capacity) this.next = ext;
    if (ext < this.next) {
      this.stats.late++;
      return 'late';
    }
    const i = ext % this.capacity;
    if (this.seqs[i] === ext) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    if (ext >= this.next + this.capacity) this.forceRelease(ext - this.capacity + 1);
    this.slots[i] = packet;
    this.seqs[i] = ext;
    this.arrivals[i] = nowMs;
    this.count++;
    if (ext > this.highest) this.highest = ext;
    this.stats.accepted++;
    return outcome;
  }

  /** Releases everything whose playout time `nowMs` has reached, in sequence order. */
  poll(nowMs: number): JitterOutput<P>[] {
    const out = this.ready;
    this.ready = [];
    while (this.count > 0) {
      const first = this.firstPresent();
      const i = first % this.capacity;
      if (this.arrivals[i]! + this.delayMs > nowMs && !this.inSequence(first)) break;
      this.release(first, out);
    }
    return out;
  }

  /**
   * The same as `poll`, handing each output to `v` instead of listing it: the receiver's hot
   * path, which makes no object per packet.
   */
  drain(nowMs: number, v: JitterVisitor<P>): void {
    if (this.ready.length > 0) {
      const queued = this.ready;
      this.ready = [];
      for (const o of queued) {
        if (o.kind === 'packet') v.packet(o.packet, o.seq, o.arrivalMs);
        else if (o.kind === 'lost') v.lost(o.seq, o.count);
        else v.reset();
      }
    }
    const cap = this.capacity;
    while (this.count > 0) {
      const first = this.firstPresent();
      const i = first % cap;
      const arrivalMs = this.arrivals[i]!;
      if (arrivalMs + this.delayMs > nowMs && !this.inSequence(first)) break;
      if (first > this.next) {
        const n = first - this.next;
        this.stats.lost += n;
        v.lost(this.next, n);
      }
      const packet = this.slots[i]!;
      this.slots[i] = undefined;
      this.seqs[i] = -1;
      this.count--;
      this.next = first + 1;
      this.releasedAny = true;
      v.packet(packet, first, arrivalMs);
    }
  }

  /** Time at which `poll` will next have something to release, or null when empty. */
  nextDeadline(): number | null {
    if (this.count === 0) return this.ready.length > 0 ? -Infinity : null;
    const first = this.firstPresent();
    return this.arrivals[first % this.capacity]! + (this.inSequence(first) ? 0 : this.delayMs);
  }

  /**
   * Like `nextDeadline`, for the run of consecutive held packets that starts at the first one
   * and belongs with it (`sameGroup(first, p)`, e.g. one RTP timestamp = one frame): the time
   * the last of them falls due. A frame is whole only with its last packet, so releasing its
   * packets together delays none of it and costs one wake-up instead of one per arrival spread.
   */
  nextGroupDeadline(sameGroup: (first: P, p: P) => boolean): number | null {
    if (this.count === 0) return this.ready.length > 0 ? -Infinity : null;
    const cap = this.capacity;
    const e = this.firstPresent();
    if (this.inSequence(e)) return this.arrivals[e % cap]!; // due at once, packet by packet
    const first = this.slots[e % cap]!;
    let at = this.arrivals[e % cap]!;
    for (let x = e + 1; this.seqs[x % cap] === x; x++) {
      if (!sameGroup(first, this.slots[x % cap]!)) break;
      const a = this.arrivals[x % cap]!;
      if (a > at) at = a;
    }
    return at + this.delayMs;
  }

  /** Releases all held packets now (declaring gaps lost), e.g. at close. */
  flush(): JitterOutput<P>[] {
    this.drainAll();
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** With earlyRelease: whether held packet `ext` may leave now (next in sequence, after the first release). */
  private inSequence(ext: number): boolean {
    return this.earlyRelease && this.releasedAny && ext === this.next;
  }

  private firstPresent(): number {
    let e = this.next;
    while (this.seqs[e % this.capacity] !== e) e++;
    return e;
  }

  private release(ext: number, out: JitterOutput<P>[]): void {
    if (ext > this.next) {
      out.push({ kind: 'lost', seq: this.next, count: ext - this.next });
      this.stats.lost += ext - this.next;
    }
    const i = ext % this.capacity;
    const packet = this.slots[i]!;
    const arrivalMs = this.arrivals[i]!;
    this.slots[i] = undefined;
    this.seqs[i] = -1;
    this.count--;
    this.next = ext + 1;
    this.releasedAny = true;
    out.push({ kind: 'packet', packet, seq: ext, arrivalMs });
  }

  private forceRelease(until: number): void {
    while (this.count > 0 && this.next < until) {
      const first = this.firstPresent();
      if (first >= until) break;
      this.release(first, this.ready);
      this.stats.overflows++;
    }
    if (this.next < until) {
      this.ready.push({ kind: 'lost', seq: this.next, count: until - this.next });
      this.stats.lost += until - this.next;
      this.next = until;
    }
  }

  private drainAll(): void {
    while (this.count > 0) this.release(this.firstPresent(), this.ready);
  }
}
