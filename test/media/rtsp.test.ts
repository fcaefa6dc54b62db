import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  basicAuthorization, buildTransport, RtspClient, splitUrl, type RtspClientAction, chooseChallenge, digestAuthorization, parseAuthenticate, parseRtpInfo, parseSession,
  parseTransport, RtspParser, serializeInterleaved, serializeRtspRequest, type RtspEvent,
} from '../../src/media/index.ts';

const enc = new TextEncoder();
const SDP = 'v=0\r\ns=x\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n';
const STREAM = new Uint8Array([
  ...enc.encode(`RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://cam/live/\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`),
  ...serializeInterleaved(0, Uint8Array.from([0x80, 96, 0, 1, 9, 9])),
  ...enc.encode('RTSP/1.0 401 Unauthorized\r\nCSeq: 3\r\nWWW-Authenticate: Basic realm="x"\r\nWWW-Authenticate: Digest realm="cam",\r\n nonce="abc"\r\n\r\n'),
  ...serializeInterleaved(1, Uint8Array.from([0x81, 200, 0, 0])),
  ...enc.encode('GET_PARAMETER rtsp://cam/live RTSP/1.0\r\nCSeq: 10\r\n\r\n'),
]);

function summary(events: RtspEvent[]): string[] {
  return events.map((e) => {
    switch (e.kind) {
      case 'response': return `resp ${e.status} cseq=${e.headers.get('cseq')} body=${new TextDecoder().decode(e.body)}`;
      case 'request': return `req ${e.method} ${e.uri} cseq=${e.headers.get('CSeq')}`;
      case 'interleaved': return `ch${e.channel} [${[...e.data].join(',')}]`;
      case 'error': return `error ${e.error.code}`;
    }
  });
}

const EXPECTED = [
  `resp 200 cseq=2 body=${SDP}`,
  'ch0 [128,96,0,1,9,9]',
  'resp 401 cseq=3 body=',
  'ch1 [129,200,0,0]',
  'req GET_PARAMETER rtsp://cam/live cseq=10',
];

test('responses with bodies, interleaved frames and server requests, in one chunk', () => {
  assert.deepEqual(summary(new RtspParser().push(STREAM)), EXPECTED);
});

test('the same stream split at every byte boundary yields the same events', () => {
  for (const step of [1, 2, 3, 7, 64]) {
    const p = new RtspParser();
    const ev: RtspEvent[] = [];
    for (let i = 0; i < STREAM.length; i += step) ev.push(...p.push(STREAM.slice(i, i + step)));
    assert.deepEqual(summary(ev), EXPECTED, `chunk size ${step}`);
    assert.equal(p.buffered, 0);
  }
});

test('folded header continues the previous one; both challenges kept; Digest chosen', () => {
  const ev = new RtspParser().push(STREAM).find((e) => e.kind === 'response' && e.status === 401);
  assert.ok(ev && ev.kind === 'response');
  const values = ev.headers.getAll('www-authenticate');
  assert.equal(values.length, 2);
  const c = chooseChallenge(values);
  assert.equal(c?.scheme, 'Digest');
  assert.equal(c?.params.get('nonce'), 'abc');
});

test('bounded: oversized header block, oversized body, bad Content-Length are errors', () => {
  const small = new RtspParser({ maxHeaderBytes: 64, maxBodyBytes: 10 });
  assert.deepEqual(summary(small.push(enc.encode(`RTSP/1.0 200 OK\r\nX: ${'a'.repeat(100)}`))), ['error TOO_LARGE']);
  assert.deepEqual(summary(small.push(enc.encode('RTSP/1.0 200 OK\r\nContent-Length: 11\r\n\r\n'))), ['error TOO_LARGE']);
  assert.deepEqual(summary(small.push(enc.encode('RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n'))), ['error BAD_SYNTAX']);
  assert.deepEqual(summary(small.push(enc.encode('HELLO\r\n\r\n'))), ['error BAD_SYNTAX']);
});

test('request serialisation', () => {
  const b = serializeRtspRequest({ method: 'SETUP', uri: 'rtsp://cam/live/trackID=1', headers: [['CSeq', '3'], ['Transport', 'RTP/AVP/TCP;unicast;interleaved=0-1']] });
  assert.equal(new TextDecoder().decode(b), 'SETUP rtsp://cam/live/trackID=1 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n');
  assert.throws(() => serializeRtspRequest({ method: 'OPTIONS', uri: 'rtsp://x', headers: [['X', 'a\r\nInjected: 1']] }));
});

test('Basic authorization: RFC 7617 §2 example', () => {
  assert.equal(basicAuthorization('Aladdin', 'open sesame'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
});

test('Digest authorization: RFC 2617 §3.5 example response', () => {
  const challenge = parseAuthenticate('Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')!;
  const h = digestAuthorization({ username: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', challenge, cnonce: '0a4f113b', nc: 1 });
  assert.match(h, /^Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="\/dir\/index.html", response="6629fae49393a05397450978507c4ef1"/);
  assert.match(h, /opaque="5ccc069c403ebaf9f0171e9517f40e41"/);
  assert.match(h, /qop=auth, nc=00000001, cnonce="0a4f113b"/);
});

test('Transport, Session and RTP-Info headers', () => {
  const [t] = parseTransport('RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D;mode="PLAY"');
  assert.deepEqual(t, { protocol: 'RTP/AVP', lowerTransport: 'UDP', unicast: true, clientPort: [5000, 5001], serverPort: [6970, 6971], ssrc: 0x1a2b3c4d, mode: 'PLAY' });
  const [tcp] = parseTransport('RTP/AVP/TCP;unicast;interleaved=2-3');
  assert.deepEqual(tcp?.interleaved, [2, 3]);
  assert.equal(tcp?.lowerTransport, 'TCP');
  assert.equal(buildTransport({ protocol: 'RTP/AVP', lowerTransport: 'UDP', unicast: true, clientPort: [5000, 5001] }), 'RTP/AVP;unicast;client_port=5000-5001');
  assert.deepEqual(parseSession('12345678;timeout=30'), { id: '12345678', timeoutS: 30 });
  assert.deepEqual(parseSession('abc'), { id: 'abc', timeoutS: 60 });
  assert.deepEqual(parseRtpInfo('url=rtsp://cam/live/trackID=1;seq=9810;rtptime=3450012'), [{ url: 'rtsp://cam/live/trackID=1', seq: 9810, rtptime: 3450012 }]);
});

// The client state machine against scripted server answers (the real server is in rtsp-peer.test.ts).
let lastCseq = 0;
const sentText = (a: RtspClientAction[]) => {
  const t = a.map((x) => (x.kind === 'send' ? new TextDecoder().decode(x.bytes) : x.kind)).join('');
  const m = /CSeq: (\d+)/.exec(t);
  if (m) lastCseq = Number(m[1]);
  return t;
};

function answer(client: RtspClient, status: number, headers: [string, string][] = [], body = ''): RtspClientAction[] {
  const last = lastCseq;
  const text = `RTSP/1.0 ${status} X\r\nCSeq: ${last}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}` +
    (body ? `Content-Length: ${body.length}\r\n` : '') + `\r\n${body}`;
  const ev = new RtspParser().push(enc.encode(text));
  assert.equal(ev.length, 1);
  const e = ev[0]!;
  assert.ok(e.kind === 'response');
  return client.onMessage(e, 0);
}

test('client: user info is split off and percent-decoded; requests carry the bare URL', () => {
  assert.deepEqual(splitUrl('rtsp://adm%40x:p%3Ass@cam.local:8554/ch1?x=1'), { url: 'rtsp://cam.local:8554/ch1?x=1', username: 'adm@x', password: 'p:ss' });
  assert.equal(splitUrl('http://x/'), null);
  const c = new RtspClient({ url: 'rtsp://u:p@cam/s', transport: 'tcp' });
  assert.equal(c.redactedUrl, 'rtsp://cam/s');
  assert.match(sentText(c.start()), /^OPTIONS rtsp:\/\/cam\/s RTSP\/1.0\r\nCSeq: 1\r\n/);
});

test('client: redirect on DESCRIBE is followed; 461 on SETUP reports a transport failure (caller falls back to TCP)', () => {
  const c = new RtspClient({ url: 'rtsp://cam/s', transport: 'udp', clientPorts: [5000, 5001] });
  sentText(c.start());
  assert.match(sentText(answer(c, 200, [['Public', 'OPTIONS, DESCRIBE, SETUP, PLAY']])), /^DESCRIBE rtsp:\/\/cam\/s /);
  assert.match(sentText(answer(c, 302, [['Location', 'rtsp://cam2/t']])), /^DESCRIBE rtsp:\/\/cam2\/t /);
  const setup = sentText(answer(c, 200, [['Content-Base', 'rtsp://cam2/t/']], 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n'));
  assert.match(setup, /^SETUP rtsp:\/\/cam2\/t\/track1 RTSP\/1.0[\s\S]*Transport: RTP\/AVP;unicast;client_port=5000-5001\r\n/);
  assert.deepEqual(answer(c, 461), [{ kind: 'failed', reason: 'transport', status: 461, message: 'SETUP answered 461' }]);
  assert.equal(c.state, 'failed');
});

test('client: PLAY gives a ready session; keep-alive every timeout/2 with GET_PARAMETER when offered', () => {
  const c = new RtspClient({ url: 'rtsp://cam/s', transport: 'tcp' });
  sentText(c.start());
  sentText(answer(c, 200, [['Public', 'OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN']]));
  sentText(answer(c, 200, [], 'v=0\r\nm=video 0 RTP/AVP 26\r\n'));
  const play = sentText(answer(c, 200, [['Transport', 'RTP/AVP/TCP;unicast;interleaved=0-1'], ['Session', 'ABC;timeout=20']]));
  assert.match(play, /^PLAY rtsp:\/\/cam\/s RTSP\/1.0[\s\S]*Session: ABC\r\nRange: npt=0.000-/);
  const ready = answer(c, 200, [['RTP-Info', 'url=rtsp://cam/s;seq=5;rtptime=77']]);
  assert.equal(ready[0]?.kind, 'ready');
  if (ready[0]?.kind === 'ready') {
    assert.equal(ready[0].session.track.codec, 'mjpeg');
    assert.deepEqual(ready[0].session.transport.interleaved, [0, 1]);
    assert.deepEqual(ready[0].session.rtpInfo, [{ url: 'rtsp://cam/s', seq: 5, rtptime: 77 }]);
  }
  assert.equal(c.nextKeepAliveMs, 10000);
  assert.deepEqual(c.keepAlive(9999), []);
  assert.match(sentText(c.keepAlive(10000)), /^GET_PARAMETER rtsp:\/\/cam\/s RTSP\/1.0[\s\S]*Session: ABC/);
});

test('client: hostile server values (URL with spaces) end the session with a failure, never an exception', () => {
  const c = new RtspClient({ url: 'rtsp://cam/s', transport: 'tcp' });
  sentText(c.start());
  sentText(answer(c, 200));
  const r = answer(c, 200, [['Content-Base', 'rtsp://cam/a b/']], 'v=0\r\nm=video 0 RTP/AVP 26\r\n');
  assert.equal(r[0]?.kind, 'failed');
  if (r[0]?.kind === 'failed') assert.equal(r[0].reason, 'protocol');
  assert.equal(splitUrl('rtsp://cam/a b'), null);
});
