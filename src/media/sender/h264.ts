/**
 * H.264 RTP packetizer (RFC 6184, non-interleaved mode, packetization-mode=1): a NAL unit that
 * fits goes alone (single NAL unit packet, §5.6); a larger one is cut into FU-A fragments
 * (§5.8); runs of small NAL units before the first slice (SPS, PPS, SEI) can share one STAP-A
 * (§5.7.1). The marker bit is set on the last packet of the access unit (§5.1).
 */
import { checkRange } from '../errors.ts';

export interface RtpPayload {
  payload: Uint8Array;
  /** Last packet of the access unit (RTP marker bit). */
  marker: boolean;
}

export interface H264PacketizerOptions {
  /** Largest RTP payload in bytes (the datagram adds 12 header bytes). Default 1200, range 100–65000. */
  maxPayload?: number;
  /** Aggregate consecutive small non-VCL NAL units into STAP-A packets. Default true. */
  stapA?: boolean;
}

const FU_A = 28;
const STAP_A = 24;

/** Cuts one access unit (NAL units without start codes) into RTP payloads. */
export class H264Packetizer {
  readonly maxPayload: number;
  readonly stapA: boolean;

  constructor(o: H264PacketizerOptions = {}) {
    this.maxPayload = checkRange('maxPayload', o.maxPayload ?? 1200, 100, 65000, true);
    this.stapA = o.stapA ?? true;
  }

  packetize(nals: readonly Uint8Array[]): RtpPayload[] {
    const out: RtpPayload[] = [];
    const list = nals.filter((n) => n.length > 0);
    let i = 0;
    while (i < list.length) {
      const nal = list[i]!;
      if (this.stapA && !isVcl(nal)) {
        // Greedy STAP-A: 1 byte STAP header + (2-byte size + NAL) per unit (§5.7.1).
        let j = i;
        let size = 1;
        while (j < list.length && !isVcl(list[j]!) && size + 2 + list[j]!.length <= this.maxPayload) {
          size += 2 + list[j]!.length;
          j++;
        }
        if (j - i >= 2) {
          out.push({ payload: buildStapA(list.slice(i, j), size), marker: false });
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

  /** FU-A (§5.8): indicator keeps F and NRI with type 28; header S/E/R + the original type. */
  private fragment(nal: Uint8Array, out: RtpPayload[]): void {
    const indicator = (nal[0]! & 0xe0) | FU_A;
    const type = nal[0]! & 0x1f;
    const chunk = this.maxPayload - 2;
    for (let off = 1; off < nal.length; off += chunk) {
      const end = Math.min(nal.length, off + chunk);
      const p = new Uint8Array(2 + end - off);
      p[0] = indicator;
      p[1] = (off === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
      p.set(nal.subarray(off, end), 2);
      out.push({ payload: p, marker: false });
    }
  }
}

function isVcl(nal: Uint8Array): boolean {
  const t = nal[0]! & 0x1f;
  return t >= 1 && t <= 5;
}

function buildStapA(nals: readonly Uint8Array[], size: number): Uint8Array {
  const p = new Uint8Array(size);
  // F is the OR of the units' F bits, NRI their maximum (§5.7.1 / §5.3).
  let f = 0;
  let nri = 0;
  for (const n of nals) {
    f |= n[0]! & 0x80;
    nri = Math.max(nri, n[0]! & 0x60);
  }
  p[0] = f | nri | STAP_A;
  let o = 1;
  for (const n of nals) {
    p[o] = n.length >>> 8;
    p[o + 1] = n.length & 0xff;
    p.set(n, o + 2);
    o += 2 + n.length;
  }
  return p;
}
