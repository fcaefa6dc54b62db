import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FileFrameSource, decodeAllGray } from '../../src/ingest/index.ts';
import { CameraClock } from '../../src/geometry/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** A test video from FFmpeg's own pattern generator: 40 frames of 64×48 at 10 fps. */
function makeVideo(dir: string): string {
  const path = join(dir, 'pattern.mkv');
  const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10', '-frames:v', '40', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', path]);
  assert.equal(r.status, 0, String(r.stderr));
  return path;
}

test('file source: every frame, in order, stamped with camera time k/fps and the site time of its clock', async (t) => {
  const dir = tmpDir(t);
  const path = makeVideo(dir);
  const expected = await decodeAllGray(path, 64, 48);
  assert.equal(expected.length, 40);
  const clock = new CameraClock({ offset_ms: 500, drift_ppm: 200 });
  const src = new FileFrameSource({ path, cameraId: 'c', camIndex: 3, width: 64, height: 48, fps: 10, clock, poolSize: 2 });
  const got: number[] = [];
  for (;;) {
    const f = await src.read();
    if (!f) break;
    assert.equal(f.camIndex, 3);
    assert.ok(Math.abs(f.cameraTime - f.seq / 10) < 1e-12);
    assert.ok(Math.abs(f.siteTime - (f.seq / 10 - 0.5) / 1.0002) < 1e-12); // CONTRACTS §2 by hand
    assert.deepEqual(f.data, expected[f.seq], `frame ${f.seq} content`);
    got.push(f.seq);
    // A slow consumer: the decoder must wait (pool of 2, each 64×48 frame far smaller than a pipe chunk).
    await new Promise((r) => setTimeout(r, 2));
    src.release(f);
  }
  assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => i));
  src.close();
  src.close();
});

test('file source: a missing or broken file is an error naming it, not a silent end', async (t) => {
  const dir = tmpDir(t);
  const src = new FileFrameSource({ path: join(dir, 'nope.mkv'), cameraId: 'c', camIndex: 0, width: 64, height: 48, fps: 10, clock: new CameraClock() });
  await assert.rejects(src.read(), /nope\.mkv/);
  src.close();
});
