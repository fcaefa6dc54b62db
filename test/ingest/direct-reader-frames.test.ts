/**
 * Byte-exactness of the FIFO path with frames larger than a pipe buffer (64 KiB): each frame then
 * arrives in several reads whose boundaries do not fall on frame boundaries. Truth is FFmpeg
 * itself, run separately: the plain decode's luma plane, and `ffmpeg -pix_fmt gray`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DirectFrameReader } from '../../src/ingest/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

// 640×360 = 230400 bytes a frame: 3.5 pipe buffers, not a multiple of 4096.
const W = 640, H = 360, N = 12;

function makeVideo(dir: string): string {
  const path = join(dir, 'big.mkv');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=30`, '-frames:v', String(N),
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', path]);
  assert.equal(r.status, 0, String(r.stderr));
  return path;
}

function ffmpegFrames(path: string, args: string[], frameBytes: number, keep: number): Uint8Array[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-fps_mode', 'passthrough', ...args, '-f', 'rawvideo', 'pipe:1'], { maxBuffer: 1 << 27 });
  assert.equal(r.status, 0, String(r.stderr));
  assert.equal(r.stdout.length, N * frameBytes);
  const out: Uint8Array[] = [];
  for (let o = 0; o < r.stdout.length; o += frameBytes) out.push(new Uint8Array(r.stdout.subarray(o, o + keep)));
  return out;
}

async function readAll(path: string): Promise<Uint8Array[]> {
  const r = await DirectFrameReader.open({ path, width: W, height: H, threads: 1 });
  const frames: Uint8Array[] = [];
  try {
    const buf = new Uint8Array(W * H);
    while (r.readInto(buf)) frames.push(buf.slice());
    await r.finish();
  } finally {
    r.close();
  }
  return frames;
}

test('direct reader, frames larger than the pipe buffer: every frame byte-identical to the plain decode\'s luma plane', async (t) => {
  const path = makeVideo(tmpDir(t));
  const got = await readAll(path);
  const truth = ffmpegFrames(path, [], (W * H * 3) / 2, W * H); // the stream's own yuv420p; Y plane first
  assert.equal(got.length, N);
  for (let i = 0; i < N; i++) assert.ok(Buffer.from(got[i]!).equals(Buffer.from(truth[i]!)), `frame ${i}`);
});

test('direct reader vs `ffmpeg -pix_fmt gray`: equal after the limited→full range map that -pix_fmt gray applies', async (t) => {
  // dvs hands over the luma plane as it is (16–235 for limited-range H.264); -pix_fmt gray also
  // rescales it to 0–255. Per pixel: gray = clamp(round((Y − 16) · 255 / 219), 0, 255) (no value
  // of Y falls on .5). Checked on every pixel of every frame.
  const path = makeVideo(tmpDir(t));
  const got = await readAll(path);
  const gray = ffmpegFrames(path, ['-pix_fmt', 'gray'], W * H, W * H);
  const lut = new Uint8Array(256);
  for (let y = 0; y < 256; y++) lut[y] = Math.min(255, Math.max(0, Math.round(((y - 16) * 255) / 219)));
  assert.equal(got.length, N);
  let rescaled = 0;
  for (let i = 0; i < N; i++) {
    const mapped = got[i]!.map((y) => lut[y]!);
    assert.ok(Buffer.from(mapped).equals(Buffer.from(gray[i]!)), `frame ${i}`);
    for (let p = 0; p < W * H; p++) if (got[i]![p] !== gray[i]![p]) rescaled++;
  }
  // Not vacuous: the two outputs do differ before the map.
  assert.ok(rescaled > (N * W * H) / 2, `${rescaled} pixels differ before the map`);
});
