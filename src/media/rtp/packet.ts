/**
 * RTP fixed header, CSRC list, header extension and padding (RFC 3550 §5.1, §5.3.1).
 * The payload is a view into the input buffer (no copy); callers that keep packets past the
 * lifetime of the receive buffer must copy it.
 */
import { fail, MediaError, ok, type ParseResult } from '../errors.ts';

export interface RtpHeaderExtension {
  /** 16-bit profile-defined identifier (0xBEDE for RFC 8285 one-byte headers). */
  readonly profile: number;
  /** Extension body, a multiple of 4 bytes. */
  readonly data: Uint8Array;
}

export interface RtpPacket {
  readonly padding: boolean;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrc: readonly number[];
  readonly extension: RtpHeaderExtension | null;
  /** Payload without padding. */
  readonly payload: Uint8Array;
  /** Number of padding bytes removed (0 when the P bit is clear). */
  readonly paddingLength: number;
}

export interface RtpPacketInit {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrc?: readonly number[];
  extension?: RtpHeaderExtension | null;
  payload: Uint8Array;
  /** Padding bytes to append (0–255); the last one carries the count. */
  paddingLength?: number;
}

const EMPTY: readonly number[] = Object.freeze([]);

/** Parses one RTP packet. Never throws; the result's payload is a subarray of `buf`. */
export function parseRtp(buf: Uint8Array): ParseResult<RtpPacket> {
  const n = buf.length;
  if (n < 12) return fail('TRUNCATED', `RTP packet of ${n} bytes is shorter than the 12-byte header`);
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return fail('BAD_VERSION', `RTP version ${b0 >> 6}, expected 2`);
  const padding = (b0 & 0x20) !== 0;
  const hasExt = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const b1 = buf[1]!;
  let off = 12 + cc * 4;
  if (off > n) return fail('TRUNCATED', `CSRC count ${cc} needs ${off} bytes, packet has ${n}`);
  let csrc: readonly number[] = EMPTY;
  if (cc > 0) {
    const list: number[] = new Array(cc);
    for (let i = 0; i < cc; i++) list[i] = readU32(buf, 12 + i * 4);
    csrc = list;
  }
  let extension: RtpHeaderExtension | null = null;
  if (hasExt) {
    if (off + 4 > n) return fail('TRUNCATED', 'header extension announced but missing');
    const profile = (buf[off]! << 8) | buf[off + 1]!;
    const len = ((buf[off + 2]! << 8) | buf[off + 3]!) * 4;
    if (off + 4 + len > n) return fail('BAD_LENGTH', `header extension of ${len} bytes overruns the packet`);
    extension = { profile, data: buf.subarray(off + 4, off + 4 + len) };
    off += 4 + len;
  }
  let end = n;
  let paddingLength = 0;
  if (padding) {
    paddingLength = buf[n - 1]!;
    // RFC 3550 §5.1: the last padding octet counts itself, so 0 is invalid.
    if (paddingLength === 0 || off + paddingLength > n) return fail('BAD_PADDING', `padding count ${paddingLength} invalid for ${n - off} payload bytes`);
    end = n - paddingLength;
  }
  return ok({
    padding,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: (buf[2]! << 8) | buf[3]!,
    timestamp: readU32(buf, 4),
    ssrc: readU32(buf, 8),
    csrc,
    extension,
    payload: buf.subarray(off, end),
    paddingLength,
  });
}

/**
 * Where the payload of an RTP packet lies, without building the packet: `out[0]` start and
 * `out[1]` end (padding removed). False exactly when `parseRtp` would fail. For receivers that
 * read the fixed header in place.
 */
export function rtpPayloadBounds(buf: Uint8Array, out: Int32Array): boolean {
  const n = buf.length;
  if (n < 12) return false;
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return false;
  let off = 12 + (b0 & 0x0f) * 4;
  if (off > n) return false;
  if (b0 & 0x10) {
    if (off + 4 > n) return false;
    off += 4 + ((buf[off + 2]! << 8) | buf[off + 3]!) * 4;
    if (off > n) return false;
  }
  let end = n;
  if (b0 & 0x20) {
    const pad = buf[n - 1]!;
    if (pad === 0 || off + pad > n) return false;
    end = n - pad;
  }
  out[0] = off;
  out[1] = end;
  return true;
}

/** Serialises an RTP packet into a new buffer. Throws MEDIA_ARGUMENT on out-of-range fields. */
export function serializeRtp(p: RtpPacketInit): Uint8Array {
  const csrc = p.csrc ?? EMPTY;
  const ext = p.extension ?? null;
  const pad = p.paddingLength ?? 0;
  if (csrc.length > 15) throw new MediaError('MEDIA_ARGUMENT', 'at most 15 CSRCs');
  if (!(p.payloadType >= 0 && p.payloadType <= 127)) throw new MediaError('MEDIA_ARGUMENT', 'payload type must be 0..127');
  if (!(pad >= 0 && pad <= 255)) throw new MediaError('MEDIA_ARGUMENT', 'padding must be 0..255');
  if (ext && (ext.data.length % 4 !== 0 || ext.data.length > 0x3fffc)) throw new MediaError('MEDIA_ARGUMENT', 'extension length must be a multiple of 4 below 256 KiB');
  const extLen = ext ? 4 + ext.data.length : 0;
  const len = 12 + csrc.length * 4 + extLen + p.payload.length + pad;
  const out = new Uint8Array(len);
  out[0] = 0x80 | (pad > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrc.length;
  out[1] = (p.marker ? 0x80 : 0) | p.payloadType;
  out[2] = (p.sequenceNumber >>> 8) & 0xff;
  out[3] = p.sequenceNumber & 0xff;
  writeU32(out, 4, p.timestamp);
  writeU32(out, 8, p.ssrc);
  let off = 12;
  for (const c of csrc) {
    writeU32(out, off, c);
    off += 4;
  }
  if (ext) {
    out[off] = ext.profile >>> 8;
    out[off + 1] = ext.profile & 0xff;
    const words = ext.data.length / 4;
    out[off + 2] = words >>> 8;
    out[off + 3] = words & 0xff;
    out.set(ext.data, off + 4);
    off += extLen;
  }
  out.set(p.payload, off);
  if (pad > 0) out[len - 1] = pad;
  return out;
}

/**
 * RTP/RTCP demultiplexing on one port (RFC 5761 §4): RTCP packet types 200–204 and 205–206
 * land in the second byte's 192–223 range, which RTP payload types (0–95 in practice) avoid.
 */
export function isRtcpPacket(buf: Uint8Array): boolean {
  if (buf.length < 2 || buf[0]! >> 6 !== 2) return false;
  const pt = buf[1]!;
  return pt >= 192 && pt <= 223;
}

export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
