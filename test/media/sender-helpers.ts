/** Shared by the sender and decoder tests: synthetic video whose frames identify themselves. */
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './peer.ts';

/**
 * Grey frames whose mean level encodes the frame index (level = base + step·k), with a little
 * seeded texture so the encoder has real work and frames are not all tiny.
 */
export function patternFrames(width: number, height: number, count: number, base = 20, step = 6): Uint8Array {
  const raw = new Uint8Array(width * height * count);
  let s = 12345;
  for (let k = 0; k < count; k++) {
    const level = base + step * k;
    for (let i = 0; i < width * height; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const x = i % width;
      // Texture of zero mean per 16-pixel period: ±4 around the level.
      const tex = ((x >> 3) & 1 ? 4 : -4) + (((s >>> 16) & 3) - 1.5);
      raw[k * width * height + i] = Math.max(0, Math.min(255, Math.round(level + tex)));
    }
  }
  return raw;
}

/** Encodes raw grey frames with FFmpeg into an elementary stream file; returns its path. */
export async function encodeFrames(dir: string, name: string, raw: Uint8Array, width: number, height: number, fps: number, codec: 'h264' | 'h265' | 'mjpeg', extra: string[] = []): Promise<string> {
  const rawPath = join(dir, `${name}.gray`);
  writeFileSync(rawPath, raw);
  const out = join(dir, `${name}.${codec === 'mjpeg' ? 'mjpeg' : codec}`);
  const codecArgs = codec === 'h264'
    ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0', '-pix_fmt', 'yuv420p', '-f', 'h264']
    : codec === 'h265'
      ? ['-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=error:bframes=0', '-f', 'hevc']
      : ['-c:v', 'mjpeg', '-huffman', 'default', '-q:v', '4', '-pix_fmt', 'yuvj420p', '-f', 'mjpeg'];
  await run('ffmpeg', ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${width}x${height}`, '-r', String(fps), '-i', rawPath, ...codecArgs.slice(0, -2), ...extra, ...codecArgs.slice(-2), '-y', out]);
  return out;
}

/** An even UDP port whose pair (p, p+1) is free on 127.0.0.1 now. */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = 20000 + 2 * Math.floor(Math.random() * 10000);
    const socks: Socket[] = [];
    try {
      for (const port of [p, p + 1]) {
        const s = createSocket('udp4');
        socks.push(s);
        await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind(port, '127.0.0.1', () => resolve()); });
      }
      return p;
    } catch {
      continue; // taken: try another pair
    } finally {
      for (const s of socks) { try { s.close(); } catch { /* never bound */ } }
    }
  }
  throw new Error('no free UDP port pair');
}
