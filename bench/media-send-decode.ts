/**
 * Sender and decoder costs for a 1080p30 H.264 4 Mb/s stream (x264 `-tune zerolatency`, GOP 30):
 * - RTP packetization (Annex-B split + FU-A/STAP-A + serialization) per frame, as a share of one
 *   core at 30 fps;
 * - StreamDecoder throughput (push every access unit at once, read and release every picture)
 *   against FFmpeg decoding the same file alone to grey frames with the same flags, back to back.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StreamDecoder } from '../src/media/decode/index.ts';
import { AccessUnitSplitter, annexBBytes, ManualClock, RtpSenderCore } from '../src/media/sender/index.ts';

const FRAMES = 150;

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', args, { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`ffmpeg exited ${c}`))));
  });
}

export async function benchMediaSendDecode(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'dvs-bench-sd-'));
  try {
    const es = join(dir, 'v.h264');
    await run(['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-frames:v', String(FRAMES),
      '-c:v', 'libx264', '-preset', 'superfast', '-tune', 'zerolatency', '-bf', '0', '-g', '30', '-b:v', '4M', '-maxrate', '4M', '-bufsize', '4M',
      '-pix_fmt', 'yuv420p', '-f', 'h264', '-y', es]);
    const sp = new AccessUnitSplitter('h264');
    const aus = [...sp.push(readFileSync(es)), ...sp.flush()].map((a) => ({ data: annexBBytes(a.nals), keyframe: a.keyframe }));

    const core = new RtpSenderCore({ codec: 'h264', clock: new ManualClock() });
    let packets = 0;
    const t0 = performance.now();
    for (let rep = 0; rep < 5; rep++) aus.forEach((a, k) => { packets += core.packetizeFrame(a.data, k * 33.3).length; });
    const perFrameUs = ((performance.now() - t0) * 1000) / (5 * aus.length);

    const dec = new StreamDecoder({ codec: 'h264', capacity: 16, enableFrameSkipping: false });
    const t1 = performance.now();
    aus.forEach((a, k) => dec.push({ data: a.data, timestamp: k * 3000, keyframe: a.keyframe }));
    const flushed = dec.flush();
    let got = 0;
    while (got < aus.length) {
      const f = await Promise.race([dec.next(), flushed.then(() => dec.read())]);
      if (!f) break;
      got++;
      dec.release(f);
    }
    const decS = (performance.now() - t1) / 1000;
    await dec.close();

    const t2 = performance.now();
    await run(['-hide_banner', '-loglevel', 'error', '-threads', '1', '-flags', 'low_delay', '-f', 'h264', '-i', es, '-f', 'rawvideo', '-pix_fmt', 'gray', '-y', '/dev/null']);
    const ffS = (performance.now() - t2) / 1000;
    return {
      'sender: packetize µs per 1080p frame': perFrameUs,
      'sender: packets per frame (1200-byte payloads)': packets / (5 * aus.length),
      'sender: % of one core at 30 fps': (perFrameUs * 30) / 1e4,
      'decoder: StreamDecoder frames/s (1080p, 1 thread)': got / decS,
      'decoder: FFmpeg alone frames/s (same flags)': aus.length / ffS,
      'decoder: pictures delivered of pushed': got / aus.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
