import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ntpFromUnixMs, parseSdp } from '../../src/media/index.ts';
import { ClockMapper, RtpTimestampUnwrapper, SyncManager, type MasterChange } from '../../src/media/sync/index.ts';
import { HealthMonitor } from '../../src/media/health/index.ts';
import { Rng } from '../../src/util/rng.ts';

const T0 = Date.UTC(2026, 0, 15, 10, 30, 0); // Unix ms of "t = 0" on the shared clock
const WRAP = 2 ** 32;
const rtpAt = (base: number, tSec: number, ratePpm = 0): number => (base + Math.round(90000 * (1 + ratePpm * 1e-6) * tSec)) % WRAP;
const sr = (ntpUnixMs: number, rtpTimestamp: number) => {
  const n = ntpFromUnixMs(ntpUnixMs);
  return { ntpSec: n.sec, ntpFrac: n.frac, rtpTimestamp };
};

test('RTP timestamps unwrap across 2^32, reordered ones stay behind, extend() does not advance', () => {
  const u = new RtpTimestampUnwrapper();
  assert.equal(u.unwrap(0xfffff000), 4294963200);
  assert.equal(u.unwrap(0x00000800), 4294967296 + 2048);
  assert.equal(u.unwrap(0xffffff00), 4294967040); // late packet from before the wrap
  assert.equal(u.extend(0x00001000), 4294967296 + 4096);
  assert.equal(u.unwrap(0x00000900), 4294967296 + 2304); // reference is still 0x800 + one wrap
});

test('sender reports: 50 ppm media-clock drift recovered within 0.5 ppm across a 32-bit wrap; capture times within 0.05 ms', () => {
  const m = new ClockMapper({ srWindow: 16 });
  const base = WRAP - 90000 * 10; // wraps 10 s in
  for (let i = 0; i <= 1800; i++) {
    const t = i / 30;
    m.onArrival(rtpAt(base, t, 50), T0 + t * 1000 + 7);
    if (i % 60 === 0) assert.equal(m.onSenderReport(sr(T0 + t * 1000, rtpAt(base, t, 50))), 'accepted');
  }
  assert.equal(m.method, 'sender-report');
  assert.ok(Math.abs(m.driftPpm! - 50) < 0.5, `drift ${m.driftPpm}`);
  // Frames either side of the wrap (older than the 16-report window), and the newest one.
  for (const t of [9.99, 10.01, 45.5, 60]) {
    const c = m.captureTimeExt(m.extend(rtpAt(base, t, 50)))!;
    assert.equal(c.method, 'sender-report');
    assert.ok(Math.abs(c.captureMs - (T0 + t * 1000)) < 0.05, `t=${t}: ${c.captureMs - (T0 + t * 1000)} ms`);
    assert.ok(c.uncertaintyMs < 0.1);
  }
  // Without drift compensation the frame at 10.01 s would be off by 50 ppm · 50 s = 2.5 ms.
  const nominal = T0 + 60000 + ((m.extend(rtpAt(base, 10.01, 50)) - m.extend(rtpAt(base, 60, 50))) / 90);
  assert.ok(Math.abs(nominal - (T0 + 10010)) > 2.4);
});

test('sender reports: a sender restart (new RTP base) is detected as a reset and the fit follows the new mapping', () => {
  const m = new ClockMapper();
  for (let t = 0; t <= 5; t++) m.onSenderReport(sr(T0 + t * 1000, rtpAt(1000, t)));
  assert.equal(m.onSenderReport(sr(T0 + 6000, rtpAt(777777777, 6))), 'reset');
  m.onSenderReport(sr(T0 + 7000, rtpAt(777777777, 7)));
  assert.equal(m.srResets, 1);
  assert.ok(Math.abs(m.captureTime(rtpAt(777777777, 6.5))!.captureMs - (T0 + 6500)) < 0.02);
});

test('arrival fallback (no SR): 80 ppm drift against the receiver recovered within ±25 ppm under 0–30 ms uniform jitter; capture = minimum-delay line within 1 ms', () => {
  for (let seed = 1; seed <= 8; seed++) {
    const rng = new Rng(seed);
    const m = new ClockMapper(); // 900-sample window = the last 30 s at 30 fps
    const base = WRAP - 90000 * 5;
    for (let k = 0; k < 1800; k++) {
      const t = k / 30;
      m.onArrival(rtpAt(base, t, 80), T0 + t * 1000 + 20 + rng.next() * 30);
    }
    assert.equal(m.method, 'arrival');
    assert.ok(Math.abs(m.driftPpm! - 80) < 25, `seed ${seed}: ${m.driftPpm}`);
    for (const k of [1000, 1500, 1799]) {
      const c = m.captureTime(rtpAt(base, k / 30, 80))!;
      // The envelope is capture + minimum delay (20 ms here): the constant part of transit is not observable.
      assert.ok(Math.abs(c.captureMs - (T0 + (k / 30) * 1000 + 20)) < 1, `seed ${seed} k ${k}: ${c.captureMs - (T0 + (k / 30) * 1000 + 20)}`);
      assert.equal(c.method, 'arrival');
    }
  }
});

test('RFC 7273: ts-refclk ptp / ntp with mediaclk:direct map RTP straight to UTC (BigInt truth), wrap count from arrival', () => {
  for (const [ref, epochShiftS] of [['ptp=IEEE1588-2008:39-A7-94-FF-FE-07-CB-D0:0', 37n], ['ntp=/traceable/', 2208988800n]] as const) {
    const sdp = parseSdp(['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=cam', 't=0 0', `a=ts-refclk:${ref}`,
      'm=video 5004 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=mediaclk:direct=963214424', ''].join('\r\n'));
    assert.ok(sdp.ok);
    const sync = new SyncManager();
    const m = sync.addStream('cam01', { sdp: { media: sdp.value.media[0]!, session: sdp.value } });
    for (const k of [0, 1, 250]) {
      const captureMs = BigInt(T0) + BigInt(k * 40); // 25 fps
      // ticks since the reference epoch = (Unix ms + epoch shift·1000)·90; RTP = offset + ticks mod 2^32
      const rtp = Number((963214424n + ((captureMs + epochShiftS * 1000n) * 90n)) % 4294967296n);
      const f = sync.pushFrame({ streamId: 'cam01', rtpTimestamp: rtp, arrivalMs: Number(captureMs) + 35 })!;
      assert.equal(f.method, 'rfc7273');
      assert.ok(Math.abs(f.captureMs - Number(captureMs)) < 0.006, `${ref}: ${f.captureMs - Number(captureMs)}`);
    }
    assert.equal(m.referenceClock, ref.slice(0, 3));
    sync.close();
  }
  // A 'local' reference clock says nothing absolute: no RFC 7273 mapping, arrival fallback instead.
  const local = new ClockMapper({ mediaClock: { kind: 'direct', offset: 0 }, refClocks: [{ source: 'local', parameters: '' }] });
  local.onArrival(1000, T0);
  assert.equal(local.method, 'arrival');
  assert.equal(local.referenceClock, null);
});

/** Two cameras capturing at the same instants (30 fps, shared time) with SRs every second. */
function twoSenders(opts: { bDelayMs: number; bNtpAheadMs: number; alignment: 'shared' | 'arrival'; seconds: number; withSr?: boolean }) {
  const rng = new Rng(42);
  const sync = new SyncManager<number>({ clockAlignment: opts.alignment, ringSize: 300 });
  sync.addStream('A', {}, 0);
  sync.addStream('B', {}, 0);
  const baseA = 123456789;
  const baseB = WRAP - 90000 * 2; // B's RTP wraps 2 s in
  for (let k = 0; k < opts.seconds * 30; k++) {
    const t = k / 30;
    if (opts.withSr !== false && k % 30 === 0) {
      sync.pushSenderReport('A', sr(T0 + t * 1000, rtpAt(baseA, t)));
      sync.pushSenderReport('B', sr(T0 + t * 1000 + opts.bNtpAheadMs, rtpAt(baseB, t)));
    }
    sync.pushFrame({ streamId: 'A', rtpTimestamp: rtpAt(baseA, t), arrivalMs: T0 + t * 1000 + 5 + rng.next() * 10, payload: k });
    sync.pushFrame({ streamId: 'B', rtpTimestamp: rtpAt(baseB, t), arrivalMs: T0 + t * 1000 + 5 + opts.bDelayMs + rng.next() * 10, payload: k });
  }
  return sync;
}

test('sender B delivers 400 ms later (encoder/network) but SRs on the shared clock align it: every group pairs the same capture instant', () => {
  const sync = twoSenders({ bDelayMs: 400, bNtpAheadMs: 0, alignment: 'shared', seconds: 10 });
  assert.equal(sync.master, 'A');
  const times = sync.masterFrameTimes();
  assert.equal(times.length, 300);
  let groups = 0;
  for (const t of times.slice(20, 280)) {
    const g = sync.getSynchronizedFrames(t);
    assert.ok(g.complete);
    const [a, b] = g.slots;
    assert.equal(a!.frame!.payload, b!.frame!.payload);
    assert.ok(Math.abs(a!.frame!.syncMs - b!.frame!.syncMs) < 0.1);
    assert.equal(b!.frame!.method, 'sender-report');
    groups++;
  }
  assert.equal(groups, 260);
  const off = sync.offsets();
  assert.equal(off[1]!.clockOffsetMs, 0);
  assert.ok(Math.abs(off[1]!.framePhaseMs!) < 0.1);
  // Control: without SRs (arrival fallback) the same streams pair frames 12 apart (400 ms = 12 frames).
  const noSr = twoSenders({ bDelayMs: 400, bNtpAheadMs: 0, alignment: 'shared', seconds: 10, withSr: false });
  const g = noSr.getSynchronizedFrames(noSr.masterFrameTimes()[200]!);
  assert.equal(g.slots[1]!.frame!.payload! - g.slots[0]!.frame!.payload!, -12);
});

test("sender B's NTP clock 400 ms ahead, frames captured at the same instants: 'arrival' alignment estimates the offset (±1 ms) and pairs them", () => {
  const shared = twoSenders({ bDelayMs: 0, bNtpAheadMs: 400, alignment: 'shared', seconds: 10 });
  const gs = shared.getSynchronizedFrames(shared.masterFrameTimes()[150]!);
  assert.equal(gs.slots[1]!.frame!.payload! - gs.slots[0]!.frame!.payload!, -12); // trusting the wrong clock pairs the wrong frames
  const sync = twoSenders({ bDelayMs: 0, bNtpAheadMs: 400, alignment: 'arrival', seconds: 10 });
  const off = sync.offsets();
  assert.ok(Math.abs(off[1]!.clockOffsetMs - 400) < 1, `offset ${off[1]!.clockOffsetMs}`);
  for (const t of sync.masterFrameTimes().slice(20, 280)) {
    const g = sync.getSynchronizedFrames(t);
    assert.ok(g.complete);
    assert.equal(g.slots[0]!.frame!.payload, g.slots[1]!.frame!.payload);
    assert.ok(Math.abs(g.slots[1]!.deltaMs!) < 1);
  }
});

test('grouping within ±16 ms: phases 0, +5, −15.9 ms in, +16.1 ms and a 10 fps stream at +50 ms out, a dropped frame missing', () => {
  const sync = new SyncManager<number>({ maxTimingOffsetMs: 16 });
  const streams: [string, number, number][] = [['A', 30, 0], ['B', 30, 5], ['C', 30, -15.9], ['D', 30, 16.1], ['E', 10, 50], ['F', 30, 0]];
  for (const [id] of streams) sync.addStream(id, {}, 0);
  streams.forEach(([id, fps, phase], s) => {
    const base = 1000 + s * 99991;
    for (let t = 0; t <= 3; t++) sync.pushSenderReport(id, sr(T0 + t * 1000, rtpAt(base, t)));
    for (let k = 0; k < fps * 3; k++) {
      if (id === 'F' && k === 30) continue; // lost
      const ts = k / fps + phase / 1000;
      sync.pushFrame({ streamId: id, rtpTimestamp: rtpAt(base, ts), arrivalMs: T0 + ts * 1000 + 10, payload: k });
    }
  });
  const g = sync.getSynchronizedFrames(T0 + 1000);
  const by = Object.fromEntries(g.slots.map((s) => [s.streamId, s]));
  assert.equal(g.master, 'A');
  assert.equal(by.A!.frame!.payload, 30);
  assert.equal(by.B!.frame!.payload, 30);
  assert.ok(Math.abs(by.B!.deltaMs! - 5) < 0.01);
  assert.equal(by.C!.frame!.payload, 30);
  assert.ok(Math.abs(by.C!.deltaMs! + 15.9) < 0.01);
  assert.equal(by.D!.frame, null);
  assert.ok(Math.abs(by.D!.deltaMs! - 16.1) < 0.01);
  assert.equal(by.E!.frame, null);
  assert.ok(Math.abs(Math.abs(by.E!.deltaMs!) - 50) < 0.01);
  assert.equal(by.F!.frame, null);
  assert.ok(Math.abs(Math.abs(by.F!.deltaMs!) - 1000 / 30) < 0.01);
  assert.equal(g.complete, false);
  const g2 = sync.getSynchronizedFrames(T0 + 1000 + 1000 / 30);
  assert.equal(g2.slots.find((s) => s.streamId === 'F')!.frame!.payload, 31);
  sync.close();
  sync.close();
});

test('master: healthiest stream; replaced after 2 s below 70 by a stream ≥ 10 points better; no flapping back; removal re-elects', () => {
  const sync = new SyncManager({ masterDwellMs: 2000, degradeBelow: 70, masterMargin: 10 });
  const changes: string[] = [];
  sync.on('master', (e: MasterChange) => changes.push(`${e.previous}->${e.current}:${e.reason}@${e.atMs}`));
  for (const id of ['A', 'B', 'C']) sync.addStream(id, {}, 0);
  sync.setHealth('A', 95, 0);
  sync.setHealth('B', 90, 0);
  sync.setHealth('C', 85, 0);
  sync.setHealth('A', 60, 1000);
  sync.setHealth('A', 60, 2000);
  assert.equal(sync.master, 'A'); // 1 s below, dwell not reached
  sync.setHealth('A', 62, 3000);
  assert.equal(sync.master, 'B');
  sync.setHealth('A', 99, 4000);
  assert.equal(sync.master, 'B'); // B is still healthy: no switch back
  sync.setHealth('B', 50, 5000);
  sync.setHealth('A', 55, 5000);
  sync.setHealth('C', 52, 5000);
  sync.setHealth('B', 50, 8000);
  assert.equal(sync.master, 'B'); // everyone degraded, nobody 10 points better
  sync.setHealth('A', 65, 9000);
  assert.equal(sync.master, 'A');
  sync.removeStream('A', 9500);
  assert.equal(sync.master, 'C');
  assert.deepEqual(changes, ['null->A:initial@0', 'A->B:degraded@3000', 'B->A:degraded@9000', 'A->C:removed@9500']);
});

test('master follows a HealthMonitor through healthOf: a healthy master is kept, its degradation moves it at the next grouping', () => {
  let now = 0;
  const mon = new HealthMonitor({ minDwellMs: 0, now: () => now });
  const sync = new SyncManager({ healthOf: (id) => mon.status(id)?.score, masterDwellMs: 1000, now: () => now });
  mon.update('cam01', 90);
  mon.update('cam02', 95);
  sync.addStream('cam01');
  sync.addStream('cam02');
  assert.equal(sync.electMaster(), 'cam01'); // first registered and healthy: no switch for 5 points
  now = 10;
  mon.update('cam01', 30);
  assert.equal(sync.getSynchronizedFrames(0).master, 'cam01'); // below since 10 ms, dwell 1000 ms
  now = 1010;
  assert.equal(sync.getSynchronizedFrames(0).master, 'cam02');
});

test('sender reports: one report with a 100 ms NTP glitch does not bend the Theil–Sen fit; one report gives 100 ppm·Δt uncertainty', () => {
  const m = new ClockMapper();
  m.onSenderReport(sr(T0, rtpAt(5000, 0)));
  // One report: rate assumed nominal, uncertainty = 100 ppm of the 10 s extrapolation = 1 ms (⊕ half a tick).
  const one = m.captureTime(rtpAt(5000, 10))!;
  assert.ok(Math.abs(one.captureMs - (T0 + 10000)) < 1e-6);
  assert.ok(Math.abs(one.uncertaintyMs - Math.hypot(1, 1000 / 90000 / 2)) < 1e-6);
  for (let t = 1; t <= 10; t++) m.onSenderReport(sr(T0 + t * 1000 + (t === 5 ? 100 : 0), rtpAt(5000, t, 20)));
  assert.equal(m.srResets, 0);
  assert.ok(Math.abs(m.driftPpm! - 20) < 1, `drift ${m.driftPpm}`);
  assert.ok(Math.abs(m.captureTime(rtpAt(5000, 7, 20))!.captureMs - (T0 + 7000)) < 0.05);
});

test('worked example (docs): two SRs 10 s apart, 900 045 ticks → +50 ppm; RTP 1 450 000 was captured 4999.750 ms after the first', () => {
  const m = new ClockMapper();
  m.onSenderReport(sr(T0, 1_000_000));
  m.onSenderReport(sr(T0 + 10_000, 1_900_045));
  assert.ok(Math.abs(m.driftPpm! - 50) < 1e-3);
  // By hand: 450 000 ticks · 10 000 ms / 900 045 ticks = 4999.7500 ms.
  assert.ok(Math.abs(m.captureTime(1_450_000)!.captureMs - (T0 + 4999.75)) < 0.001);
});

test('robustness: 20 000 random frames and reports (NaN, huge jumps, wraps) never throw; outputs are finite or null', () => {
  const rng = new Rng(2026);
  const sync = new SyncManager<number>({ ringSize: 64 });
  for (const id of ['a', 'b', 'c']) sync.addStream(id, { arrivalWindow: 64 }, 0);
  const pick = (): number => {
    const r = rng.next();
    if (r < 0.02) return NaN;
    if (r < 0.3) return Math.floor(rng.next() * WRAP);
    return (1e6 + Math.floor(rng.next() * 9000)) >>> 0;
  };
  for (let i = 0; i < 20000; i++) {
    const id = ['a', 'b', 'c'][i % 3]!;
    if (rng.next() < 0.05) {
      const n = ntpFromUnixMs(T0 + rng.next() * 1e7);
      sync.pushSenderReport(id, { ntpSec: rng.next() < 0.02 ? NaN : n.sec, ntpFrac: n.frac, rtpTimestamp: pick() });
    } else {
      const f = sync.pushFrame({ streamId: id, rtpTimestamp: pick(), arrivalMs: T0 + i * 11 + rng.next() * 1000, payload: i });
      assert.ok(f === null || Number.isFinite(f.captureMs) && Number.isFinite(f.syncMs) && Number.isFinite(f.uncertaintyMs));
    }
    if (i % 500 === 0) {
      const g = sync.getSynchronizedFrames(T0 + i * 11);
      assert.equal(g.slots.length, 3);
      for (const sl of g.slots) assert.ok(sl.frame === null || Number.isFinite(sl.frame.captureMs));
      if (i % 5000 === 0) sync.resetStream('b');
    }
  }
  for (const o of sync.offsets()) assert.ok(o.driftPpm === null || Number.isFinite(o.driftPpm));
});
