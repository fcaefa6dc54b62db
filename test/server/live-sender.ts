/**
 * A peer for the live pipeline tests, run as its own process:
 *   node --import tsx test/server/live-sender.ts '<json>'
 * with {host, fps, seconds, width, height, cams: [{port, clockOffsetMs?, phaseMs?, delayMs?, seed}]}.
 *
 * All cameras share one sender clock (systemClock). Frame k of camera c is captured at shared time
 * start + phaseMs_c + k·1000/fps; its picture carries k and its complement in 24 binary blocks
 * (see `drawFrameNumber`), so the receiving test knows each picture's true capture instant from its
 * pixels alone, and sees a damaged picture as such. Frames are H.264-encoded by FFmpeg first (x264, no
 * B-frames, key frame every fps frames) and then sent by RtpSender at their capture time (+ delayMs: a camera
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

export const GRID = { cols: 6, rows: 4, bits: 12 } as const;

/**
 * Writes frame number k into a grey picture: 24 blocks (6 × 4, row-major), the first 12 are the
 * bits of k (most significant first), the last 12 their complements — 224 for a one, 32 for a zero.
 */
export function drawFrameNumber(buf: Uint8Array, w: number, h: number, k: number): void {
  const bw = Math.floor(w / GRID.cols), bh = Math.floor(h / GRID.rows);
  buf.fill(128);
  for (let b = 0; b < 2 * GRID.bits; b++) {
    const v = (k >> (GRID.bits - 1 - (b % GRID.bits))) & 1;
    const bit = b < GRID.bits ? v : 1 - v;
    const x0 = (b % GRID.cols) * bw, y0 = Math.floor(b / GRID.cols) * bh;
    for (let y = y0 + 2; y < y0 + bh - 2; y++) buf.fill(bit ? 224 : 32, y * w + x0 + 2, y * w + x0 + bw - 2);
  }
}

/**
 * Reads the frame number back from the centre of each block (independent of any server code);
 * −1 when a bit and its complement disagree (a damaged picture).
 */
export function readFrameNumber(data: Uint8Array, w: number, h: number): number {
  const bw = Math.floor(w / GRID.cols), bh = Math.floor(h / GRID.rows);
  const bits: number[] = [];
  for (let b = 0; b < 2 * GRID.bits; b++) {
    const cx = (b % GRID.cols) * bw + (bw >> 1), cy = Math.floor(b / GRID.cols) * bh + (bh >> 1);
    let s = 0, n = 0;
    for (let y = cy - 8; y < cy + 8; y++) for (let x = cx - 8; x < cx + 8; x++) { s += data[y * w + x]!; n++; }
    bits.push(s / n > 128 ? 1 : 0);
  }
  let k = 0;
  for (let b = 0; b < GRID.bits; b++) {
    if (bits[b] === bits[b + GRID.bits]) return -1;
    k = (k << 1) | bits[b]!;
  }
  return k;
}

async function main(spec: Spec): Promise<void> {
  const clock = systemClock();
  const { fps, width: w, height: h } = spec;
  const n = Math.round(spec.seconds * fps);
  const period = 1000 / fps;
  // Encode everything first, so that sending keeps to the capture schedule even on a loaded
  // machine (an encoder that falls behind would add its own, per-camera latency).
  const encoded = await Promise.all(spec.cams.map(() => encodeAll(n, w, h, fps)));
  const senders = await Promise.all(spec.cams.map((c, ci) => RtpSender.open({
    codec: 'h264', clock, host: spec.host, rtpPort: c.port, seed: c.seed, clockOffsetMs: c.clockOffsetMs ?? 0, rtcpIntervalMs: 250, cname: `cam${ci}@live-sender`,
  })));
  const start = clock.nowMs() + 400;
  process.stdout.write(`${JSON.stringify({ startUnixMs: clock.unixMs(start) })}\n`);
  const timers = new Set<NodeJS.Timeout>();
  spec.cams.forEach((c, ci) => {
    const sender = senders[ci]!;
    const delay = c.delayMs ?? 0;
    encoded[ci]!.forEach((bytes, k) => {
      const capture = start + (c.phaseMs ?? 0) + k * period;
      if (delay <= 0) sender.send(bytes, capture); // leaves at its capture time
      else {
        const t = setTimeout(() => { timers.delete(t); sender.send(bytes, capture); }, Math.max(0, capture + delay - clock.nowMs()));
        timers.add(t);
      }
    });
  });
  while (timers.size > 0) await new Promise((r) => setTimeout(r, 20));
  await Promise.all(senders.map((s) => s.idle()));
  const sent = senders.map((s) => s.core.counters.frames);
  await Promise.all(senders.map((s) => s.close()));
  process.stdout.write(`${JSON.stringify({ done: true, frames: sent })}\n`);
}

/** Frames 0..n−1 with their numbers drawn, H.264 access units (x264, no B-frames, key frame every fps frames). */
async function encodeAll(n: number, w: number, h: number, fps: number): Promise<Uint8Array[]> {
  const enc = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${w}x${h}`, '-framerate', String(fps), '-i', 'pipe:0',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0', '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0',
    '-b:v', '600k', '-pix_fmt', 'yuv420p', '-f', 'h264', 'pipe:1'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const split = new AccessUnitSplitter('h264');
  const out: Uint8Array[] = [];
  enc.stdout.on('data', (chunk: Buffer) => { for (const au of split.push(chunk)) out.push(annexBBytes(au.nals)); });
  const closed = new Promise<void>((r) => enc.on('close', () => { for (const au of split.flush()) out.push(annexBBytes(au.nals)); r(); }));
  const buf = new Uint8Array(w * h);
  for (let i = 0; i < n; i++) {
    drawFrameNumber(buf, w, h, i);
    if (!enc.stdin.write(Buffer.from(buf))) await new Promise<void>((r) => enc.stdin.once('drain', () => r()));
  }
  enc.stdin.end();
  await closed;
  if (out.length !== n) throw new Error(`encoder gave ${out.length} access units for ${n} frames`);
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main(JSON.parse(process.argv[2]!) as Spec).catch((e: unknown) => { process.stderr.write(`${String(e)}\n`); process.exit(1); });
}
