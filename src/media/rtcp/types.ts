/** RTCP packet shapes (RFC 3550 §6.4–6.6, RFC 4585 §6.1–6.3, RFC 5104 §4.3.1). */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;
export const RTCP_RTPFB = 205;
export const RTCP_PSFB = 206;
export const RTCP_XR = 207;

/** RFC 3611 §4.4 Receiver Reference Time Report block type. */
export const XR_RRTR = 4;
/** RFC 3611 §4.5 DLRR report block type. */
export const XR_DLRR = 5;

/** One reception report block (RFC 3550 §6.4.1). */
export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, fixed point ×256 (0–255). */
  fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | max seq). */
  highestSeq: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received, 0 if none. */
  lsr: number;
  /** Delay since that SR in units of 1/65536 s. */
  dlsr: number;
}

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  /** NTP timestamp: whole seconds since 1900 and the 32-bit fraction. */
  ntpSec: number;
  ntpFrac: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
}

export interface SdesItem {
  /** 1 CNAME, 2 NAME, 3 EMAIL, 4 PHONE, 5 LOC, 6 TOOL, 7 NOTE, 8 PRIV. */
  type: number;
  text: string;
}

export interface Sdes {
  type: 'sdes';
  chunks: { ssrc: number; items: SdesItem[] }[];
}

export interface Bye {
  type: 'bye';
  ssrcs: number[];
  reason?: string;
}

/** Picture Loss Indication (RFC 4585 §6.3.1): PSFB with FMT 1. */
export interface Pli {
  type: 'pli';
  senderSsrc: number;
  mediaSsrc: number;
}

/** Full Intra Request (RFC 5104 §4.3.1): PSFB with FMT 4. */
export interface Fir {
  type: 'fir';
  senderSsrc: number;
  entries: { ssrc: number; seq: number }[];
}

/** Generic NACK (RFC 4585 §6.2.1): RTPFB with FMT 1; each entry a PID and a 16-bit BLP mask. */
export interface Nack {
  type: 'nack';
  senderSsrc: number;
  mediaSsrc: number;
  entries: { pid: number; blp: number }[];
}

/** Any other well-framed packet (APP, XR, other feedback): kept as raw body. */
export interface UnknownRtcp {
  type: 'unknown';
  packetType: number;
  /** The 5-bit count / FMT field. */
  count: number;
  /** Body after the 4-byte header (a view into the input). */
  body: Uint8Array;
}

/** RRTR (RFC 3611 §4.4): the receiver's NTP wall clock when it sent the XR. */
export interface XrRrtr {
  bt: 4;
  ntpSec: number;
  ntpFrac: number;
}

/** One DLRR sub-block (RFC 3611 §4.5): LRR = middle 32 bits of the RRTR, DLRR in 1/65536 s. */
export interface XrDlrrItem {
  ssrc: number;
  lrr: number;
  dlrr: number;
}

export interface XrDlrr {
  bt: 5;
  items: XrDlrrItem[];
}

/** Any other XR block type: skipped by the parser, kept raw (body after the 4-byte block header). */
export interface XrUnknownBlock {
  bt: number;
  typeSpecific: number;
  body: Uint8Array;
}

export type XrBlock = XrRrtr | XrDlrr | XrUnknownBlock;

/** Extended report (RFC 3611 §2): sender SSRC then report blocks. */
export interface ExtendedReport {
  type: 'xr';
  ssrc: number;
  blocks: XrBlock[];
}

export type RtcpPacket = SenderReport | ReceiverReport | Sdes | Bye | Pli | Fir | Nack | ExtendedReport | UnknownRtcp;
