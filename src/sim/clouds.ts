/**
 * A drifting cloud layer: a tileable fractal value-noise density field on a horizontal plane at
 * `altM` above the site, with a mip pyramid so that distant clouds near the horizon are
 * low-passed instead of aliasing into false motion. Every camera samples the same world field,
 * so clouds are geometrically consistent across cameras and drift with the wind.
 */
import { Rng } from '../util/rng.ts';

const TEX = 512; // texels per side of the finest level (power of two, wraps)

export class CloudField {
  /** Mip levels, level 0 finest; level L has TEX>>L texels per side. */
  private readonly levels: Float32Array[] = [];
  /** Metres per texel at level 0. */
  readonly texelM: number;

  constructor(seed: number, texelM = 12) {
    this.texelM = texelM;
    const rng = new Rng(seed);
    const base = new Float32Array(TEX * TEX);
    // Fractal sum of wrapped value-noise octaves: 64, 32, 16, 8, 4 texel cells.
    let ampSum = 0;
    for (let oct = 0, cell = 64, amp = 1; cell >= 4; oct++, cell >>= 1, amp *= 0.5) {
      const n = TEX / cell;
      const lattice = new Float32Array(n * n);
      for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
      for (let y = 0; y < TEX; y++) {
        const gy = y / cell, y0 = Math.floor(gy), fy = smooth(gy - y0);
        const r0 = (y0 % n) * n, r1 = ((y0 + 1) % n) * n;
        for (let x = 0; x < TEX; x++) {
          const gx = x / cell, x0 = Math.floor(gx), fx = smooth(gx - x0);
          const c0 = x0 % n, c1 = (x0 + 1) % n;
          const a = lattice[r0 + c0]! + (lattice[r0 + c1]! - lattice[r0 + c0]!) * fx;
          const b = lattice[r1 + c0]! + (lattice[r1 + c1]! - lattice[r1 + c0]!) * fx;
          base[y * TEX + x] = base[y * TEX + x]! + amp * (a + (b - a) * fy);
        }
      }
      ampSum += amp;
    }
    for (let i = 0; i < base.length; i++) base[i] = base[i]! / ampSum;
    this.levels.push(base);
    for (let size = TEX >> 1; size >= 4; size >>= 1) {
      const prev = this.levels[this.levels.length - 1]!, ps = size * 2;
      const next = new Float32Array(size * size);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const i = 2 * y * ps + 2 * x;
          next[y * size + x] = 0.25 * (prev[i]! + prev[i + 1]! + prev[i + ps]! + prev[i + ps + 1]!);
        }
      }
      this.levels.push(next);
    }
  }

  get maxLevel(): number {
    return this.levels.length - 1;
  }

  /**
   * Density in [0, 1] at plane coordinates (e, n) metres, low-passed to level-of-detail `lod`
   * (0 = finest; fractional values blend two levels).
   */
  sample(e: number, n: number, lod: number): number {
    const l = Math.min(Math.max(lod, 0), this.maxLevel);
    const l0 = Math.floor(l), f = l - l0;
    const a = this.bilinear(l0, e, n);
    return f > 0 && l0 < this.maxLevel ? a + (this.bilinear(l0 + 1, e, n) - a) * f : a;
  }

  private bilinear(level: number, e: number, n: number): number {
    const tex = this.levels[level]!;
    const size = TEX >> level;
    const scale = 1 / (this.texelM * (1 << level));
    const gx = e * scale, gy = n * scale;
    const x0 = Math.floor(gx), y0 = Math.floor(gy);
    const fx = gx - x0, fy = gy - y0;
    const m = size - 1;
    const xa = x0 & m, xb = (x0 + 1) & m, ya = (y0 & m) * size, yb = ((y0 + 1) & m) * size;
    const a = tex[ya + xa]! + (tex[ya + xb]! - tex[ya + xa]!) * fx;
    const b = tex[yb + xa]! + (tex[yb + xb]! - tex[yb + xa]!) * fx;
    return a + (b - a) * fy;
  }
}

function smooth(x: number): number {
  return x * x * (3 - 2 * x);
}
