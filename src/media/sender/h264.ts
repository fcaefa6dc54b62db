/**
 * H.264 RTP packetizer (RFC 6184, non-interleaved mode, packetization-mode=1): a NAL unit that
 * fits goes alone (single NAL unit packet, §5.6); a larger one is cut into FU-A fragments
 * (§5.8); runs of small NAL units before the first slice (SPS, PPS, SEI) can share one STAP-A
 * (§5.7.1). The marker bit is set on the last packet of the access unit (§5.1).
 */
import { checkRange } from '../errors.ts';
import { packetizeNals, type NalSyntax, type RtpPayload } from './nal-packetizer.ts';

export type { RtpPayload } from './nal-packetizer.ts';

export interface H264PacketizerOptions {
  /** Largest RTP payload in bytes (the datagram adds 12 header bytes). Default 1200, range 100–65000. */
  maxPayload?: number;
  /** Aggregate consecutive small non-VCL NAL units into STAP-A packets. Default true. */
  stapA?: boolean;
}

const FU_A = 28;
const STAP_A = 24;

const H264_SYNTAX: NalSyntax = {
  headerBytes: 1,
  isVcl: (nal) => {
    const t = nal[0]! & 0x1f;
    return t >= 1 && t <= 5;
  },
  // STAP-A (§5.7.1): F is the OR of the units' F bits, NRI their maximum (§5.3).
  aggregationHeader: (nals, out) => {
    let f = 0, nri = 0;
    for (const n of nals) {
      f |= n[0]! & 0x80;
      nri = Math.max(nri, n[0]! & 0x60);
    }
    out[0] = f | nri | STAP_A;
  },
  // FU-A (§5.8): the indicator keeps F and NRI with type 28; the FU header carries the original type.
  fragmentHeader: (nal, out) => {
    out[0] = (nal[0]! & 0xe0) | FU_A;
    return nal[0]! & 0x1f;
  },
};

/** Cuts one access unit (NAL units without start codes) into RTP payloads. */
export class H264Packetizer {
  readonly maxPayload: number;
  readonly stapA: boolean;

  constructor(o: H264PacketizerOptions = {}) {
    this.maxPayload = checkRange('maxPayload', o.maxPayload ?? 1200, 100, 65000, true);
    this.stapA = o.stapA ?? true;
  }

  packetize(nals: readonly Uint8Array[]): RtpPayload[] {
    return packetizeNals(nals.filter((n) => n.length > 0), this.maxPayload, this.stapA, H264_SYNTAX);
  }
}
