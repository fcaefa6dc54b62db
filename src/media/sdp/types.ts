/** Session Description Protocol shapes (RFC 8866), limited to what RTP/RTSP ingest needs. */

export interface SdpAttribute {
  name: string;
  /** Text after the first ':'; null for property attributes such as `a=recvonly`. */
  value: string | null;
}

export interface SdpConnection {
  netType: string;
  addrType: string;
  address: string;
  ttl?: number;
}

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

export interface RtpMap {
  payloadType: number;
  /** Encoding name as written (compare case-insensitively). */
  encoding: string;
  clockRate: number;
  channels?: number;
}

/** RFC 7273 §4.8 `a=ts-refclk`: the reference clock behind the media clock. */
export interface RefClock {
  /** `ntp`, `ptp`, `gps`, `gal`, `glonass`, `local`, `private` or another token. */
  source: string;
  /** Everything after `source=`, e.g. `IEEE1588-2008:39-A7-94-FF-FE-07-CB-D0:0` or `/traceable/`. */
  parameters: string;
}

/** RFC 7273 §5 `a=mediaclk`. */
export type MediaClock =
  | { kind: 'direct'; /** RTP timestamp at the reference clock's epoch. */ offset: number; rate?: { num: number; den: number } }
  | { kind: 'sender' }
  | { kind: 'other'; value: string };

export interface SdpMedia {
  type: string;
  port: number;
  portCount: number;
  protocol: string;
  /** Format tokens as written on the m= line. */
  formats: string[];
  /** Numeric payload types among `formats`. */
  payloadTypes: number[];
  connection: SdpConnection | null;
  bandwidth: { type: string; kbps: number }[];
  attributes: SdpAttribute[];
  /** `a=control` of this media section, if any. */
  control: string | null;
  rtpmap: Map<number, RtpMap>;
  /** Parameters per payload type; names lower-cased, values as written. */
  fmtp: Map<number, Map<string, string>>;
  /** `sendrecv`, `sendonly`, `recvonly`, `inactive`, or null when absent (session default). */
  direction: string | null;
  refclk: RefClock[];
  mediaclk: MediaClock | null;
  /** `a=framerate`, when present and numeric. */
  framerate: number | null;
}

export interface SessionDescription {
  version: number;
  origin: SdpOrigin | null;
  sessionName: string;
  connection: SdpConnection | null;
  attributes: SdpAttribute[];
  control: string | null;
  refclk: RefClock[];
  mediaclk: MediaClock | null;
  /** `a=range`, e.g. `npt=0-`. */
  range: string | null;
  media: SdpMedia[];
}
