/**
 * StreamDecoder with real FFmpeg-encoded input. Every source frame k has mean grey level
 * 20 + 6k, so each decoded picture names the frame it came from independently of the decoder's
 * bookkeeping; the pairing (inputIndex, RTP timestamp) must agree with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AccessUnitSplitter, annexBBytes, JpegSplitter } from '../../src/media/sender/index.ts';
import { StreamDecoder, type DecodedFrame, type DecoderInput } from '../../src/media/decode/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { encodeFrames, patternFrames } from './sender-helpers.ts';
import { sleep } from './peer.ts';

const FPS = 15;

/** Frame index from the picture's mean level (20 + 6k, ±0.5 frame of codec error allowed). */
function identify(f: DecodedFrame): number {
  let s = 0;
  for (let i = 0; i < f.data.length; i++) s += f.data[i]!;
  return (s / f.data.length - 20) / 6;
}

async function encoded(dir: string, name: string, codec: 'h264' | 'h265' | 'mjpeg', w: number, h: number, n: number, gop: number, base = 20): Promise<DecoderInput[]> {
  const extra = codec === 'h264' ? ['-g', String(gop)] : codec === 'h265' ? ['-g', String(gop)] : [];
  const file = await encodeFrames(dir, name, patternFrames(w, h, n, base), w, h, FPS, codec, extra);
  const bytes = readFileSync(file);
  const frames: { data: Uint8Array; keyframe: boolean }[] = [];
  if (codec === 'mjpeg') {
    for (const j of new JpegSplitter().push(bytes)) frames.push({ data: j, keyframe: true });
  } else {
    const sp = new AccessUnitSplitter(codec);
    for (const au of [...sp.push(bytes), ...sp.flush()]) frames.push({ data: annexBBytes(au.nals), keyframe: au.keyframe });
  }
  assert.equal(frames.length, n);
  const k0 = (base - 20) / 6;
  return frames.map((f, k) => ({ ...f, timestamp: (k0 + k) * 6000, captureMs: (k0 + k) * 1000 / FPS }));
}

/** Reads frames until `count` arrived or `ms` passed; checks identity and pairing of each. */
async function collect(dec: StreamDecoder, count: number, ms = 8000): Promise<DecodedFrame[]> {
  const out: DecodedFrame[] = [];
  const end = Date.now() + ms;
  while (out.length < count && Date.now() < end) {
    const f = dec.read();
    if (!f) { await sleep(10); continue; }
    out.push({ ...f, data: f.data.slice() });
    dec.release(f);
  }
  return out;
}

function checkIdentity(frames: DecodedFrame[]): void {
  for (const f of frames) {
    const k = identify(f);
    assert.ok(Math.abs(k - f.rtpTimestamp / 6000) < 0.5, `picture of frame ${k.toFixed(2)} paired with RTP ${f.rtpTimestamp / 6000}`);
  }
}

for (const codec of ['h264', 'h265', 'mjpeg'] as const) {
  test(`${codec}: every frame decoded once, in order, paired with its own RTP timestamp and capture time`, async (t) => {
    const dir = tmpDir(t);
    const N = 24;
    const inputs = await encoded(dir, codec, codec, 160, 128, N, 8);
    const dec = new StreamDecoder({ codec, capacity: 64, enableFrameSkipping: false });
    t.after(() => dec.close());
    for (const i of inputs) assert.equal(dec.push(i), 'decoding');
    // FFmpeg's pipeline holds the last few pictures until more input comes (or stdin closes).
    const early = await collect(dec, N - 4, 3000);
    assert.ok(early.length >= N - 4, `${early.length} of ${N} before the end of the stream`);
    assert.equal(dec.state, 'running');
    await dec.flush();
    const got = [...early, ...await collect(dec, N - early.length, 2000)];
    assert.equal(got.length, N, `${got.length} of ${N} pictures (${dec.lastError})`);
    checkIdentity(got);
    assert.deepEqual(got.map((f) => f.inputIndex), inputs.map((_, k) => k));
    assert.deepEqual(got.map((f) => f.captureMs), inputs.map((i) => i.captureMs));
    assert.ok(got.every((f) => f.width === 160 && f.height === 128));
    assert.deepEqual(dec.pictureSize, { width: 160, height: 128 });
    assert.equal(dec.stats.unpaired, 0);
    assert.equal(dec.stats.decoderErrors, 0);
    assert.equal(dec.state, 'awaiting-keyframe', 'after flush() the next key frame starts a new decoder');
  });
}

test('a decoder killed with SIGKILL is restarted at the next key frame; pairing stays right', async (t) => {
  const dir = tmpDir(t);
  const N = 36;
  const inputs = await encoded(dir, 'crash', 'h264', 160, 128, N, 10);
  const dec = new StreamDecoder({ codec: 'h264', capacity: 64 });
  t.after(() => dec.close());
  const outcomes: string[] = [];
  for (let k = 0; k < 15; k++) outcomes.push(dec.push(inputs[k]!));
  const before = await collect(dec, 12, 4000);
  const pid = dec.pid!;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200 && dec.state !== 'awaiting-keyframe'; i++) await sleep(10);
  assert.equal(dec.state, 'awaiting-keyframe');
  for (let k = 15; k < N; k++) outcomes.push(dec.push(inputs[k]!));
  // Frames 15–19 follow a key frame the new decoder never saw: dropped; 20 is the next IDR.
  assert.deepEqual(outcomes.slice(15, 20), Array(5).fill('awaiting-keyframe'));
  assert.equal(dec.state, 'running');
  const newPid = dec.pid;
  await dec.flush();
  const lost = dec.stats.lostInDecoder;
  // Pictures still inside the killed FFmpeg are lost, and counted.
  const more = await collect(dec, 15 - before.length - lost + N - 20, 2000);
  const all = [...before, ...more];
  assert.equal(all.length + lost, 15 + N - 20);
  checkIdentity(all);
  const after = all.filter((f) => f.inputIndex >= 15);
  assert.equal(after.length, N - 20);
  assert.deepEqual(after.map((f) => f.inputIndex), Array.from({ length: N - 20 }, (_, i) => 20 + i));
  assert.ok(newPid !== undefined && newPid !== pid);
  assert.equal(dec.stats.crashes, 1);
  assert.equal(dec.stats.spawns, 2);
  assert.equal(dec.stats.awaitingKeyframe, 5);
});

test('a key frame with another picture size restarts FFmpeg; both sizes decode, in order', async (t) => {
  const dir = tmpDir(t);
  const a = await encoded(dir, 'a', 'h264', 160, 128, 12, 6);
  const b = await encoded(dir, 'b', 'h264', 96, 64, 12, 6, 20 + 6 * 12);
  const dec = new StreamDecoder({ codec: 'h264', capacity: 64 });
  t.after(() => dec.close());
  const outcomes = [...a, ...b].map((i) => dec.push(i));
  assert.ok(outcomes.every((o) => o === 'decoding' || o === 'queued'), outcomes.join());
  await dec.flush();
  const got = await collect(dec, 24);
  assert.equal(got.length, 24);
  checkIdentity(got);
  assert.deepEqual(got.map((f) => f.inputIndex), Array.from({ length: 24 }, (_, i) => i));
  assert.deepEqual(got.map((f) => `${f.width}x${f.height}`), [...Array(12).fill('160x128'), ...Array(12).fill('96x64')]);
  assert.equal(dec.stats.resolutionChanges, 1);
  assert.equal(dec.stats.spawns, 2);
  assert.equal(dec.stats.crashes, 0);
  assert.deepEqual(dec.pictureSize, { width: 96, height: 64 });
});

test('frame skipping under overload: at most max_skip_frames in a row, every kept frame identified, counts add up', async (t) => {
  const dir = tmpDir(t);
  const N = 36; // mean levels up to 20 + 6·35 = 230, clear of clipping
  for (const codec of ['mjpeg', 'h264'] as const) {
    const inputs = await encoded(dir, `skip-${codec}`, codec, 160, 128, N, 9);
    const dec = new StreamDecoder({ codec, capacity: 40, lagThreshold: 4, maxSkipFrames: 2, maxInFlight: 4 });
    t.after(() => dec.close());
    // A consumer that reads nothing until the end: the ring fills to the lag threshold, then skips.
    const outcomes = inputs.map((i) => dec.push(i));
    await dec.flush();
    const got = await collect(dec, N, 500);
    checkIdentity(got);
    const idx = got.map((f) => f.inputIndex);
    let longest = 0;
    for (let i = 1; i < idx.length; i++) longest = Math.max(longest, idx[i]! - idx[i - 1]! - 1);
    longest = Math.max(longest, idx[0]!, N - 1 - idx[idx.length - 1]!);
    const s = dec.stats;
    assert.ok(longest <= 2, `${codec}: gap of ${longest} frames between kept frames (${idx.join(',')})`);
    assert.ok(s.longestSkipRun <= 2);
    assert.equal(got.length + s.skippedInput + s.skippedOutput + s.overflowed + s.expired, N, JSON.stringify(s));
    assert.equal(s.overflowed, 0);
    assert.ok(s.skippedInput + s.skippedOutput > N / 3, `${codec}: ${s.skippedInput} + ${s.skippedOutput} skipped`);
    // JPEGs can be skipped before decoding; x264 P frames are all references, so H.264 skips after.
    if (codec === 'mjpeg') assert.ok(s.skippedInput > 0 && outcomes.includes('skipped'));
    else assert.ok(s.skippedInput === 0 && s.skippedOutput > 0);
  }
});

test('frames older than max_frame_age_ms are dropped unread and counted; close() is idempotent', async (t) => {
  const dir = tmpDir(t);
  const inputs = await encoded(dir, 'age', 'mjpeg', 160, 128, 6, 1);
  let now = 0;
  const dec = new StreamDecoder({ codec: 'mjpeg', maxFrameAgeMs: 100, now: () => now, enableFrameSkipping: false });
  inputs.slice(0, 3).forEach((i) => dec.push(i));
  now = 1000;
  inputs.slice(3).forEach((i) => dec.push(i));
  await dec.flush();
  const got = await collect(dec, 3, 300);
  assert.deepEqual(got.map((f) => f.inputIndex), [3, 4, 5]);
  checkIdentity(got);
  assert.equal(dec.stats.expired, 3);
  await dec.close();
  await dec.close();
  assert.equal(dec.state, 'closed');
  assert.equal(dec.push(inputs[0]!), 'closed');
  assert.equal(await dec.next(), null);
  assert.throws(() => new StreamDecoder({ codec: 'vp8' as 'h264' }), /codec/);
  assert.throws(() => new StreamDecoder({ codec: 'h264', hwaccel: 'cuda; rm -rf' }), /hwaccel/);
  assert.throws(() => new StreamDecoder({ codec: 'h264', capacity: 0 }), /capacity/);
});

test('hwaccel is passed to FFmpeg: -hwaccel auto (software fallback on this machine) decodes the same pictures', async (t) => {
  const dir = tmpDir(t);
  const inputs = await encoded(dir, 'hw', 'h264', 160, 128, 12, 6);
  const dec = new StreamDecoder({ codec: 'h264', hwaccel: 'auto', enableFrameSkipping: false });
  t.after(() => dec.close());
  for (const i of inputs) dec.push(i);
  await dec.flush();
  const got = await collect(dec, 12, 2000);
  assert.equal(got.length, 12, dec.lastError);
  checkIdentity(got);
});

test('FrameRing against a brute-force model: random lag patterns never skip more than max in a row, and pairing follows input order', async () => {
  const { FrameRing } = await import('../../src/media/decode/index.ts');
  let seed = 99;
  const rnd = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 2 ** 32; };
  for (let trial = 0; trial < 200; trial++) {
    const maxSkip = Math.floor(rnd() * 4);
    const released: number[] = [];
    const ring = new FrameRing({ capacity: 1000, lagThreshold: 1 + Math.floor(rnd() * 4), maxSkipFrames: maxSkip, maxInFlight: 1 + Math.floor(rnd() * 6) },
      (f) => { released.push(f.inputIndex); });
    const fate: ('kept' | 'skipped')[] = [];
    const inFlight: number[] = [];
    let nextInput = 0;
    const read: number[] = [];
    for (let step = 0; step < 300; step++) {
      const r = rnd();
      if (r < 0.5) {
        const k = nextInput++;
        const written = ring.admit({ rtpTimestamp: k, captureMs: null, inputMs: 0, keyframe: false, inputIndex: k }, rnd() < 0.5);
        if (written) inFlight.push(k); else fate[k] = 'skipped';
      } else if (r < 0.85 && inFlight.length > 0) {
        const k = inFlight.shift()!;
        const f = ring.deliver(new Uint8Array(1), 1, 1, 1, 0);
        if (f) { assert.equal(f.inputIndex, k, 'picture paired with the oldest written input'); fate[k] = 'kept'; }
        else { assert.equal(released.at(-1), k); fate[k] = 'skipped'; }
      } else {
        const f = ring.read(0);
        if (f) read.push(f.inputIndex);
      }
    }
    // Runs of skips over the inputs whose fate is settled, in input order.
    let run = 0, longest = 0;
    for (let k = 0; k < nextInput; k++) {
      if (fate[k] === undefined) break;
      run = fate[k] === 'skipped' ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    assert.ok(longest <= maxSkip, `trial ${trial}: ${longest} skipped in a row, max ${maxSkip}`);
    assert.ok(ring.counters.longestSkipRun <= maxSkip);
    assert.deepEqual(read, [...read].sort((a, b) => a - b), 'frames read in input order');
    assert.ok(read.every((k) => fate[k] === 'kept'));
  }
});
