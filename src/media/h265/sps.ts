/**
 * H.265 sequence parameter set (ITU-T H.265 §7.3.2.2) up to the conformance window: profile,
 * tier, level, chroma format and displayed picture size. For stream health without decoding.
 * Never throws.
 */
import { fail, ok, type ParseResult } from '../errors.ts';
import { Bits, unescapeRbsp } from '../h264/sps.ts';

export interface H265SpsInfo {
  profileIdc: number;
  tierFlag: number;
  /** general_level_idc = 30 × level (e.g. 93 for level 3.1). */
  levelIdc: number;
  chromaFormatIdc: number;
  width: number;
  height: number;
}

/** Parses an SPS NAL unit (with its 2-byte header, type 33). */
export function parseH265Sps(nal: Uint8Array): ParseResult<H265SpsInfo> {
  if (nal.length < 6 || ((nal[0]! >> 1) & 0x3f) !== 33) return fail('UNSUPPORTED', 'not an H.265 SPS NAL unit');
  const r = new Bits(unescapeRbsp(nal.subarray(2)));
  r.u(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.u(3);
  r.u(1); // sps_temporal_id_nesting_flag
  // profile_tier_level(1, maxSubLayersMinus1), §7.3.3
  r.u(2); // general_profile_space
  const tierFlag = r.u(1);
  const profileIdc = r.u(5);
  r.u(32); // compatibility flags
  r.u(4); // progressive, interlaced, non-packed, frame-only
  r.u(43);
  r.u(1);
  const levelIdc = r.u(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.u(1) === 1);
    levelPresent.push(r.u(1) === 1);
  }
  if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.u(2);
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) {
      r.u(44);
      r.u(44);
    }
    if (levelPresent[i]) r.u(8);
  }
  r.ue(); // sps_seq_parameter_set_id
  const chroma = r.ue();
  if (chroma > 3) return fail('BAD_SYNTAX', `chroma_format_idc ${chroma}`);
  const separatePlanes = chroma === 3 && r.u(1) === 1;
  const w = r.ue();
  const h = r.ue();
  let cl = 0, cr = 0, ct = 0, cb = 0;
  if (r.u(1)) {
    cl = r.ue();
    cr = r.ue();
    ct = r.ue();
    cb = r.ue();
  }
  if (r.overrun) return fail('TRUNCATED', 'SPS ends early');
  const arrayType = separatePlanes ? 0 : chroma;
  const subW = arrayType === 1 || arrayType === 2 ? 2 : 1; // Table 6-1
  const subH = arrayType === 1 ? 2 : 1;
  const width = w - subW * (cl + cr);
  const height = h - subH * (ct + cb);
  if (width <= 0 || height <= 0 || width > 16888 || height > 16888) return fail('BAD_SYNTAX', `implausible size ${width}×${height}`);
  return ok({ profileIdc, tierFlag, levelIdc, chromaFormatIdc: chroma, width, height });
}
