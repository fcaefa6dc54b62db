import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createH264Depacketizer, createH265Depacketizer, createMjpegDepacketizer, qTablesForQ, type DepacketizerPacket, type MediaFrame,
} from '../../src/media/index.ts';

const pkt = (seq: number, ts: number, marker: boolean, payload: number[]): DepacketizerPacket =>
  ({ sequenceNumber: seq, timestamp: ts, marker, payload: Uint8Array.from(payload) });

function feed(d: { push(p: DepacketizerPacket): MediaFrame[] }, pkts: DepacketizerPacket[]): MediaFrame[] {
  return pkts.flatMap((p) => d.push(p));
}

test('H.264 STAP-A: each aggregated unit gets a start code (RFC 6184 §5.7.1)', () => {
  // STAP-A header 0x78 (NRI 3, type 24), then size 2 + SPS-like [0x67, 1], size 3 + PPS-like [0x68, 2, 3].
  const f = feed(createH264Depacketizer(), [pkt(1, 0, true, [0x78, 0, 2, 0x67, 1, 0, 3, 0x68, 2, 3])]);
  assert.deepEqual([...f[0]!.data], [0, 0, 0, 1, 0x67, 1, 0, 0, 0, 1, 0x68, 2, 3]);
  assert.equal(f[0]!.complete, true);
});

test('H.264: malformed payloads mark the frame incomplete', () => {
  const cases: number[][][] = [
    [[0x7c, 0x85, 1], [0x7c, 0x05, 2]], // FU-A start, then a middle, no end before the marker
    [[0x7c, 0x05, 2], [0x7c, 0x45, 3]], // FU-A without start
    [[0x78, 0, 9, 0x67]], // STAP-A size overruns
    [[0x7c, 0xc5, 1]], // S and E both set
    [[0x7a, 0, 0]], // MTAP16 (interleaved mode) not supported
    [[0xe5, 1]], // forbidden bit set
  ];
  for (const c of cases) {
    const f = feed(createH264Depacketizer(), c.map((p, i) => pkt(i, 0, i === c.length - 1, p)));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.complete, false, JSON.stringify(c));
  }
});

test('timestamp change without marker (camera quirk): whole if no gap, both frames incomplete with a gap', () => {
  // Slice payloads start with 0x88 / 0x9a: first bit 1 = first_mb_in_slice 0 (the picture's first slice).
  let f = feed(createH264Depacketizer(), [pkt(1, 0, false, [0x65, 0x88]), pkt(2, 3000, true, [0x41, 0x9a])]);
  assert.deepEqual(f.map((x) => x.complete), [true, true]);
  f = feed(createH264Depacketizer(), [pkt(1, 0, false, [0x65, 0x88]), pkt(3, 3000, true, [0x41, 0x9a])]);
  assert.deepEqual(f.map((x) => x.complete), [false, false]);
  // After a marker, a gap belongs to the next frame only.
  f = feed(createH264Depacketizer(), [pkt(1, 0, true, [0x65, 0x88]), pkt(3, 3000, true, [0x41, 0x9a])]);
  assert.deepEqual(f.map((x) => x.complete), [true, false]);
});

test('a frame whose end never arrives is not output until flushed, and then as incomplete', () => {
  const d = createH264Depacketizer();
  assert.deepEqual(feed(d, [pkt(1, 0, false, [0x65, 1])]), []);
  const f = d.flush();
  assert.equal(f.length, 1);
  assert.equal(f[0]!.complete, false);
});

test('H.264 parameter sets from SDP go before a key frame that lacks them, not before P frames', () => {
  const d = createH264Depacketizer({ parameterSets: [Uint8Array.of(0x67, 9), Uint8Array.of(0x68, 8)] });
  const [i, p] = feed(d, [pkt(1, 0, true, [0x65, 0x88]), pkt(2, 3000, true, [0x41, 0x9a])]);
  assert.deepEqual([...i!.data], [0, 0, 0, 1, 0x67, 9, 0, 0, 0, 1, 0x68, 8, 0, 0, 0, 1, 0x65, 0x88]);
  assert.deepEqual([...p!.data], [0, 0, 0, 1, 0x41, 0x9a]);
});

test('joined in the middle of a multi-slice picture: first slice has first_mb_in_slice ≠ 0 → incomplete', () => {
  // 0x65 0x5c…: ue(v) starting '010' = first_mb_in_slice 1. The next picture starts cleanly.
  const f = feed(createH264Depacketizer(), [pkt(7, 0, true, [0x65, 0x5c, 1]), pkt(8, 3000, false, [0x41, 0x9a]), pkt(9, 3000, true, [0x41, 0x5c])]);
  assert.deepEqual(f.map((x) => x.complete), [false, true]);
  // H.265: first_slice_segment_in_pic_flag (first bit after the 2-byte header) clear → incomplete.
  const g = feed(createH265Depacketizer(), [pkt(1, 0, true, [0x26, 0x01, 0x40, 7])]);
  assert.equal(g[0]!.complete, false);
});

test('H.265 FU: the 2-byte NAL header is rebuilt from payload header and FuType (RFC 7798 §4.4.3)', () => {
  // IDR_W_RADL (19): NAL header 0x26 0x01. FU payload header: type 49 → 0x62 0x01; FU header S|19 = 0x93, E|19 = 0x53.
  const [f] = feed(createH265Depacketizer(), [pkt(1, 0, false, [0x62, 0x01, 0x93, 0xaa]), pkt(2, 0, true, [0x62, 0x01, 0x53, 0xb])]);
  assert.deepEqual([...f!.data], [0, 0, 0, 1, 0x26, 0x01, 0xaa, 0xb]);
  assert.equal(f!.keyframe, true);
  assert.equal(f!.complete, true);
});

test('H.265 AP with DONL/DOND fields skips them (sprop-max-don-diff > 0)', () => {
  // AP header type 48: 0x60 0x01; DONL 00 05; size 3 [0x40 0x01 0xaa] (VPS); DOND 01; size 3 [0x42 0x01 0xbb] (SPS).
  const [f] = feed(createH265Depacketizer({ donl: true }), [pkt(1, 0, true, [0x60, 0x01, 0, 5, 0, 3, 0x40, 1, 0xaa, 1, 0, 3, 0x42, 1, 0xbb])]);
  assert.deepEqual([...f!.data], [0, 0, 0, 1, 0x40, 1, 0xaa, 0, 0, 0, 1, 0x42, 1, 0xbb]);
});

test('MJPEG Q=50 gives the T.81 Annex K tables; Q=10 scales them by 5 (RFC 2435 Appendix A)', () => {
  const q50 = qTablesForQ(50);
  // Annex K.1 luminance in zig-zag order begins 16 11 12 14 12 10 16 14; K.2 chrominance 17 18 18 24 21 24 47 26.
  assert.deepEqual([...q50.subarray(0, 8)], [16, 11, 12, 14, 12, 10, 16, 14]);
  assert.deepEqual([...q50.subarray(64, 72)], [17, 18, 18, 24, 21, 24, 47, 26]);
  assert.equal(q50[63], 99);
  const q10 = qTablesForQ(10);
  assert.equal(q10[0], 80); // (16·500 + 50) / 100
  assert.equal(q10[63], 255); // 99·5 clamps to 255
});

const find = (d: Uint8Array, a: number, b: number) => {
  for (let i = 0; i + 1 < d.length; i++) if (d[i] === a && d[i + 1] === b) return i;
  return -1;
};

test('MJPEG restart markers (type 65) produce a DRI segment; Q 128–254 tables are remembered across frames', () => {
  const d = createMjpegDepacketizer();
  // Frame 1: type 65 (4:2:0 + restart), Q=200, 16×16; restart header interval 4; table header with two 64-byte tables.
  const tables = Array.from({ length: 128 }, (_, i) => 1 + (i % 50));
  const f1 = feed(d, [
    pkt(1, 0, false, [0, 0, 0, 0, 65, 200, 2, 2, 0, 4, 0xff, 0xff, 0, 0, 0, 128, ...tables, 0x11, 0x22]),
    pkt(2, 0, true, [0, 0, 0, 2, 65, 200, 2, 2, 0, 4, 0xff, 0xff, 0x33]),
  ])[0]!;
  assert.equal(f1.complete, true);
  assert.equal(f1.width, 16);
  const dri = find(f1.data, 0xff, 0xdd);
  assert.deepEqual([...f1.data.subarray(dri, dri + 6)], [0xff, 0xdd, 0, 4, 0, 4]);
  const sof = find(f1.data, 0xff, 0xc0);
  assert.equal(f1.data[sof + 11], 0x22, '4:2:0: luma sampling 2×2');
  assert.deepEqual([...f1.data.subarray(f1.data.length - 5)], [0x11, 0x22, 0x33, 0xff, 0xd9]);
  // Frame 2 with Q=200 and a zero-length table header reuses frame 1's tables.
  const f2 = feed(d, [pkt(3, 3000, true, [0, 0, 0, 0, 65, 200, 2, 2, 0, 4, 0xff, 0xff, 0, 0, 0, 0, 0x44])])[0]!;
  assert.equal(f2.complete, true);
  const dqt = find(f2.data, 0xff, 0xdb);
  assert.deepEqual([...f2.data.subarray(dqt + 5, dqt + 9)], tables.slice(0, 4));
  // Q=255 without tables cannot be decoded.
  const f3 = feed(d, [pkt(4, 6000, true, [0, 0, 0, 0, 1, 255, 2, 2, 0, 0, 0, 0, 0x44])])[0]!;
  assert.equal(f3.complete, false);
});

test('MJPEG fragments must abut: an offset gap marks the frame incomplete', () => {
  const f = feed(createMjpegDepacketizer(), [
    pkt(1, 0, false, [0, 0, 0, 0, 1, 50, 2, 2, 0xaa, 0xbb]),
    pkt(2, 0, true, [0, 0, 0, 5, 1, 50, 2, 2, 0xcc]),
  ]);
  assert.equal(f[0]!.complete, false);
});
