/**
 * Privacy masks: polygons in pixel coordinates → a per-pixel mask (0 = zeroed, 255 = kept).
 * Pixel (u, v) is masked when its centre, the point (u, v), lies inside a polygon by the even-odd
 * rule, with the usual half-open convention (left/top edges inside, right/bottom edges outside),
 * so a square with corners (10, 10) and (20, 20) masks exactly 10 × 10 pixels. Several polygons
 * mask their union.
 */
export type Polygon = ReadonlyArray<readonly [number, number]>;

/** The mask, or null when the polygons cover no pixel centre. */
export function rasterizeMasks(polygons: ReadonlyArray<Polygon>, width: number, height: number): Uint8Array | null {
  const mask = new Uint8Array(width * height).fill(255);
  let any = false;
  const xs: number[] = [];
  for (const poly of polygons) {
    for (let v = 0; v < height; v++) {
      xs.length = 0;
      for (let i = 0; i < poly.length; i++) {
        const [x0, y0] = poly[i]!;
        const [x1, y1] = poly[(i + 1) % poly.length]!;
        if (y0 <= v !== y1 <= v) xs.push(x0 + ((v - y0) * (x1 - x0)) / (y1 - y0));
      }
      xs.sort((a, b) => a - b);
      for (let i = 0; i + 1 < xs.length; i += 2) {
        const u0 = Math.max(0, Math.ceil(xs[i]!));
        const u1 = Math.min(width, Math.ceil(xs[i + 1]!));
        if (u1 > u0) {
          mask.fill(0, v * width + u0, v * width + u1);
          any = true;
        }
      }
    }
  }
  return any ? mask : null;
}

/**
 * How many pixels of the noise-histogram rows have e = 0 whatever the frame: masked pixels whose
 * four neighbours are masked or outside the frame. The robust σ leaves them out.
 */
export function maskedZeros(mask: Uint8Array | null, width: number, height: number, step: number): number {
  if (!mask) return 0;
  const m = (u: number, v: number) => u < 0 || v < 0 || u >= width || v >= height || mask[v * width + u] === 0;
  let n = 0;
  for (let v = step >> 1; v < height; v += step) {
    for (let u = 0; u < width; u++) {
      if (m(u, v) && m(u - 1, v) && m(u + 1, v) && m(u, v - 1) && m(u, v + 1)) n++;
    }
  }
  return n;
}

/**
 * `maskedZeros` per noise tile (tiles of side 1 << tileShift in raster order): how many of each
 * tile's noise-histogram samples are e = 0 whatever the frame. Null when there is no mask.
 */
export function maskedZerosPerTile(mask: Uint8Array | null, width: number, height: number, step: number, tileShift: number): Uint32Array | null {
  if (!mask) return null;
  const tilesX = Math.ceil(width / 2 ** tileShift);
  const out = new Uint32Array(tilesX * Math.ceil(height / 2 ** tileShift));
  const m = (u: number, v: number) => u < 0 || v < 0 || u >= width || v >= height || mask[v * width + u] === 0;
  for (let v = step >> 1; v < height; v += step) {
    for (let u = 0; u < width; u++) {
      if (m(u, v) && m(u - 1, v) && m(u + 1, v) && m(u, v - 1) && m(u, v + 1)) out[(v >> tileShift) * tilesX + (u >> tileShift)]!++;
    }
  }
  return out;
}
