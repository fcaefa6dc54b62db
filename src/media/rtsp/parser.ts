/**
 * Incremental RTSP stream parser: requests, responses (bodies by Content-Length) and interleaved
 * binary frames (RFC 2326 §10.12) in any mix and any chunking. Memory is bounded: at most one
 * partial message of `maxHeaderBytes + maxBodyBytes` is buffered; anything larger is an error.
 * After an error the buffer is dropped; the transport should close the connection (there is no
 * reliable resynchronisation inside a TCP byte stream).
 */
import { checkRange, type ParseError } from '../errors.ts';
import { RtspHeaders, type RtspInterleaved, type RtspMessage } from './message.ts';

export interface RtspParserOptions {
  /** Largest start line + header block in bytes. Default 16384. */
  maxHeaderBytes?: number;
  /** Largest message body (SDP, parameters) in bytes. Default 262144. */
  maxBodyBytes?: number;
  /** Most header lines per message. Default 128. */
  maxHeaders?: number;
}

export type RtspEvent = RtspMessage | RtspInterleaved | { kind: 'error'; error: ParseError };

const latin1 = new TextDecoder('latin1');
const EMPTY = new Uint8Array(0);

export class RtspParser {
  private readonly maxHeader: number;
  private readonly maxBody: number;
  private readonly maxHeaders: number;
  private buf: Uint8Array = EMPTY;
  /** Parsed head waiting for its body. */
  private pending: { msg: RtspMessage; bodyLen: number } | null = null;

  constructor(opts: RtspParserOptions = {}) {
    this.maxHeader = checkRange('maxHeaderBytes', opts.maxHeaderBytes ?? 16384, 64, 1 << 20, true);
    this.maxBody = checkRange('maxBodyBytes', opts.maxBodyBytes ?? 262144, 0, 64 << 20, true);
    this.maxHeaders = checkRange('maxHeaders', opts.maxHeaders ?? 128, 1, 4096, true);
  }

  /** Bytes currently held for an incomplete message. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Feeds bytes; returns every complete message, frame or error found so far, in order. */
  push(chunk: Uint8Array): RtspEvent[] {
    const out: RtspEvent[] = [];
    let data: Uint8Array;
    if (this.buf.length === 0) data = chunk;
    else {
      data = new Uint8Array(this.buf.length + chunk.length);
      data.set(this.buf);
      data.set(chunk, this.buf.length);
    }
    let off = 0;
    const n = data.length;
    while (off < n) {
      if (this.pending) {
        const need = this.pending.bodyLen;
        if (n - off < need) break;
        this.pending.msg.body = data.slice(off, off + need);
        off += need;
        out.push(this.pending.msg);
        this.pending = null;
        continue;
      }
      const b = data[off]!;
      if (b === 0x24) {
        if (n - off < 4) break;
        const len = (data[off + 2]! << 8) | data[off + 3]!;
        if (n - off < 4 + len) break;
        out.push({ kind: 'interleaved', channel: data[off + 1]!, data: data.subarray(off + 4, off + 4 + len) });
        off += 4 + len;
        continue;
      }
      if (b === 0x0d || b === 0x0a) {
        off++; // stray line breaks between messages (RFC 2326 §4: tolerated)
        continue;
      }
      const end = findHeaderEnd(data, off, Math.min(n, off + this.maxHeader + 4));
      if (end < 0) {
        if (n - off > this.maxHeader) return this.failWith(out, 'TOO_LARGE', `RTSP header block exceeds ${this.maxHeader} bytes`);
        break;
      }
      const head = parseHead(latin1.decode(data.subarray(off, end.valueOf())), this.maxHeaders);
      if ('error' in head) return this.failWith(out, head.error.code, head.error.message);
      off = end + (data[end] === 0x0d ? 4 : 2);
      const cl = head.msg.headers.get('content-length');
      let bodyLen = 0;
      if (cl !== undefined) {
        if (!/^\s*\d{1,10}\s*$/.test(cl)) return this.failWith(out, 'BAD_SYNTAX', 'Content-Length is not a number');
        bodyLen = Number(cl);
        if (bodyLen > this.maxBody) return this.failWith(out, 'TOO_LARGE', `RTSP body of ${bodyLen} bytes exceeds ${this.maxBody}`);
      }
      if (bodyLen === 0) out.push(head.msg);
      else this.pending = { msg: head.msg, bodyLen };
    }
    // Keep the unconsumed tail (copied: the caller's chunk may be reused).
    this.buf = off >= n ? EMPTY : data.slice(off);
    return out;
  }

  /** Drops buffered state (e.g. after reconnecting). */
  reset(): void {
    this.buf = EMPTY;
    this.pending = null;
  }

  private failWith(out: RtspEvent[], code: ParseError['code'], message: string): RtspEvent[] {
    this.reset();
    out.push({ kind: 'error', error: { code, message } });
    return out;
  }
}

/** Index of the first CR LF CR LF (or LF LF) at or after `from`, below `limit`; −1 if none. */
function findHeaderEnd(d: Uint8Array, from: number, limit: number): number {
  for (let i = from; i < limit; i++) {
    if (d[i] !== 0x0a) continue;
    if (i + 1 < limit && d[i + 1] === 0x0a) return i; // bare LF LF
    if (i + 2 < limit && d[i + 1] === 0x0d && d[i + 2] === 0x0a && i >= 1 && d[i - 1] === 0x0d) return i - 1;
  }
  return -1;
}

function parseHead(text: string, maxHeaders: number): { msg: RtspMessage } | { error: ParseError } {
  const lines = text.split(/\r?\n/);
  const start = lines[0] ?? '';
  const headers = new RtspHeaders();
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l === '') continue;
    if ((l[0] === ' ' || l[0] === '\t') && headers.entries.length > 0) {
      const last = headers.entries[headers.entries.length - 1]!;
      last[1] = `${last[1]} ${l.trim()}`; // header folding (RFC 2616 §2.2 LWS)
      continue;
    }
    const k = l.indexOf(':');
    if (k <= 0) return { error: { code: 'BAD_SYNTAX', message: `RTSP header line without ':'` } };
    if (headers.entries.length >= maxHeaders) return { error: { code: 'TOO_LARGE', message: `more than ${maxHeaders} RTSP headers` } };
    headers.add(l.slice(0, k).trim(), l.slice(k + 1).trim());
  }
  const resp = /^(RTSP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(start);
  if (resp) return { msg: { kind: 'response', version: resp[1]!, status: Number(resp[2]), reason: resp[3] ?? '', headers, body: EMPTY } };
  const req = /^([A-Z_a-z-]{1,32}) (\S+) (RTSP\/\d\.\d)$/.exec(start);
  if (req) return { msg: { kind: 'request', method: req[1]!, uri: req[2]!, version: req[3]!, headers, body: EMPTY } };
  return { error: { code: 'BAD_SYNTAX', message: `RTSP start line not understood: "${start.slice(0, 40)}"` } };
}
