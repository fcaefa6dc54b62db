/**
 * Camera `source` strings: rtsp://…, rtsps://…, rtp://host:port (pushed RTP), file:PATH.
 * Parsing never throws; messages never contain credentials.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Protocol } from './schema.ts';
import { redactCredentials } from './redact.ts';

export type SourceScheme = 'rtsp' | 'rtsps' | 'rtp' | 'file';

export type ParsedSource =
  | { ok: true; scheme: 'rtsp' | 'rtsps'; host: string; port?: number }
  | { ok: true; scheme: 'rtp'; host: string; port: number }
  | { ok: true; scheme: 'file'; path: string }
  | { ok: false; message: string };

/** Protocols that make sense for each scheme; the first one is derived when `protocol` is absent. */
export const PROTOCOLS_BY_SCHEME: Readonly<Record<SourceScheme, readonly Protocol[]>> = {
  // RTSP negotiates the RTP transport: rtp_udp / rtp_tcp (interleaved) pick it (spec 4.1 example).
  rtsp: ['rtsp', 'rtp_udp', 'rtp_tcp'],
  rtsps: ['rtsp', 'rtp_tcp'],
  rtp: ['rtp_udp', 'rtp_tcp'],
  file: ['file'],
};

const EXPECTED = 'expected rtsp://…, rtsps://…, rtp://host:port or file:PATH';

export function parseSource(source: string): ParsedSource {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(source);
  if (!m || m[1] === undefined) return { ok: false, message: `source has no scheme (${EXPECTED})` };
  const scheme = m[1].toLowerCase();
  if (scheme === 'file') {
    if (source.startsWith('file://')) {
      try {
        return { ok: true, scheme: 'file', path: fileURLToPath(source) };
      } catch (err) {
        return { ok: false, message: `invalid file URL: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    const path = source.slice('file:'.length);
    return path === '' ? { ok: false, message: 'file: source needs a path (file:PATH)' } : { ok: true, scheme: 'file', path };
  }
  if (scheme !== 'rtsp' && scheme !== 'rtsps' && scheme !== 'rtp') {
    return { ok: false, message: `unknown source scheme '${scheme}:' (${EXPECTED})` };
  }
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return { ok: false, message: `invalid URL ${JSON.stringify(redactCredentials(source))}` };
  }
  // WHATWG URL leaves non-special schemes' host empty when '//' is missing.
  if (url.hostname === '') return { ok: false, message: `${scheme}:// source needs a host` };
  const port = url.port === '' ? undefined : Number(url.port);
  if (scheme === 'rtp') {
    if (port === undefined || port === 0) return { ok: false, message: 'rtp:// source needs a port (rtp://host:port)' };
    return { ok: true, scheme: 'rtp', host: url.hostname, port };
  }
  return { ok: true, scheme, host: url.hostname, ...(port !== undefined ? { port } : {}) };
}

/** The protocol implied by a source, or undefined when the source is invalid. */
export function deriveProtocol(source: string): Protocol | undefined {
  const p = parseSource(source);
  return p.ok ? PROTOCOLS_BY_SCHEME[p.scheme][0] : undefined;
}

/**
 * `file:` sources made absolute against `baseDir` (the config file's folder), as `file:/abs/path`;
 * other sources unchanged.
 */
export function resolveCameraSource(cam: { source?: string | undefined; rtsp?: string | undefined }, baseDir: string): string {
  const source = cam.source ?? cam.rtsp ?? '';
  const p = parseSource(source);
  if (!p.ok || p.scheme !== 'file') return source;
  return `file:${isAbsolute(p.path) ? p.path : resolve(baseDir, p.path)}`;
}
