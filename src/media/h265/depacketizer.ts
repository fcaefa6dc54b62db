/**
 * H.265 RTP depacketizer (RFC 7798): single NAL unit packets (types 0–47), aggregation packets
 * (48) and fragmentation units (49), with optional DONL/DOND fields when the session signals
 * `sprop-max-don-diff` > 0. PACI (50) is rejected (the frame is marked incomplete).
 */
import { AnnexBBuilder, type NalTypes } from '../annexb.ts';
import { parseH265Sps } from './sps.ts';
import { FrameAssembler, type Depacketizer, type DepacketizerOptions, type FrameCodec } from '../frame.ts';

export const H265_TYPES: NalTypes = {
  typeOf: (nal) => ((nal[0] ?? 0) >> 1) & 0x3f,
  isKey: (t) => t >= 16 && t <= 21, // IRAP: BLA, IDR, CRA (ITU-T H.265 Table 7-1)
  isVcl: (t) => t <= 31,
  headerLength: 2,
  spsType: 33,
  spsSize: (nal) => {
    const r = parseH265Sps(nal);
    return r.ok ? { width: r.value.width, height: r.value.height } : null;
  },
  paramTypes: [32, 33, 34],
};

export interface H265DepacketizerOptions extends DepacketizerOptions {
  /** VPS/SPS/PPS from SDP (`sprop-vps` etc.), inserted before key frames that lack them. */
  parameterSets?: readonly Uint8Array[];
  /** Packets carry DONL (and DOND in aggregation packets). Default false. */
  donl?: boolean;
}

class H265Codec implements FrameCodec {
  private readonly b: AnnexBBuilder;
  constructor(params: readonly Uint8Array[], private readonly donl: boolean) {
    this.b = new AnnexBBuilder(H265_TYPES, params);
  }

  get size(): number {
    return this.b.size;
  }

  begin(): void {
    this.b.begin();
  }

  add(p: Uint8Array): boolean {
    if (p.length < 3) return false;
    if (p[0]! & 0x80) return false; // forbidden_zero_bit
    const type = (p[0]! >> 1) & 0x3f;
    if (type < 48) {
      if (this.b.fragmentOpen) return false;
      this.b.nal(p);
      return true;
    }
    if (type === 48) return this.aggregate(p);
    if (type === 49) return this.fragment(p);
    return false;
  }

  private aggregate(p: Uint8Array): boolean {
    if (this.b.fragmentOpen) return false;
    let off = 2 + (this.donl ? 2 : 0);
    let units = 0;
    while (off < p.length) {
      if (units > 0 && this.donl) off += 1; // DOND
      if (off + 2 > p.length) return false;
      const size = (p[off]! << 8) | p[off + 1]!;
      off += 2;
      if (size < 2 || off + size > p.length) return false;
      this.b.nal(p.subarray(off, off + size));
      off += size;
      units++;
    }
    return units > 0;
  }

  private fragment(p: Uint8Array): boolean {
    const dataStart = 3 + (this.donl ? 2 : 0);
    if (p.length <= dataStart) return false;
    const fu = p[2]!;
    const s = (fu & 0x80) !== 0;
    const e = (fu & 0x40) !== 0;
    if (s && e) return false; // RFC 7798 §4.4.3
    const data = p.subarray(dataStart);
    if (s) {
      if (this.b.fragmentOpen) return false;
      // Rebuild the 2-byte NAL header: F and LayerId from the payload header, type from FuType.
      this.b.fragmentStart(Uint8Array.of((p[0]! & 0x81) | ((fu & 0x3f) << 1), p[1]!), data);
    } else {
      if (!this.b.fragmentOpen) return false;
      this.b.fragmentData(data);
    }
    if (e) this.b.fragmentEnd();
    return true;
  }

  end(broken: boolean): { data: Uint8Array; keyframe: boolean; ok: boolean; width?: number; height?: number } {
    return this.b.finish(broken);
  }
}

export function createH265Depacketizer(opts: H265DepacketizerOptions = {}): Depacketizer {
  return new FrameAssembler('h265', new H265Codec(opts.parameterSets ?? [], opts.donl ?? false), opts);
}
