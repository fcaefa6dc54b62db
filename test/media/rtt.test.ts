/**
 * Round-trip time both ways: the receiver's RTCP XR RRTR answered by DLRR (RFC 3611 §4.4/§4.5)
 * and the sender's own RTT from the receiver's LSR/DLSR (RFC 3550 §6.4.1). Values are checked
 * against hand-computed NTP arithmetic and, over loopback, against a known injected delay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRtcp, parseRtcp, ntpFromUnixMs, ntpMiddle32 } from '../../src/media/index.ts';
import { ManualClock, RtpSender, RtpSenderCore, systemClock } from '../../src/media/sender/index.ts';
import { LiveStream } from '../../src/media/stream/index.ts';
import { freePortPair } from './sender-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('sender core answers an RRTR with a DLRR naming the receiver: LRR = RRTR middle 32 bits, DLRR = hold time in 1/65536 s', () => {
  const clock = new ManualClock(1000);
  const core = new RtpSenderCore({ codec: 'h264', clock, ssrc: 0xabc });
  // RRTR: NTP 0x12345678.9abcdef0 → middle 32 bits 0x56789abc (RFC 3611 §4.5: LRR).
  const xr = buildRtcp([{ type: 'rr', ssrc: 77, reports: [] }, { type: 'xr', ssrc: 77, blocks: [{ bt: 4, ntpSec: 0x12345678, ntpFrac: 0x9abcdef0 }] }]);
  core.onRtcp(xr, 1000);
  clock.now = 1250; // held 250 ms = 0x4000 / 65536 s
  const sr = parseRtcp(core.senderReport(1250));
  assert.ok(sr.ok);
  const x = sr.value.find((p) => p.type === 'xr');
  assert.ok(x && x.type === 'xr');
  assert.deepEqual(x.blocks, [{ bt: 5, items: [{ ssrc: 77, lrr: 0x56789abc, dlrr: 0x4000 }] }]);
  assert.equal(core.counters.dlrr, 1);
  // Answered once: the next SR carries no XR.
  const sr2 = parseRtcp(core.senderReport(1300));
  assert.ok(sr2.ok && !sr2.value.some((p) => p.type === 'xr'));
});

test('sender core RTT from a reception report: A − LSR − DLSR on its own NTP clock', () => {
  const clock = new ManualClock(0, 1.7e12);
  const core = new RtpSenderCore({ codec: 'h264', clock, ssrc: 0xabc });
  core.packetizeFrame(Uint8Array.of(0, 0, 0, 1, 0x65, 1), 0);
  // Our SR at t = 0 has NTP Unix(1.7e12 ms); the receiver got it 40 ms later, held it 500 ms,
  // and its RR reaches us at t = 580: RTT = 80 ms (40 there, 40 back), whatever 500 is.
  const n0 = ntpFromUnixMs(1.7e12);
  const lsr = ntpMiddle32(n0.sec, n0.frac);
  const rr = buildRtcp([{ type: 'rr', ssrc: 9, reports: [{ ssrc: 0xabc, fractionLost: 0, cumulativeLost: 0, highestSeq: 0, jitter: 0, lsr, dlsr: 500 * 65536 / 1000 }] }]);
  core.onRtcp(rr, 580);
  assert.ok(core.roundTripMs !== null);
  assert.ok(Math.abs(core.roundTripMs - 80) < 0.05, `${core.roundTripMs}`); // NTP middle-32 resolution 15 µs
});

/**
 * LiveStream ⇄ RtpSender over loopback with every RTCP datagram of the sender held `delayMs`:
 * the report path takes delayMs one way and ~0 the other, so both RTTs should read delayMs plus
 * the loopback and event-loop time (small, never negative).
 */
async function loop(delayMs: number, sendRrtr = true): Promise<{ latency: number | null; senderRtt: number | null; dlrr: number }> {
  const port = await freePortPair();
  const s = new LiveStream({ id: 'rtt', source: { kind: 'udp', port, bindAddress: '127.0.0.1' }, codec: 'h264', rtcpIntervalMs: 100, sendRrtr });
  await s.connect();
  const clock = systemClock();
  const tx = await RtpSender.open({ codec: 'h264', clock, host: '127.0.0.1', rtpPort: port, rtcpPort: port + 1, rtcpIntervalMs: 100, rtcpDelayMs: delayMs });
  const au = Uint8Array.of(0, 0, 0, 1, 0x65, 0x88, 1, 2, 3);
  const t0 = clock.nowMs();
  for (let k = 0; k < 60; k++) tx.send(au, t0 + k * 33);
  await tx.idle();
  await sleep(300 + delayMs);
  const out = { latency: s.metrics().network_latency_ms, senderRtt: tx.stats.roundTripMs, dlrr: tx.core.counters.dlrr };
  await tx.close();
  await s.close();
  return out;
}

test('loopback: 150 ms injected on the sender→receiver report path reads as RTT 150 ms (+0…+60) both ways', async (t) => {
  const r = await loop(150);
  t.diagnostic(`receiver network_latency_ms ${r.latency?.toFixed(2)} (RTT ${r.latency === null ? '-' : (2 * r.latency).toFixed(2)}), sender RTT ${r.senderRtt?.toFixed(2)} ms, DLRR answers ${r.dlrr}`);
  assert.ok(r.dlrr > 0, 'the sender answered RRTRs');
  assert.ok(r.latency !== null);
  assert.ok(2 * r.latency >= 149 && 2 * r.latency <= 210, `receiver RTT ${2 * r.latency}`);
  assert.ok(r.senderRtt !== null);
  assert.ok(r.senderRtt >= 149 && r.senderRtt <= 210, `sender RTT ${r.senderRtt}`);
});

test('loopback without injected delay: RTT small; RRTR turned off: network_latency_ms stays null (unknown)', async (t) => {
  const r = await loop(0);
  t.diagnostic(`no delay: receiver RTT ${r.latency === null ? '-' : (2 * r.latency).toFixed(2)} ms, sender RTT ${r.senderRtt?.toFixed(2)} ms`);
  assert.ok(r.latency !== null && 2 * r.latency < 60, `${r.latency}`);
  const off = await loop(0, false);
  assert.equal(off.dlrr, 0);
  assert.equal(off.latency, null);
});
