/**
 * Network impairment for test senders, as a pure, seeded decision per packet: loss, random extra
 * delay (jitter, which reorders packets once it exceeds their spacing), explicit reordering (a
 * packet is held back and sent right after the next one) and duplication. Each effect draws from
 * its own seeded stream, so turning one on does not change the decisions of another.
 */
import { checkRange } from '../errors.ts';
import { hashSeed, Rng } from '../../util/rng.ts';

export interface ImpairmentOptions {
  /** Probability of dropping a packet, percent, 0–100. Default 0. */
  lossPct?: number;
  /**
   * Jitter in ms, 0–1000, as RFC 3550 §6.4.1 measures it: each packet gets an independent extra
   * delay X ~ Uniform(0, 3·jitterMs), whose mean |X − Y| between two packets is jitterMs
   * (E|X−Y| = a/3 for Uniform(0, a)), so a receiver's interarrival jitter estimate converges to
   * jitterMs. Default 0.
   */
  jitterMs?: number;
  /** Probability that a packet is held back and sent after the next one, percent. Default 0. */
  reorderPct?: number;
  /** Probability that a packet is sent twice, percent. Default 0. */
  duplicatePct?: number;
  /** PRNG seed. Default 1. */
  seed?: number;
}

export interface PacketFate {
  /** Dropped: nothing is sent. */
  lost: boolean;
  /** Extra delay of each copy, ms (one entry, or two when duplicated). Empty when lost. */
  delaysMs: number[];
  /** Hold this packet until the next packet has been sent. */
  holdForNext: boolean;
}

export class Impairment {
  readonly lossPct: number;
  readonly jitterMs: number;
  readonly reorderPct: number;
  readonly duplicatePct: number;
  private readonly loss: Rng;
  private readonly jitter: Rng;
  private readonly reorder: Rng;
  private readonly dup: Rng;

  constructor(o: ImpairmentOptions = {}) {
    this.lossPct = checkRange('lossPct', o.lossPct ?? 0, 0, 100);
    this.jitterMs = checkRange('jitterMs', o.jitterMs ?? 0, 0, 1000);
    this.reorderPct = checkRange('reorderPct', o.reorderPct ?? 0, 0, 100);
    this.duplicatePct = checkRange('duplicatePct', o.duplicatePct ?? 0, 0, 100);
    const seed = checkRange('seed', o.seed ?? 1, 0, 0xffffffff, true);
    this.loss = new Rng(hashSeed(seed, 1));
    this.jitter = new Rng(hashSeed(seed, 2));
    this.reorder = new Rng(hashSeed(seed, 3));
    this.dup = new Rng(hashSeed(seed, 4));
  }

  get active(): boolean {
    return this.lossPct > 0 || this.jitterMs > 0 || this.reorderPct > 0 || this.duplicatePct > 0;
  }

  /** The fate of the next packet. Every stream advances once per call, whatever the outcome. */
  next(): PacketFate {
    const lost = this.loss.next() * 100 < this.lossPct;
    const d1 = this.jitter.next() * 3 * this.jitterMs;
    const d2 = this.jitter.next() * 3 * this.jitterMs;
    const hold = this.reorder.next() * 100 < this.reorderPct;
    const twice = this.dup.next() * 100 < this.duplicatePct;
    if (lost) return { lost: true, delaysMs: [], holdForNext: false };
    return { lost: false, delaysMs: twice ? [d1, d2] : [d1], holdForNext: hold };
  }
}
