/**
 * Static scenery (scenario extension `scene.skyline`): seeded buildings (boxes with windows),
 * trees (cones on trunks) and a distant ridge, all in ENU on the ground plane u = 0, so every
 * camera sees the same 3D geometry with its own parallax, and a rotated camera sees it move
 * exactly as a real one would.
 *
 * Rendering is ray casting, done once per camera pose (the scene is static): each pixel that may
 * contain scenery (its azimuth bin's highest object top is within 2 px of its elevation) is
 * supersampled `supersample`² times; a sample takes the nearest object its ray meets above the
 * ground, shaded with a world-anchored texture and faded toward the horizon sky by aerial
 * perspective. Samples that meet nothing keep the open-sky/ground background. The result is
 * area-weighted coverage, so silhouettes carry sub-pixel position.
 */
import type { Camera } from '../geometry/index.ts';
import { Rng, hashSeed } from '../util/rng.ts';
import type { SkylineSpec } from './scenario.ts';

const DEG = Math.PI / 180;
/** Azimuth bins for candidate culling. */
const BINS = 1440;
const BIN_RAD = (2 * Math.PI) / BINS;

export interface SceneBuilding {
  kind: 'building';
  id: number;
  /** Footprint centre, ENU metres. */
  e: number;
  n: number;
  /** Direction of the footprint's long axis, degrees clockwise from north. */
  yaw_deg: number;
  /** Footprint size along and across the long axis, metres. */
  length_m: number;
  width_m: number;
  height_m: number;
  shade: number;
}

export interface SceneTree {
  kind: 'tree';
  id: number;
  e: number;
  n: number;
  height_m: number;
  /** Height where the crown (a cone) starts, and its radius there. */
  crown_base_m: number;
  crown_radius_m: number;
  shade: number;
}

export interface SceneRidge {
  /** Horizontal distance from the site origin, metres. */
  distance_m: number;
  mean_height_m: number;
  amplitude_m: number;
  /** Height profile: Σ amp_k·sin(freq_k·φ + phase_k), φ azimuth from the origin in radians. */
  terms: { freq: number; amp: number; phase: number }[];
}

export type SceneObject = SceneBuilding | SceneTree;

interface Hit {
  t: number;
  value: number;
}

export class StaticScene {
  readonly objects: SceneObject[] = [];
  readonly ridge: SceneRidge | null;
  private readonly seed: number;

  constructor(readonly spec: SkylineSpec, seed: number) {
    this.seed = hashSeed(seed, 0x5c3e);
    const rng = new Rng(this.seed);
    const [a0, a1] = spec.sector_deg ?? [0, 360];
    const span = ((a1 - a0) % 360 + 360) % 360 || 360;
    const place = (): [number, number] => {
      const az = (a0 + rng.next() * span) * DEG;
      // Uniform over the annulus area.
      const r = Math.sqrt(spec.near_m ** 2 + rng.next() * (spec.far_m ** 2 - spec.near_m ** 2));
      return [r * Math.sin(az), r * Math.cos(az)];
    };
    let id = 0;
    for (let i = 0; i < spec.buildings; i++) {
      const [e, n] = place();
      const [h0, h1] = spec.building_height_m;
      this.objects.push({
        kind: 'building', id: id++, e, n, yaw_deg: rng.uniform(0, 180),
        length_m: rng.uniform(12, 45), width_m: rng.uniform(10, 25), height_m: rng.uniform(h0, h1),
        shade: rng.uniform(60, 135),
      });
    }
    for (let i = 0; i < spec.trees; i++) {
      const [e, n] = place();
      const [h0, h1] = spec.tree_height_m;
      const h = rng.uniform(h0, h1);
      this.objects.push({
        kind: 'tree', id: id++, e, n, height_m: h, crown_base_m: h * rng.uniform(0.2, 0.4),
        crown_radius_m: h * rng.uniform(0.18, 0.3), shade: rng.uniform(40, 75),
      });
    }
    if (spec.ridge_m > 0) {
      const freqs = [3, 7, 13, 29, 61, 127];
      const amps = [1, 0.6, 0.35, 0.2, 0.12, 0.06];
      const norm = amps.reduce((a, b) => a + b, 0);
      this.ridge = {
        distance_m: spec.ridge_m, mean_height_m: spec.ridge_height_m, amplitude_m: spec.ridge_amplitude_m,
        terms: freqs.map((f, k) => ({ freq: f, amp: amps[k]! / norm, phase: rng.uniform(0, 2 * Math.PI) })),
      };
    } else this.ridge = null;
  }

  /** Ridge height above the ground plane at azimuth φ (radians from north, seen from the origin). */
  ridgeHeight(phi: number): number {
    const r = this.ridge!;
    let s = 0;
    for (const k of r.terms) s += k.amp * Math.sin(k.freq * phi + k.phase);
    return Math.max(0, r.mean_height_m + r.amplitude_m * s);
  }

  /**
   * Draw the scenery seen by `cam` into `base` (grey levels, width×height), blending by coverage.
   * `horizonSky` is the grey level distant surfaces fade toward. Returns the uncovered fraction
   * per pixel (1 = open sky or ground), for masking the clouds.
   */
  paint(cam: Camera, base: Float32Array, horizonSky: number): Float32Array {
    const W = cam.width, H = cam.height;
    const open = new Float32Array(W * H).fill(1);
    const Ce = cam.C[0]!, Cn = cam.C[1]!, Cz = cam.C[2]!;
    // Candidate objects and a bound on the top elevation per azimuth bin.
    const cands: number[][] = Array.from({ length: BINS }, () => []);
    const maxEl = new Float64Array(BINS).fill(-Math.PI / 2);
    // Nearest horizontal distance of anything in the bin: a ray that meets the ground before it sees only ground.
    const minDist = new Float64Array(BINS).fill(Infinity);
    const addRange = (idx: number, az0: number, half: number, topEl: number, near: number): void => {
      const b0 = half >= Math.PI ? 0 : Math.floor((az0 - half) / BIN_RAD);
      const b1 = half >= Math.PI ? BINS - 1 : Math.floor((az0 + half) / BIN_RAD);
      for (let bb = b0; bb <= b1; bb++) {
        const b = ((bb % BINS) + BINS) % BINS;
        if (idx >= 0) cands[b]!.push(idx);
        if (topEl > maxEl[b]!) maxEl[b] = topEl;
        if (near < minDist[b]!) minDist[b] = near;
      }
    };
    this.objects.forEach((o, i) => {
      const re = o.e - Ce, rn = o.n - Cn;
      const D = Math.hypot(re, rn);
      const bound = o.kind === 'tree' ? o.crown_radius_m + 0.5 : Math.hypot(o.length_m, o.width_m) / 2 + 0.5;
      const az0 = Math.atan2(re, rn);
      const half = D <= bound + 1 ? Math.PI : Math.asin(bound / D);
      const top = Math.atan2(o.height_m - Cz, Math.max(1e-3, D - bound));
      addRange(i, az0, half, D <= bound + 1 ? Math.PI / 2 : top, Math.max(0, D - bound));
    });
    if (this.ridge) {
      const r = this.ridge;
      const top = Math.atan2(r.mean_height_m + r.amplitude_m - Cz, Math.max(1, r.distance_m - Math.hypot(Ce, Cn)));
      addRange(-1, 0, Math.PI, top, Math.max(0, r.distance_m - Math.hypot(Ce, Cn)));
    }
    const ss = this.spec.supersample, nS = ss * ss;
    const margin = 2 / Math.min(cam.fx, cam.fy);
    const dir = new Float64Array(3);
    const hit: Hit = { t: 0, value: 0 };
    for (let v = 0; v < H; v++) {
      for (let u = 0; u < W; u++) {
        if (!cam.unprojectInto(u, v, dir)) continue;
        const hl = Math.hypot(dir[0]!, dir[1]!);
        const el = Math.atan2(dir[2]!, hl);
        if (hl > 1e-6) {
          const b = binOf(Math.atan2(dir[0]!, dir[1]!));
          const b1 = (b + 1) % BINS, b2 = (b + BINS - 1) % BINS;
          const m = Math.max(maxEl[b]!, maxEl[b1]!, maxEl[b2]!);
          if (el > m + margin) continue;
          const near = Math.min(minDist[b]!, minDist[b1]!, minDist[b2]!);
          if (Cz > 0 && el < -Math.atan2(Cz, near) - margin) continue;
        }
        let sum = 0, nHit = 0;
        for (let sy = 0; sy < ss; sy++) {
          for (let sx = 0; sx < ss; sx++) {
            if (!cam.unprojectInto(u + (sx + 0.5) / ss - 0.5, v + (sy + 0.5) / ss - 0.5, dir)) continue;
            if (this.castRay(Ce, Cn, Cz, dir[0]!, dir[1]!, dir[2]!, cands, hit)) {
              const f = Math.exp(-hit.t / this.spec.haze_m);
              sum += hit.value * f + horizonSky * (1 - f);
              nHit++;
            }
          }
        }
        if (nHit === 0) continue;
        const i = v * W + u;
        const free = (nS - nHit) / nS;
        base[i] = sum / nS + base[i]! * free;
        open[i] = free;
      }
    }
    return open;
  }

  /** Nearest scenery surface met by the ray from (Ce, Cn, Cz) along (dx, dy, dz) above the ground. */
  private castRay(Ce: number, Cn: number, Cz: number, dx: number, dy: number, dz: number, cands: number[][], out: Hit): boolean {
    const hl = Math.hypot(dx, dy);
    if (hl < 1e-9) return false;
    const ux = dx / hl, uy = dy / hl, tanEl = dz / hl;
    let bestT = Infinity, bestV = 0;
    for (const idx of cands[binOf(Math.atan2(ux, uy))]!) {
      const o = this.objects[idx]!;
      const re = o.e - Ce, rn = o.n - Cn;
      if (o.kind === 'tree') {
        const t = re * ux + rn * uy;
        if (!(t > 0) || t >= bestT) continue;
        const x = re * uy - rn * ux; // lateral offset of the axis from the ray
        const z = Cz + t * tanEl;
        if (z < 0 || z > o.height_m) continue;
        if (z >= o.crown_base_m) {
          const rz = (o.crown_radius_m * (o.height_m - z)) / (o.height_m - o.crown_base_m);
          if (Math.abs(x) > rz) continue;
          bestT = t;
          bestV = o.shade + 28 * (this.noise(o.id, Math.floor((x + 100) / 0.9), Math.floor(z / 0.9)) - 0.5);
        } else {
          if (Math.abs(x) > Math.max(0.25, 0.04 * o.height_m)) continue;
          bestT = t;
          bestV = o.shade - 12;
        }
      } else {
        const ya = o.yaw_deg * DEG;
        const a1e = Math.sin(ya), a1n = Math.cos(ya), a2e = Math.cos(ya), a2n = -Math.sin(ya);
        const h1 = o.length_m / 2, h2 = o.width_m / 2;
        const o1 = -(re * a1e + rn * a1n), o2 = -(re * a2e + rn * a2n);
        const d1 = ux * a1e + uy * a1n, d2 = ux * a2e + uy * a2n;
        let tmin = -Infinity, tmax = Infinity, face = 0;
        if (Math.abs(d1) < 1e-12) { if (Math.abs(o1) > h1) continue; } else {
          const p = (-h1 - o1) / d1, q = (h1 - o1) / d1;
          const lo = Math.min(p, q), hi = Math.max(p, q);
          if (lo > tmin) { tmin = lo; face = 1; }
          if (hi < tmax) tmax = hi;
        }
        if (Math.abs(d2) < 1e-12) { if (Math.abs(o2) > h2) continue; } else {
          const p = (-h2 - o2) / d2, q = (h2 - o2) / d2;
          const lo = Math.min(p, q), hi = Math.max(p, q);
          if (lo > tmin) { tmin = lo; face = 2; }
          if (hi < tmax) tmax = hi;
        }
        if (!(tmin > 0) || tmax < tmin || tmin >= bestT) continue;
        const z = Cz + tmin * tanEl;
        if (z >= 0 && z <= o.height_m) {
          // Facade: lateral coordinate along the face from its corner, then a window grid.
          const s = face === 1 ? o2 + tmin * d2 + h2 : o1 + tmin * d1 + h1;
          const faceLen = face === 1 ? o.width_m : o.length_m;
          let val = o.shade + (face === 1 ? 14 : -10);
          const floor = Math.floor(z / 3.5), zf = z - floor * 3.5;
          const bay = Math.floor(s / 3), sf = s - bay * 3;
          if (zf >= 1 && zf <= 2.4 && sf >= 0.7 && sf <= 2.3 && s > 0.6 && s < faceLen - 0.6 && z < o.height_m - 1.2) {
            const r = this.noise(o.id * 4 + face, floor, bay);
            val = r > 0.88 ? o.shade + 55 : o.shade - 25 - 35 * r;
          }
          bestT = tmin; bestV = val;
        } else if (z > o.height_m && tanEl < 0 && Cz + tmax * tanEl <= o.height_m) {
          bestT = (o.height_m - Cz) / tanEl; bestV = o.shade - 22;
        }
      }
    }
    if (this.ridge && bestT === Infinity) {
      const r = this.ridge;
      const b = Ce * ux + Cn * uy, c = Ce * Ce + Cn * Cn - r.distance_m * r.distance_m;
      const t = -b + Math.sqrt(b * b - c);
      const z = Cz + t * tanEl;
      if (t > 0 && z >= 0) {
        const pe = Ce + t * ux, pn = Cn + t * uy;
        const phi = Math.atan2(pe, pn);
        const hr = this.ridgeHeight(phi);
        if (z <= hr) {
          bestT = t;
          bestV = 80 + 10 * Math.sin(phi * 400) * Math.exp(-(hr - z) / 40) - 0.05 * (hr - z);
        }
      }
    }
    if (bestT === Infinity) return false;
    out.t = bestT; out.value = bestV;
    return true;
  }

  /** Uniform [0, 1) value of a lattice cell of object `id`. */
  private noise(id: number, a: number, b: number): number {
    return hashSeed(this.seed, id, a, b) / 4294967296;
  }

  /** The geometry as JSON (truth-scene.json). */
  toJSON(): { objects: SceneObject[]; ridge: SceneRidge | null } {
    return { objects: this.objects, ridge: this.ridge };
  }
}

function binOf(az: number): number {
  const b = Math.floor(az / BIN_RAD);
  return ((b % BINS) + BINS) % BINS;
}
