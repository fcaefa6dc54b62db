/**
 * Compound RTCP parsing (RFC 3550 §6.1). Never throws; the number of packets and report blocks
 * is bounded by the input length (every element consumes at least 4 bytes).
 */
import { fail, ok, type ParseResult } from '../errors.ts';
import { readU32 } from '../rtp/packet.ts';
import {
  RTCP_BYE, RTCP_PSFB, RTCP_RR, RTCP_RTPFB, RTCP_SDES, RTCP_SR, RTCP_XR, XR_DLRR, XR_RRTR,
  type Bye, type ExtendedReport, type XrBlock, type ReportBlock, type RtcpPacket, type Sdes,
} from './types.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Parses a compound RTCP packet into its parts. A structurally broken element makes the whole
 * datagram an error (RFC 3550 §A.2 validity checks: version 2, lengths add up to the datagram).
 */
export function parseRtcp(buf: Uint8Array): ParseResult<RtcpPacket[]> {
  const out: RtcpPacket[] = [];
  let off = 0;
  const n = buf.length;
  if (n < 4) return fail('TRUNCATED', `RTCP datagram of ${n} bytes`);
  while (off < n) {
    if (off + 4 > n) return fail('TRUNCATED', `trailing ${n - off} bytes after RTCP packet`);
    const b0 = buf[off]!;
    if (b0 >> 6 !== 2) return fail('BAD_VERSION', `RTCP version ${b0 >> 6} at offset ${off}`);
    const count = b0 & 0x1f;
    const pt = buf[off + 1]!;
    const len = (((buf[off + 2]! << 8) | buf[off + 3]!) + 1) * 4;
    if (off + len > n) return fail('BAD_LENGTH', `RTCP packet type ${pt} of ${len} bytes overruns the datagram`);
    let end = off + len;
    if (b0 & 0x20) {
      // Padding is only legal on the last packet of a compound (RFC 3550 §6.4.1).
      const pad = buf[end - 1]!;
      if (end !== n || pad === 0 || pad > len - 4) return fail('BAD_PADDING', `RTCP padding ${pad} invalid`);
      end -= pad;
    }
    const body = buf.subarray(off + 4, end);
    const r = parseOne(pt, count, body);
    if (!r.ok) return r;
    out.push(r.value);
    off += len;
  }
  return ok(out);
}

function parseOne(pt: number, count: number, body: Uint8Array): ParseResult<RtcpPacket> {
  switch (pt) {
    case RTCP_SR: {
      if (body.length < 24 + count * 24) return fail('TRUNCATED', `SR with ${count} blocks needs ${24 + count * 24} bytes`);
      return ok({
        type: 'sr',
        ssrc: readU32(body, 0),
        ntpSec: readU32(body, 4),
        ntpFrac: readU32(body, 8),
        rtpTimestamp: readU32(body, 12),
        packetCount: readU32(body, 16),
        octetCount: readU32(body, 20),
        reports: readBlocks(body, 24, count),
      });
    }
    case RTCP_RR:
      if (body.length < 4 + count * 24) return fail('TRUNCATED', `RR with ${count} blocks needs ${4 + count * 24} bytes`);
      return ok({ type: 'rr', ssrc: readU32(body, 0), reports: readBlocks(body, 4, count) });
    case RTCP_SDES:
      return parseSdes(body, count);
    case RTCP_BYE:
      return parseBye(body, count);
    case RTCP_PSFB:
      if (count === 1) {
        if (body.length < 8) return fail('TRUNCATED', 'PLI needs 8 bytes');
        return ok({ type: 'pli', senderSsrc: readU32(body, 0), mediaSsrc: readU32(body, 4) });
      }
      if (count === 4) {
        if (body.length < 8 || (body.length - 8) % 8 !== 0) return fail('BAD_LENGTH', 'FIR FCI must be 8-byte entries');
        const entries: { ssrc: number; seq: number }[] = [];
        for (let o = 8; o + 8 <= body.length; o += 8) entries.push({ ssrc: readU32(body, o), seq: body[o + 4]! });
        return ok({ type: 'fir', senderSsrc: readU32(body, 0), entries });
      }
      break;
    case RTCP_RTPFB:
      if (count === 1) {
        if (body.length < 8 || (body.length - 8) % 4 !== 0) return fail('BAD_LENGTH', 'NACK FCI must be 4-byte entries');
        const entries: { pid: number; blp: number }[] = [];
        for (let o = 8; o + 4 <= body.length; o += 4) entries.push({ pid: (body[o]! << 8) | body[o + 1]!, blp: (body[o + 2]! << 8) | body[o + 3]! });
        return ok({ type: 'nack', senderSsrc: readU32(body, 0), mediaSsrc: readU32(body, 4), entries });
      }
      break;
    case RTCP_XR:
      return parseXr(body);
  }
  return ok({ type: 'unknown', packetType: pt, count, body });
}

function readBlocks(b: Uint8Array, start: number, count: number): ReportBlock[] {
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = start + i * 24;
    const lost24 = (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
    out.push({
      ssrc: readU32(b, o),
      fractionLost: b[o + 4]!,
      cumulativeLost: (lost24 << 8) >> 8, // sign-extend 24 bits
      highestSeq: readU32(b, o + 8),
      jitter: readU32(b, o + 12),
      lsr: readU32(b, o + 16),
      dlsr: readU32(b, o + 20),
    });
  }
  return out;
}

function parseSdes(body: Uint8Array, count: number): ParseResult<Sdes> {
  const chunks: Sdes['chunks'] = [];
  let o = 0;
  for (let c = 0; c < count; c++) {
    if (o + 4 > body.length) return fail('TRUNCATED', `SDES chunk ${c} missing`);
    const ssrc = readU32(body, o);
    o += 4;
    const items: { type: number; text: string }[] = [];
    for (;;) {
      if (o >= body.length) return fail('TRUNCATED', 'SDES chunk without terminating null item');
      const type = body[o]!;
      if (type === 0) {
        o = (o + 4) & ~3; // skip the null item and pad to the next 32-bit boundary
        break;
      }
      if (o + 2 > body.length) return fail('TRUNCATED', 'SDES item header cut');
      const len = body[o + 1]!;
      if (o + 2 + len > body.length) return fail('BAD_LENGTH', `SDES item of ${len} bytes overruns`);
      items.push({ type, text: utf8.decode(body.subarray(o + 2, o + 2 + len)) });
      o += 2 + len;
    }
    chunks.push({ ssrc, items });
  }
  return ok({ type: 'sdes', chunks });
}

function parseBye(body: Uint8Array, count: number): ParseResult<Bye> {
  if (body.length < count * 4) return fail('TRUNCATED', `BYE with ${count} sources needs ${count * 4} bytes`);
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++) ssrcs.push(readU32(body, i * 4));
  const o = count * 4;
  if (o < body.length) {
    const len = body[o]!;
    if (o + 1 + len > body.length) return fail('BAD_LENGTH', 'BYE reason overruns');
    return ok({ type: 'bye', ssrcs, reason: utf8.decode(body.subarray(o + 1, o + 1 + len)) });
  }
  return ok({ type: 'bye', ssrcs });
}

/**
 * Extended report (RFC 3611 §2–§4): SSRC, then blocks of `BT, type-specific, block length` with
 * the length in 32-bit words after the block header. Unknown block types are kept raw; a block
 * that overruns the packet, an RRTR that is not 2 words or a DLRR that is not a multiple of 3
 * words is an error.
 */
function parseXr(body: Uint8Array): ParseResult<ExtendedReport> {
  if (body.length < 4) return fail('TRUNCATED', 'XR needs a 4-byte SSRC');
  const blocks: XrBlock[] = [];
  let o = 4;
  while (o < body.length) {
    if (o + 4 > body.length) return fail('TRUNCATED', `XR block header cut at offset ${o}`);
    const bt = body[o]!;
    const ts = body[o + 1]!;
    const words = (body[o + 2]! << 8) | body[o + 3]!;
    const end = o + 4 + words * 4;
    if (end > body.length) return fail('BAD_LENGTH', `XR block type ${bt} of ${words} words overruns the packet`);
    if (bt === XR_RRTR) {
      if (words !== 2) return fail('BAD_LENGTH', `XR RRTR block must be 2 words, got ${words}`);
      blocks.push({ bt: XR_RRTR, ntpSec: readU32(body, o + 4), ntpFrac: readU32(body, o + 8) });
    } else if (bt === XR_DLRR) {
      if (words % 3 !== 0) return fail('BAD_LENGTH', `XR DLRR block of ${words} words is not a multiple of 3`);
      const items = [];
      for (let i = o + 4; i < end; i += 12) items.push({ ssrc: readU32(body, i), lrr: readU32(body, i + 4), dlrr: readU32(body, i + 8) });
      blocks.push({ bt: XR_DLRR, items });
    } else {
      blocks.push({ bt, typeSpecific: ts, body: body.subarray(o + 4, end) });
    }
    o = end;
  }
  return ok({ type: 'xr', ssrc: readU32(body, 0), blocks });
}
