import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JitterBuffer, RtpReceiverCore, serializeRtp, type JitterOutput } from '../../src/media/index.ts';

type P = { sequenceNumber: number; tag?: string };
const show = (out: JitterOutput<P>[]) =>
  out.map((o) => (o.kind === 'packet' ? `${o.packet.sequenceNumber}` : o.kind === 'lost' ? `lost${o.count}` : 'reset'));

test('reordering: packets come out in sequence order once each has waited the playout delay', () => {
  const jb = new JitterBuffer<P>({ delayMs: 100 });
  jb.push({ sequenceNumber: 10 }, 0);
  jb.push({ sequenceNumber: 12 }, 1);
  jb.push({ sequenceNumber: 11 }, 2);
  assert.deepEqual(show(jb.poll(99)), []);
  assert.deepEqual(show(jb.poll(100)), ['10']); // 11 arrived at 2 ms: due at 102
  assert.equal(jb.nextDeadline(), 102);
  assert.deepEqual(show(jb.poll(102)), ['11', '12']);
  assert.equal(jb.size, 0);
});

test('duplicates are removed', () => {
  const jb = new JitterBuffer<P>({ delayMs: 50 });
  assert.equal(jb.push({ sequenceNumber: 5 }, 0), 'accepted');
  assert.equal(jb.push({ sequenceNumber: 5 }, 1), 'duplicate');
  assert.equal(jb.push({ sequenceNumber: 6 }, 1), 'accepted');
  assert.deepEqual(show(jb.poll(1000)), ['5', '6']);
  assert.equal(jb.push({ sequenceNumber: 6 }, 1001), 'late', 'a copy after release is late, not output again');
  assert.deepEqual(jb.stats, { accepted: 2, duplicates: 1, late: 1, lost: 0, resets: 0, overflows: 0 });
});

test('16-bit wrap: 65534, 0, 65535, 1 come out as 65534, 65535, 0, 1 with consecutive extended numbers', () => {
  const jb = new JitterBuffer<P>({ delayMs: 50 });
  for (const s of [65534, 0, 65535, 1]) jb.push({ sequenceNumber: s }, 0);
  const out = jb.poll(50);
  assert.deepEqual(show(out), ['65534', '65535', '0', '1']);
  const ext = out.map((o) => (o.kind === 'packet' ? o.seq : -1));
  assert.deepEqual(ext.map((e) => e - ext[0]!), [0, 1, 2, 3]);
});

test('loss declared by wall-clock time: a stalled stream still drains, a late copy is refused', () => {
  const jb = new JitterBuffer<P>({ delayMs: 80 });
  jb.push({ sequenceNumber: 1 }, 0);
  jb.push({ sequenceNumber: 3 }, 10);
  // Nothing else ever arrives.
  assert.deepEqual(show(jb.poll(79)), []);
  assert.deepEqual(show(jb.poll(80)), ['1']);
  assert.deepEqual(show(jb.poll(89)), []);
  assert.deepEqual(show(jb.poll(90)), ['lost1', '3']);
  assert.equal(jb.push({ sequenceNumber: 2 }, 95), 'late');
  assert.equal(jb.stats.lost, 1);
  assert.equal(jb.nextDeadline(), null);
});

test('sender restart (jump beyond maxDropout) flushes and restarts numbering', () => {
  const jb = new JitterBuffer<P>({ delayMs: 50 });
  jb.push({ sequenceNumber: 100 }, 0);
  assert.equal(jb.push({ sequenceNumber: 40000 }, 1), 'reset');
  jb.push({ sequenceNumber: 40001 }, 2);
  assert.deepEqual(show(jb.poll(60)), ['100', 'reset', '40000', '40001']);
});

test('a full ring releases its oldest packets early instead of growing', () => {
  const jb = new JitterBuffer<P>({ delayMs: 200, capacity: 16 });
  for (let s = 0; s < 20; s++) jb.push({ sequenceNumber: s }, 0);
  assert.equal(jb.size, 16);
  assert.deepEqual(show(jb.poll(0)), ['0', '1', '2', '3']);
  assert.equal(jb.stats.overflows, 4);
});

test('options are validated at construction (playout delay 50–200 ms)', () => {
  assert.throws(() => new JitterBuffer({ delayMs: 20 }), { code: 'MEDIA_OPTIONS' });
  assert.throws(() => new JitterBuffer({ delayMs: 250 }), { code: 'MEDIA_OPTIONS' });
});

// Frame-level concealment through the whole receiver core, with H.264 packets built by hand:
// an IDR in 3 FU-A fragments, P frames as 2 FU-A fragments each, 1 frame per 100 ms.
function h264Stream(frames: ('I' | 'P')[]): { seq: number; ts: number; bytes: Uint8Array; frame: number }[] {
  const out: { seq: number; ts: number; bytes: Uint8Array; frame: number }[] = [];
  let seq = 65530; // crosses the 16-bit wrap
  frames.forEach((kind, f) => {
    const nalHeader = kind === 'I' ? 0x65 : 0x41;
    const n = kind === 'I' ? 3 : 2;
    for (let i = 0; i < n; i++) {
      const fuHeader = (i === 0 ? 0x80 : 0) | (i === n - 1 ? 0x40 : 0) | (nalHeader & 0x1f);
      const payload = Uint8Array.from([(nalHeader & 0xe0) | 28, fuHeader, 0x80 | f, i, 0xaa]); // 0x80: first_mb_in_slice 0
      out.push({ seq: seq & 0xffff, ts: f * 9000, frame: f, bytes: serializeRtp({ payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: f * 9000, ssrc: 42, marker: i === n - 1, payload }) });
      seq++;
    }
  });
  return out;
}

test('a lost packet inside a frame: that frame is never output, P frames are held until the next IDR, a PLI is asked once', () => {
  const pattern: ('I' | 'P')[] = ['I', 'P', 'P', 'P', 'P', 'P', 'I', 'P'];
  const pkts = h264Stream(pattern);
  const rx = new RtpReceiverCore({ codec: 'h264', payloadType: 96, jitterBufferMs: 100, keyframeRequestIntervalMs: 1000 });
  const lostIndex = pkts.findIndex((p) => p.frame === 3) ; // first fragment of frame 3
  const delivered: number[] = [];
  let requests = 0;
  pkts.forEach((p, k) => {
    const now = p.frame * 100 + k; // frames 100 ms apart
    if (k !== lostIndex) rx.pushRtp(p.bytes, now);
    const r = rx.poll(now);
    delivered.push(...r.frames.map((f) => f.timestamp / 9000));
    if (r.requestKeyframe) requests++;
  });
  const r = rx.poll(10_000);
  delivered.push(...r.frames.map((f) => f.timestamp / 9000));
  if (r.requestKeyframe) requests++;
  assert.deepEqual(delivered, [0, 1, 2, 6, 7]);
  assert.equal(requests, 1);
  const g = rx.gateStats();
  assert.equal(g.droppedIncomplete, 1);
  assert.equal(g.droppedAwaitingKeyframe, 2);
  assert.equal(rx.statistics().cumulativeLost, 1);
  // The request is an RR followed by a PLI for the sender's SSRC.
  const pli = rx.buildKeyframeRequest();
  assert.deepEqual([...pli.subarray(8, 20)], [0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 42]);
});

test('reordered and duplicated packets across the wrap still give every frame whole', () => {
  const pkts = h264Stream(['I', 'P', 'P', 'P']);
  const order = [0, 2, 1, 3, 3, 5, 4, 6, 8, 7, 7];
  const rx = new RtpReceiverCore({ codec: 'h264', jitterBufferMs: 50 });
  order.forEach((i, k) => rx.pushRtp(pkts[i]!.bytes, k));
  const r = rx.poll(1000);
  assert.deepEqual(r.frames.map((f) => [f.timestamp / 9000, f.complete, f.keyframe]), [[0, true, true], [1, true, false], [2, true, false], [3, true, false]]);
  assert.equal(rx.jitterStats().duplicates, 2);
  // Arrival of each frame's earliest packet: frame 3's second fragment (k = 8) came before its first (k = 9).
  assert.deepEqual(r.frames.map((f) => f.arrivalMs), [0, 3, 5, 8]);
  // FU-A reassembly: start code, rebuilt NAL header 0x65, then the fragments' bytes.
  assert.deepEqual([...r.frames[0]!.data], [0, 0, 0, 1, 0x65, 0x80, 0, 0xaa, 0x80, 1, 0xaa, 0x80, 2, 0xaa]);
});

test('before anything is released, a packet older than the first one seen is accepted and goes first', () => {
  const jb = new JitterBuffer<P>({ delayMs: 50 });
  jb.push({ sequenceNumber: 2110 }, 0);
  assert.equal(jb.push({ sequenceNumber: 2109 }, 0), 'accepted');
  assert.deepEqual(show(jb.poll(50)), ['2109', '2110']);
  assert.equal(jb.push({ sequenceNumber: 2108 }, 51), 'late');
});

test('drain hands out exactly what poll lists, in the same order (random pushes with loss, reordering, duplicates, restarts, overflow)', () => {
  type Q = { sequenceNumber: number };
  const a = new JitterBuffer<Q>({ delayMs: 60, capacity: 32, maxDropout: 200 });
  const b = new JitterBuffer<Q>({ delayMs: 60, capacity: 32, maxDropout: 200 });
  let x = 12345;
  const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
  const listed: string[] = [];
  const drained: string[] = [];
  const v = {
    packet: (p: Q, seq: number, arrivalMs: number) => drained.push(`p${p.sequenceNumber}/${seq}@${arrivalMs}`),
    lost: (seq: number, count: number) => drained.push(`lost${seq}+${count}`),
    reset: () => drained.push('reset'),
  };
  let seq = 60000, now = 0;
  for (let i = 0; i < 5000; i++) {
    now += rnd(7);
    const r = rnd(100);
    seq = r < 2 ? rnd(65536) : r < 8 ? seq + 2 + rnd(40) : r < 15 ? seq - rnd(5) : seq + 1;
    const p = { sequenceNumber: seq & 0xffff };
    assert.equal(a.push(p, now), b.push(p, now));
    if (rnd(3) === 0) {
      for (const o of a.poll(now)) listed.push(o.kind === 'packet' ? `p${o.packet.sequenceNumber}/${o.seq}@${o.arrivalMs}` : o.kind === 'lost' ? `lost${o.seq}+${o.count}` : 'reset');
      b.drain(now, v);
    }
  }
  assert.ok(listed.length > 1000);
  assert.deepEqual(drained, listed);
  assert.deepEqual(b.stats, a.stats);
});

test('group deadline: the first frame falls due with its last consecutive packet; a gap ends the run', () => {
  type F = { sequenceNumber: number; ts: number };
  const same = (p: F, q: F) => p.ts === q.ts;
  const jb = new JitterBuffer<F>({ delayMs: 100 });
  jb.push({ sequenceNumber: 10, ts: 0 }, 0);
  jb.push({ sequenceNumber: 11, ts: 0 }, 3);
  jb.push({ sequenceNumber: 12, ts: 0 }, 2);
  jb.push({ sequenceNumber: 13, ts: 3000 }, 33);
  assert.equal(jb.nextDeadline(), 100, 'first packet alone');
  assert.equal(jb.nextGroupDeadline(same), 103, 'latest arrival of the frame (3 ms) + 100');
  assert.equal(jb.poll(103).length, 3);
  assert.equal(jb.nextGroupDeadline(same), 133);
  const g = new JitterBuffer<F>({ delayMs: 100 });
  g.push({ sequenceNumber: 1, ts: 0 }, 0);
  g.push({ sequenceNumber: 3, ts: 0 }, 9); // 2 missing: the run stops before the gap
  assert.equal(g.nextGroupDeadline(same), 100);
  assert.equal(new JitterBuffer<F>().nextGroupDeadline(same), null);
});

test('earlyRelease: in-sequence packets leave at once after the first release; a gap holds what follows for delayMs, then declares the loss', () => {
  const jb = new JitterBuffer<{ sequenceNumber: number }>({ delayMs: 100, earlyRelease: true });
  const seqs = (o: ReturnType<typeof jb.poll>) => o.map((x) => (x.kind === 'packet' ? x.packet.sequenceNumber : x.kind === 'lost' ? `lost ${x.seq & 0xffff}+${x.count}` : 'reset'));
  jb.push({ sequenceNumber: 10 }, 0);
  assert.deepEqual(seqs(jb.poll(0)), [], 'the first packet waits: an earlier one may still start the sequence');
  assert.equal(jb.nextDeadline(), 100);
  jb.push({ sequenceNumber: 9 }, 50); // reordered start: accepted before the first release, and waits its own delay
  assert.deepEqual(seqs(jb.poll(100)), []);
  assert.equal(jb.nextDeadline(), 150);
  assert.deepEqual(seqs(jb.poll(150)), [9, 10]);
  jb.push({ sequenceNumber: 11 }, 160);
  assert.equal(jb.nextDeadline(), 160, 'next in sequence: due at its arrival');
  assert.deepEqual(seqs(jb.poll(160)), [11]);
  jb.push({ sequenceNumber: 13 }, 170); // 12 missing
  assert.deepEqual(seqs(jb.poll(170)), []);
  assert.equal(jb.nextDeadline(), 270);
  jb.push({ sequenceNumber: 12 }, 180); // the reordered one comes
  assert.deepEqual(seqs(jb.poll(180)), [12, 13]);
  jb.push({ sequenceNumber: 15 }, 190); // 14 lost
  jb.push({ sequenceNumber: 16 }, 200);
  assert.deepEqual(seqs(jb.poll(289)), []);
  assert.deepEqual(seqs(jb.poll(290)), ['lost 14+1', 15, 16], 'after the gap, 16 follows at once although its own delay is not over');
  jb.push({ sequenceNumber: 14 }, 300);
  assert.deepEqual(seqs(jb.poll(300)), []);
  assert.equal(jb.stats.late, 1);
  assert.equal(jb.stats.lost, 1);
});
