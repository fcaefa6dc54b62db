import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ntpMiddle32, ReceiverStatistics } from '../../src/media/index.ts';
import { Rng } from '../../src/util/rng.ts';

test('loss: every 20th packet dropped over a sequence wrap → 5 % cumulative, fraction 12/256 per interval', () => {
  const st = new ReceiverStatistics({ clockRate: 90000 });
  const blocks = [];
  for (let i = 0; i < 2000; i++) {
    const seq = (65000 + i) & 0xffff;
    if (i % 20 !== 10) st.onPacket(seq, i * 3000, i * 33);
    if (i % 200 === 199) blocks.push(st.reportBlock(7, i * 33));
  }
  // By hand: each 200-packet interval expects 200 and loses 10 → floor(10·256/200) = 12.
  assert.deepEqual(blocks.map((b) => b.fractionLost), Array(10).fill(12));
  assert.deepEqual(blocks.map((b) => b.cumulativeLost), [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  // Extended highest: one wrap (65536) + (65000 + 1999 − 65536) = 66999.
  assert.equal(blocks[9]!.highestSeq, 66999);
  const s = st.snapshot();
  assert.equal(s.expected, 2000);
  assert.equal(s.received, 1900);
  assert.equal(s.lossRate, 0.05);
});

test('duplicates count as received (RFC 3550 §6.4.1), so cumulative loss can go negative; fraction stays 0', () => {
  const st = new ReceiverStatistics({ clockRate: 90000 });
  for (const s of [1, 2, 2, 3, 3, 4]) st.onPacket(s, 0, 0);
  const b = st.reportBlock(1, 0);
  assert.equal(b.cumulativeLost, -2);
  assert.equal(b.fractionLost, 0);
});

test('jitter, closed form: transit alternating ±10 ms gives J_n = 900·(1 − (15/16)^n) timestamp units', () => {
  const st = new ReceiverStatistics({ clockRate: 90000 });
  const N = 40;
  for (let i = 0; i < N; i++) st.onPacket(i, i * 3000, (i * 100) / 3 + (i % 2 === 1 ? 10 : 0));
  const n = N - 1; // the first packet has no predecessor
  const expected = 900 * (1 - (15 / 16) ** n);
  assert.ok(Math.abs(st.snapshot().jitter - expected) < 1e-6, `${st.snapshot().jitter} vs ${expected}`);
  assert.ok(Math.abs(st.snapshot().jitterMs - expected / 90) < 1e-8);
});

test('jitter, statistics: uniform 0–30 ms network delay → E|X−Y| = 30/3 = 10 ms (within 10 %)', () => {
  const rng = new Rng(7);
  const st = new ReceiverStatistics({ clockRate: 90000 });
  for (let i = 0; i < 20000; i++) st.onPacket(i & 0xffff, (i * 3000) >>> 0, (i * 100) / 3 + rng.uniform(0, 30));
  const j = st.snapshot().jitterMs;
  assert.ok(Math.abs(j - 10) < 1, `jitter ${j} ms`);
});

test('LSR and DLSR: middle 32 bits of the SR time; 5.25 s later DLSR = 5.25·65536', () => {
  const st = new ReceiverStatistics({ clockRate: 90000 });
  st.onPacket(1, 0, 0);
  st.onSenderReport(3913056000, 0x80000000, 1000);
  const b = st.reportBlock(9, 6250);
  assert.equal(b.lsr, ntpMiddle32(3913056000, 0x80000000));
  assert.equal(b.lsr, ((3913056000 & 0xffff) * 65536 + 0x8000) >>> 0);
  assert.equal(b.dlsr, 344064);
});

test('a jump beyond MAX_DROPOUT is ignored once and accepted when the next packet confirms it (§A.1)', () => {
  const st = new ReceiverStatistics({ clockRate: 90000 });
  st.onPacket(100, 0, 0);
  st.onPacket(101, 0, 0);
  assert.equal(st.onPacket(20000, 0, 0), false);
  assert.equal(st.onPacket(20001, 0, 0), true);
  const s = st.snapshot();
  assert.equal(s.expected, 1);
  assert.equal(s.received, 1);
});

test('a stream that starts reordered (second packet older than the first) reads no loss, also across the wrap', () => {
  const st = new ReceiverStatistics({ clockRate: 90000 });
  for (const s of [0, 65535, 1, 2]) st.onPacket(s, 0, 0);
  assert.deepEqual([st.snapshot().expected, st.snapshot().received, st.snapshot().cumulativeLost], [4, 4, 0]);
});
