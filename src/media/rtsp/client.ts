/**
 * RTSP 1.0 client as a pure state machine (RFC 2326 §10): OPTIONS → DESCRIBE → SETUP (UDP or
 * TCP-interleaved) → PLAY, keep-alive, TEARDOWN, with Basic/Digest authentication retried once
 * per challenge and up to three redirects. It never touches a socket: it returns the bytes to
 * send and consumes parsed responses (from `RtspParser`). Credentials never leave this object
 * except inside Authorization headers; `redactedUrl` is the form for logs.
 */
import { randomBytes } from 'node:crypto';
import { MediaError } from '../errors.ts';
import { findVideoTrack, resolveControlUrl, type VideoTrack } from '../sdp/media.ts';
import { parseSdp } from '../sdp/parse.ts';
import type { SessionDescription } from '../sdp/types.ts';
import { authorizationFor, chooseChallenge, type AuthChallenge } from './auth.ts';
import { buildTransport, parseRtpInfo, parseSession, parseTransport, type TransportSpec } from './headers.ts';
import { serializeRtspRequest, type RtspMessage, type RtspResponse } from './message.ts';

export interface RtspClientOptions {
  /** `rtsp://[user[:password]@]host[:port]/path`; user info is removed from every request. */
  url: string;
  /** Override the URL's user info. */
  username?: string;
  password?: string;
  /** Lower transport for SETUP. */
  transport: 'udp' | 'tcp';
  /** UDP: local RTP and RTCP ports (required for 'udp'). */
  clientPorts?: [number, number];
  /** TCP: interleaved channels for RTP and RTCP. Default [0, 1]. */
  interleaved?: [number, number];
  /** Default "DroneVoxelServer". */
  userAgent?: string;
  /** Client nonce for Digest; default 8 random bytes as hex (inject for determinism). */
  cnonce?: () => string;
}

export type RtspClientState = 'idle' | 'options' | 'describe' | 'setup' | 'play' | 'playing' | 'teardown' | 'closed' | 'failed';

export interface RtspPlaySession {
  sdp: SessionDescription;
  track: VideoTrack;
  /** URL the track was set up with, and the aggregate URL used for PLAY. */
  controlUrl: string;
  playUrl: string;
  /** Transport as answered by the server (server ports, interleaved channels, SSRC). */
  transport: TransportSpec;
  sessionId: string;
  timeoutS: number;
  rtpInfo: { url: string; seq?: number; rtptime?: number }[];
}

export type RtspFailure = 'auth' | 'status' | 'sdp' | 'no-video' | 'transport' | 'redirects' | 'protocol';

export type RtspClientAction =
  | { kind: 'send'; method: string; bytes: Uint8Array }
  | { kind: 'ready'; session: RtspPlaySession }
  | { kind: 'failed'; reason: RtspFailure; status?: number; message: string }
  | { kind: 'closed' };

interface Pending {
  cseq: number;
  method: string;
  uri: string;
  extra: [string, string][];
  authRetried: boolean;
}

export class RtspClient {
  private url: string;
  private readonly username: string | null;
  private readonly password: string;
  private readonly opts: RtspClientOptions;
  private cseq = 0;
  private pending: Pending | null = null;
  private challenge: AuthChallenge | null = null;
  private nc = 0;
  private publicMethods: string[] = [];
  private redirects = 0;
  private sdp: SessionDescription | null = null;
  private track: VideoTrack | null = null;
  private controlUrl = '';
  private playUrl = '';
  private transport: TransportSpec | null = null;
  private sessionId: string | null = null;
  private timeoutS = 60;
  private keepAliveAt: number | null = null;
  private st: RtspClientState = 'idle';

  constructor(opts: RtspClientOptions) {
    const u = splitUrl(opts.url);
    if (!u) throw new MediaError('MEDIA_OPTIONS', 'RTSP url must be rtsp://host[:port]/path');
    if (opts.transport === 'udp' && !opts.clientPorts) throw new MediaError('MEDIA_OPTIONS', 'UDP transport needs clientPorts');
    this.opts = opts;
    this.url = u.url;
    this.username = opts.username ?? u.username;
    this.password = opts.password ?? u.password ?? '';
  }

  get state(): RtspClientState {
    return this.st;
  }

  /** The URL without credentials, for logs and API output. */
  get redactedUrl(): string {
    return this.url;
  }

  /** When `keepAlive` should next be called (ms, caller's clock), null when not playing. */
  get nextKeepAliveMs(): number | null {
    return this.keepAliveAt;
  }

  start(): RtspClientAction[] {
    if (this.st !== 'idle') return [];
    this.st = 'options';
    return [this.request('OPTIONS', this.url)];
  }

  /** Consumes one parsed message from the connection; returns what to do next. */
  onMessage(msg: RtspMessage, nowMs: number): RtspClientAction[] {
    if (msg.kind !== 'response') return []; // server-to-client requests are not needed for playback
    const p = this.pending;
    const cseq = Number(msg.headers.get('cseq'));
    if (!p || cseq !== p.cseq) return []; // stale or unsolicited
    this.pending = null;
    if (msg.status === 401) return this.onUnauthorized(msg, p);
    if (msg.status >= 300 && msg.status < 400 && this.st === 'describe') return this.onRedirect(msg);
    switch (this.st) {
      case 'options':
        if (msg.status === 200) this.publicMethods = (msg.headers.get('public') ?? '').split(',').map((s) => s.trim().toUpperCase());
        // Some cameras reject OPTIONS; DESCRIBE decides.
        this.st = 'describe';
        return [this.request('DESCRIBE', this.url, [['Accept', 'application/sdp']])];
      case 'describe':
        return msg.status === 200 ? this.onDescribe(msg) : this.fail('status', `DESCRIBE answered ${msg.status}`, msg.status);
      case 'setup':
        return msg.status === 200 ? this.onSetup(msg) : this.fail(msg.status === 461 ? 'transport' : 'status', `SETUP answered ${msg.status}`, msg.status);
      case 'play':
        if (msg.status !== 200) return this.fail('status', `PLAY answered ${msg.status}`, msg.status);
        this.st = 'playing';
        this.keepAliveAt = nowMs + (this.timeoutS * 1000) / 2;
        return [{ kind: 'ready', session: this.session(parseRtpInfo(msg.headers.get('rtp-info') ?? '')) }];
      case 'playing':
        this.keepAliveAt = nowMs + (this.timeoutS * 1000) / 2; // keep-alive answered (any status)
        return [];
      case 'teardown':
        this.st = 'closed';
        this.keepAliveAt = null;
        return [{ kind: 'closed' }];
      default:
        return [];
    }
  }

  /** Sends GET_PARAMETER (or OPTIONS when the server does not list it) when due. */
  keepAlive(nowMs: number): RtspClientAction[] {
    if (this.st !== 'playing' || this.keepAliveAt === null || nowMs < this.keepAliveAt || this.pending) return [];
    this.keepAliveAt = nowMs + (this.timeoutS * 1000) / 2;
    const method = this.publicMethods.includes('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
    return [this.request(method, this.playUrl, this.sessionHeader())];
  }

  teardown(): RtspClientAction[] {
    if (this.sessionId === null || this.st === 'closed' || this.st === 'teardown') {
      this.st = 'closed';
      return [{ kind: 'closed' }];
    }
    this.st = 'teardown';
    this.keepAliveAt = null;
    return [this.request('TEARDOWN', this.playUrl || this.url, this.sessionHeader())];
  }

  private onUnauthorized(msg: RtspResponse, p: Pending): RtspClientAction[] {
    if (this.username === null) return this.fail('auth', 'server requires credentials, none configured', 401);
    if (p.authRetried) return this.fail('auth', 'credentials rejected', 401);
    const c = chooseChallenge(msg.headers.getAll('www-authenticate'));
    if (!c) return this.fail('auth', 'no supported authentication scheme offered', 401);
    this.challenge = c;
    this.nc = 0;
    return [this.request(p.method, p.uri, p.extra, true)];
  }

  private onRedirect(msg: RtspResponse): RtspClientAction[] {
    const loc = msg.headers.get('location');
    const u = loc ? splitUrl(loc) : null;
    if (!u || ++this.redirects > 3) return this.fail('redirects', 'redirect without usable Location or more than 3', msg.status);
    this.url = u.url;
    return [this.request('DESCRIBE', this.url, [['Accept', 'application/sdp']])];
  }

  private onDescribe(msg: RtspResponse): RtspClientAction[] {
    const r = parseSdp(msg.body);
    if (!r.ok) return this.fail('sdp', `SDP: ${r.error.message}`);
    const track = findVideoTrack(r.value);
    if (!track) return this.fail('no-video', 'no H.264, H.265 or JPEG video in the SDP');
    this.sdp = r.value;
    this.track = track;
    const base = msg.headers.get('content-base') ?? msg.headers.get('content-location') ?? this.url;
    this.controlUrl = resolveControlUrl(base, track.media.control);
    this.playUrl = resolveControlUrl(base, r.value.control);
    const spec: TransportSpec = this.opts.transport === 'tcp'
      ? { protocol: 'RTP/AVP/TCP', lowerTransport: 'TCP', unicast: true, interleaved: this.opts.interleaved ?? [0, 1] }
      : { protocol: 'RTP/AVP', lowerTransport: 'UDP', unicast: true, clientPort: this.opts.clientPorts! };
    this.st = 'setup';
    return [this.request('SETUP', this.controlUrl, [['Transport', buildTransport(spec)]])];
  }

  private onSetup(msg: RtspResponse): RtspClientAction[] {
    const t = parseTransport(msg.headers.get('transport') ?? '')[0];
    const s = msg.headers.get('session');
    if (!t || !s) return this.fail('transport', 'SETUP answer without Transport or Session');
    if (this.opts.transport === 'tcp' && t.lowerTransport !== 'TCP') return this.fail('transport', 'asked for TCP, server answered UDP');
    if (this.opts.transport === 'tcp' && !t.interleaved) t.interleaved = this.opts.interleaved ?? [0, 1];
    const sess = parseSession(s);
    this.sessionId = sess.id;
    this.timeoutS = sess.timeoutS;
    this.transport = t;
    this.st = 'play';
    return [this.request('PLAY', this.playUrl, [...this.sessionHeader(), ['Range', 'npt=0.000-']])];
  }

  private session(rtpInfo: RtspPlaySession['rtpInfo']): RtspPlaySession {
    return {
      sdp: this.sdp!, track: this.track!, controlUrl: this.controlUrl, playUrl: this.playUrl, transport: this.transport!,
      sessionId: this.sessionId!, timeoutS: this.timeoutS, rtpInfo,
    };
  }

  private sessionHeader(): [string, string][] {
    return this.sessionId === null ? [] : [['Session', this.sessionId]];
  }

  private request(method: string, uri: string, extra: [string, string][] = [], authRetried = false): RtspClientAction {
    // URLs and header values can come from the server (Location, Content-Base, SDP control,
    // Session): refuse what cannot be sent rather than throw or inject header lines.
    if (/[\s\x00-\x1f\x7f]/.test(uri) || extra.some(([, v]) => /[\r\n\x00]/.test(v))) {
      return this.fail('protocol', `server-provided URL or header value is not sendable (${method})`)[0]!;
    }
    const cseq = ++this.cseq;
    const headers: [string, string][] = [['CSeq', String(cseq)], ['User-Agent', this.opts.userAgent ?? 'DroneVoxelServer'], ...extra];
    if (this.challenge && this.username !== null) {
      headers.push(['Authorization', authorizationFor(this.challenge, {
        username: this.username, password: this.password, method, uri, nc: ++this.nc,
        cnonce: (this.opts.cnonce ?? (() => randomBytes(8).toString('hex')))(),
      })]);
    }
    this.pending = { cseq, method, uri, extra, authRetried };
    return { kind: 'send', method, bytes: serializeRtspRequest({ method, uri, headers }) };
  }

  private fail(reason: RtspFailure, message: string, status?: number): RtspClientAction[] {
    this.st = 'failed';
    this.keepAliveAt = null;
    return [{ kind: 'failed', reason, message, ...(status !== undefined ? { status } : {}) }];
  }
}

/** Splits user info off an rtsp:// URL. Null when it is not one. */
export function splitUrl(raw: string): { url: string; username: string | null; password: string | null } | null {
  const t = raw.trim();
  if (/[\s\x00-\x1f\x7f]/.test(t)) return null;
  const m = /^(rtsps?):\/\/(?:([^@/]*)@)?([^/?#]+)([^#]*)$/i.exec(t);
  if (!m) return null;
  let username: string | null = null;
  let password: string | null = null;
  if (m[2] !== undefined) {
    const k = m[2].indexOf(':');
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s; // not percent-encoded as it should be: take it literally
      }
    };
    username = dec(k < 0 ? m[2] : m[2].slice(0, k));
    password = k < 0 ? null : dec(m[2].slice(k + 1));
  }
  return { url: `${m[1]!.toLowerCase()}://${m[3]}${m[4] || '/'}`, username, password };
}
