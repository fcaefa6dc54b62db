/**
 * H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1): profile, level, chroma format and the
 * displayed picture size after cropping. For stream health (resolution and its changes) without
 * decoding. Never throws; a truncated or inconsistent SPS is a typed error.
 */
import { fail, ok, type ParseResult } from '../errors.ts';

export interface H264SpsInfo {
  profileIdc: number;
  levelIdc: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  chromaFormatIdc: number;
  frameMbsOnly: boolean;
  width: number;
  height: number;
}

/** Exp-Golomb bit reader over an RBSP (emulation prevention already removed). */
export class Bits {
  private pos = 0;
  overrun = false;
  constructor(private readonly b: Uint8Array) {}

  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.b[this.pos >> 3];
      if (byte === undefined) {
        this.overrun = true;
        return 0;
      }
      v = v * 2 + ((byte >> (7 - (this.pos & 7))) & 1);
      this.pos++;
    }
    return v;
  }

  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      if (this.overrun || ++zeros > 31) {
        this.overrun = true;
        return 0;
      }
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** Removes emulation-prevention bytes (00 00 03 → 00 00). */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let n = 0;
  let zeros = 0;
  for (const b of nal) {
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an SPS NAL unit (with its 1-byte header, type 7). */
export function parseH264Sps(nal: Uint8Array): ParseResult<H264SpsInfo> {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) return fail('UNSUPPORTED', 'not an H.264 SPS NAL unit');
  const r = new Bits(unescapeRbsp(nal.subarray(1)));
  const profileIdc = r.u(8);
  r.u(8); // constraint flags
  const levelIdc = r.u(8);
  r.ue(); // seq_parameter_set_id
  let chroma = 1;
  let separatePlanes = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chroma = r.ue();
    if (chroma > 3) return fail('BAD_SYNTAX', `chroma_format_idc ${chroma}`);
    if (chroma === 3) separatePlanes = r.u(1) === 1;
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.u(1); // qpprime_y_zero_transform_bypass_flag
    if (r.u(1)) {
      const lists = chroma === 3 ? 12 : 8;
      for (let i = 0; i < lists && !r.overrun; i++) {
        if (!r.u(1)) continue;
        const size = i < 6 ? 16 : 64;
        let last = 8, next = 8;
        for (let j = 0; j < size && !r.overrun; j++) {
          if (next !== 0) next = (last + r.se() + 256) % 256;
          last = next === 0 ? last : next;
        }
      }
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.u(1);
    r.se();
    r.se();
    const n = r.ue();
    if (n > 255) return fail('BAD_SYNTAX', `num_ref_frames_in_pic_order_cnt_cycle ${n}`);
    for (let i = 0; i < n; i++) r.se();
  } else if (pocType > 2) return fail('BAD_SYNTAX', `pic_order_cnt_type ${pocType}`);
  r.ue(); // max_num_ref_frames
  r.u(1); // gaps_in_frame_num_value_allowed_flag
  const wMbs = r.ue() + 1;
  const hMapUnits = r.ue() + 1;
  const frameMbsOnly = r.u(1) === 1;
  if (!frameMbsOnly) r.u(1); // mb_adaptive_frame_field_flag
  r.u(1); // direct_8x8_inference_flag
  let cl = 0, cr = 0, ct = 0, cb = 0;
  if (r.u(1)) {
    cl = r.ue();
    cr = r.ue();
    ct = r.ue();
    cb = r.ue();
  }
  if (r.overrun) return fail('TRUNCATED', 'SPS ends early');
  // Table 6-1: SubWidthC/SubHeightC; crop units per §7.4.2.1.1.
  const arrayType = separatePlanes ? 0 : chroma;
  const subW = arrayType === 1 || arrayType === 2 ? 2 : 1;
  const subH = arrayType === 1 ? 2 : 1;
  const cropX = arrayType === 0 ? 1 : subW;
  const cropY = (arrayType === 0 ? 1 : subH) * (frameMbsOnly ? 1 : 2);
  const width = wMbs * 16 - cropX * (cl + cr);
  const height = (frameMbsOnly ? 1 : 2) * hMapUnits * 16 - cropY * (ct + cb);
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384) return fail('BAD_SYNTAX', `implausible size ${width}×${height}`);
  return ok({ profileIdc, levelIdc, chromaFormatIdc: chroma, frameMbsOnly, width, height });
}
