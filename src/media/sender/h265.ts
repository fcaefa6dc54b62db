/**
 * H.265 RTP packetizer (RFC 7798, sprop-max-don-diff = 0, so no DONL fields): single NAL unit
 * packets (§4.4.1), fragmentation units for larger NAL units (§4.4.3), and aggregation packets
 * for runs of small non-VCL units such as VPS + SPS + PPS (§4.4.2). Marker on the last packet of
 * the access unit (§4.1).
 */
import { checkRange } from '../errors.ts';
import { packetizeNals, type NalSyntax, type RtpPayload } from './nal-packetizer.ts';

export interface H265PacketizerOptions {
  /** Largest RTP payload in bytes. Default 1200, range 100–65000. */
  maxPayload?: number;
  /** Aggregate consecutive small non-VCL NAL units into APs. Default true. */
  aggregate?: boolean;
}

const AP = 48;
const FU = 49;

const typeOf = (nal: Uint8Array) => (nal[0]! >> 1) & 0x3f;
const isVcl = (nal: Uint8Array) => typeOf(nal) <= 31;
const layerId = (nal: Uint8Array) => ((nal[0]! & 1) << 5) | (nal[1]! >> 3);
const tid = (nal: Uint8Array) => nal[1]! & 7;

const H265_SYNTAX: NalSyntax = {
  headerBytes: 2,
  isVcl,
  // AP (§4.4.2): F = OR of the units' F bits, LayerId and TID = their lowest values.
  aggregationHeader: (nals, out) => {
    let f = 0, lid = 63, t = 7;
    for (const n of nals) {
      f |= n[0]! & 0x80;
      lid = Math.min(lid, layerId(n));
      t = Math.min(t, tid(n));
    }
    out[0] = f | (AP << 1) | (lid >> 5);
    out[1] = ((lid & 31) << 3) | t;
  },
  // FU (§4.4.3): payload header with type 49 (F, LayerId, TID kept); the FU header carries the type.
  fragmentHeader: (nal, out) => {
    out[0] = (nal[0]! & 0x81) | (FU << 1);
    out[1] = nal[1]!;
    return typeOf(nal);
  },
};

export class H265Packetizer {
  readonly maxPayload: number;
  readonly aggregate: boolean;

  constructor(o: H265PacketizerOptions = {}) {
    this.maxPayload = checkRange('maxPayload', o.maxPayload ?? 1200, 100, 65000, true);
    this.aggregate = o.aggregate ?? true;
  }

  packetize(nals: readonly Uint8Array[]): RtpPayload[] {
    return packetizeNals(nals.filter((n) => n.length >= 3), this.maxPayload, this.aggregate, H265_SYNTAX);
  }
}
