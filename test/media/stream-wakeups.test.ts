/**
 * Timer wake-ups of a live stream. Every wake-up of the process costs far more CPU than the
 * packet work it does (see docs/MEDIA.md, "CPU per stream"). By default (earlyRelease) a frame
 * whose packets continue the sequence leaves when its last packet arrives, with no timer at all;
 * only a gap waits the playout delay. With earlyRelease off each frame is released by one timer
 * firing at its last packet's playout time. Metrics samples and receiver reports ride on
 * wake-ups the stream has anyway. Real loopback UDP, times on a manual clock: the counts
 * and times below are exact, whatever the machine's load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { RtpHeader, RtpPacket } from 'werift-rtp';
import { LiveStream } from '../../src/media/stream/index.ts';
import type { MediaFrame } from '../../src/media/index.ts';
import { freeUdpPair, ManualClock } from './peer.ts';

/** A manual clock that counts the timers that fire. */
class CountingClock extends ManualClock {
  fired = 0;
  override setTimeout(fn: () => void, ms: number): number {
    return super.setTimeout(() => {
      this.fired++;
      fn();
    }, ms);
  }
}

test('earlyRelease off: one timer firing per frame; each frame released whole at its last packet\'s arrival + the playout delay', async () => {
  const port = await freeUdpPair();
  const clock = new CountingClock();
  const delayed: { ts: number; at: number; complete: boolean }[] = [];
  const s = new LiveStream({
    id: 'wake', source: { kind: 'udp', port, bindAddress: '127.0.0.1' }, codec: 'h264', jitterBufferMs: 100, earlyRelease: false, clock,
    onFrame: (f: MediaFrame) => delayed.push({ ts: f.timestamp, at: clock.now(), complete: f.complete }),
  });
  await s.connect();
  const tx = createSocket('udp4');
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
  // 2 s at 30 frames/s, 5 packets per frame 0.25 ms apart (an encoder's burst); every frame an
  // IDR slice (NAL type 5, first_mb_in_slice 0) so that every one is decodable on its own.
  const frames = 60, perFrame = 5;
  const lastArrival = new Map<number, number>();
  let seq = 0;
  let firedBefore = 0;
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < perFrame; k++) {
      const at = 1000 + (f * 1000) / 30 + k * 0.25;
      const data = new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq++, timestamp: f * 3000, ssrc: 0x5eed, marker: k === perFrame - 1 }),
        Buffer.concat([Buffer.from([0x65]), Buffer.alloc(99, 0x88)])).serialize();
      clock.advance(at);
      if (f === 0 && k === 0) firedBefore = clock.fired; // samples while waiting for the sender
      tx.send(data, port, '127.0.0.1');
      for (let w = 0; w < 2000 && s.metrics().transport.rtpPackets < seq; w++) await new Promise((r) => setImmediate(r));
      lastArrival.set(f * 3000, at);
    }
  }
  const firedWhileStreaming = clock.fired - firedBefore;
  clock.advance(1000 + (frames * 1000) / 30 + 300);
  tx.close();
  const m = s.metrics();
  await s.close();

  assert.equal(m.transport.rtpPackets, frames * perFrame, 'every datagram reached the stream');
  assert.equal(delayed.length, frames);
  for (const [i, d] of delayed.entries()) {
    assert.equal(d.ts, i * 3000, 'in order');
    assert.ok(d.complete);
    // Released at the last packet's playout time (exact on this clock), never before it.
    assert.equal(d.at, lastArrival.get(d.ts)! + 100, `frame ${i} released at ${d.at}`);
  }
  // While packets flowed (2 s): the frames that fell due then (about 57) took one firing each;
  // samples (every 250 ms) and receiver reports (every 1000 ms) rode on datagram wake-ups.
  // (The previous scheme fired twice per frame: at its first packet's time, and a 4 ms granule
  // later for the rest, plus once per sample and report: 117 firings in this test.)
  assert.ok(firedWhileStreaming <= frames, `timer fired ${firedWhileStreaming} times for ${frames} frames`);
  assert.ok(m.transport.rtcpSent >= 2, 'receiver reports were still sent');
  assert.ok(m.window_ms > 0, 'metrics samples were still taken');
});

test('earlyRelease (default): in-sequence frames leave at their last packet, no timer; a gap waits the playout delay, then what queued behind it leaves at once', async (t) => {
  const port = await freeUdpPair();
  const clock = new CountingClock();
  const out: { ts: number; at: number; complete: boolean }[] = [];
  const s = new LiveStream({
    id: 'early', source: { kind: 'udp', port, bindAddress: '127.0.0.1' }, codec: 'h264', jitterBufferMs: 100, clock,
    onFrame: (f: MediaFrame) => out.push({ ts: f.timestamp, at: clock.now(), complete: f.complete }),
  });
  await s.connect();
  const tx = createSocket('udp4');
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', () => r()));
  // As above, 60 frames of 5 packets; frame 20 sends its packets 3 and 4 swapped (reordering);
  // frame 40 loses packet 2.
  const frames = 60, perFrame = 5;
  const first = new Map<number, number>(), last = new Map<number, number>();
  let sent = 0, firedBefore = 0, gapDeclaredAt = 0;
  for (let f = 0; f < frames; f++) {
    const order = f === 20 ? [0, 1, 2, 4, 3] : [0, 1, 2, 3, 4];
    for (let j = 0; j < perFrame; j++) {
      const k = order[j]!;
      const at = 1000 + (f * 1000) / 30 + j * 0.25;
      clock.advance(at);
      if (f === 0 && j === 0) firedBefore = clock.fired;
      if (f === 40 && k === 2) continue; // lost
      if (f === 40 && k === 4) gapDeclaredAt = at + 100; // the frame's packets behind the gap wait together: its last one, plus the delay
      const data = new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: f * perFrame + k, timestamp: f * 3000, ssrc: 0x5eed, marker: k === perFrame - 1 }),
        Buffer.concat([Buffer.from([0x65]), Buffer.alloc(99, 0x88)])).serialize();
      tx.send(data, port, '127.0.0.1');
      sent++;
      for (let w = 0; w < 2000 && s.metrics().transport.rtpPackets < sent; w++) await new Promise((r) => setImmediate(r));
      if (!first.has(f)) first.set(f, at);
      last.set(f, at);
    }
  }
  const fired = clock.fired - firedBefore;
  clock.advance(1000 + (frames * 1000) / 30 + 300);
  tx.close();
  const m = s.metrics();
  await s.close();

  assert.equal(m.transport.rtpPackets, frames * perFrame - 1);
  // Frame 40 is incomplete: never delivered as whole; every other one is, in order.
  assert.deepEqual(out.map((d) => d.ts / 3000), [...Array(frames).keys()].filter((f) => f !== 40));
  assert.ok(out.every((d) => d.complete));
  for (const d of out) {
    const f = d.ts / 3000;
    // The stream's first frame waits the delay (an earlier packet could still come to start the
    // sequence), and so does what queues behind it; behind the gap likewise until the loss is
    // declared; otherwise a frame leaves at its last packet (frame 20: the swapped packet 3).
    const startAt = last.get(0)! + 100;
    const want = first.get(f)! < startAt ? Math.max(last.get(f)!, startAt)
      : f > 40 && first.get(f)! < gapDeclaredAt ? Math.max(last.get(f)!, gapDeclaredAt) : last.get(f)!;
    assert.ok(Math.abs(d.at - want) < 1e-6, `frame ${f} released at ${d.at}, expected ${want}`);
  }
  assert.ok(out.filter((d) => d.ts / 3000 > 40 && Math.abs(d.at - gapDeclaredAt) < 1e-6).length >= 2, 'frames 41 and 42 waited behind the gap');
  // Timer firings while streaming (2 s): the stream's start and the gap's deadline, plus the
  // housekeeping timer (samples every 250 ms, receiver reports every 1000 ms; a datagram does the
  // work first, but an armed timer is never moved later): 2 + 8 + 2 at most. Holding every
  // frame (above) takes one firing per frame: about 60 here.
  t.diagnostic(`timer fired ${fired} times in 2 s of 30 frames/s`);
  assert.ok(fired <= 12, `timer fired ${fired} times`);
  assert.equal(m.packets_lost, 1);
});
