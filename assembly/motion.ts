/**
 * Motion kernel, WebAssembly SIMD (AssemblyScript). The plain TypeScript reference
 * `src/preprocess/reference.ts` defines the results; this file must match it bit for bit
 * (integer arithmetic only; see docs/PREPROCESS.md for the algorithm).
 *
 * No allocator: the adapter (`src/preprocess/wasm.ts`) lays every buffer out in linear memory
 * above `heapBase()` and hands the pointers over once with `configure`.
 *
 * Per pixel: d = f − bg (i16), s = 4·d + d_left + d_right + d_up + d_down (i16, zero outside the
 * frame, units of 1/8 grey level), e = |s| ∈ [0, 2040]. Background: bg += sign(d) on the rows
 * scheduled this frame (approximate running median, Σ-Δ).
 */

/** Largest candidate rank zq (quantised z-score, 1/16 σ). */
const ZQ_MAX: i32 = 8191;

// Layout, set once by configure().
let gFrame: usize = 0; // width·height bytes: the frame (privacy mask already applied)
let gBg: usize = 0; // width·height bytes: background
let gW: i32 = 0;
let gH: i32 = 0;
let gRows: usize = 0; // 4 rows of i16 d (3 ring + 1 all-zero), each `gStride` bytes, 16 bytes of zero pad in front
let gStride: usize = 0;
let gBytes: usize = 0; // one row of u8 scratch (energies for the noise histogram)
let gHist: usize = 0; // 256 u32 per noise tile, tiles in raster order
let gZHist: usize = 0; // (ZQ_MAX + 1) u32: ranks held in the candidate buffer, by value
let gIdx: usize = 0; // candidate buffer: u32 pixel index
let gVal: usize = 0; // candidate buffer: u16 energy e
let gRank: usize = 0; // candidate buffer: u16 rank zq
let gThr: usize = 0; // per tile: u16 threshold on e
let gScale: usize = 0; // per tile: u32 scale, zq = min(ZQ_MAX, (e · scale) >> 16)
let gShift: i32 = 0; // tiles are (1 << gShift) px square, gShift ≥ 4
let gTilesX: i32 = 0;
let gTilesY: i32 = 0;
let gCap: i32 = 0; // candidate buffer capacity (> topK)
let gTopK: i32 = 0;
let gLanes: usize = 0; // 16 bytes of scratch to read lanes back

// Per-frame state of detect().
let kept: i32 = 0;
let floorZ: i32 = 0;
let candidates: i32 = 0;

export function heapBase(): usize {
  return __heap_base;
}

export function configure(
  frame: usize, bg: usize, w: i32, h: i32, rows: usize, stride: usize, bytes: usize,
  hist: usize, zhist: usize, idx: usize, val: usize, rank: usize, cap: i32, topK: i32, lanes: usize,
  thr: usize, scale: usize, shift: i32,
): void {
  gFrame = frame; gBg = bg; gW = w; gH = h; gRows = rows; gStride = stride; gBytes = bytes;
  gHist = hist; gZHist = zhist; gIdx = idx; gVal = val; gRank = rank; gCap = cap; gTopK = topK; gLanes = lanes;
  gThr = thr; gScale = scale; gShift = shift;
  gTilesX = (w + (1 << shift) - 1) >> shift;
  gTilesY = (h + (1 << shift) - 1) >> shift;
  memory.fill(rows, 0, stride * 4);
}

/** The privacy mask (0 or 255 per pixel) ANDed into the frame, before anything else. */
export function applyMask(mask: usize): void {
  const n = gW * gH;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    v128.store(gFrame + i, v128.and(v128.load(gFrame + i), v128.load(mask + i)));
  }
  for (; i < n; i++) store<u8>(gFrame + i, load<u8>(gFrame + i) & load<u8>(mask + i));
}

/** bg := frame (first frame after construction or reset). */
export function seed(): void {
  memory.copy(gBg, gFrame, <usize>(gW * gH));
}

@inline function rowPtr(i: i32): usize {
  return gRows + <usize>i * gStride + 16;
}

/** d of row v into dst; with `update`, the Σ-Δ step of that background row. */
function diffRow(v: i32, dst: usize, update: bool): void {
  const w = gW;
  const f = gFrame + <usize>(v * w);
  const b = gBg + <usize>(v * w);
  let u = 0;
  if (update) {
    for (; u + 16 <= w; u += 16) {
      const fv = v128.load(f + u);
      const bv = v128.load(b + u);
      const p = dst + (<usize>u << 1);
      v128.store(p, i16x8.sub(i16x8.extend_low_i8x16_u(fv), i16x8.extend_low_i8x16_u(bv)));
      v128.store(p + 16, i16x8.sub(i16x8.extend_high_i8x16_u(fv), i16x8.extend_high_i8x16_u(bv)));
      // gt/lt lanes are all-ones (−1): bg − gt + lt = bg + sign(f − bg).
      v128.store(b + u, i8x16.add(i8x16.sub(bv, i8x16.gt_u(fv, bv)), i8x16.lt_u(fv, bv)));
    }
  } else {
    for (; u + 16 <= w; u += 16) {
      const fv = v128.load(f + u);
      const bv = v128.load(b + u);
      const p = dst + (<usize>u << 1);
      v128.store(p, i16x8.sub(i16x8.extend_low_i8x16_u(fv), i16x8.extend_low_i8x16_u(bv)));
      v128.store(p + 16, i16x8.sub(i16x8.extend_high_i8x16_u(fv), i16x8.extend_high_i8x16_u(bv)));
    }
  }
  for (; u < w; u++) {
    const fv = <i32>load<u8>(f + u);
    const bv = <i32>load<u8>(b + u);
    const d = fv - bv;
    store<i16>(dst + (<usize>u << 1), <i16>d);
    if (update) store<u8>(b + u, <u8>(bv + <i32>(d > 0) - <i32>(d < 0)));
  }
}

/** s = 4·c + left + right + up + down for 8 lanes at column u (pads make u−1 and u+8 safe). */
@inline function smooth8(up: usize, cur: usize, dn: usize, u: i32): v128 {
  const o = <usize>u << 1;
  const c = v128.load(cur + o);
  const lr = i16x8.add(v128.load(cur + o - 2), v128.load(cur + o + 2));
  const ud = i16x8.add(v128.load(up + o), v128.load(dn + o));
  return i16x8.add(i16x8.add(i16x8.shl(c, 2), lr), ud);
}

@inline function smooth1(up: usize, cur: usize, dn: usize, u: i32): i32 {
  const o = <usize>u << 1;
  return (<i32>load<i16>(cur + o) << 2) + <i32>load<i16>(cur + o - 2) + <i32>load<i16>(cur + o + 2)
    + <i32>load<i16>(up + o) + <i32>load<i16>(dn + o);
}

/**
 * Per tile, the histogram of min(e, 255) over rows v = step/2, step/2 + step, … against the
 * current background (not updated): 256 u32 per tile at gHist.
 */
export function noiseHistogram(step: i32): void {
  const w = gW, h = gH, shift = gShift, tw = 1 << shift;
  const full = w >> shift; // tiles of the row that are tw px wide
  const zero = rowPtr(3);
  memory.fill(gHist, 0, <usize>(gTilesX * gTilesY) << 10);
  for (let v = step >> 1; v < h; v += step) {
    let up = zero, dn = zero;
    if (v > 0) { up = rowPtr(0); diffRow(v - 1, up, false); }
    const cur = rowPtr(1);
    diffRow(v, cur, false);
    if (v + 1 < h) { dn = rowPtr(2); diffRow(v + 1, dn, false); }
    let u = 0;
    for (; u + 16 <= w; u += 16) {
      const lo = i16x8.abs(smooth8(up, cur, dn, u));
      const hi = i16x8.abs(smooth8(up, cur, dn, u + 8));
      v128.store(gBytes + u, i8x16.narrow_i16x8_u(lo, hi)); // saturates at 255
    }
    for (; u < w; u++) {
      const e = abs<i32>(smooth1(up, cur, dn, u));
      store<u8>(gBytes + u, <u8>(e > 255 ? 255 : e));
    }
    // Column j of every full tile in turn: consecutive increments go to different tiles'
    // histograms, which breaks the store→load chains on popular bins.
    const hrow = gHist + (<usize>((v >> shift) * gTilesX) << 10);
    for (let j = 0; j < tw && full > 0; j++) {
      let src = gBytes + <usize>j;
      let dst = hrow;
      for (let tx = 0; tx < full; tx++) {
        const a = dst + (<usize>load<u8>(src) << 2);
        store<u32>(a, load<u32>(a) + 1);
        src += <usize>tw;
        dst += 1024;
      }
    }
    const last = hrow + (<usize>full << 10);
    for (u = full << shift; u < w; u++) {
      const a = last + (<usize>load<u8>(gBytes + u) << 2);
      store<u32>(a, load<u32>(a) + 1);
    }
  }
}

/**
 * Keep the topK strongest of the buffered candidates, ranked by (zq descending, index
 * ascending); the buffer stays in raster order. Later candidates then need zq above the cut.
 */
function compact(): void {
  const topK = gTopK;
  let acc = 0;
  let c = ZQ_MAX;
  for (;;) {
    const n = <i32>load<u32>(gZHist + (<usize>c << 2));
    if (acc + n >= topK) break;
    acc += n;
    c--;
  }
  let quota = topK - acc;
  let j = 0;
  for (let i = 0; i < kept; i++) {
    const z = <i32>load<u16>(gRank + (<usize>i << 1));
    if (z > c || (z == c && quota > 0)) {
      if (z == c) quota--;
      store<u32>(gIdx + (<usize>j << 2), load<u32>(gIdx + (<usize>i << 2)));
      store<u16>(gVal + (<usize>j << 1), load<u16>(gVal + (<usize>i << 1)));
      store<u16>(gRank + (<usize>j << 1), <u16>z);
      j++;
    }
  }
  for (let k = floorZ + 1; k < c; k++) store<u32>(gZHist + (<usize>k << 2), 0);
  store<u32>(gZHist + (<usize>c << 2), topK - acc);
  kept = j;
  floorZ = c;
}

@inline function candidate(index: i32, e: i32, tile: i32): void {
  candidates++;
  let z = <i32>((<u32>e * load<u32>(gScale + (<usize>tile << 2))) >> 16);
  if (z > ZQ_MAX) z = ZQ_MAX;
  if (z > floorZ) {
    store<u32>(gIdx + (<usize>kept << 2), index);
    store<u16>(gVal + (<usize>kept << 1), <u16>e);
    store<u16>(gRank + (<usize>kept << 1), <u16>z);
    const p = gZHist + (<usize>z << 2);
    store<u32>(p, load<u32>(p) + 1);
    kept++;
    if (kept == gCap) compact();
  }
}

function scanLanes(e: v128, bits: i32, index: i32, tile: i32): void {
  v128.store(gLanes, e);
  while (bits != 0) {
    const lane = ctz(bits);
    bits &= bits - 1;
    candidate(index + lane, <i32>load<u16>(gLanes + (<usize>lane << 1)), tile);
  }
}

/** Candidates of row v: e > the threshold of the pixel's tile. */
function scanRow(up: usize, cur: usize, dn: usize, v: i32): void {
  const w = gW, shift = gShift;
  const base = v * w;
  const row = (v >> shift) * gTilesX;
  let u = 0;
  for (; u + 16 <= w; u += 16) {
    const tile = row + (u >> shift); // 16 px never straddle two tiles (shift ≥ 4)
    const t = i16x8.splat(load<i16>(gThr + (<usize>tile << 1)));
    const e0 = i16x8.abs(smooth8(up, cur, dn, u));
    const e1 = i16x8.abs(smooth8(up, cur, dn, u + 8));
    const m0 = i16x8.gt_s(e0, t);
    const m1 = i16x8.gt_s(e1, t);
    if (v128.any_true(v128.or(m0, m1))) {
      scanLanes(e0, i16x8.bitmask(m0), base + u, tile);
      scanLanes(e1, i16x8.bitmask(m1), base + u + 8, tile);
    }
  }
  for (; u < w; u++) {
    const tile = row + (u >> shift);
    const e = abs<i32>(smooth1(up, cur, dn, u));
    if (e > <i32>load<u16>(gThr + (<usize>tile << 1))) candidate(base + u, e, tile);
  }
}

/**
 * One frame: differences against the background, Σ-Δ update of rows with v % period == phase,
 * light denoise, pixels with e above their tile's threshold. Keeps the topK best ranked in the
 * candidate buffer; returns how many were kept (`candidateCount()` tells how many passed).
 */
export function detect(period: i32, phase: i32): i32 {
  const h = gH;
  memory.fill(gZHist, 0, (ZQ_MAX + 1) * 4);
  kept = 0;
  candidates = 0;
  floorZ = -1;
  const zero = rowPtr(3);
  diffRow(0, rowPtr(0), 0 % period == phase);
  if (h > 1) diffRow(1, rowPtr(1), 1 % period == phase);
  for (let v = 0; v < h; v++) {
    const up = v > 0 ? rowPtr((v - 1) % 3) : zero;
    const dn = v + 1 < h ? rowPtr((v + 1) % 3) : zero;
    scanRow(up, rowPtr(v % 3), dn, v);
    if (v + 2 < h) diffRow(v + 2, rowPtr((v + 2) % 3), (v + 2) % period == phase);
  }
  if (kept > gTopK) compact();
  return kept;
}

export function candidateCount(): i32 {
  return candidates;
}
