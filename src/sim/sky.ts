/**
 * Per-camera background: a static sky gradient by elevation (brighter toward the horizon), a
 * textured ground below the horizon, and the shared drifting {@link CloudField} projected through
 * the camera. Static parts are precomputed once per camera; per frame only the cloud layer is
 * sampled, on a coarse grid (every GRID pixels, with a level of detail matching that spacing) and
 * bilinearly upsampled: clouds carry no detail finer than that grid, so nothing is lost.
 */
import type { Camera } from '../geometry/index.ts';
import { CloudField } from './clouds.ts';
import type { StaticScene } from './scene.ts';

const GRID = 4;

export interface SkyParams {
  /** Grey level of the sky at mid elevation. */
  brightness: number;
  /** Grey-level change from the horizon (brighter) to 45° elevation. */
  gradient: number;
  /** Cloud cover 0..1. */
  clouds: number;
  cloud_speed_mps: number;
  /** Height of the cloud layer above the site origin, metres. */
  cloud_alt_m: number;
  /** Direction the clouds move toward, degrees clockwise from north. */
  cloud_heading_deg: number;
}

export class SkyRenderer {
  readonly width: number;
  readonly height: number;
  /** Static background per pixel (sky gradient and ground), grey levels. */
  private readonly base: Float32Array;
  private readonly gw: number;
  private readonly gh: number;
  /** Cloud-plane coordinates (e, n) per grid node; NaN where the node sees no cloud. */
  private readonly nodeE: Float32Array;
  private readonly nodeN: Float32Array;
  private readonly nodeLod: Float32Array;
  private readonly nodeFade: Float32Array;
  private readonly nodeVal: Float32Array;
  private readonly rowBuf: Float32Array;
  private readonly windE: number;
  private readonly windN: number;
  private readonly threshold: number;
  private readonly cloudGain: number;
  /** With static scenery: the uncovered fraction per pixel (clouds are hidden behind scenery). */
  private readonly open: Float32Array | null = null;

  /**
   * With `scene`, static scenery is drawn into the background and the background is blurred by
   * the optics' Gaussian PSF (`psfSigmaPx`), as the targets are.
   */
  constructor(cam: Camera, private readonly p: SkyParams, private readonly field: CloudField, scene?: StaticScene, psfSigmaPx = 0) {
    const W = cam.width, H = cam.height;
    this.width = W; this.height = H;
    this.base = new Float32Array(W * H);
    const dir = new Float64Array(3);
    const DEG45 = Math.PI / 4;
    for (let v = 0; v < H; v++) {
      for (let u = 0; u < W; u++) {
        let val = p.brightness;
        if (cam.unprojectInto(u, v, dir)) {
          const el = Math.asin(Math.max(-1, Math.min(1, dir[2]!)));
          if (el >= 0) {
            val = p.brightness + p.gradient * (0.5 - Math.min(el, DEG45) / DEG45);
          } else {
            // Ground: darker, with a static texture taken from the noise field where the ray lands.
            const s = -cam.C[2]! / Math.min(dir[2]!, -1e-6) + 1;
            const g = field.sample(cam.C[0]! + s * dir[0]!, cam.C[1]! + s * dir[1]!, Math.log2(Math.max(1, s / cam.fx / field.texelM)));
            val = 0.45 * p.brightness + 40 * (g - 0.5);
          }
        }
        this.base[v * W + u] = val;
      }
    }
    if (scene) {
      this.open = scene.paint(cam, this.base, p.brightness + p.gradient / 2);
      if (psfSigmaPx > 0) gaussianBlur(this.base, W, H, psfSigmaPx);
    }
    this.gw = Math.ceil((W - 1) / GRID) + 1;
    this.gh = Math.ceil((H - 1) / GRID) + 1;
    const n = this.gw * this.gh;
    this.nodeE = new Float32Array(n); this.nodeN = new Float32Array(n);
    this.nodeLod = new Float32Array(n); this.nodeFade = new Float32Array(n);
    this.nodeVal = new Float32Array(n);
    this.rowBuf = new Float32Array(W);
    for (let gy = 0; gy < this.gh; gy++) {
      for (let gx = 0; gx < this.gw; gx++) {
        const i = gy * this.gw + gx;
        this.nodeE[i] = NaN;
        if (!cam.unprojectInto(gx * GRID, gy * GRID, dir) || dir[2]! < 0.01) continue;
        const s = (p.cloud_alt_m - cam.C[2]!) / dir[2]!;
        if (!(s > 0)) continue;
        this.nodeE[i] = cam.C[0]! + s * dir[0]!;
        this.nodeN[i] = cam.C[1]! + s * dir[1]!;
        // Footprint of one grid cell on the plane (geometric mean of across and along), in texels.
        const footprint = (GRID * s) / (cam.fx * Math.sqrt(dir[2]!));
        this.nodeLod[i] = Math.log2(Math.max(1, footprint / field.texelM));
        this.nodeFade[i] = Math.exp(-s / 20000); // aerial perspective: far clouds fade into the haze
      }
    }
    const h = (p.cloud_heading_deg * Math.PI) / 180;
    this.windE = p.cloud_speed_mps * Math.sin(h);
    this.windN = p.cloud_speed_mps * Math.cos(h);
    this.threshold = 0.5 + (0.5 - p.clouds) * 0.5;
    this.cloudGain = Math.max(0, 250 - p.brightness) * 0.7 + 15;
  }

  /** Background at site time `t` into `out` (grey levels, float). */
  renderInto(out: Float32Array, t: number): void {
    const W = this.width, H = this.height, gw = this.gw;
    if (this.p.clouds <= 0) { out.set(this.base); return; }
    const base = this.base;
    const de = this.windE * t, dn = this.windN * t, th = this.threshold, gain = this.cloudGain;
    for (let i = 0; i < this.nodeVal.length; i++) {
      const e = this.nodeE[i]!;
      if (e !== e) { this.nodeVal[i] = 0; continue; }
      const d = this.field.sample(e - de, this.nodeN[i]! - dn, this.nodeLod[i]!);
      const m = smoothstep(th, th + 0.12, d);
      const core = smoothstep(th + 0.08, th + 0.25, d);
      this.nodeVal[i] = this.nodeFade[i]! * (gain * m - 0.6 * gain * core);
    }
    const row = this.rowBuf;
    for (let v = 0; v < H; v++) {
      const gy = v / GRID, y0 = Math.min(Math.floor(gy), this.gh - 2), fy = gy - y0;
      const r0 = y0 * gw, r1 = r0 + gw;
      for (let gx = 0; gx < gw - 1; gx++) {
        const a0 = this.nodeVal[r0 + gx]! + (this.nodeVal[r1 + gx]! - this.nodeVal[r0 + gx]!) * fy;
        const a1 = this.nodeVal[r0 + gx + 1]! + (this.nodeVal[r1 + gx + 1]! - this.nodeVal[r0 + gx + 1]!) * fy;
        const u0 = gx * GRID, u1 = Math.min(u0 + GRID, W);
        const step = (a1 - a0) / GRID;
        for (let u = u0, val = a0; u < u1; u++, val += step) row[u] = val;
      }
      if ((W - 1) % GRID === 0) {
        const last = this.nodeVal[r0 + gw - 1]! + (this.nodeVal[r1 + gw - 1]! - this.nodeVal[r0 + gw - 1]!) * fy;
        row[W - 1] = last;
      }
      const o = v * W;
      const open = this.open;
      if (open) for (let u = 0; u < W; u++) out[o + u] = base[o + u]! + row[u]! * open[o + u]!;
      else for (let u = 0; u < W; u++) out[o + u] = base[o + u]! + row[u]!;
    }
  }
}

function smoothstep(a: number, b: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - a) / (b - a)));
  return t * t * (3 - 2 * t);
}

/** Separable Gaussian blur in place (edges clamped), kernel radius ⌈3σ⌉. */
export function gaussianBlur(img: Float32Array, W: number, H: number, sigma: number): void {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) { k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma)); sum += k[i + r]!; }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  const line = new Float64Array(Math.max(W, H));
  for (let v = 0; v < H; v++) {
    const o = v * W;
    for (let u = 0; u < W; u++) line[u] = img[o + u]!;
    for (let u = 0; u < W; u++) {
      let a = 0;
      for (let i = -r; i <= r; i++) a += k[i + r]! * line[Math.min(W - 1, Math.max(0, u + i))]!;
      img[o + u] = a;
    }
  }
  for (let u = 0; u < W; u++) {
    for (let v = 0; v < H; v++) line[v] = img[v * W + u]!;
    for (let v = 0; v < H; v++) {
      let a = 0;
      for (let i = -r; i <= r; i++) a += k[i + r]! * line[Math.min(H - 1, Math.max(0, v + i))]!;
      img[v * W + u] = a;
    }
  }
}
