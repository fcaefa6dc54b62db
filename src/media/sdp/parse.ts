/**
 * SDP parser (RFC 8866 grammar, lenient where cameras are sloppy): accepts `\n` or `\r\n`,
 * ignores unknown line types, rejects input beyond fixed bounds. Never throws.
 */
import { fail, ok, type ParseResult } from '../errors.ts';
import type { MediaClock, RefClock, SdpAttribute, SdpConnection, SdpMedia, SessionDescription } from './types.ts';

/** Bounds on hostile input. */
export const SDP_MAX_BYTES = 65536;
export const SDP_MAX_LINES = 2048;
export const SDP_MAX_MEDIA = 64;
export const SDP_MAX_FORMATS = 128;

export function parseSdp(input: string | Uint8Array): ParseResult<SessionDescription> {
  if (input.length > SDP_MAX_BYTES) return fail('TOO_LARGE', `SDP of ${input.length} bytes exceeds ${SDP_MAX_BYTES}`);
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input);
  const lines = text.split('\n');
  if (lines.length > SDP_MAX_LINES) return fail('TOO_LARGE', `SDP of ${lines.length} lines exceeds ${SDP_MAX_LINES}`);
  const s: SessionDescription = {
    version: -1, origin: null, sessionName: '', connection: null, attributes: [], control: null,
    refclk: [], mediaclk: null, range: null, media: [],
  };
  let m: SdpMedia | null = null;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') continue;
    if (line.length < 2 || line[1] !== '=') return fail('BAD_SYNTAX', `SDP line ${i + 1} is not <type>=<value>`);
    const type = line[0]!;
    const value = line.slice(2);
    switch (type) {
      case 'v': {
        const v = Number(value.trim());
        if (!Number.isInteger(v)) return fail('BAD_SYNTAX', `SDP version "${value.slice(0, 20)}"`);
        s.version = v;
        break;
      }
      case 'o': {
        const f = value.trim().split(/\s+/);
        if (f.length < 6) return fail('BAD_SYNTAX', `SDP origin line ${i + 1} has ${f.length} fields`);
        s.origin = { username: f[0]!, sessionId: f[1]!, sessionVersion: f[2]!, netType: f[3]!, addrType: f[4]!, address: f[5]! };
        break;
      }
      case 's':
        s.sessionName = value;
        break;
      case 'c': {
        const c = parseConnection(value);
        if (!c) return fail('BAD_SYNTAX', `SDP connection line ${i + 1}`);
        if (m) m.connection = c;
        else s.connection = c;
        break;
      }
      case 'b': {
        const k = value.indexOf(':');
        const kbps = Number(value.slice(k + 1));
        if (m && k > 0 && Number.isFinite(kbps)) m.bandwidth.push({ type: value.slice(0, k), kbps });
        break;
      }
      case 'm': {
        if (s.media.length >= SDP_MAX_MEDIA) return fail('TOO_LARGE', `more than ${SDP_MAX_MEDIA} media sections`);
        const r = parseMediaLine(value);
        if (!r) return fail('BAD_SYNTAX', `SDP media line ${i + 1}`);
        m = r;
        s.media.push(m);
        break;
      }
      case 'a': {
        const k = value.indexOf(':');
        const attr: SdpAttribute = k < 0 ? { name: value, value: null } : { name: value.slice(0, k), value: value.slice(k + 1) };
        if (m) applyMediaAttribute(m, attr);
        else applySessionAttribute(s, attr);
        break;
      }
      default:
        break; // t=, r=, z=, k=, i=, u=, e=, p=: not needed for ingest
    }
  }
  if (s.version < 0) return fail('BAD_SYNTAX', 'SDP without v= line');
  return ok(s);
}

function parseConnection(value: string): SdpConnection | null {
  const f = value.trim().split(/\s+/);
  if (f.length < 3) return null;
  const [addr, ttl] = f[2]!.split('/');
  const c: SdpConnection = { netType: f[0]!, addrType: f[1]!, address: addr! };
  if (ttl !== undefined && /^\d+$/.test(ttl)) c.ttl = Number(ttl);
  return c;
}

function parseMediaLine(value: string): SdpMedia | null {
  const f = value.trim().split(/\s+/);
  if (f.length < 3) return null;
  const [p, cnt] = f[1]!.split('/');
  if (!/^\d{1,5}$/.test(p!) || Number(p) > 65535) return null;
  if (cnt !== undefined && !/^\d{1,5}$/.test(cnt)) return null;
  const formats = f.slice(3, 3 + SDP_MAX_FORMATS);
  const payloadTypes: number[] = [];
  for (const t of formats) if (/^\d{1,3}$/.test(t) && Number(t) <= 127) payloadTypes.push(Number(t));
  return {
    type: f[0]!, port: Number(p), portCount: cnt === undefined ? 1 : Number(cnt), protocol: f[2]!, formats, payloadTypes,
    connection: null, bandwidth: [], attributes: [], control: null, rtpmap: new Map(), fmtp: new Map(),
    direction: null, refclk: [], mediaclk: null, framerate: null,
  };
}

function applySessionAttribute(s: SessionDescription, a: SdpAttribute): void {
  if (s.attributes.length < SDP_MAX_LINES) s.attributes.push(a);
  if (a.name === 'control' && a.value !== null) s.control = a.value.trim();
  else if (a.name === 'range' && a.value !== null) s.range = a.value.trim();
  else if (a.name === 'ts-refclk' && a.value !== null) s.refclk.push(parseRefClock(a.value));
  else if (a.name === 'mediaclk' && a.value !== null) s.mediaclk = parseMediaClock(a.value);
}

function applyMediaAttribute(m: SdpMedia, a: SdpAttribute): void {
  m.attributes.push(a);
  const v = a.value?.trim() ?? null;
  switch (a.name) {
    case 'control':
      if (v !== null) m.control = v;
      break;
    case 'rtpmap': {
      // a=rtpmap:<pt> <encoding>/<clock>[/<channels>]
      const r = v === null ? null : /^(\d{1,3})\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(v);
      if (r && Number(r[1]) <= 127) {
        const pt = Number(r[1]);
        m.rtpmap.set(pt, { payloadType: pt, encoding: r[2]!, clockRate: Number(r[3]), ...(r[4] !== undefined ? { channels: Number(r[4]) } : {}) });
      }
      break;
    }
    case 'fmtp': {
      const r = v === null ? null : /^(\d{1,3})\s+(.*)$/.exec(v);
      if (r && Number(r[1]) <= 127) m.fmtp.set(Number(r[1]), parseFmtpParams(r[2]!));
      break;
    }
    case 'sendrecv': case 'sendonly': case 'recvonly': case 'inactive':
      m.direction = a.name;
      break;
    case 'ts-refclk':
      if (v !== null && m.refclk.length < 16) m.refclk.push(parseRefClock(v));
      break;
    case 'mediaclk':
      if (v !== null) m.mediaclk = parseMediaClock(v);
      break;
    case 'framerate': {
      const f = Number(v);
      if (v !== null && Number.isFinite(f) && f > 0) m.framerate = f;
      break;
    }
  }
}

/** `key=value;key2=value2` with names lower-cased; values keep '=' (base64 padding) intact. */
export function parseFmtpParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(';')) {
    const t = part.trim();
    if (t === '') continue;
    const k = t.indexOf('=');
    if (k < 0) out.set(t.toLowerCase(), '');
    else out.set(t.slice(0, k).trim().toLowerCase(), t.slice(k + 1).trim());
    if (out.size >= 64) break;
  }
  return out;
}

function parseRefClock(v: string): RefClock {
  const k = v.indexOf('=');
  return k < 0 ? { source: v.trim(), parameters: '' } : { source: v.slice(0, k).trim(), parameters: v.slice(k + 1).trim() };
}

function parseMediaClock(v: string): MediaClock {
  const t = v.trim();
  if (t === 'sender') return { kind: 'sender' };
  const r = /^direct=(\d+)(?:\s+rate=(\d+)\/(\d+))?/.exec(t);
  if (r) {
    const mc: MediaClock = { kind: 'direct', offset: Number(r[1]) };
    if (r[2] !== undefined && Number(r[3]) > 0) mc.rate = { num: Number(r[2]), den: Number(r[3]) };
    return mc;
  }
  return { kind: 'other', value: t };
}
