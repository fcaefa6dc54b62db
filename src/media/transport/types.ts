/** What every transport (UDP, RFC 4571 TCP, RTSP) offers to a live stream. */
import type { VideoTrack } from '../sdp/media.ts';
import type { TransportError } from './errors.ts';

export interface TransportReady {
  /** Video track negotiated by SDP (RTSP), null for pushed RTP (codec from configuration). */
  track: VideoTrack | null;
  /** Lower transport actually carrying RTP. */
  carrier: 'udp' | 'tcp' | 'rtsp-udp' | 'rtsp-tcp';
}

export interface TransportHandlers {
  /**
   * Called synchronously before the first RTP of a session (and again when an RTSP transport
   * falls back to TCP and starts a new session: the receiver should then start afresh).
   */
  ready(info: TransportReady): void;
  /** One RTP packet (a fresh buffer, may be kept). */
  rtp(data: Uint8Array, arrivalMs: number): void;
  rtcp(data: Uint8Array, arrivalMs: number): void;
  /** The transport ended on its own (peer closed, socket error). Never called after `close()`. */
  closed(error: TransportError): void;
}

export interface TransportCounters {
  /** RTP and RTCP packets handed on. */
  rtpPackets: number;
  rtcpPackets: number;
  /** Bytes of the packets handed on. */
  bytes: number;
  /** Datagrams/frames longer than max_packet_size, dropped. */
  oversize: number;
  /** Datagrams from an address outside the allow-list, dropped. */
  notAllowed: number;
  /** Datagrams from an allowed address that is not the sender in use, dropped. */
  unknownSource: number;
  /** RTCP packets we sent, and sends that failed. */
  rtcpSent: number;
  sendErrors: number;
}

export function newCounters(): TransportCounters {
  return { rtpPackets: 0, rtcpPackets: 0, bytes: 0, oversize: 0, notAllowed: 0, unknownSource: 0, rtcpSent: 0, sendErrors: 0 };
}

export interface RtpTransport {
  readonly kind: 'udp' | 'tcp' | 'rtsp';
  /** Source as text for logs and snapshots, never with credentials. */
  readonly description: string;
  readonly counters: Readonly<TransportCounters>;
  /** Sends one RTCP packet (RR, PLI, FIR) towards the sender; false when there is nowhere to send it yet. */
  sendRtcp(data: Uint8Array): boolean;
  /** Releases sockets and timers (RTSP: TEARDOWN first). Safe to call twice. */
  close(): Promise<void>;
}
