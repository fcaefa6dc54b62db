/**
 * RtspTransport's timers against a scripted RTSP server (hand-written answers): with
 * `Session: …;timeout=2` the client must send a keep-alive (GET_PARAMETER, listed in Public)
 * every second, and TEARDOWN with the session id on close; a server that never answers PLAY
 * runs into the handshake deadline.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { RtspTransport } from '../../src/media/transport/index.ts';
import { sleep } from './peer.ts';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n';

interface Seen {
  method: string;
  at: number;
  headers: string;
}

/** Answers every request; PLAY only when `answerPlay`. */
async function scripted(answerPlay: boolean): Promise<{ server: Server; port: number; seen: Seen[]; conns: Socket[] }> {
  const seen: Seen[] = [];
  const conns: Socket[] = [];
  const server = createServer((s) => {
    conns.push(s);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const method = head.split(' ')[0]!;
        const cseq = /CSeq: (\d+)/i.exec(head)?.[1] ?? '0';
        seen.push({ method, at: performance.now(), headers: head });
        let extra = '';
        let body = '';
        if (method === 'OPTIONS') extra = 'Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN\r\n';
        if (method === 'DESCRIBE') {
          body = SDP;
          extra = `Content-Type: application/sdp\r\nContent-Base: rtsp://127.0.0.1/cam/\r\nContent-Length: ${body.length}\r\n`;
        }
        if (method === 'SETUP') extra = 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nSession: 12345678;timeout=2\r\n';
        if (method === 'PLAY' && !answerPlay) continue;
        if (method !== 'DESCRIBE' && method !== 'OPTIONS') extra += 'Session: 12345678\r\n';
        s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\n${extra}\r\n${body}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port, seen, conns };
}

const handlers = { ready: () => undefined, rtp: () => undefined, rtcp: () => undefined, closed: () => undefined };

test('keep-alive every timeout/2 with GET_PARAMETER, TEARDOWN with the session on close', async (t) => {
  const s = await scripted(true);
  t.after(() => {
    s.conns.forEach((c) => c.destroy());
    s.server.close();
  });
  const tr = await RtspTransport.open({ url: `rtsp://u:p@127.0.0.1:${s.port}/cam`, transport: 'tcp' }, handlers);
  const playAt = s.seen.find((x) => x.method === 'PLAY')!.at;
  await sleep(2300);
  await tr.close();
  await tr.close();
  const methods = s.seen.map((x) => x.method);
  assert.deepEqual(methods.slice(0, 4), ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY']);
  const keep = s.seen.filter((x) => x.method === 'GET_PARAMETER');
  assert.ok(keep.length === 2, `${keep.length} keep-alives in 2.3 s with timeout=2`);
  assert.ok(keep[0]!.at - playAt >= 1000 - 5 && keep[0]!.at - playAt < 1800, `first keep-alive ${(keep[0]!.at - playAt).toFixed(0)} ms after PLAY`);
  assert.match(keep[0]!.headers, /Session: 12345678/);
  assert.equal(methods.at(-1), 'TEARDOWN');
  assert.match(s.seen.at(-1)!.headers, /^TEARDOWN rtsp:\/\/127\.0\.0\.1\/cam\/ RTSP\/1\.0[\s\S]*Session: 12345678/);
  assert.equal(tr.description, `rtsp://127.0.0.1:${s.port}/cam`);
});

test('a server that never answers PLAY: TRANSPORT_TIMEOUT after requestTimeoutMs', async (t) => {
  const s = await scripted(false);
  t.after(() => {
    s.conns.forEach((c) => c.destroy());
    s.server.close();
  });
  const t0 = performance.now();
  await assert.rejects(RtspTransport.open({ url: `rtsp://127.0.0.1:${s.port}/cam`, transport: 'tcp', requestTimeoutMs: 400 }, handlers), { code: 'TRANSPORT_TIMEOUT' });
  assert.ok(performance.now() - t0 >= 400 - 5);
});
