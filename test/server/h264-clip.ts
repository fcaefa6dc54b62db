/** Real H.264 for the lane tests: a short x264 clip split into access units, and a NAL splitter written for the tests. */
import { spawn } from 'node:child_process';
import { AccessUnitSplitter, annexBBytes } from '../../src/media/sender/index.ts';

/** NAL units of an Annex-B byte stream (3- or 4-byte start codes), as hex strings. */
export function nals(b: Uint8Array): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i + 2 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
      if (start >= 0) out.push(Buffer.from(b.subarray(start, i - (i > 0 && b[i - 1] === 0 ? 1 : 0))).toString('hex'));
      start = i + 3;
      i += 2;
    }
  }
  if (start >= 0) out.push(Buffer.from(b.subarray(start)).toString('hex'));
  return out.filter((n) => n.length > 0);
}

/** H.264 NAL unit types of an access unit. */
export function nalTypes(au: Uint8Array): number[] {
  return nals(au).map((n) => parseInt(n.slice(0, 2), 16) & 0x1f);
}

/** Slice NALs (types 1 and 5) of an access unit, joined. */
export function slices(au: Uint8Array): string {
  return nals(au).filter((n) => { const t = parseInt(n.slice(0, 2), 16) & 0x1f; return t === 1 || t === 5; }).join('|');
}

/** `frames` access units of real H.264 (x264, 160×120 testsrc2, a key frame every `gop` frames, no B-frames), each a distinct picture. */
export async function encodeClip(frames: number, fps: number, gop: number): Promise<Uint8Array[]> {
  const enc = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'lavfi', '-i', `testsrc2=size=160x120:rate=${fps}`, '-frames:v', String(frames),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(gop), '-bf', '0', '-pix_fmt', 'yuv420p', '-f', 'h264', 'pipe:1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const split = new AccessUnitSplitter('h264');
  const out: Uint8Array[] = [];
  enc.stdout.on('data', (chunk: Buffer) => { for (const au of split.push(chunk)) out.push(annexBBytes(au.nals)); });
  await new Promise<void>((r) => enc.on('close', () => { for (const au of split.flush()) out.push(annexBBytes(au.nals)); r(); }));
  return out;
}
