/** SPS parsing against x264/x265 streams of known size, profile and chroma format. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseH264Sps, parseH265Sps, unescapeRbsp } from '../../src/media/index.ts';
import { Rng } from '../../src/util/rng.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { run } from './peer.ts';

function firstSps(annexB: Uint8Array): Uint8Array {
  for (let i = 0; i + 4 < annexB.length; i++) {
    if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1 && (annexB[i + 3]! & 0x1f) === 7) {
      let j = i + 3;
      while (j + 2 < annexB.length && !(annexB[j] === 0 && annexB[j + 1] === 0 && (annexB[j + 2] === 1 || annexB[j + 2] === 0))) j++;
      return annexB.subarray(i + 3, j);
    }
  }
  throw new Error('no SPS');
}

const CASES: { size: string; args: string[]; profile: number; chroma: number; frameMbsOnly?: boolean }[] = [
  { size: '320x240', args: ['-profile:v', 'baseline', '-pix_fmt', 'yuv420p'], profile: 66, chroma: 1 },
  { size: '1920x1080', args: ['-profile:v', 'high', '-pix_fmt', 'yuv420p'], profile: 100, chroma: 1 }, // 1088 coded, cropped
  { size: '642x362', args: ['-profile:v', 'main', '-pix_fmt', 'yuv420p'], profile: 77, chroma: 1 },
  { size: '350x200', args: ['-pix_fmt', 'yuv444p', '-x264-params', 'cqm=jvt'], profile: 244, chroma: 3 }, // scaling lists present
  { size: '720x576', args: ['-pix_fmt', 'yuv422p', '-flags', '+ildct', '-x264-params', 'interlaced=1'], profile: 122, chroma: 2, frameMbsOnly: false },
];

test('SPS from x264 streams: size after cropping, profile, chroma format, field coding', async (t) => {
  const dir = tmpDir(t);
  await Promise.all(CASES.map(async (c, k) => {
    const file = join(dir, `s${k}.h264`);
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${c.size}:rate=25`, '-frames:v', '1', '-c:v', 'libx264', ...c.args, '-f', 'h264', '-y', file]);
    const r = parseH264Sps(firstSps(new Uint8Array(readFileSync(file))));
    assert.ok(r.ok, `${c.size}: ${!r.ok ? r.error.message : ''}`);
    const [w, h] = c.size.split('x').map(Number);
    assert.deepEqual([r.value.width, r.value.height, r.value.profileIdc, r.value.chromaFormatIdc, r.value.frameMbsOnly], [w, h, c.profile, c.chroma, c.frameMbsOnly ?? true], c.size);
  }));
});

test('emulation prevention bytes are removed; mutated SPS never throws', () => {
  assert.deepEqual([...unescapeRbsp(Uint8Array.from([1, 0, 0, 3, 1, 0, 0, 3, 0, 3]))], [1, 0, 0, 1, 0, 0, 0, 3]);
  const rng = new Rng(5);
  const base = Uint8Array.from([0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04]);
  for (let i = 0; i < 20000; i++) {
    const b = base.slice(0, 1 + (rng.nextU32() % base.length));
    for (let k = 0; k < 3; k++) b[1 + (rng.nextU32() % Math.max(1, b.length - 1))] = rng.nextU32() & 0xff;
    b[0] = 0x67;
    const r = parseH264Sps(b);
    if (r.ok) assert.ok(r.value.width > 0 && r.value.height > 0);
    const h = Uint8Array.from([0x42, 0x01, ...b]);
    const r2 = parseH265Sps(h);
    if (r2.ok) assert.ok(r2.value.width > 0 && r2.value.height > 0);
  }
});

function firstH265Sps(annexB: Uint8Array): Uint8Array {
  for (let i = 0; i + 5 < annexB.length; i++) {
    if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1 && ((annexB[i + 3]! >> 1) & 0x3f) === 33) {
      let j = i + 3;
      while (j + 2 < annexB.length && !(annexB[j] === 0 && annexB[j + 1] === 0 && (annexB[j + 2] === 1 || annexB[j + 2] === 0))) j++;
      return annexB.subarray(i + 3, j);
    }
  }
  throw new Error('no SPS');
}

const H265_CASES: { size: string; pix: string; profile: number; chroma: number }[] = [
  { size: '320x240', pix: 'yuv420p', profile: 1, chroma: 1 },
  { size: '1920x1080', pix: 'yuv420p', profile: 1, chroma: 1 },
  { size: '642x362', pix: 'yuv420p', profile: 1, chroma: 1 }, // coded 648×368, conformance window
  { size: '400x226', pix: 'yuv444p', profile: 4, chroma: 3 }, // range extensions
];

test('H.265 SPS from x265 streams: size after the conformance window, profile, chroma format', async (t) => {
  const dir = tmpDir(t);
  await Promise.all(H265_CASES.map(async (c, k) => {
    const file = join(dir, `s${k}.h265`);
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${c.size}:rate=25`, '-frames:v', '1', '-c:v', 'libx265',
      '-x265-params', 'log-level=error', '-pix_fmt', c.pix, '-f', 'hevc', '-y', file]);
    const r = parseH265Sps(firstH265Sps(new Uint8Array(readFileSync(file))));
    assert.ok(r.ok, `${c.size}: ${!r.ok ? r.error.message : ''}`);
    const [w, h] = c.size.split('x').map(Number);
    assert.deepEqual([r.value.width, r.value.height, r.value.profileIdc, r.value.chromaFormatIdc], [w, h, c.profile, c.chroma], c.size);
  }));
});
