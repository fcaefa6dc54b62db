/**
 * Sub-pixel target rendering. A target is an elliptical sprite facing the camera; its image is
 * the exact area-weighted coverage of each pixel (supersampled at up to 32×32 per pixel, then rescaled so the total equals
 * the ellipse's true area π·a·b), convolved with a small Gaussian optical PSF at the supersampled
 * resolution, and box-integrated back to pixels. Nothing is enlarged: a 0.3 px² target deposits
 * 0.3 px² × contrast of signal, spread by the PSF. Rolling shutter shears the footprint by the
 * target's image velocity times each row's exposure delay.
 */

/** Samples per pixel side at which the PSF is applied. */
const MID = 4;

export interface FootprintSpec {
  /** Centre (pixels) at the moment its own row is exposed. */
  u: number;
  v: number;
  /** Semi-axes in pixels along u and v. */
  a: number;
  b: number;
  /** Image velocity, pixels per second, and seconds of delay per row relative to row v. */
  du: number;
  dv: number;
  rowDelayS: number;
  /** Grey-level contrast (negative = darker than the background). */
  contrast: number;
  /** PSF standard deviation, pixels. */
  psfSigma: number;
}

/** Reusable scratch buffers so steady-state rendering allocates nothing. */
export class FootprintRenderer {
  private fine = new Float32Array(0);
  private tmp = new Float32Array(0);
  private tmp2 = new Float32Array(0);
  private kernel = new Float32Array(0);

  /**
   * Add the target into `frame` (W×H float grey levels). Returns the total coverage deposited
   * inside the image in px² (the ellipse area less whatever falls off the edges).
   */
  draw(frame: Float32Array, W: number, H: number, f: FootprintSpec): number {
    const minAxis = Math.max(Math.min(f.a, f.b), 1e-3);
    // At least ~8 samples across the minor axis; 4..32 samples per pixel side.
    const S = MID * Math.min(8, Math.max(1, Math.ceil(8 / minAxis / MID)));
    const skewSpan = Math.abs(f.du * f.rowDelayS) * (f.b + 2) + Math.abs(f.dv * f.rowDelayS) * (f.b + 2);
    const pad = Math.ceil(3 * f.psfSigma) + 2;
    const u0 = Math.floor(f.u - f.a - skewSpan) - pad, u1 = Math.ceil(f.u + f.a + skewSpan) + pad;
    const v0 = Math.floor(f.v - f.b - skewSpan) - pad, v1 = Math.ceil(f.v + f.b + skewSpan) + pad;
    if (u1 < 0 || v1 < 0 || u0 >= W || v0 >= H) return 0;
    const pw = u1 - u0 + 1, ph = v1 - v0 + 1;
    const fw = pw * S, fh = ph * S, n = fw * fh;
    if (this.fine.length < n) this.fine = new Float32Array(n);
    const fine = this.fine;
    fine.fill(0, 0, n);
    // 1. Point-sample the (sheared) ellipse on the fine grid; pixel (u, v) spans u−½..u+½.
    const ia2 = 1 / (f.a * f.a), ib2 = 1 / (f.b * f.b);
    let count = 0, nearest = -1, nearestD = Infinity;
    for (let j = 0; j < fh; j++) {
      const y = v0 - 0.5 + (j + 0.5) / S;
      const dt = (y - f.v) * f.rowDelayS;
      const cu = f.u + f.du * dt, cv = f.v + f.dv * dt;
      const dy = y - cv, ty = dy * dy * ib2;
      if (ty > 1 && Math.abs(dy) > 1 / S) continue;
      for (let i = 0; i < fw; i++) {
        const x = u0 - 0.5 + (i + 0.5) / S;
        const dx = x - cu;
        const q = dx * dx * ia2 + ty;
        if (q <= 1) { fine[j * fw + i] = 1; count++; }
        else if (q < nearestD) { nearestD = q; nearest = j * fw + i; }
      }
    }
    // 2. Make the area exact: a target smaller than one sample still deposits its true area.
    const area = Math.PI * f.a * f.b * S * S; // in fine samples
    if (count === 0) {
      if (nearest < 0) return 0;
      fine[nearest] = area;
    } else {
      const k = area / count;
      for (let i = 0; i < n; i++) if (fine[i] !== 0) fine[i] = k;
    }
    // 3. Integrate to MID samples per pixel (exact sums), then the separable Gaussian PSF there:
    //    blurring at 1/4 px is ample for a σ ≈ 0.5 px PSF and costs far less than at 1/32 px.
    const r = S / MID, mw = pw * MID, mh = ph * MID;
    const mid = this.tmp2.length >= mw * mh ? this.tmp2 : (this.tmp2 = new Float32Array(mw * mh));
    for (let j = 0; j < mh; j++) {
      for (let i = 0; i < mw; i++) {
        let acc = 0;
        for (let y = j * r, ye = y + r; y < ye; y++) for (let x = i * r, xe = x + r; x < xe; x++) acc += fine[y * fw + x]!;
        mid[j * mw + i] = acc;
      }
    }
    if (f.psfSigma > 0) this.blur(mid, mw, mh, f.psfSigma * MID);
    // 4. Box-integrate to pixels and add into the frame.
    const norm = f.contrast / (S * S);
    let deposited = 0;
    for (let pj = 0; pj < ph; pj++) {
      const v = v0 + pj;
      if (v < 0 || v >= H) continue;
      for (let pi = 0; pi < pw; pi++) {
        const u = u0 + pi;
        if (u < 0 || u >= W) continue;
        let s = 0;
        for (let j = pj * MID, je = j + MID; j < je; j++) {
          const row = j * mw;
          for (let i = pi * MID, ie = i + MID; i < ie; i++) s += mid[row + i]!;
        }
        if (s === 0) continue;
        frame[v * W + u] = frame[v * W + u]! + s * norm;
        deposited += s / (S * S);
      }
    }
    return deposited;
  }

  private blur(src: Float32Array, fw: number, fh: number, sigma: number): void {
    const r = Math.ceil(3 * sigma);
    if (this.kernel.length < 2 * r + 1) this.kernel = new Float32Array(2 * r + 1);
    const k = this.kernel;
    let sum = 0;
    for (let i = -r; i <= r; i++) { const w = Math.exp((-i * i) / (2 * sigma * sigma)); k[i + r] = w; sum += w; }
    for (let i = 0; i <= 2 * r; i++) k[i] = k[i]! / sum;
    if (this.tmp.length < fw * fh) this.tmp = new Float32Array(fw * fh);
    const tmp = this.tmp;
    // Horizontal then vertical; samples beyond the patch are zero (the patch is padded by 3σ).
    for (let j = 0; j < fh; j++) {
      const row = j * fw;
      for (let i = 0; i < fw; i++) {
        let s = 0;
        const a = Math.max(0, i - r), b = Math.min(fw - 1, i + r);
        for (let x = a; x <= b; x++) s += src[row + x]! * k[x - i + r]!;
        tmp[row + i] = s;
      }
    }
    for (let j = 0; j < fh; j++) {
      const a = Math.max(0, j - r), b = Math.min(fh - 1, j + r);
      for (let i = 0; i < fw; i++) {
        let s = 0;
        for (let y = a; y <= b; y++) s += tmp[y * fw + i]! * k[y - j + r]!;
        src[j * fw + i] = s;
      }
    }
  }
}
