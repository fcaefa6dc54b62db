/**
 * RTSP authentication: challenge parsing and Authorization header builders for Basic
 * (RFC 7617) and Digest with MD5 / MD5-sess (RFC 2617, RFC 7616 §3.4). Pure: the client nonce
 * and nonce count are supplied by the caller.
 */
import { createHash } from 'node:crypto';

export interface AuthChallenge {
  /** Scheme as written (`Basic`, `Digest`, …). */
  scheme: string;
  /** Parameters with lower-cased names and unquoted values. */
  params: Map<string, string>;
}

/** Parses one WWW-Authenticate value (one challenge). Null when it is not `scheme params`. */
export function parseAuthenticate(value: string): AuthChallenge | null {
  const m = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(value);
  if (!m) return null;
  const params = new Map<string, string>();
  const rest = m[2]!;
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/gy;
  let r: RegExpExecArray | null;
  while ((r = re.exec(rest)) !== null && params.size < 32) {
    if (r[0] === '') break;
    params.set(r[1]!.toLowerCase(), r[2] !== undefined ? r[2].replace(/\\(.)/g, '$1') : (r[3] ?? ''));
  }
  return { scheme: m[1]!, params };
}

/** Picks the strongest challenge this module supports: Digest (MD5) before Basic. */
export function chooseChallenge(values: readonly string[]): AuthChallenge | null {
  const cs = values.map(parseAuthenticate).filter((c): c is AuthChallenge => c !== null);
  const digest = cs.find((c) => c.scheme.toLowerCase() === 'digest' && /^(md5(-sess)?)?$/i.test(c.params.get('algorithm') ?? ''));
  return digest ?? cs.find((c) => c.scheme.toLowerCase() === 'basic') ?? null;
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export interface DigestInput {
  username: string;
  password: string;
  method: string;
  /** The request URI exactly as sent on the request line. */
  uri: string;
  challenge: AuthChallenge;
  /** Client nonce (required when the challenge offers qop=auth). */
  cnonce?: string;
  /** Nonce count, 1 for the first request with this nonce. */
  nc?: number;
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');
const q = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/** Authorization header value for a Digest challenge (RFC 2617 §3.2.2). */
export function digestAuthorization(d: DigestInput): string {
  const p = d.challenge.params;
  const realm = p.get('realm') ?? '';
  const nonce = p.get('nonce') ?? '';
  const algorithm = p.get('algorithm');
  const opaque = p.get('opaque');
  const qopOffered = (p.get('qop') ?? '').split(',').map((s) => s.trim().toLowerCase());
  const qop = qopOffered.includes('auth') ? 'auth' : null;
  const cnonce = d.cnonce ?? '';
  const nc = (d.nc ?? 1).toString(16).padStart(8, '0');
  let ha1 = md5(`${d.username}:${realm}:${d.password}`);
  if (algorithm && algorithm.toLowerCase() === 'md5-sess') ha1 = md5(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = md5(`${d.method}:${d.uri}`);
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const parts = [`username=${q(d.username)}`, `realm=${q(realm)}`, `nonce=${q(nonce)}`, `uri=${q(d.uri)}`, `response=${q(response)}`];
  if (algorithm) parts.push(`algorithm=${algorithm}`);
  if (opaque !== undefined) parts.push(`opaque=${q(opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${q(cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}

/** Authorization for whichever challenge `chooseChallenge` picked. */
export function authorizationFor(challenge: AuthChallenge, input: Omit<DigestInput, 'challenge'>): string {
  return challenge.scheme.toLowerCase() === 'basic'
    ? basicAuthorization(input.username, input.password)
    : digestAuthorization({ ...input, challenge });
}
