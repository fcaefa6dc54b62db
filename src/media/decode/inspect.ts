/**
 * What the decoder needs to know about a coded frame without decoding it: its picture size (from
 * the H.264/H.265 SPS it carries, or the JPEG SOF) and whether any other frame refers to it.
 */
import { parseH264Sps } from '../h264/sps.ts';
import { parseH265Sps } from '../h265/sps.ts';
import { nalType, splitAnnexB } from '../sender/annexb.ts';

export type DecoderCodec = 'h264' | 'h265' | 'mjpeg';

export interface PictureSize {
  width: number;
  height: number;
}

/** Picture size announced by the frame (SPS or SOF), or null when it carries none. */
export function pictureSize(codec: DecoderCodec, data: Uint8Array): PictureSize | null {
  if (codec === 'mjpeg') return jpegSize(data);
  for (const nal of splitAnnexB(data)) {
    const t = nalType(codec, nal);
    if (codec === 'h264' && t === 7) {
      const r = parseH264Sps(nal);
      if (r.ok) return { width: r.value.width, height: r.value.height };
    } else if (codec === 'h265' && t === 33) {
      const r = parseH265Sps(nal);
      if (r.ok) return { width: r.value.width, height: r.value.height };
    } else if ((codec === 'h264' && t >= 1 && t <= 5) || (codec === 'h265' && t <= 31)) {
      break; // parameter sets precede the slices
    }
  }
  return null;
}

/** JPEG frame size from its SOFn segment (T.81 B.2.2). */
export function jpegSize(b: Uint8Array): PictureSize | null {
  if (b[0] !== 0xff || b[1] !== 0xd8) return null;
  let o = 2;
  while (o + 9 < b.length) {
    if (b[o] !== 0xff) return null;
    const m = b[o + 1]!;
    if (m === 0xff) { o++; continue; }
    const len = (b[o + 2]! << 8) | b[o + 3]!;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      const height = (b[o + 5]! << 8) | b[o + 6]!, width = (b[o + 7]! << 8) | b[o + 8]!;
      return width > 0 && height > 0 ? { width, height } : null;
    }
    if (m === 0xda) return null;
    o += 2 + len;
  }
  return null;
}

/**
 * True when no other picture can refer to this one, so it may be skipped before decoding:
 * every JPEG; H.264 when every slice has nal_ref_idc = 0 (§7.4.1); H.265 when every slice is a
 * sub-layer non-reference picture (even types 0–14, §7.4.2.2).
 */
export function isDisposable(codec: DecoderCodec, data: Uint8Array): boolean {
  if (codec === 'mjpeg') return true;
  let slices = 0;
  for (const nal of splitAnnexB(data)) {
    const t = nalType(codec, nal);
    if (codec === 'h264') {
      if (t >= 1 && t <= 5) {
        slices++;
        if ((nal[0]! & 0x60) !== 0) return false;
      }
    } else if (t <= 31) {
      slices++;
      if (t > 14 || t % 2 === 1) return false;
    }
  }
  return slices > 0;
}
