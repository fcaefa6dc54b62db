/**
 * What handing decoded frames from FFmpeg to dvs costs, isolated from the rest of the pipeline
 * (docs/THROUGHPUT.md). One video, FFmpeg with one decoder thread (as dvs detect runs it when the
 * cameras outnumber the cores), in interleaved rounds:
 *   null     bare decode, nothing written (`-f null`)
 *   devnull  the luma plane as dvs asks for it (greyOutputArgs) written to /dev/null
 *   fifo     the same into a FIFO, read by this process with blocking whole-frame reads (what
 *            DirectFrameReader does in a camera worker); the reader's CPU is measured too
 *   fifo-direct  as fifo with `-avioflags direct` (one write() per frame instead of 32 KiB chunks)
 *   fifo-1m, fifo-1m-direct  as fifo / fifo-direct with the pipe enlarged to 1 MiB (F_SETPIPE_SZ,
 *            the unprivileged maximum): Node cannot make that call, so this bench has perl make it
 *            on the FIFO once both ends are open (an experiment; dvs itself does not)
 * FFmpeg's CPU (user + sys) comes from the shell's `times` (its waited-for children), so it holds
 * on a busy machine better than wall time does; the spread over rounds is printed.
 *
 *   node --import tsx bench/transfer.ts VIDEO [--rounds 3] [--frames 600] [--only fifo,fifo-direct]
 *
 * The first --frames frames are decoded (the video must have that many: the FIFO reader checks).
 * Each figure includes FFmpeg's start-up (~0.1–0.3 s of CPU here), the same for every variant:
 * compare differences, on a few hundred frames or more.
 * VIDEO: e.g. a camera of `dvs sim --scenario scenarios/spec-1km.yaml --frames 600`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { constants, mkdtempSync, readSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { greyOutputArgs } from '../src/ingest/index.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '3' }, frames: { type: 'string', default: '600' }, only: { type: 'string' } } });
const video = positionals[0];
if (!video) throw new Error('usage: node --import tsx bench/transfer.ts VIDEO [--rounds N] [--frames N]');

/** Run ffmpeg with `args` under sh; resolves with its CPU seconds (user + sys, from `times`). */
function ffmpegCpu(args: string[], during?: () => Promise<void>): Promise<{ cpu: number; sys: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-c', 'ffmpeg "$@" || exit $?; times', 'sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const reading = during ? during() : Promise.resolve();
    p.on('close', (code) => {
      reading.then(() => {
        if (code !== 0) return reject(new Error(`ffmpeg exited ${code}: ${err.trim()}`));
        // `times`: the shell's user/sys, then its children's: "0m5.123s 0m0.456s".
        const line = out.trim().split('\n').at(-1) ?? '';
        const t = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
        if (t.length !== 2) return reject(new Error(`cannot read times output '${line}'`));
        resolve({ cpu: t[0]! + t[1]!, sys: t[1]! });
      }, reject);
    });
  });
}

const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', video], { encoding: 'utf8' });
const [width, height] = probe.stdout.trim().split(',').map(Number);
if (probe.status !== 0 || !width || !height) throw new Error(`ffprobe ${video}: ${probe.stderr.trim()}`);
const info = { width, height };
const frames = Number(values.frames);
const frameBytes = info.width * info.height;
const input = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-threads', '1', '-i', video, '-frames:v', String(frames)];
const dir = mkdtempSync(join(tmpdir(), 'dvs-transfer-'));
const fifo = join(dir, 'frames');
if (spawnSync('mkfifo', ['-m', '600', fifo]).status !== 0) throw new Error('mkfifo failed');

async function readFifo(pipeSize = 0): Promise<{ cpu: number; frames: number }> {
  const h = await open(fifo, constants.O_RDONLY);
  if (pipeSize) {
    // F_SETPIPE_SZ = 1031; the pipe outlives perl's descriptor as long as FFmpeg and we hold ours.
    const r = spawnSync('perl', ['-e', `open(my $f, '<', $ARGV[0]) or die "$!"; fcntl($f, 1031, ${pipeSize}) or die "F_SETPIPE_SZ: $!"`, fifo], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`setting the pipe size failed: ${r.stderr || r.error?.message}`);
  }
  const buf = new Uint8Array(frameBytes);
  const c0 = process.cpuUsage();
  let n = 0;
  try {
    for (;;) {
      let off = 0;
      while (off < frameBytes) {
        const r = readSync(h.fd, buf, off, frameBytes - off, null);
        if (r === 0) break;
        off += r;
      }
      if (off < frameBytes) break;
      n++;
    }
  } finally {
    await h.close();
  }
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, frames: n };
}

type Variant = { name: string; args: string[]; fifo: boolean; pipeSize?: number };
const variants: Variant[] = [
  { name: 'null', args: ['-f', 'null', '-'], fifo: false },
  { name: 'devnull', args: [...greyOutputArgs('/dev/null'), '-y'], fifo: false },
  { name: 'fifo', args: ['-y', ...greyOutputArgs(fifo)], fifo: true },
  { name: 'fifo-direct', args: ['-y', '-avioflags', 'direct', ...greyOutputArgs(fifo)], fifo: true },
  { name: 'fifo-1m', args: ['-y', ...greyOutputArgs(fifo)], fifo: true, pipeSize: 1 << 20 },
  { name: 'fifo-1m-direct', args: ['-y', '-avioflags', 'direct', ...greyOutputArgs(fifo)], fifo: true, pipeSize: 1 << 20 },
];
const only = values.only?.split(',');
const chosen = only ? variants.filter((v) => only.includes(v.name)) : variants;
if (chosen.length === 0) throw new Error(`--only: none of ${variants.map((v) => v.name).join(', ')}`);
const res = new Map<string, { ff: number[]; sys: number[]; rd: number[] }>();
try {
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const v of chosen) {
      let reader: { cpu: number; frames: number } | null = null;
      const t = await ffmpegCpu([...input, ...v.args], v.fifo ? async () => { reader = await readFifo(v.pipeSize); } : undefined);
      const got = reader as { cpu: number; frames: number } | null;
      if (got && got.frames !== frames) throw new Error(`${v.name}: read ${got.frames} frames, expected ${frames} (is the video that long?)`);
      const e = res.get(v.name) ?? { ff: [], sys: [], rd: [] };
      e.ff.push((t.cpu / frames) * 1000); e.sys.push((t.sys / frames) * 1000);
      if (got) e.rd.push((got.cpu / frames) * 1000);
      res.set(v.name, e);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const fmt = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return `${s[Math.floor(s.length / 2)]!.toFixed(2)} (${s[0]!.toFixed(2)}–${s.at(-1)!.toFixed(2)})`;
};
console.log(`${video}: ${frames} frames ${info.width}×${info.height}, ${values.rounds} rounds; ms of CPU per frame, median (min–max)`);
for (const [name, e] of res) {
  console.log(`  ${name.padEnd(15)} ffmpeg ${fmt(e.ff)}  of which sys ${fmt(e.sys)}${e.rd.length ? `  reader ${fmt(e.rd)}` : ''}`);
}
