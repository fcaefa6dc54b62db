/** RTSP 1.0 message shapes (RFC 2326 §6–7) and serialisation of requests. */

/** Header list keeping order and duplicates; names compared case-insensitively. */
export class RtspHeaders {
  readonly entries: [string, string][] = [];

  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (const [k, v] of this.entries) if (k.toLowerCase() === n) return v;
    return undefined;
  }

  getAll(name: string): string[] {
    const n = name.toLowerCase();
    const out: string[] = [];
    for (const [k, v] of this.entries) if (k.toLowerCase() === n) out.push(v);
    return out;
  }

  add(name: string, value: string): void {
    this.entries.push([name, value]);
  }
}

export interface RtspRequest {
  kind: 'request';
  method: string;
  uri: string;
  version: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

export interface RtspResponse {
  kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

/** An RTP/RTCP packet carried inside the RTSP TCP connection (RFC 2326 §10.12). */
export interface RtspInterleaved {
  kind: 'interleaved';
  channel: number;
  /** A view into the bytes given to `push`, valid as long as the caller keeps them unchanged. */
  data: Uint8Array;
}

export type RtspMessage = RtspRequest | RtspResponse;

export interface RtspRequestInit {
  method: string;
  uri: string;
  /** Header pairs in order; `CSeq` is the caller's (the state machine owns numbering). */
  headers: readonly (readonly [string, string])[];
  body?: Uint8Array | string;
}

const enc = new TextEncoder();

/** Serialises a request; adds Content-Length when a body is present. Rejects CR/LF in fields. */
export function serializeRtspRequest(r: RtspRequestInit): Uint8Array {
  const body = typeof r.body === 'string' ? enc.encode(r.body) : (r.body ?? new Uint8Array(0));
  const bad = /[\r\n]/;
  if (bad.test(r.method) || bad.test(r.uri) || /\s/.test(r.method)) throw new Error('RTSP method/URI must not contain whitespace or line breaks');
  let head = `${r.method} ${r.uri} RTSP/1.0\r\n`;
  for (const [k, v] of r.headers) {
    if (bad.test(k) || bad.test(v)) throw new Error(`RTSP header ${k} contains a line break`);
    head += `${k}: ${v}\r\n`;
  }
  if (body.length > 0) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const h = enc.encode(head);
  const out = new Uint8Array(h.length + body.length);
  out.set(h);
  out.set(body, h.length);
  return out;
}

/** Serialises an interleaved frame `$ channel length data`. */
export function serializeInterleaved(channel: number, data: Uint8Array): Uint8Array {
  if (data.length > 0xffff || channel < 0 || channel > 255) throw new Error('interleaved frame: channel 0..255, at most 65535 bytes');
  const out = new Uint8Array(4 + data.length);
  out[0] = 0x24;
  out[1] = channel;
  out[2] = data.length >>> 8;
  out[3] = data.length & 0xff;
  out.set(data, 4);
  return out;
}
