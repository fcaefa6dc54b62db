import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpPacket as WeriftRtp, RtpHeader as WeriftHeader } from 'werift-rtp';
import { frameRfc4571, isRtcpPacket, parseRtp, Rfc4571Deframer, SequenceUnwrapper, seqDiff, serializeRtp } from '../../src/media/index.ts';

// A packet written out by hand from RFC 3550 §5.1 / §5.3.1: V=2 P=1 X=1 CC=2, M=1 PT=96,
// seq 0xFFFE, ts 0x12345678, SSRC 0xDEADBEEF, CSRCs 1 and 2, a one-word extension with profile
// 0xBEDE, payload 01 02 03, three padding bytes (the last one holding the count).
const HAND = Uint8Array.from([
  0xb2, 0xe0, 0xff, 0xfe, 0x12, 0x34, 0x56, 0x78, 0xde, 0xad, 0xbe, 0xef,
  0, 0, 0, 1, 0, 0, 0, 2,
  0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00,
  0x01, 0x02, 0x03,
  0x00, 0x00, 0x03,
]);

test('parses every field of a hand-written packet, payload without padding', () => {
  const r = parseRtp(HAND);
  assert.ok(r.ok);
  const p = r.value;
  assert.equal(p.marker, true);
  assert.equal(p.payloadType, 96);
  assert.equal(p.sequenceNumber, 0xfffe);
  assert.equal(p.timestamp, 0x12345678);
  assert.equal(p.ssrc, 0xdeadbeef);
  assert.deepEqual(p.csrc, [1, 2]);
  assert.equal(p.extension?.profile, 0xbede);
  assert.deepEqual([...p.extension!.data], [0x10, 0xaa, 0, 0]);
  assert.deepEqual([...p.payload], [1, 2, 3]);
  assert.equal(p.paddingLength, 3);
});

test('serialises back to the same bytes', () => {
  const out = serializeRtp({
    marker: true, payloadType: 96, sequenceNumber: 0xfffe, timestamp: 0x12345678, ssrc: 0xdeadbeef, csrc: [1, 2],
    extension: { profile: 0xbede, data: Uint8Array.from([0x10, 0xaa, 0, 0]) }, payload: Uint8Array.from([1, 2, 3]), paddingLength: 3,
  });
  assert.deepEqual([...out], [...HAND]);
});

test('agrees with werift-rtp (an independent codec) in both directions', () => {
  const w = WeriftRtp.deSerialize(Buffer.from(HAND));
  assert.equal(w.header.sequenceNumber, 0xfffe);
  assert.equal(w.header.csrc.length, 2);
  assert.deepEqual([...w.payload], [1, 2, 3]);
  const theirs = new WeriftRtp(new WeriftHeader({ payloadType: 111, sequenceNumber: 4242, timestamp: 99, ssrc: 7, marker: false }), Buffer.from([9, 8, 7, 6])).serialize();
  const r = parseRtp(new Uint8Array(theirs));
  assert.ok(r.ok);
  assert.deepEqual([r.value.payloadType, r.value.sequenceNumber, r.value.timestamp, r.value.ssrc, r.value.marker], [111, 4242, 99, 7, false]);
  assert.deepEqual([...r.value.payload], [9, 8, 7, 6]);
});

test('malformed packets are typed errors, never exceptions', () => {
  const cases: [Uint8Array, string][] = [
    [HAND.subarray(0, 11), 'TRUNCATED'],
    [Uint8Array.from([0x40, ...HAND.subarray(1)]), 'BAD_VERSION'],
    [HAND.subarray(0, 16), 'TRUNCATED'], // CSRC list cut
    [Uint8Array.from([...HAND.subarray(0, HAND.length - 1), 0]), 'BAD_PADDING'], // count 0
    [Uint8Array.from([...HAND.subarray(0, HAND.length - 1), 200]), 'BAD_PADDING'], // count beyond payload
    [Uint8Array.from([0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0x00, 0x09, 0, 0, 0, 0]), 'BAD_LENGTH'],
  ];
  for (const [buf, code] of cases) {
    const r = parseRtp(buf);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, code);
  }
});

test('RTP/RTCP demultiplexing by the second byte (RFC 5761)', () => {
  assert.equal(isRtcpPacket(HAND), false);
  assert.equal(isRtcpPacket(Uint8Array.from([0x81, 201, 0, 1, 0, 0, 0, 1])), true);
  assert.equal(isRtcpPacket(Uint8Array.from([0x80, 206])), true);
});

test('sequence numbers unwrap across 65535 → 0 and late packets map to the previous cycle', () => {
  const u = new SequenceUnwrapper();
  const got = [65533, 65534, 65535, 0, 1, 65535, 2, 3].map((s) => u.unwrap(s));
  const base = got[0]!;
  assert.deepEqual(got.map((g) => g - base), [0, 1, 2, 3, 4, 2, 5, 6]);
  assert.equal(seqDiff(65535, 0), 1);
  assert.equal(seqDiff(0, 65535), -1);
  assert.equal(seqDiff(100, 100 + 32767), 32767);
});

test('RFC 4571 framing: packets split and merged arbitrarily by TCP come out whole; memory bounded', () => {
  const packets = [HAND, Uint8Array.from([0x80, 96, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1]), new Uint8Array(1400).fill(7)];
  const stream = new Uint8Array([...packets.flatMap((p) => [...frameRfc4571(p)]), 0, 0 /* empty frame */, ...frameRfc4571(HAND)]);
  for (const step of [1, 3, 100, stream.length]) {
    const d = new Rfc4571Deframer();
    const got: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += step) {
      got.push(...d.push(stream.subarray(i, i + step)));
      assert.ok(d.buffered <= 65537);
    }
    assert.deepEqual(got.map((g) => [...g]), [...packets, HAND].map((p) => [...p]));
    assert.equal(d.emptyFrames, 1);
    assert.equal(d.buffered, 0);
  }
  // A hostile length holds at most one frame's worth of bytes.
  const d = new Rfc4571Deframer();
  assert.deepEqual(d.push(Uint8Array.from([0xff, 0xff, 1, 2, 3])), []);
  assert.equal(d.buffered, 5);
});
