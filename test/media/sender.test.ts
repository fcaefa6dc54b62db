/**
 * Sender without a video peer: impairment statistics against their closed forms, sender reports
 * read by two parsers (ours and werift-rtp) against the configured clocks, key-frame requests,
 * the wire behaviour of loss/duplication/reordering on loopback, and option validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { RtcpPacketConverter, RtcpSrPacket } from 'werift-rtp';
import {
  AccessUnitSplitter, H264Packetizer, Impairment, ManualClock, RtpSender, RtpSenderCore, splitAnnexB, systemClock,
} from '../../src/media/sender/index.ts';
import { buildRtcp, parseRtcp, parseRtp, ReceiverStatistics, unixMsFromNtp, NTP_UNIX_OFFSET_S, type SenderReport } from '../../src/media/index.ts';
import { captureUdp, sleep } from './peer.ts';

test('impairment: 5 % loss over 20 000 packets measures 5 % ± 0.5 pp; other effects do not change loss decisions', () => {
  const N = 20000;
  const lossOnly = new Impairment({ lossPct: 5, seed: 42 });
  const all = new Impairment({ lossPct: 5, jitterMs: 30, reorderPct: 2, duplicatePct: 1, seed: 42 });
  let lost = 0, lostAll = 0, dups = 0;
  for (let i = 0; i < N; i++) {
    const a = lossOnly.next(), b = all.next();
    if (a.lost) lost++;
    if (b.lost) lostAll++;
    assert.equal(a.lost, b.lost, 'loss stream independent of the other effects');
    if (b.delaysMs.length === 2) dups++;
  }
  assert.ok(Math.abs(lost / N - 0.05) <= 0.005, `loss ${(100 * lost / N).toFixed(2)} %`);
  assert.equal(lost, lostAll);
  // Duplicates among the 95 % delivered: 1 % ± 0.3 pp (binomial σ ≈ 0.07 pp).
  assert.ok(Math.abs(dups / (N - lost) - 0.01) < 0.003, `duplicates ${(100 * dups / (N - lost)).toFixed(2)} %`);
  // Different seeds give different losses (the PRNG is really seeded).
  const other = new Impairment({ lossPct: 5, seed: 43 });
  let same = 0;
  const again = new Impairment({ lossPct: 5, seed: 42 });
  for (let i = 0; i < 1000; i++) if (other.next().lost === again.next().lost) same++;
  assert.ok(same < 1000);
});

test('impairment: jitter delays are Uniform(0, 3J): mean |X−Y| = J, mean 1.5 J, σ = 3J/√12, RFC 3550 estimate ≈ J', () => {
  const J = 30, N = 20000;
  const imp = new Impairment({ jitterMs: J, seed: 9 });
  const d: number[] = [];
  for (let i = 0; i < N; i++) d.push(imp.next().delaysMs[0]!);
  const mean = d.reduce((a, b) => a + b, 0) / N;
  const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / N);
  let mad = 0;
  for (let i = 1; i < N; i++) mad += Math.abs(d[i]! - d[i - 1]!);
  mad /= N - 1;
  assert.ok(Math.abs(mean - 45) < 1, `mean ${mean}`);
  assert.ok(Math.abs(sd - 90 / Math.sqrt(12)) < 1, `sd ${sd}`);
  assert.ok(Math.abs(mad - J) < 0.75, `mean |X−Y| ${mad}`);
  assert.ok(Math.min(...d) >= 0 && Math.max(...d) <= 90);
  // Kolmogorov–Smirnov distance to Uniform(0, 90): below 1.63/√N (1 % level).
  const s = [...d].sort((a, b) => a - b);
  let ks = 0;
  s.forEach((x, i) => { ks = Math.max(ks, Math.abs((i + 1) / N - x / 90), Math.abs(i / N - x / 90)); });
  assert.ok(ks < 1.63 / Math.sqrt(N), `KS ${ks}`);
  // The receiver-side estimator (RFC 3550 §A.8, the project's ReceiverStatistics) on packets sent
  // every 10 ms with these delays: the running J averaged over the run is close to 30 ms.
  const stats = new ReceiverStatistics({ clockRate: 90000 });
  let acc = 0, n = 0;
  for (let i = 0; i < N; i++) {
    stats.onPacket(i & 0xffff, (i * 900) >>> 0, i * 10 + d[i]!);
    if (i > 100) { acc += stats.snapshot().jitterMs; n++; }
  }
  assert.ok(Math.abs(acc / n - J) < 0.1 * J, `RFC 3550 jitter ${acc / n} ms`);
});

test('packetizer: single NAL, FU-A fragments that rebuild the NAL, STAP-A of SPS+PPS, marker on the last packet', () => {
  const sps = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xd9);
  const pps = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
  const idr = new Uint8Array(2500).map((_, i) => (i * 7) & 0xff);
  idr[0] = 0x65;
  const p = new H264Packetizer({ maxPayload: 1000 }).packetize([sps, pps, idr]);
  // STAP-A: 1 + (2+5) + (2+4) = 14 bytes; FU-A: 2499 payload bytes in 998-byte chunks = 3 packets.
  assert.equal(p.length, 4);
  assert.deepEqual([...p[0]!.payload], [0x78, 0, 5, ...sps, 0, 4, ...pps]);
  assert.deepEqual(p.map((x) => x.marker), [false, false, false, true]);
  assert.deepEqual(p.slice(1).map((x) => [x.payload[0], x.payload[1]]), [[0x7c, 0x85], [0x7c, 0x05], [0x7c, 0x45]]);
  const body = Buffer.concat(p.slice(1).map((x) => x.payload.subarray(2)));
  assert.deepEqual([...body], [...idr.subarray(1)]);
  assert.ok(p.every((x) => x.payload.length <= 1000));
  // Annex-B splitting with 3- and 4-byte start codes and trailing zeros.
  const es = Uint8Array.of(0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 0x88, 9);
  assert.deepEqual(splitAnnexB(es).map((n) => [...n]), [[0x67, 1, 2], [0x68, 3], [0x65, 0x88, 9]]);
  // Access units: a slice with first_mb_in_slice = 0 opens a new one, one with ≠ 0 continues it.
  const sp = new AccessUnitSplitter('h264');
  const stream = Uint8Array.of(0, 0, 1, 0x65, 0x80, 1, 0, 0, 1, 0x65, 0x40, 2, 0, 0, 1, 0x41, 0x80, 3, 0, 0, 1, 0x41, 0x80, 4);
  const aus = [...sp.push(stream), ...sp.flush()];
  assert.deepEqual(aus.map((a) => [a.nals.length, a.keyframe]), [[2, true], [1, false], [1, false]]);
});

test('sender reports: NTP↔RTP pairs parse with ours and werift-rtp and map frames to Unix(capture) + offset (400 ms apart)', async () => {
  const clock = systemClock();
  const cap = await captureUdp();
  const cap2 = await captureUdp();
  const a = await RtpSender.open({ codec: 'h264', clock, host: '127.0.0.1', rtpPort: cap.rtpPort, rtcpPort: cap.rtcpPort, rtcpIntervalMs: 200, seed: 1 });
  const b = await RtpSender.open({ codec: 'h264', clock, host: '127.0.0.1', rtpPort: cap2.rtpPort, rtcpPort: cap2.rtcpPort, rtcpIntervalMs: 200, seed: 2, clockOffsetMs: 400 });
  const au = Uint8Array.of(0, 0, 0, 1, 0x65, 0x88, 1, 2, 3);
  const t0 = clock.nowMs();
  const captures: number[] = [];
  for (let k = 0; k < 8; k++) {
    const c = t0 + 50 + k * 100;
    captures.push(c);
    a.send(au, c);
    b.send(au, c);
  }
  await Promise.all([a.idle(), b.idle()]);
  await sleep(450);
  await a.close();
  await b.close();
  await a.close(); // twice is harmless
  await sleep(50);
  await cap.close();
  await cap2.close();

  const check = (c: typeof cap, s: RtpSender, offsetMs: number) => {
    const srs: SenderReport[] = [];
    const werift: RtcpSrPacket[] = [];
    for (const d of c.rtcp) {
      const r = parseRtcp(d.data);
      assert.ok(r.ok);
      for (const p of r.value) if (p.type === 'sr') srs.push(p);
      for (const p of RtcpPacketConverter.deSerialize(Buffer.from(d.data))) if (p instanceof RtcpSrPacket) werift.push(p);
    }
    assert.ok(srs.length >= 3, `${srs.length} SRs`);
    assert.equal(werift.length, srs.length);
    const rtp = c.rtp.map((d) => parseRtp(d.data)).map((r) => { assert.ok(r.ok); return r.value; });
    assert.equal(rtp.length, 8);
    srs.forEach((sr, i) => {
      const w = werift[i]!;
      assert.equal(w.ssrc, s.core.ssrc);
      assert.equal(w.senderInfo.rtpTimestamp, sr.rtpTimestamp);
      assert.equal(w.senderInfo.ntpTimestamp, (BigInt(sr.ntpSec) << 32n) | BigInt(sr.ntpFrac));
      // Every frame's RTP timestamp, mapped through this SR, lands on Unix(capture) + offset.
      const srMs = Number(w.senderInfo.ntpTimestamp >> 32n) * 1000 - NTP_UNIX_OFFSET_S * 1000 + (Number(w.senderInfo.ntpTimestamp & 0xffffffffn) / 2 ** 32) * 1000;
      assert.ok(Math.abs(srMs - unixMsFromNtp(sr.ntpSec, sr.ntpFrac)) < 1e-3);
      rtp.forEach((p, k) => {
        // RTP difference as a signed 32-bit number of 90 kHz ticks.
        const mapped = srMs + ((p.timestamp - sr.rtpTimestamp) | 0) / 90;
        assert.ok(Math.abs(mapped - (clock.unixMs(captures[k]!) + offsetMs)) < 0.05, `frame ${k}: ${mapped - clock.unixMs(captures[k]!)} ms`);
      });
      assert.ok(sr.packetCount <= 8 && sr.octetCount === sr.packetCount * 5);
    });
    return srs;
  };
  check(cap, a, 0);
  check(cap2, b, 400);
  const byes = cap.rtcp.flatMap((d) => { const r = parseRtcp(d.data); return r.ok ? r.value : []; }).filter((p) => p.type === 'bye');
  assert.equal(byes.length, 1, 'one BYE, even after close() twice');
});

test('PLI and FIR naming the sender are counted and reported; others are ignored', async () => {
  const clock = systemClock();
  const cap = await captureUdp();
  let calls = 0;
  const s = await RtpSender.open({ codec: 'mjpeg', clock, host: '127.0.0.1', rtpPort: cap.rtpPort, rtcpPort: cap.rtcpPort, onKeyframeRequest: () => { calls++; } });
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const send = (b: Uint8Array, port: number) => new Promise<void>((r) => sock.send(b, port, '127.0.0.1', () => r()));
  const ssrc = s.core.ssrc;
  const rr = { type: 'rr' as const, ssrc: 99, reports: [{ ssrc, fractionLost: 13, cumulativeLost: 10, highestSeq: 500, jitter: 90, lsr: 0, dlsr: 0 }] };
  await send(buildRtcp([rr, { type: 'pli', senderSsrc: 99, mediaSsrc: ssrc }]), s.localRtcpPort);
  await send(buildRtcp([rr, { type: 'fir', senderSsrc: 99, entries: [{ ssrc, seq: 1 }] }]), s.localRtcpPort);
  await send(buildRtcp([rr, { type: 'pli', senderSsrc: 99, mediaSsrc: ssrc ^ 1 }]), s.localRtcpPort); // someone else
  await send(buildRtcp([rr, { type: 'pli', senderSsrc: 99, mediaSsrc: ssrc }]), s.localRtpPort); // RFC 5761 mux
  await send(Uint8Array.of(0x80, 0xce, 0, 9), s.localRtcpPort); // malformed
  for (let i = 0; i < 50 && calls < 3; i++) await sleep(20);
  await sleep(50);
  assert.equal(s.core.counters.pli, 2);
  assert.equal(s.core.counters.fir, 1);
  assert.equal(calls, 3);
  assert.equal(s.core.lastReport?.fractionLost, 13);
  await s.close();
  sock.close();
  await cap.close();
});

test('on the wire: loss, duplicates and reordering as configured (2000 packets over loopback)', async () => {
  const clock = systemClock();
  const cap = await captureUdp();
  const N = 2000;
  const s = await RtpSender.open({ codec: 'h264', clock, host: '127.0.0.1', rtpPort: cap.rtpPort, rtcpPort: cap.rtcpPort, seed: 5,
    impairment: { lossPct: 10, duplicatePct: 5, reorderPct: 5, seed: 11 } });
  const first = s.core.nextSequenceNumber;
  const au = Uint8Array.of(0, 0, 0, 1, 0x41, 0x9a, 1, 2);
  for (let k = 0; k < N; k++) {
    s.send(au, 0); // past capture time: sent at once, in order
    if (k % 200 === 199) await sleep(5); // let the socket drain
  }
  await s.idle();
  await sleep(200);
  await s.close();
  await cap.close();
  // Expected fates, recomputed from the same seed with the pure model (the wire must follow it).
  const model = new Impairment({ lossPct: 10, duplicatePct: 5, reorderPct: 5, seed: 11 });
  let lost = 0, dup = 0;
  for (let i = 0; i < N; i++) { const f = model.next(); if (f.lost) lost++; else if (f.delaysMs.length === 2) dup++; }
  const seqs = cap.rtp.map((d) => { const r = parseRtp(d.data); assert.ok(r.ok); return (r.value.sequenceNumber - first + 65536) & 0xffff; });
  const distinct = new Set(seqs);
  assert.equal(distinct.size, N - lost, 'distinct packets received = sent − dropped');
  assert.equal(seqs.length, N - lost + dup, 'duplicates on the wire');
  assert.equal(s.stats.dropped, lost);
  let inversions = 0;
  let maxSeen = -1;
  for (const q of seqs) { if (q < maxSeen) inversions++; maxSeen = Math.max(maxSeen, q); }
  assert.ok(inversions > 0 && inversions <= s.stats.reordered, `${inversions} late packets, ${s.stats.reordered} held back`);
  assert.ok(Math.abs(lost / N - 0.1) < 0.02);
});

test('options are validated at construction', () => {
  const clock = new ManualClock();
  assert.throws(() => new Impairment({ lossPct: 101 }), /lossPct/);
  assert.throws(() => new Impairment({ jitterMs: -1 }), /jitterMs/);
  assert.throws(() => new RtpSenderCore({ codec: 'vp8' as 'h264', clock }), /codec/);
  assert.throws(() => new H264Packetizer({ maxPayload: 10 }), /maxPayload/);
  const core = new RtpSenderCore({ codec: 'mjpeg', clock });
  assert.deepEqual(core.packetizeFrame(Uint8Array.of(1, 2, 3), 0), []);
  assert.equal(core.counters.refusedFrames, 1);
  assert.match(core.lastRefusal ?? '', /SOI/);
  // RTP timestamps advance at 90 kHz on the sender clock; SR NTP at Unix(now) + offset.
  const off = new RtpSenderCore({ codec: 'h264', clock, clockOffsetMs: 400, seed: 3 });
  const zero = new RtpSenderCore({ codec: 'h264', clock, seed: 3 });
  assert.equal((off.rtpTimestampAt(1000) - zero.rtpTimestampAt(1000)) >>> 0, 36000);
  assert.equal((zero.rtpTimestampAt(1000) - zero.rtpTimestampAt(0)) >>> 0, 90000);
  clock.now = 5000;
  const sr = parseRtcp(off.senderReport(5000));
  assert.ok(sr.ok && sr.value[0]!.type === 'sr');
  const p = sr.value[0] as SenderReport;
  assert.ok(Math.abs(unixMsFromNtp(p.ntpSec, p.ntpFrac) - (1.7e12 + 5400)) < 0.001);
  // Drift: +100 ppm from t₀ = 5000 ms. Over 1000 s the camera's clock gains 100 ms, in SR NTP and
  // in RTP alike, so a frame maps through either SR to the same (drifted) instant.
  const drift = new RtpSenderCore({ codec: 'h264', clock, clockDriftPpm: 100, seed: 4 });
  const srAt = (t: number) => { clock.now = t; const r = parseRtcp(drift.senderReport(t)); assert.ok(r.ok); return r.value[0] as SenderReport; };
  const s1 = srAt(5000), s2 = srAt(1_005_000);
  assert.ok(Math.abs(unixMsFromNtp(s2.ntpSec, s2.ntpFrac) - unixMsFromNtp(s1.ntpSec, s1.ntpFrac) - 1_000_100) < 0.001);
  assert.equal((s2.rtpTimestamp - s1.rtpTimestamp) >>> 0, 90_009_000);
  const frameTs = drift.rtpTimestampAt(505_000); // 500 s after t₀: camera clock 50 ms ahead
  for (const sr of [s1, s2]) {
    const mapped = unixMsFromNtp(sr.ntpSec, sr.ntpFrac) + ((frameTs - sr.rtpTimestamp) | 0) / 90;
    assert.ok(Math.abs(mapped - (1.7e12 + 505_000 + 50)) < 0.02, `${mapped - 1.7e12 - 505_000}`);
  }
});
