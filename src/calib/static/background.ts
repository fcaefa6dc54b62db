/**
 * Static background of a camera: the per-pixel median of the last `depth` sampled frames. The
 * median removes moving targets, sensor noise and much of the codec's flicker while keeping
 * scenery edges sharp (a mean would smear an edge that a moving cloud crossed).
 */

export class MedianBackground {
  private readonly ring: Uint8Array;
  private readonly n: number;
  private count = 0;
  private next = 0;

  constructor(readonly width: number, readonly height: number, readonly depth = 7) {
    if (!(Number.isInteger(depth) && depth >= 1 && depth <= 63)) throw new RangeError(`MedianBackground: depth must be an integer 1..63, got ${depth}`);
    if (!(width > 0 && height > 0)) throw new RangeError('MedianBackground: width and height must be positive');
    this.n = width * height;
    this.ring = new Uint8Array(this.n * depth);
  }

  /** Frames held (at most `depth`). */
  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.depth;
  }

  push(frame: Uint8Array): void {
    if (frame.length !== this.n) throw new RangeError(`MedianBackground: frame has ${frame.length} bytes, expected ${this.n}`);
    this.ring.set(frame, this.next * this.n);
    this.next = (this.next + 1) % this.depth;
    this.count = Math.min(this.depth, this.count + 1);
  }

  /** Forget every frame. */
  clear(): void {
    this.count = 0;
    this.next = 0;
  }

  /** Median of the frames held (lower median for an even count), or null when empty. */
  median(out = new Uint8Array(this.n)): Uint8Array | null {
    const c = this.count;
    if (c === 0) return null;
    const buf = new Uint8Array(64);
    const k = (c - 1) >> 1;
    const ring = this.ring, n = this.n;
    for (let i = 0; i < n; i++) {
      if (c === 1) { out[i] = ring[i]!; continue; }
      let m = 0;
      for (let f = 0; f < c; f++) {
        const v = ring[f * n + i]!;
        let j = m++;
        while (j > 0 && buf[j - 1]! > v) { buf[j] = buf[j - 1]!; j--; }
        buf[j] = v;
      }
      out[i] = buf[k]!;
    }
    return out;
  }
}
