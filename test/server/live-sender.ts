/**
 * A peer for the live pipeline tests, run as its own process:
 *   node --import tsx test/server/live-sender.ts '<json>'
 * with {host, fps, seconds, width, height, cams: [{port, clockOffsetMs?, phaseMs?, delayMs?, seed}]}.
 *
 * All cameras share one sender clock (systemClock). Frame k of camera c is captured at shared time
 * start + phaseMs_c + k·1000/fps; its picture carries k in 12 binary blocks (4 × 3 grid, 224 for a
 * one bit, 32 for a zero; see `readFrameNumber`), so the receiving test knows each picture's true
 * capture instant from its pixels alone. Frames are H.264-encoded by FFmpeg (x264, no B-frames,
 * key frame every fps frames) and sent by RtpSender at their capture time (+ delayMs: a camera
 * whose frames leave late but are stamped right), with sender reports every 250 ms;
 * clockOffsetMs makes that camera's own clock (its RTP timestamps and the NTP time of its sender
 * reports) read that much ahead of the shared clock.
 *
 * Prints one JSON line `{"startUnixMs": …}` (Unix ms of shared time `start`) before the first
 * frame, and `{"done": true, "frames": [...]}` at the end.
 */
import { spawn } from 'node:child_process';
import { AccessUnitSplitter, annexBBytes, RtpSender, systemClock } from '../../src/media/sender/index.ts';

interface CamSpec { port: number; clockOffsetMs?: number; phaseMs?: number; delayMs?: number; seed: number }
interface Spec { host: string; fps: number; seconds: number; width: number; height: number; cams: CamSpec[] }

export const GRID = { cols: 4, rows: 3, bits: 12 } as const;

/** Writes frame number k into a grey picture (12 blocks, most significant first, row-major). */
export function drawFrameNumber(buf: Uint8Array, w: number, h: number, k: number): void {
  const bw = Math.floor(w / GRID.cols), bh = Math.floor(h / GRID.rows);
  buf.fill(128);
  for (let b = 0; b < GRID.bits; b++) {
    const bit = (k >> (GRID.bits - 1 - b)) & 1;
    const x0 = (b % GRID.cols) * bw, y0 = Math.floor(b / GRID.cols) * bh;
    for (let y = y0 + 2; y < y0 + bh - 2; y++) buf.fill(bit ? 224 : 32, y * w + x0 + 2, y * w + x0 + bw - 2);
  }
}

/** Reads the frame number back from the centre of each block (independent of any server code). */
export function readFrameNumber(data: Uint8Array, w: number, h: number): number {
  const bw = Math.floor(w / GRID.cols), bh = Math.floor(h / GRID.rows);
  let k = 0;
  for (let b = 0; b < GRID.bits; b++) {
    const cx = (b % GRID.cols) * bw + (bw >> 1), cy = Math.floor(b / GRID.cols) * bh + (bh >> 1);
    let s = 0, n = 0;
    for (let y = cy - 8; y < cy + 8; y++) for (let x = cx - 8; x < cx + 8; x++) { s += data[y * w + x]!; n++; }
    k = (k << 1) | (s / n > 128 ? 1 : 0);
  }
  return k;
}

async function main(spec: Spec): Promise<void> {
  const clock = systemClock();
  const { fps, width: w, height: h } = spec;
  const n = Math.round(spec.seconds * fps);
  const period = 1000 / fps;
  const start = clock.nowMs() + 400;
  process.stdout.write(`${JSON.stringify({ startUnixMs: clock.unixMs(start) })}\n`);
  const sent: number[] = [];
  await Promise.all(spec.cams.map(async (c, ci) => {
    const sender = await RtpSender.open({ codec: 'h264', clock, host: spec.host, rtpPort: c.port, seed: c.seed, clockOffsetMs: c.clockOffsetMs ?? 0, rtcpIntervalMs: 250, cname: `cam${ci}@live-sender` });
    const enc = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${w}x${h}`, '-framerate', String(fps), '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0', '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
      '-b:v', '600k', '-pix_fmt', 'yuv420p', '-f', 'h264', 'pipe:1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const split = new AccessUnitSplitter('h264');
    let k = 0;
    const delay = c.delayMs ?? 0;
    const timers = new Set<NodeJS.Timeout>();
    const out = (aus: ReturnType<AccessUnitSplitter['push']>) => {
      for (const au of aus) {
        const capture = start + (c.phaseMs ?? 0) + k * period;
        k++;
        const bytes = annexBBytes(au.nals);
        if (delay <= 0) sender.send(bytes, capture);
        else {
          const t = setTimeout(() => { timers.delete(t); sender.send(bytes, capture); }, Math.max(0, capture + delay - clock.nowMs()));
          timers.add(t);
        }
      }
    };
    enc.stdout.on('data', (chunk: Buffer) => out(split.push(chunk)));
    const closed = new Promise<void>((r) => enc.on('close', () => { out(split.flush()); r(); }));
    const buf = new Uint8Array(w * h);
    for (let i = 0; i < n; i++) {
      drawFrameNumber(buf, w, h, i);
      if (!enc.stdin.write(Buffer.from(buf))) await new Promise<void>((r) => enc.stdin.once('drain', () => r()));
    }
    enc.stdin.end();
    await closed;
    while (timers.size > 0) await new Promise((r) => setTimeout(r, 20));
    await sender.idle();
    sent[ci] = sender.core.counters.frames;
    await sender.close();
  }));
  process.stdout.write(`${JSON.stringify({ done: true, frames: sent })}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main(JSON.parse(process.argv[2]!) as Spec).catch((e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exit(1); });
}
