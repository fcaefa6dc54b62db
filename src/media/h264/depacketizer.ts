/**
 * H.264 RTP depacketizer (RFC 6184): single NAL unit packets (types 1–23), STAP-A (24),
 * STAP-B (25), FU-A (28) and FU-B (29) into Annex-B access units.
 * MTAP (26, 27) is interleaved mode only and rejected (the frame is marked incomplete).
 */
import { AnnexBBuilder, type NalTypes } from '../annexb.ts';
import { parseH264Sps } from './sps.ts';
import { FrameAssembler, type Depacketizer, type DepacketizerOptions, type FrameCodec } from '../frame.ts';

export const H264_TYPES: NalTypes = {
  typeOf: (nal) => (nal[0] ?? 0) & 0x1f,
  isKey: (t) => t === 5,
  isVcl: (t) => t >= 1 && t <= 5,
  headerLength: 1,
  spsType: 7,
  spsSize: (nal) => {
    const r = parseH264Sps(nal);
    return r.ok ? { width: r.value.width, height: r.value.height } : null;
  },
  paramTypes: [7, 8],
};

export interface H264DepacketizerOptions extends DepacketizerOptions {
  /** SPS/PPS from SDP `sprop-parameter-sets`, inserted before key frames that lack them. */
  parameterSets?: readonly Uint8Array[];
}

class H264Codec implements FrameCodec {
  private readonly b: AnnexBBuilder;
  constructor(params: readonly Uint8Array[]) {
    this.b = new AnnexBBuilder(H264_TYPES, params);
  }

  get size(): number {
    return this.b.size;
  }

  begin(): void {
    this.b.begin();
  }

  add(p: Uint8Array): boolean {
    if (p.length < 1) return false;
    if (p[0]! & 0x80) return false; // forbidden_zero_bit (RFC 6184 §5.3)
    const type = p[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      if (this.b.fragmentOpen) return false; // a fragment was cut off
      this.b.nal(p);
      return true;
    }
    switch (type) {
      case 24: // STAP-A
      case 25: // STAP-B: a 16-bit DON precedes the units
        return this.aggregate(p, type === 24 ? 1 : 3);
      case 28: // FU-A
      case 29: // FU-B: a 16-bit DON follows the FU header
        return this.fragment(p, type === 28 ? 2 : 4);
      default:
        return false;
    }
  }

  private aggregate(p: Uint8Array, start: number): boolean {
    if (this.b.fragmentOpen || p.length < start) return false;
    let off = start;
    let units = 0;
    while (off < p.length) {
      if (off + 2 > p.length) return false;
      const size = (p[off]! << 8) | p[off + 1]!;
      off += 2;
      if (size === 0 || off + size > p.length) return false;
      this.b.nal(p.subarray(off, off + size));
      off += size;
      units++;
    }
    return units > 0;
  }

  private fragment(p: Uint8Array, dataStart: number): boolean {
    if (p.length <= dataStart) return false;
    const fu = p[1]!;
    const s = (fu & 0x80) !== 0;
    const e = (fu & 0x40) !== 0;
    if (s && e) return false; // RFC 6184 §5.8: Start and End must not both be set
    const data = p.subarray(dataStart);
    if (s) {
      if (this.b.fragmentOpen) return false;
      this.b.fragmentStart(Uint8Array.of((p[0]! & 0xe0) | (fu & 0x1f)), data);
    } else {
      if (!this.b.fragmentOpen) return false; // middle or end without a start
      this.b.fragmentData(data);
    }
    if (e) this.b.fragmentEnd();
    return true;
  }

  end(broken: boolean): { data: Uint8Array; keyframe: boolean; ok: boolean; width?: number; height?: number } {
    return this.b.finish(broken);
  }
}

export function createH264Depacketizer(opts: H264DepacketizerOptions = {}): Depacketizer {
  return new FrameAssembler('h264', new H264Codec(opts.parameterSets ?? []), opts);
}
