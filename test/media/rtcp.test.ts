import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtcpPacketConverter, RtcpRrPacket, RtcpReceiverInfo } from 'werift-rtp';
import { buildRtcp, ntpFromUnixMs, ntpMiddle32, parseRtcp, roundTripFromMiddle32, unixMsFromNtp, type RtcpPacket } from '../../src/media/index.ts';

const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

test('compound SR + SDES + BYE written by hand parses into its parts (RFC 3550 §6.4.1, 6.5, 6.6)', () => {
  const block = [...u32(0xaabbccdd), 0x40, 0xff, 0xff, 0xfe /* fraction 64/256, lost −2 */, ...u32(0x0001_0010), ...u32(123), ...u32(0x11223344), ...u32(65536)];
  const sr = [0x81, 200, 0, 12, ...u32(0x01020304), ...u32(3913056000), ...u32(0x80000000), ...u32(90000), ...u32(10), ...u32(1000), ...block];
  // SDES: one chunk, CNAME "cam" (1,3,'c','a','m'), null, pad to 4 → 4 + 5 + 1 + 2 = 12 bytes → length 3.
  const sdes = [0x81, 202, 0, 3, ...u32(0x01020304), 1, 3, 0x63, 0x61, 0x6d, 0, 0, 0];
  // BYE with reason "bye" (length 3): 4 + 4 = 8 body bytes → length 2.
  const bye = [0x81, 203, 0, 2, ...u32(0x01020304), 3, 0x62, 0x79, 0x65];
  const r = parseRtcp(Uint8Array.from([...sr, ...sdes, ...bye]));
  assert.ok(r.ok, !r.ok ? r.error.message : '');
  const [a, b, c] = r.value;
  assert.deepEqual(a, {
    type: 'sr', ssrc: 0x01020304, ntpSec: 3913056000, ntpFrac: 0x80000000, rtpTimestamp: 90000, packetCount: 10, octetCount: 1000,
    reports: [{ ssrc: 0xaabbccdd, fractionLost: 64, cumulativeLost: -2, highestSeq: 0x10010, jitter: 123, lsr: 0x11223344, dlsr: 65536 }],
  });
  assert.deepEqual(b, { type: 'sdes', chunks: [{ ssrc: 0x01020304, items: [{ type: 1, text: 'cam' }] }] });
  assert.deepEqual(c, { type: 'bye', ssrcs: [0x01020304], reason: 'bye' });
  // And our builder reproduces the same bytes.
  assert.deepEqual([...buildRtcp(r.value)], [...sr, ...sdes, ...bye]);
});

test('PLI, FIR and NACK have the RFC 4585 / RFC 5104 layout', () => {
  const pkts: RtcpPacket[] = [
    { type: 'pli', senderSsrc: 1, mediaSsrc: 0xcafebabe },
    { type: 'fir', senderSsrc: 1, entries: [{ ssrc: 0xcafebabe, seq: 7 }] },
    { type: 'nack', senderSsrc: 1, mediaSsrc: 2, entries: [{ pid: 1000, blp: 0b101 }] },
  ];
  const bytes = [...buildRtcp(pkts)];
  assert.deepEqual(bytes.slice(0, 12), [0x81, 206, 0, 2, ...u32(1), ...u32(0xcafebabe)]);
  assert.deepEqual(bytes.slice(12, 32), [0x84, 206, 0, 4, ...u32(1), ...u32(0), ...u32(0xcafebabe), 7, 0, 0, 0]);
  assert.deepEqual(bytes.slice(32), [0x81, 205, 0, 3, ...u32(1), ...u32(2), 0x03, 0xe8, 0x00, 0x05]);
  const r = parseRtcp(Uint8Array.from(bytes));
  assert.ok(r.ok);
  assert.deepEqual(r.value, pkts);
});

test('werift-rtp reads our RR and PLI, and we read werift-rtp\'s RR', () => {
  const ours = buildRtcp([
    { type: 'rr', ssrc: 5, reports: [{ ssrc: 9, fractionLost: 12, cumulativeLost: 50, highestSeq: 70000, jitter: 900, lsr: 0x12345678, dlsr: 6553 }] },
    { type: 'pli', senderSsrc: 5, mediaSsrc: 9 },
  ]);
  const theirs = RtcpPacketConverter.deSerialize(Buffer.from(ours));
  assert.equal(theirs.length, 2);
  const rr = theirs[0] as RtcpRrPacket;
  assert.equal(rr.ssrc, 5);
  assert.deepEqual(rr.reports[0]!.toJSON(), { ssrc: 9, fractionLost: 12, packetsLost: 50, highestSequence: 70000, jitter: 900, lsr: 0x12345678, dlsr: 6553 });
  const w = new RtcpRrPacket({ ssrc: 77, reports: [new RtcpReceiverInfo({ ssrc: 3, fractionLost: 1, packetsLost: 2, highestSequence: 3, jitter: 4, lsr: 5, dlsr: 6 })] }).serialize();
  const back = parseRtcp(new Uint8Array(w));
  assert.ok(back.ok);
  assert.deepEqual(back.value[0], { type: 'rr', ssrc: 77, reports: [{ ssrc: 3, fractionLost: 1, cumulativeLost: 2, highestSeq: 3, jitter: 4, lsr: 5, dlsr: 6 }] });
});

test('structural errors: bad version, length overrun, padding not on the last packet, short SR', () => {
  const codes = (b: number[]) => {
    const r = parseRtcp(Uint8Array.from(b));
    return r.ok ? 'ok' : r.error.code;
  };
  assert.equal(codes([0x41, 201, 0, 1, 0, 0, 0, 1]), 'BAD_VERSION');
  assert.equal(codes([0x81, 201, 0, 9, 0, 0, 0, 1]), 'BAD_LENGTH');
  assert.equal(codes([0xa0, 201, 0, 1, 0, 0, 0, 4, 0x80, 201, 0, 1, 0, 0, 0, 1]), 'BAD_PADDING');
  assert.equal(codes([0x81, 200, 0, 1, 0, 0, 0, 1]), 'TRUNCATED');
  assert.equal(codes([0x80, 201, 0, 1, 0, 0, 0, 1, 0]), 'TRUNCATED');
  // Padding on the last packet is fine: RR with 4 padding bytes.
  assert.equal(codes([0xa0, 201, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4]), 'ok');
});

test('round-trip time: RFC 3550 Figure 2 example gives 6.125 s', () => {
  // A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s), DLSR = 0x0005:4000 (5.250 s).
  assert.equal(roundTripFromMiddle32(0xb7108000, 0xb7052000, 0x00054000), 6125);
});

test('NTP conversions: Unix epoch is NTP 2208988800 s; middle 32 bits', () => {
  assert.deepEqual(ntpFromUnixMs(0), { sec: 2208988800, frac: 0 });
  assert.deepEqual(ntpFromUnixMs(1500), { sec: 2208988801, frac: 0x80000000 });
  assert.equal(unixMsFromNtp(2208988801, 0x40000000), 1250);
  assert.equal(ntpMiddle32(0x0001b710, 0x80001234), 0xb7108000);
});

test('XR with RRTR and DLRR written by hand from RFC 3611 §4.4/§4.5 parses and rebuilds byte for byte', () => {
  // RFC 3611 §2: V=2, P=0, reserved=0, PT=207, length; SSRC of the XR's originator.
  // §4.4 RRTR: BT=4, reserved, block length=2, NTP msw, NTP lsw.
  const rrtr = [4, 0, 0, 2, ...u32(0xe8f3a000), ...u32(0x40000000)];
  // §4.5 DLRR: BT=5, reserved, block length=3·n, then (SSRC_i, LRR, DLRR) per receiver.
  const dlrr = [5, 0, 0, 6, ...u32(0x11111111), ...u32(0xa0004000), ...u32(0x00008000), ...u32(0x22222222), ...u32(0), ...u32(0)];
  // An unknown block type (BT=42, 1 word) to be skipped.
  const other = [42, 7, 0, 1, 1, 2, 3, 4];
  const body = [...u32(0xcafebabe), ...rrtr, ...dlrr, ...other];
  const xr = Uint8Array.from([0x80, 207, 0, body.length / 4, ...body]);
  const r = parseRtcp(xr);
  assert.ok(r.ok);
  const p = r.value[0]!;
  assert.equal(p.type, 'xr');
  if (p.type !== 'xr') return;
  assert.equal(p.ssrc, 0xcafebabe);
  assert.deepEqual(p.blocks[0], { bt: 4, ntpSec: 0xe8f3a000, ntpFrac: 0x40000000 });
  assert.deepEqual(p.blocks[1], { bt: 5, items: [{ ssrc: 0x11111111, lrr: 0xa0004000, dlrr: 0x8000 }, { ssrc: 0x22222222, lrr: 0, dlrr: 0 }] });
  const u = p.blocks[2]!;
  assert.ok('body' in u && u.bt === 42 && u.typeSpecific === 7);
  assert.deepEqual([...buildRtcp([p])], [...xr]);
  // RTT from DLRR (RFC 3611 §4.5): A − LRR − DLRR; A = 0xa0010000 → 0x10000 − 0x4000 − 0x8000 = 0x4000 units = 250 ms.
  assert.equal(roundTripFromMiddle32(0xa0010000, 0xa0004000, 0x8000), 250);
});

test('malformed XR is rejected with a reason, not thrown', () => {
  const bad = (body: number[]) => parseRtcp(Uint8Array.from([0x80, 207, 0, body.length / 4, ...body]));
  const cases: [number[], string][] = [
    [[], 'TRUNCATED'],
    [[...u32(1), 4, 0, 0, 3, ...u32(0), ...u32(0), ...u32(0)], 'BAD_LENGTH'], // RRTR of 3 words
    [[...u32(1), 5, 0, 0, 2, ...u32(0), ...u32(0)], 'BAD_LENGTH'], // DLRR not 3n words
    [[...u32(1), 9, 0, 0, 5, ...u32(0)], 'BAD_LENGTH'], // block overruns
  ];
  for (const [b, code] of cases) {
    const r = bad(b);
    assert.ok(!r.ok, JSON.stringify(b));
    if (!r.ok) assert.equal(r.error.code, code);
  }
});
