import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DirectFrameReader, decodeAllGray } from '../../src/ingest/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

const W = 64, H = 48;

function makeVideo(dir: string, args: string[] = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p']): string {
  const path = join(dir, 'pattern.mkv');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=10`, '-frames:v', '30', ...args, '-y', path]);
  assert.equal(r.status, 0, String(r.stderr));
  return path;
}

/**
 * Independent truth: the frames FFmpeg decodes in the stream's own planar 4:2:0 format (no
 * conversion asked), of which the first W·H bytes are the luma plane.
 */
function lumaPlanes(path: string): Uint8Array[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-fps_mode', 'passthrough', '-f', 'rawvideo', 'pipe:1'], { maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, String(r.stderr));
  const size = (W * H * 3) / 2;
  assert.equal(r.stdout.length % size, 0);
  const out: Uint8Array[] = [];
  for (let o = 0; o < r.stdout.length; o += size) out.push(new Uint8Array(r.stdout.subarray(o, o + W * H)));
  return out;
}

test('grey frames are the decoded luma plane as it is (no range conversion), for H.264 and MJPEG', async (t) => {
  const dir = tmpDir(t);
  for (const args of [['-c:v', 'libx264', '-pix_fmt', 'yuv420p'], ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p']]) {
    const path = makeVideo(dir, args);
    const got = await decodeAllGray(path, W, H);
    const truth = lumaPlanes(path);
    assert.equal(got.length, 30);
    assert.deepEqual(got, truth, args[1]);
  }
});

test('direct reader: fills the caller\'s buffer with every frame in order, then ends cleanly', async (t) => {
  const dir = tmpDir(t);
  const path = makeVideo(dir);
  const truth = lumaPlanes(path);
  const r = await DirectFrameReader.open({ path, width: W, height: H });
  const buf = new Uint8Array(W * H + 7); // larger than a frame: only the first W·H bytes are written
  buf.fill(0xee);
  let n = 0;
  while (r.readInto(buf)) {
    assert.deepEqual(buf.subarray(0, W * H), truth[n], `frame ${n}`);
    assert.equal(buf[W * H], 0xee);
    n++;
  }
  assert.equal(n, 30);
  assert.equal(r.readInto(buf), false);
  await r.finish();
  r.close();
  r.close();
});

test('direct reader: a missing file is an error naming it (no hang on the pipe)', async (t) => {
  const dir = tmpDir(t);
  await assert.rejects(DirectFrameReader.open({ path: join(dir, 'nope.mkv'), width: W, height: H }), /nope\.mkv/);
});

test('direct reader: a frame size that does not divide the stream is an error, not a silent end', async (t) => {
  const dir = tmpDir(t);
  const path = makeVideo(dir);
  // 30 frames of 64×48 = 92160 bytes; read as 100×100 frames: 9 whole frames, then 2160 bytes.
  const r = await DirectFrameReader.open({ path, width: 100, height: 100 });
  const buf = new Uint8Array(100 * 100);
  let n = 0;
  assert.throws(() => { while (r.readInto(buf)) n++; }, /ended inside a frame \(2160 of 10000 bytes\)/);
  assert.equal(n, 9);
  assert.equal(r.readInto(buf), false, 'nothing after the error');
  r.close();
});
