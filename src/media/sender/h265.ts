/**
 * H.265 RTP packetizer (RFC 7798, sprop-max-don-diff = 0, so no DONL fields): single NAL unit
 * packets (§4.4.1), fragmentation units for larger NAL units (§4.4.3), and aggregation packets
 * for runs of small non-VCL units such as VPS + SPS + PPS (§4.4.2). Marker on the last packet of
 * the access unit (§4.1).
 */
import { checkRange } from '../errors.ts';
import type { RtpPayload } from './h264.ts';

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

export class H265Packetizer {
  readonly maxPayload: number;
  readonly aggregate: boolean;

  constructor(o: H265PacketizerOptions = {}) {
    this.maxPayload = checkRange('maxPayload', o.maxPayload ?? 1200, 100, 65000, true);
    this.aggregate = o.aggregate ?? true;
  }

  packetize(nals: readonly Uint8Array[]): RtpPayload[] {
    const out: RtpPayload[] = [];
    const list = nals.filter((n) => n.length >= 3);
    let i = 0;
    while (i < list.length) {
      const nal = list[i]!;
      if (this.aggregate && !isVcl(nal)) {
        let j = i;
        let size = 2;
        while (j < list.length && !isVcl(list[j]!) && size + 2 + list[j]!.length <= this.maxPayload) {
          size += 2 + list[j]!.length;
          j++;
        }
        if (j - i >= 2) {
          out.push({ payload: buildAp(list.slice(i, j), size), marker: false });
          i = j;
          continue;
        }
      }
      if (nal.length <= this.maxPayload) out.push({ payload: nal, marker: false });
      else this.fragment(nal, out);
      i++;
    }
    const last = out[out.length - 1];
    if (last) last.marker = true;
    return out;
  }

  /** FU (§4.4.3): payload header with type 49 (F, LayerId, TID kept), FU header S/E/FuType. */
  private fragment(nal: Uint8Array, out: RtpPayload[]): void {
    const h0 = (nal[0]! & 0x81) | (FU << 1);
    const h1 = nal[1]!;
    const type = typeOf(nal);
    const chunk = this.maxPayload - 3;
    for (let off = 2; off < nal.length; off += chunk) {
      const end = Math.min(nal.length, off + chunk);
      const p = new Uint8Array(3 + end - off);
      p[0] = h0;
      p[1] = h1;
      p[2] = (off === 2 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      p.set(nal.subarray(off, end), 3);
      out.push({ payload: p, marker: false });
    }
  }
}

/** AP (§4.4.2): F = OR of the units' F bits, LayerId and TID = their lowest values. */
function buildAp(nals: readonly Uint8Array[], size: number): Uint8Array {
  let f = 0;
  let lid = 63;
  let t = 7;
  for (const n of nals) {
    f |= n[0]! & 0x80;
    lid = Math.min(lid, layerId(n));
    t = Math.min(t, tid(n));
  }
  const p = new Uint8Array(size);
  p[0] = f | (AP << 1) | (lid >> 5);
  p[1] = ((lid & 31) << 3) | t;
  let o = 2;
  for (const n of nals) {
    p[o] = n.length >>> 8;
    p[o + 1] = n.length & 0xff;
    p.set(n, o + 2);
    o += 2 + n.length;
  }
  return p;
}
