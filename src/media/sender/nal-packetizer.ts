/**
 * The packetization loop H.264 (RFC 6184) and H.265 (RFC 7798) share: runs of small non-VCL NAL
 * units aggregated into one packet (STAP-A / AP), a NAL unit that fits sent alone, a larger one
 * cut into fragmentation units (FU-A / FU), the marker on the access unit's last packet. The
 * codecs differ only in their NAL header size and in the header bytes of the packets they build,
 * which {@link NalSyntax} supplies.
 */

export interface RtpPayload {
  payload: Uint8Array;
  /** Last packet of the access unit (RTP marker bit). */
  marker: boolean;
}

export interface NalSyntax {
  /** NAL unit header bytes (1 for H.264, 2 for H.265): an aggregation packet starts with as many. */
  headerBytes: number;
  isVcl(nal: Uint8Array): boolean;
  /** The aggregation packet's header for these units, written into `out` (headerBytes long). */
  aggregationHeader(nals: readonly Uint8Array[], out: Uint8Array): void;
  /** A fragment's payload header (headerBytes long) followed by the FU header's type field. */
  fragmentHeader(nal: Uint8Array, out: Uint8Array): number;
}

/** One access unit (NAL units without start codes) into RTP payloads of at most maxPayload bytes. */
export function packetizeNals(list: readonly Uint8Array[], maxPayload: number, aggregate: boolean, syn: NalSyntax): RtpPayload[] {
  const out: RtpPayload[] = [];
  const h = syn.headerBytes;
  let i = 0;
  while (i < list.length) {
    const nal = list[i]!;
    if (aggregate && !syn.isVcl(nal)) {
      // Greedy: the packet header, then a 2-byte size + the unit for each.
      let j = i;
      let size = h;
      while (j < list.length && !syn.isVcl(list[j]!) && size + 2 + list[j]!.length <= maxPayload) {
        size += 2 + list[j]!.length;
        j++;
      }
      if (j - i >= 2) {
        out.push({ payload: aggregationPacket(list.slice(i, j), size, syn), marker: false });
        i = j;
        continue;
      }
    }
    if (nal.length <= maxPayload) out.push({ payload: nal, marker: false });
    else fragment(nal, maxPayload, syn, out);
    i++;
  }
  const last = out[out.length - 1];
  if (last) last.marker = true;
  return out;
}

function aggregationPacket(nals: readonly Uint8Array[], size: number, syn: NalSyntax): Uint8Array {
  const p = new Uint8Array(size);
  syn.aggregationHeader(nals, p);
  let o = syn.headerBytes;
  for (const n of nals) {
    p[o] = n.length >>> 8;
    p[o + 1] = n.length & 0xff;
    p.set(n, o + 2);
    o += 2 + n.length;
  }
  return p;
}

/** Fragments: payload header, FU header (S, E, type), then the unit's bytes after its own header. */
function fragment(nal: Uint8Array, maxPayload: number, syn: NalSyntax, out: RtpPayload[]): void {
  const h = syn.headerBytes;
  const head = new Uint8Array(h);
  const type = syn.fragmentHeader(nal, head);
  const chunk = maxPayload - h - 1;
  for (let off = h; off < nal.length; off += chunk) {
    const end = Math.min(nal.length, off + chunk);
    const p = new Uint8Array(h + 1 + end - off);
    p.set(head);
    p[h] = (off === h ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
    p.set(nal.subarray(off, end), h + 1);
    out.push({ payload: p, marker: false });
  }
}
