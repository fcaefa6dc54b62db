/** RTCP serialisation: single packets and compound datagrams (RFC 3550 §6.1). */
import { MediaError } from '../errors.ts';
import { writeU32 } from '../rtp/packet.ts';
import {
  RTCP_BYE, RTCP_PSFB, RTCP_RR, RTCP_RTPFB, RTCP_SDES, RTCP_SR, RTCP_XR, XR_DLRR, XR_RRTR,
  type ReportBlock, type RtcpPacket,
} from './types.ts';

const utf8 = new TextEncoder();

/** Serialises packets back to back into one compound datagram. */
export function buildRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  const parts = packets.map(buildOne);
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function header(count: number, pt: number, bodyLen: number): Uint8Array {
  if (bodyLen % 4 !== 0) throw new MediaError('MEDIA_ARGUMENT', 'RTCP body must be 32-bit aligned');
  if (count > 31) throw new MediaError('MEDIA_ARGUMENT', `RTCP count ${count} exceeds 31`);
  const out = new Uint8Array(4 + bodyLen);
  const words = bodyLen / 4;
  if (words > 0xffff) throw new MediaError('MEDIA_ARGUMENT', 'RTCP packet too long');
  out[0] = 0x80 | count;
  out[1] = pt;
  out[2] = words >>> 8;
  out[3] = words & 0xff;
  return out;
}

function writeBlocks(out: Uint8Array, o: number, blocks: readonly ReportBlock[]): void {
  for (const b of blocks) {
    writeU32(out, o, b.ssrc);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(b.cumulativeLost))) & 0xffffff;
    writeU32(out, o + 4, ((b.fractionLost & 0xff) << 24) | lost);
    writeU32(out, o + 8, b.highestSeq);
    writeU32(out, o + 12, b.jitter);
    writeU32(out, o + 16, b.lsr);
    writeU32(out, o + 20, b.dlsr);
    o += 24;
  }
}

function buildOne(p: RtcpPacket): Uint8Array {
  switch (p.type) {
    case 'sr': {
      const out = header(p.reports.length, RTCP_SR, 24 + 24 * p.reports.length);
      writeU32(out, 4, p.ssrc);
      writeU32(out, 8, p.ntpSec);
      writeU32(out, 12, p.ntpFrac);
      writeU32(out, 16, p.rtpTimestamp);
      writeU32(out, 20, p.packetCount);
      writeU32(out, 24, p.octetCount);
      writeBlocks(out, 28, p.reports);
      return out;
    }
    case 'rr': {
      const out = header(p.reports.length, RTCP_RR, 4 + 24 * p.reports.length);
      writeU32(out, 4, p.ssrc);
      writeBlocks(out, 8, p.reports);
      return out;
    }
    case 'sdes': {
      const chunks = p.chunks.map((c) => {
        const items = c.items.map((it) => {
          const t = utf8.encode(it.text);
          if (t.length > 255) throw new MediaError('MEDIA_ARGUMENT', 'SDES item longer than 255 bytes');
          return { type: it.type, t };
        });
        let len = 4 + 1; // ssrc + null terminator
        for (const it of items) len += 2 + it.t.length;
        const buf = new Uint8Array((len + 3) & ~3);
        writeU32(buf, 0, c.ssrc);
        let o = 4;
        for (const it of items) {
          buf[o] = it.type;
          buf[o + 1] = it.t.length;
          buf.set(it.t, o + 2);
          o += 2 + it.t.length;
        }
        return buf;
      });
      let len = 0;
      for (const c of chunks) len += c.length;
      const out = header(chunks.length, RTCP_SDES, len);
      let o = 4;
      for (const c of chunks) {
        out.set(c, o);
        o += c.length;
      }
      return out;
    }
    case 'bye': {
      const reason = p.reason !== undefined ? utf8.encode(p.reason).subarray(0, 255) : null;
      const rlen = reason ? (1 + reason.length + 3) & ~3 : 0;
      const out = header(p.ssrcs.length, RTCP_BYE, 4 * p.ssrcs.length + rlen);
      p.ssrcs.forEach((s, i) => writeU32(out, 4 + 4 * i, s));
      if (reason) {
        const o = 4 + 4 * p.ssrcs.length;
        out[o] = reason.length;
        out.set(reason, o + 1);
      }
      return out;
    }
    case 'pli': {
      const out = header(1, RTCP_PSFB, 8);
      writeU32(out, 4, p.senderSsrc);
      writeU32(out, 8, p.mediaSsrc);
      return out;
    }
    case 'fir': {
      const out = header(4, RTCP_PSFB, 8 + 8 * p.entries.length);
      writeU32(out, 4, p.senderSsrc);
      writeU32(out, 8, 0); // RFC 5104 §4.3.1.2: media source SSRC unused, set to 0
      p.entries.forEach((e, i) => {
        writeU32(out, 12 + 8 * i, e.ssrc);
        out[16 + 8 * i] = e.seq & 0xff;
      });
      return out;
    }
    case 'nack': {
      const out = header(1, RTCP_RTPFB, 8 + 4 * p.entries.length);
      writeU32(out, 4, p.senderSsrc);
      writeU32(out, 8, p.mediaSsrc);
      p.entries.forEach((e, i) => writeU32(out, 12 + 4 * i, ((e.pid & 0xffff) << 16) | (e.blp & 0xffff)));
      return out;
    }
    case 'xr': {
      const parts = p.blocks.map((b) => {
        if (b.bt === XR_RRTR && 'ntpSec' in b) {
          const out = new Uint8Array(12);
          out[0] = XR_RRTR;
          out[3] = 2;
          writeU32(out, 4, b.ntpSec);
          writeU32(out, 8, b.ntpFrac);
          return out;
        }
        if (b.bt === XR_DLRR && 'items' in b) {
          const out = new Uint8Array(4 + 12 * b.items.length);
          out[0] = XR_DLRR;
          const words = 3 * b.items.length;
          if (words > 0xffff) throw new MediaError('MEDIA_ARGUMENT', 'XR DLRR block too long');
          out[2] = words >>> 8;
          out[3] = words & 0xff;
          b.items.forEach((it, i) => {
            writeU32(out, 4 + 12 * i, it.ssrc);
            writeU32(out, 8 + 12 * i, it.lrr);
            writeU32(out, 12 + 12 * i, it.dlrr);
          });
          return out;
        }
        if (!('body' in b) || b.body.length % 4 !== 0) throw new MediaError('MEDIA_ARGUMENT', `XR block type ${b.bt} malformed`);
        const out = new Uint8Array(4 + b.body.length);
        out[0] = b.bt & 0xff;
        out[1] = b.typeSpecific & 0xff;
        out[2] = (b.body.length / 4) >>> 8;
        out[3] = (b.body.length / 4) & 0xff;
        out.set(b.body, 4);
        return out;
      });
      let len = 4;
      for (const x of parts) len += x.length;
      const out = header(0, RTCP_XR, len);
      writeU32(out, 4, p.ssrc);
      let o = 8;
      for (const x of parts) {
        out.set(x, o);
        o += x.length;
      }
      return out;
    }
    case 'unknown': {
      const pad = (4 - (p.body.length % 4)) % 4;
      const out = header(p.count, p.packetType, p.body.length + pad);
      out.set(p.body, 4);
      return out;
    }
  }
}
