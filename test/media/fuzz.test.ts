/**
 * Fuzz: 100 000 random and mutated inputs each for the RTP, RTCP, RTSP and SDP parsers (and
 * mutated payloads for the depacketizers), fixed seed. Properties: never throws, and every
 * output is bounded by the input (no unbounded allocation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildRtcp, createH264Depacketizer, rtpPayloadBounds, createH265Depacketizer, createMjpegDepacketizer, parseRtcp, parseRtp, parseSdp,
  chooseChallenge, digestAuthorization, parseAuthenticate, parseRtpInfo, parseSession, parseTransport, Rfc4571Deframer, RtspClient,
  RtpReceiverCore, RtspParser, serializeInterleaved, serializeRtp, splitUrl, type RtcpPacket,
} from '../../src/media/index.ts';
import { Rng } from '../../src/util/rng.ts';

const N = 100_000;
const int = (r: Rng, n: number) => r.nextU32() % n;

function randomBytes(r: Rng, max: number): Uint8Array {
  const b = new Uint8Array(int(r, max + 1));
  for (let i = 0; i < b.length; i++) b[i] = r.nextU32() & 0xff;
  return b;
}

/** Bit flips, byte overwrites, truncation, extension, and enlarged length fields at `lengthAt`. */
function mutate(r: Rng, src: Uint8Array, lengthAt: readonly number[] = []): Uint8Array {
  let b = src.slice();
  const ops = 1 + int(r, 4);
  for (let k = 0; k < ops; k++) {
    switch (int(r, 6)) {
      case 0: if (b.length) { const i = int(r, b.length * 8); b[i >> 3]! ^= 1 << (i & 7); } break;
      case 1: if (b.length) b[int(r, b.length)] = r.nextU32() & 0xff; break;
      case 2: b = b.slice(0, int(r, b.length + 1)); break;
      case 3: { const e = randomBytes(r, 16); const c = new Uint8Array(b.length + e.length); c.set(b); c.set(e, b.length); b = c; break; }
      case 4: { const i = lengthAt[int(r, Math.max(1, lengthAt.length))] ?? 0; if (i + 1 < b.length) { b[i] = 0xff; b[i + 1] = r.nextU32() & 0xff; } break; }
      case 5: if (b.length) b[0] = (b[0]! & 0x3f) | 0x80; break; // keep version 2 so deeper code runs
    }
  }
  return b;
}

test(`RTP parser: ${N} random and mutated packets`, () => {
  const r = new Rng(0xa11ce);
  const bounds = new Int32Array(2);
  let ok = 0;
  for (let i = 0; i < N; i++) {
    let buf: Uint8Array;
    if (i % 4 === 0) buf = randomBytes(r, 64);
    else {
      const valid = serializeRtp({
        marker: (i & 1) === 1, payloadType: int(r, 128), sequenceNumber: int(r, 65536), timestamp: r.nextU32(), ssrc: r.nextU32(),
        csrc: Array.from({ length: int(r, 4) }, () => r.nextU32()),
        extension: int(r, 2) ? { profile: 0xbede, data: new Uint8Array(4 * int(r, 3)) } : null,
        payload: randomBytes(r, 40), paddingLength: int(r, 3) * int(r, 8),
      });
      buf = mutate(r, valid, [2, 12, 14]);
    }
    const res = parseRtp(buf);
    // The receiver's in-place header read must accept and bound exactly what the parser does.
    const inPlace = rtpPayloadBounds(buf, bounds);
    assert.equal(inPlace, res.ok);
    if (res.ok) {
      ok++;
      assert.ok(res.value.payload.length <= buf.length && res.value.csrc.length <= 15);
      assert.equal(res.value.payload.byteOffset - buf.byteOffset, bounds[0]);
      assert.equal(res.value.payload.length, bounds[1]! - bounds[0]!);
    }
  }
  assert.ok(ok > N / 10, `some inputs must parse (${ok})`);
});

test(`RTCP parser: ${N} random and mutated compound packets`, () => {
  const r = new Rng(0xbeef);
  const block = () => ({ ssrc: r.nextU32(), fractionLost: int(r, 256), cumulativeLost: int(r, 1000) - 500, highestSeq: r.nextU32(), jitter: r.nextU32(), lsr: r.nextU32(), dlsr: r.nextU32() });
  const samples: Uint8Array[] = [];
  for (let k = 0; k < 64; k++) {
    const pk: RtcpPacket[] = [
      { type: 'sr', ssrc: r.nextU32(), ntpSec: r.nextU32(), ntpFrac: r.nextU32(), rtpTimestamp: r.nextU32(), packetCount: r.nextU32(), octetCount: r.nextU32(), reports: Array.from({ length: int(r, 3) }, block) },
      { type: 'rr', ssrc: r.nextU32(), reports: Array.from({ length: int(r, 3) }, block) },
      { type: 'sdes', chunks: [{ ssrc: r.nextU32(), items: [{ type: 1, text: 'cam'.repeat(int(r, 5)) }] }] },
      { type: 'bye', ssrcs: [r.nextU32()], reason: 'x'.repeat(int(r, 9)) },
      { type: 'pli', senderSsrc: 1, mediaSsrc: 2 },
      { type: 'fir', senderSsrc: 1, entries: [{ ssrc: 3, seq: 4 }] },
      { type: 'nack', senderSsrc: 1, mediaSsrc: 2, entries: [{ pid: 5, blp: 6 }] },
      { type: 'xr', ssrc: 7, blocks: [{ bt: 4, ntpSec: r.nextU32(), ntpFrac: r.nextU32() }, { bt: 5, items: [{ ssrc: 8, lrr: r.nextU32(), dlrr: 9 }] }, { bt: 6, typeSpecific: 1, body: new Uint8Array(4 * int(r, 3)) }] },
    ];
    samples.push(buildRtcp(pk.filter(() => int(r, 2) === 0)));
  }
  let ok = 0;
  for (let i = 0; i < N; i++) {
    const src = samples[i % samples.length]!;
    const buf = i % 4 === 0 ? randomBytes(r, 96) : mutate(r, src, [2, 6, 30, 34]);
    const res = parseRtcp(buf);
    if (res.ok) {
      ok++;
      assert.ok(res.value.length <= buf.length / 4);
      let blocks = 0;
      for (const p of res.value) {
        if (p.type === 'sr' || p.type === 'rr') blocks += p.reports.length;
        if (p.type === 'xr') for (const b of p.blocks) if ('items' in b) blocks += b.items.length / 2; // 12-byte items
      }
      assert.ok(blocks * 24 <= buf.length);
    }
  }
  assert.ok(ok > N / 20, `some inputs must parse (${ok})`);
});

test(`RTSP parser: ${N} random and mutated streams in random chunks, memory bounded`, () => {
  const r = new Rng(0xc0ffee);
  const enc = new TextEncoder();
  const base = [
    enc.encode('RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: 12\r\nSession: 1234;timeout=60\r\n\r\nv=0\r\ns=x\r\n\r\n'),
    enc.encode('RTSP/1.0 401 Unauthorized\r\nCSeq: 3\r\nWWW-Authenticate: Digest realm="a", nonce="b"\r\n\r\n'),
    serializeInterleaved(0, Uint8Array.from([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x65])),
    enc.encode('OPTIONS rtsp://cam/ RTSP/1.0\r\nCSeq: 1\r\n\r\n'),
  ];
  const maxHeaderBytes = 512;
  const maxBodyBytes = 1024;
  const p = new RtspParser({ maxHeaderBytes, maxBodyBytes });
  let events = 0;
  for (let i = 0; i < N; i++) {
    const buf = i % 5 === 0 ? randomBytes(r, 80) : mutate(r, base[i % base.length]!, [2, 47]);
    // Hostile length fields: sometimes splice in a huge Content-Length.
    const data = i % 97 === 0 ? enc.encode('RTSP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n') : buf;
    let off = 0;
    while (off < data.length) {
      const step = 1 + int(r, 40);
      for (const e of p.push(data.subarray(off, off + step))) {
        events++;
        if (e.kind === 'interleaved') assert.ok(e.data.length <= 0xffff);
        if (e.kind === 'request' || e.kind === 'response') assert.ok(e.body.length <= maxBodyBytes && e.headers.entries.length <= 128);
      }
      off += step;
      assert.ok(p.buffered <= maxHeaderBytes + maxBodyBytes + 0xffff + 4, `buffered ${p.buffered}`);
    }
    if (i % 50 === 0) p.reset();
  }
  assert.ok(events > N / 10);
});

test(`SDP parser: ${N} random and mutated descriptions`, () => {
  const r = new Rng(0x5d9);
  const base = [
    'v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=cam', 'c=IN IP4 0.0.0.0', 't=0 0', 'a=control:*', 'a=ts-refclk:ptp=IEEE1588-2008:00-11-22-FF-FE-33-44-55:0',
    'm=video 0 RTP/AVP 96 26', 'b=AS:4000', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0IAKeKQFAe2AtwEBAaQeJEV,aM48gA==',
    'a=control:trackID=1', 'a=mediaclk:direct=1234 rate=1000/1001', 'a=framerate:30',
  ];
  const alphabet = 'vosctamb=:/ ;,\r\n0123456789-*RTPAVH';
  let ok = 0;
  for (let i = 0; i < N; i++) {
    let text: string;
    if (i % 5 === 0) {
      text = Array.from({ length: int(r, 120) }, () => alphabet[int(r, alphabet.length)]).join('');
    } else {
      const lines = base.slice();
      const ops = 1 + int(r, 3);
      for (let k = 0; k < ops; k++) {
        const j = int(r, lines.length);
        const l = lines[j]!;
        switch (int(r, 5)) {
          case 0: lines[j] = l.slice(0, int(r, l.length + 1)); break;
          case 1: { const c = int(r, l.length + 1); lines[j] = l.slice(0, c) + alphabet[int(r, alphabet.length)] + l.slice(c + 1); break; }
          case 2: lines.splice(j, 0, l, l); break;
          case 3: lines.splice(j, 1); break;
          case 4: lines[j] = `${l}${'9'.repeat(int(r, 30))}`; break;
        }
      }
      text = lines.join(int(r, 2) ? '\r\n' : '\n');
    }
    const res = parseSdp(text);
    if (res.ok) {
      ok++;
      assert.ok(res.value.media.length <= 64);
      for (const m of res.value.media) assert.ok(m.formats.length <= 128 && m.rtpmap.size <= 128);
    }
  }
  assert.ok(ok > N / 4, `some inputs must parse (${ok})`);
});

test('depacketizers: 30 000 mutated payload streams each, frames bounded by the bytes fed', () => {
  const r = new Rng(77);
  const seeds: Record<string, number[][]> = {
    h264: [[0x78, 0, 2, 0x67, 1, 0, 2, 0x68, 2], [0x7c, 0x85, 1, 2, 3], [0x7c, 0x05, 4], [0x7c, 0x45, 5], [0x65, 9, 9]],
    h265: [[0x60, 1, 0, 3, 0x40, 1, 0xaa], [0x62, 1, 0x93, 1], [0x62, 1, 0x13, 2], [0x62, 1, 0x53, 3], [0x26, 1, 7]],
    mjpeg: [[0, 0, 0, 0, 65, 255, 2, 2, 0, 4, 0xff, 0xff, 0, 0, 0, 64, ...Array(64).fill(3), 1, 2], [0, 0, 0, 70, 65, 255, 2, 2, 0, 4, 0xff, 0xff, 9]],
  };
  for (const codec of ['h264', 'h265', 'mjpeg'] as const) {
    const d = codec === 'h264' ? createH264Depacketizer({ maxFrameBytes: 4096 })
      : codec === 'h265' ? createH265Depacketizer({ maxFrameBytes: 4096, donl: false })
        : createMjpegDepacketizer({ maxFrameBytes: 4096 });
    let fed = 0;
    let seq = 0;
    for (let i = 0; i < 30_000; i++) {
      const s = seeds[codec]![i % seeds[codec]!.length]!;
      const payload = mutate(r, Uint8Array.from(s), [1, 2]);
      fed += payload.length;
      if (int(r, 10) === 0) seq++; // occasional gap
      for (const f of d.push({ sequenceNumber: seq++ & 0xffff, timestamp: (i >> 2) * 3000, marker: i % 4 === 3, payload })) {
        assert.ok(f.data.length <= 4096 + 2048, `${codec} frame of ${f.data.length} bytes`);
        fed = 0;
      }
    }
    assert.ok(fed < 1e6);
  }
});

test(`RFC 4571 deframer: ${N} random chunks, never more than one partial frame held`, () => {
  const r = new Rng(4571);
  const d = new Rfc4571Deframer();
  let fed = 0, out = 0;
  for (let i = 0; i < N; i++) {
    const chunk = randomBytes(r, 64);
    fed += chunk.length;
    for (const p of d.push(chunk)) out += p.length + 2;
    assert.ok(d.buffered <= 65537);
  }
  assert.equal(out + d.buffered + 2 * d.emptyFrames, fed, 'every byte is in a frame, an empty frame, or the partial one');
});

test(`RTSP header helpers and the client state machine: ${N} mutated header values, 20 000 scripted sessions`, () => {
  const r = new Rng(2326);
  const samples = [
    'RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D;mode="PLAY"', 'RTP/AVP/TCP;unicast;interleaved=0-1',
    '12345678;timeout=60', 'url=rtsp://cam/live/trackID=1;seq=9810;rtptime=3450012,url=rtsp://cam/a;seq=1',
    'Digest realm="cam", nonce="abc", qop="auth", algorithm=MD5, opaque="x\\"y"', 'Basic realm="x"', 'rtsp://u:p%41@cam:554/s?q=1',
  ];
  const enc = new TextEncoder();
  const dec = new TextDecoder('latin1');
  for (let i = 0; i < N; i++) {
    const v = dec.decode(mutate(r, enc.encode(samples[i % samples.length]!)));
    parseTransport(v);
    parseSession(v);
    parseRtpInfo(v);
    splitUrl(v);
    const c = parseAuthenticate(v);
    if (c) assert.ok(c.params.size <= 32);
    const ch = chooseChallenge([v]);
    if (ch && ch.scheme.toLowerCase() === 'digest') digestAuthorization({ username: 'u', password: 'p', method: 'DESCRIBE', uri: 'rtsp://x', challenge: ch, cnonce: 'c', nc: 1 });
  }
  const statuses = [200, 200, 200, 401, 302, 404, 461, 500];
  const headerPool: [string, string][] = [
    ['Public', 'OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER'], ['WWW-Authenticate', 'Digest realm="r", nonce="n"'], ['Location', 'rtsp://other/x'],
    ['Content-Base', 'rtsp://cam/s/'], ['Transport', 'RTP/AVP/TCP;unicast;interleaved=0-1'], ['Session', 'S1;timeout=10'], ['RTP-Info', 'url=rtsp://cam/s;seq=1'],
  ];
  const sdp = 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:t1\r\n';
  for (let i = 0; i < 20_000; i++) {
    const c = new RtspClient({ url: 'rtsp://u:p@cam/s', transport: i % 2 ? 'tcp' : 'udp', clientPorts: [5000, 5001], cnonce: () => 'c' });
    let actions = c.start();
    for (let step = 0; step < 8 && actions.some((a) => a.kind === 'send'); step++) {
      const sent = actions.find((a) => a.kind === 'send');
      const cseq = sent && sent.kind === 'send' ? /CSeq: (\d+)/.exec(dec.decode(sent.bytes))?.[1] ?? '0' : '0';
      const hs = headerPool.filter(() => int(r, 2) === 0).map(([k, v]) => `${k}: ${int(r, 4) === 0 ? dec.decode(mutate(r, enc.encode(v))).replace(/[\r\n]/g, '') : v}\r\n`).join('');
      const body = int(r, 2) ? dec.decode(mutate(r, enc.encode(sdp))) : sdp;
      const text = `RTSP/1.0 ${statuses[int(r, statuses.length)]} X\r\nCSeq: ${cseq}\r\n${hs}Content-Length: ${body.length}\r\n\r\n${body}`;
      actions = [];
      for (const e of new RtspParser().push(enc.encode(text))) if (e.kind === 'response') actions.push(...c.onMessage(e, step * 1000));
      actions.push(...c.keepAlive(step * 100_000));
    }
    c.teardown();
  }
});

test(`receiver core: ${N} mutated datagrams with jumping sequence numbers and times, per codec`, () => {
  const r = new Rng(3550);
  for (const codec of ['h264', 'h265', 'mjpeg'] as const) {
    const rx = new RtpReceiverCore({ codec, jitterBufferMs: 50, jitterCapacity: 64, maxFrameBytes: 8192 });
    let now = 0, seq = 0;
    const payloads = [[0x7c, 0x85, 0x88, 1], [0x7c, 0x45, 2], [0x62, 1, 0x93, 0x80], [0, 0, 0, 0, 1, 255, 2, 2, 0, 0, 0, 64, ...Array(64).fill(2), 5]];
    for (let i = 0; i < N / 3; i++) {
      now += int(r, 20);
      seq = int(r, 50) === 0 ? int(r, 65536) : seq + 1 - int(r, 3);
      const valid = serializeRtp({ payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: (i >> 2) * 3000, ssrc: 7, marker: i % 4 === 3, payload: Uint8Array.from(payloads[i % payloads.length]!) });
      rx.pushRtp(int(r, 3) === 0 ? mutate(r, valid, [2, 12]) : valid, now);
      for (const f of rx.poll(now).frames) assert.ok(f.complete && f.data.length <= 8192 + 4096);
    }
    rx.buildReceiverReport(now);
    assert.equal(rx.counters.datagrams, Math.ceil(N / 3));
  }
});
