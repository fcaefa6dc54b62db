/**
 * 16-bit RTP sequence numbers unwrapped into a monotone extended counter (RFC 3550 §A.1 idea:
 * the cycle count advances when the number wraps forward; a packet from just before a wrap
 * that arrives late maps to the previous cycle).
 */

/** Signed distance a → b on the 16-bit circle, in [−32768, 32767]. */
export function seqDiff(a: number, b: number): number {
  return (((b - a) & 0xffff) << 16) >> 16;
}

/** True when b comes after a on the 16-bit circle. */
export function seqNewer(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

export class SequenceUnwrapper {
  private last = -1; // extended value of the highest number seen

  /** Extended (unwrapped) number of `seq`; the first call anchors the count at `seq` + 65536. */
  unwrap(seq: number): number {
    const s = seq & 0xffff;
    if (this.last < 0) {
      // Start one cycle up so a late packet from before the first one stays non-negative.
      this.last = 0x10000 + s;
      return this.last;
    }
    const ext = this.last + seqDiff(this.last & 0xffff, s);
    if (ext > this.last) this.last = ext;
    return ext;
  }

  /** Highest extended number seen so far, or −1 before the first packet. */
  get highest(): number {
    return this.last;
  }

  reset(): void {
    this.last = -1;
  }
}
