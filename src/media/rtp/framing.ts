/**
 * RTP/RTCP over connection-oriented transport (RFC 4571 §2): each packet is preceded by a
 * 16-bit big-endian length. An incremental deframer for TCP byte streams; memory is bounded by
 * one partial frame (≤ 65 537 bytes).
 */
import { MediaError } from '../errors.ts';

export class Rfc4571Deframer {
  private buf = new Uint8Array(0);
  /** Zero-length frames seen (legal but useless; counted for health). */
  emptyFrames = 0;

  /** Feeds bytes; returns the complete packets (copies, safe to keep). */
  push(chunk: Uint8Array): Uint8Array[] {
    let data = chunk;
    if (this.buf.length > 0) {
      data = new Uint8Array(this.buf.length + chunk.length);
      data.set(this.buf);
      data.set(chunk, this.buf.length);
    }
    const out: Uint8Array[] = [];
    let off = 0;
    while (data.length - off >= 2) {
      const len = (data[off]! << 8) | data[off + 1]!;
      if (data.length - off - 2 < len) break;
      if (len === 0) this.emptyFrames++;
      else out.push(data.slice(off + 2, off + 2 + len));
      off += 2 + len;
    }
    this.buf = off >= data.length ? new Uint8Array(0) : data.slice(off);
    return out;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = new Uint8Array(0);
  }
}

/** Prefixes one packet with its RFC 4571 length. */
export function frameRfc4571(packet: Uint8Array): Uint8Array {
  if (packet.length > 0xffff) throw new MediaError('MEDIA_ARGUMENT', 'RFC 4571 frames carry at most 65535 bytes');
  const out = new Uint8Array(packet.length + 2);
  out[0] = packet.length >>> 8;
  out[1] = packet.length & 0xff;
  out.set(packet, 2);
  return out;
}
