/**
 * Jitter buffer as a pure core: packets go in with their arrival time, come out in sequence
 * order once they have waited `delayMs`; a missing packet is declared lost as soon as a later
 * packet's playout time has come (wall-clock driven, so a stalled stream still drains).
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
      if (this.arrivals[i]! + this.delayMs > nowMs) break;
      this.release(first, out);
    }
    return out;
  }

  /** Time at which `poll` will next have something to release, or null when empty. */
  nextDeadline(): number | null {
    if (this.count === 0) return this.ready.length > 0 ? -Infinity : null;
    return this.arrivals[this.firstPresent() % this.capacity]! + this.delayMs;
  }

  /** Releases all held packets now (declaring gaps lost), e.g. at close. */
  flush(): JitterOutput<P>[] {
    this.drainAll();
    const out = this.ready;
    this.ready = [];
    return out;
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
