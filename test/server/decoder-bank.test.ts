/**
 * DecoderBank with real FFmpeg-encoded input: every source picture carries its frame number and
 * the complement (test/server/live-sender.ts), so each decoded picture names the frame it came
 * from independently of the bank's bookkeeping. Frame k has RTP timestamp 6000·k and arrival
 * 1000 + k ms; frame 7 is incomplete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DecoderBank, type BankFrame } from '../../src/media/decode/index.ts';
import type { MediaFrame } from '../../src/media/frame.ts';
import { AccessUnitSplitter, annexBBytes, JpegSplitter } from '../../src/media/sender/index.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { encodeFrames } from '../media/sender-helpers.ts';
import { drawFrameNumber, readFrameNumber } from './live-sender.ts';

const W = 192, H = 128;

async function frames(dir: string, codec: 'h264' | 'mjpeg', first: number, n: number): Promise<MediaFrame[]> {
  const raw = new Uint8Array(W * H * n);
  for (let i = 0; i < n; i++) drawFrameNumber(raw.subarray(i * W * H, (i + 1) * W * H), W, H, first + i);
  const file = await encodeFrames(dir, `${codec}${first}`, raw, W, H, 15, codec, codec === 'h264' ? ['-g', '5', '-keyint_min', '5', '-sc_threshold', '0'] : []);
  const bytes = readFileSync(file);
  const units: { data: Uint8Array; keyframe: boolean }[] = codec === 'mjpeg'
    ? new JpegSplitter().push(bytes).map((j) => ({ data: j, keyframe: true }))
    : (() => { const sp = new AccessUnitSplitter('h264'); return [...sp.push(bytes), ...sp.flush()].map((au) => ({ data: annexBBytes(au.nals), keyframe: au.keyframe })); })();
  assert.equal(units.length, n);
  return units.map((u, i) => ({ codec, timestamp: (first + i) * 6000, data: u.data, complete: true, keyframe: u.keyframe, firstSeq: 0, lastSeq: 0, packets: 1 }));
}

test('pictures paired with their own RTP timestamp and arrival; an incomplete frame and those after it until the next key frame are never decoded; a codec switch gets a new decoder', { timeout: 30000 }, async (t) => {
  const dir = tmpDir(t);
  const h264 = await frames(dir, 'h264', 0, 20);
  const jpeg = await frames(dir, 'mjpeg', 20, 5);
  const got: Array<{ k: number; ts: number; arrival: number | null; size: [number, number] }> = [];
  const bank = new DecoderBank({
    onFrame: (b: BankFrame) => {
      got.push({ k: readFrameNumber(b.frame.data, b.frame.width, b.frame.height), ts: b.frame.rtpTimestamp / 6000, arrival: b.arrivalMs, size: [b.frame.width, b.frame.height] });
      b.release();
    },
  });
  t.after(() => bank.close());
  assert.deepEqual(h264.map((f) => f.keyframe).map((k, i) => (k ? i : -1)).filter((i) => i >= 0), [0, 5, 10, 15]);
  // Started before the first frame (as the live pipeline does from rtp_config): no second spawn at the key frame.
  bank.prepare('cam', 'h264', { width: W, height: H });
  assert.equal(bank.stats('cam')!.spawns, 1);
  const outcomes = h264.map((f, k) => bank.push('cam', k === 7 ? { ...f, complete: false } : f, 1000 + k));
  assert.equal(outcomes[7], 'incomplete');
  assert.deepEqual(outcomes.slice(8, 10), ['awaiting-keyframe', 'awaiting-keyframe']); // P-frames after the damage
  assert.equal(outcomes[10], 'decoding');
  await bank.flush('cam');
  const expectH264 = [0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const end = Date.now() + 10000;
  while (got.length < expectH264.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got.map((g) => g.k), expectH264, 'every picture whole and in order');
  for (const g of got) {
    assert.equal(g.ts, g.k, `picture of frame ${g.k} paired with RTP of frame ${g.ts}`);
    assert.equal(g.arrival, 1000 + g.k);
    assert.deepEqual(g.size, [W, H]);
  }
  let st = bank.stats('cam')!;
  assert.equal(st.incomplete, 1);
  assert.equal(st.afterDamage, 2);
  assert.equal(st.codec, 'h264');
  assert.equal(st.spawns, 1, 'the prepared process decoded every frame (no spawn at the first key frame)');
  // MJPEG now: the H.264 decoder is replaced.
  got.length = 0;
  for (const [i, f] of jpeg.entries()) assert.equal(bank.push('cam', f, 2000 + i), 'decoding');
  await bank.flush('cam');
  const end2 = Date.now() + 10000;
  while (got.length < 5 && Date.now() < end2) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got.map((g) => [g.k, g.ts, g.arrival]), [20, 21, 22, 23, 24].map((k) => [k, k, 2000 + k - 20]));
  st = bank.stats('cam')!;
  assert.equal(st.codec, 'mjpeg');
  assert.equal(st.codecSwitches, 1);
  assert.equal(st.inputs, 17 + 5, 'inputs summed over both decoders');
  assert.equal(bank.listenerErrors, 0);
});
