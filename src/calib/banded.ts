/**
 * Symmetric positive-definite banded matrices: lower band storage and an in-place Cholesky
 * factorization (L·Lᵀ), used to eliminate the trajectory knots in the bundle adjustment.
 * Entry (i, j) with i − bw ≤ j ≤ i lives at data[i·(bw+1) + (i − j)].
 */
export class BandedSpd {
  readonly n: number;
  readonly bw: number;
  readonly data: Float64Array;

  constructor(n: number, bw: number) {
    this.n = n; this.bw = bw;
    this.data = new Float64Array(n * (bw + 1));
  }

  /** Add v to entry (i, j) (and implicitly (j, i)); |i − j| must not exceed the bandwidth. */
  add(i: number, j: number, v: number): void {
    if (i < j) { const t = i; i = j; j = t; }
    const d = i - j;
    if (d > this.bw) throw new RangeError(`banded: (${i}, ${j}) outside bandwidth ${this.bw}`);
    this.data[i * (this.bw + 1) + d] = this.data[i * (this.bw + 1) + d]! + v;
  }

  get(i: number, j: number): number {
    if (i < j) { const t = i; i = j; j = t; }
    const d = i - j;
    return d > this.bw ? 0 : this.data[i * (this.bw + 1) + d]!;
  }

  clone(): BandedSpd {
    const c = new BandedSpd(this.n, this.bw);
    c.data.set(this.data);
    return c;
  }

  /** Factor in place into L (same storage). Returns false when not positive definite. */
  cholesky(): boolean {
    const { n, bw, data } = this;
    const w = bw + 1;
    for (let i = 0; i < n; i++) {
      const j0 = Math.max(0, i - bw);
      for (let j = j0; j <= i; j++) {
        // L[i][j] = (A[i][j] − Σ_{k<j} L[i][k]·L[j][k]) / L[j][j]
        let s = data[i * w + (i - j)]!;
        const k0 = Math.max(j0, j - bw);
        for (let k = k0; k < j; k++) s -= data[i * w + (i - k)]! * data[j * w + (j - k)]!;
        if (i === j) {
          if (!(s > 0)) return false;
          data[i * w] = Math.sqrt(s);
        } else {
          data[i * w + (i - j)] = s / data[j * w]!;
        }
      }
    }
    return true;
  }

  /** Solve L·Lᵀ·x = b in place (after {@link cholesky}). */
  solveInPlace(b: Float64Array): void {
    const { n, bw, data } = this;
    const w = bw + 1;
    for (let i = 0; i < n; i++) {
      let s = b[i]!;
      for (let k = Math.max(0, i - bw); k < i; k++) s -= data[i * w + (i - k)]! * b[k]!;
      b[i] = s / data[i * w]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = b[i]!;
      for (let k = i + 1; k <= Math.min(n - 1, i + bw); k++) s -= data[k * w + (k - i)]! * b[k]!;
      b[i] = s / data[i * w]!;
    }
  }
}
