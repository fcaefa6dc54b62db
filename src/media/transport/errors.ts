/** Faults of the live media layer (sockets, sessions, stream registry), with stable codes. */

export type TransportErrorCode =
  | 'TRANSPORT_BIND' // a local UDP/TCP port could not be bound
  | 'TRANSPORT_CONNECT' // the peer could not be reached or closed the connection
  | 'TRANSPORT_PORTS' // no free RTP/RTCP port pair left in rtp_port_range
  | 'TRANSPORT_CLOSED' // operation after close()
  | 'TRANSPORT_TIMEOUT' // the peer did not answer in time
  | 'RTSP_AUTH' // credentials missing or rejected
  | 'RTSP_STATUS' // the server answered an error status
  | 'RTSP_TRANSPORT' // the server refused the requested lower transport (461)
  | 'RTSP_PROTOCOL'; // SDP without usable video, bad message, redirects

export class TransportError extends Error {
  readonly code: TransportErrorCode;
  /** RTSP status when the server answered one. */
  readonly status: number | undefined;
  constructor(code: TransportErrorCode, message: string, status?: number) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
    this.status = status;
  }
}

/** A socket error as text without anything that could carry credentials (addresses only). */
export function socketMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const e = err as { code: string; address?: string; port?: number };
    return e.address !== undefined ? `${e.code} ${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : e.code;
  }
  return err instanceof Error ? err.message : String(err);
}
