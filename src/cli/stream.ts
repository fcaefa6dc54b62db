/**
 * `dvs stream --scenario S`: the simulated cameras, live. Each camera's frames are rendered at
 * real time by the simulator's renderer, encoded by an FFmpeg child (H.264 or H.265 with
 * x264/x265 `-tune zerolatency`, or MJPEG), and sent as RTP/UDP by an {@link RtpSender} to consecutive port
 * pairs (camera i: PORT_BASE + 2i, RTCP + 1), with sender reports on one shared clock, optional
 * per-camera clock offsets and seeded network impairment. One status line per second.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/index.ts';
import { buildRenderers, loadScenario, type Scenario } from '../sim/index.ts';
import { mjpegQuantiser } from '../sim/encode.ts';
import { AccessUnitSplitter, annexBBytes, buildSenderSdp, JpegSplitter, RtpSender, systemClock, type SharedClock } from '../media/sender/index.ts';
import { processIo, UsageError, type CliIo } from './io.ts';
import { requireFfmpeg } from './sim.ts';

export const STREAM_USAGE = `usage: dvs stream --scenario scenario.yaml [options]
  --to HOST:PORT_BASE     destination; camera i uses PORT_BASE+2i (RTP) and +1 (RTCP) (default 127.0.0.1:50000)
  --seconds N             stream N seconds (default: the scenario's duration_s)
  --codec h264|h265|mjpeg override the scenario's codec
  --gop N                 H.264/H.265 key-frame interval in frames (default: one second)
  --loss PCT              drop PCT % of RTP packets (seeded)
  --jitter-ms MS          random extra delay per packet, Uniform(0, 3·MS): RFC 3550 jitter ≈ MS
  --reorder PCT           hold PCT % of packets back behind the next one
  --duplicate PCT         send PCT % of packets twice
  --seed N                impairment seed (default: the scenario's seed)
  --clock-offset-ms ID=MS sender-report clock offset of camera ID (repeatable; default: its scenario clock offset;
                          the scenario's drift_ppm is applied too)
  --max-payload BYTES     largest RTP payload (default 1200)
  --sdp DIR               write DIR/<camera>.sdp for receivers (ffmpeg -protocol_whitelist file,udp,rtp -i …)
  --rtsp-publish URL      instead of RTP/UDP, publish camera ID to URL/ID with RTSP RECORD over TCP (FFmpeg's
                          RTSP muxer packetizes; no impairment, clock offsets or SDP files in this mode)
  --quiet                 no per-second lines
`;

interface StreamArgs {
  host: string;
  portBase: number;
  seconds: number;
  codec: Codec | null;
  gop: number | null;
  loss: number;
  jitterMs: number;
  reorder: number;
  duplicate: number;
  seed: number | null;
  offsets: Map<string, number>;
  maxPayload: number;
  sdpDir: string | null;
  rtspPublish: string | null;
  quiet: boolean;
}

function num(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isFinite(x) || x < min || x > max) throw new UsageError(`--${name} must be a number in [${min}, ${max}], got "${v}"`);
  return x;
}

function parse(argv: string[]): { scenario: string; a: StreamArgs } | 'help' {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      scenario: { type: 'string' }, to: { type: 'string' }, seconds: { type: 'string' }, codec: { type: 'string' }, gop: { type: 'string' },
      loss: { type: 'string' }, 'jitter-ms': { type: 'string' }, reorder: { type: 'string' }, duplicate: { type: 'string' }, seed: { type: 'string' },
      'clock-offset-ms': { type: 'string', multiple: true }, 'max-payload': { type: 'string' }, sdp: { type: 'string' }, 'rtsp-publish': { type: 'string' },
      quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (!values.scenario) throw new UsageError('--scenario is required');
  const to = values.to ?? '127.0.0.1:50000';
  const m = /^([^:\s]+):(\d+)$/.exec(to);
  if (!m) throw new UsageError(`--to must be HOST:PORT_BASE, got "${to}"`);
  const offsets = new Map<string, number>();
  for (const o of values['clock-offset-ms'] ?? []) {
    const mm = /^([^=]+)=(-?[\d.]+)$/.exec(o);
    if (!mm || !Number.isFinite(Number(mm[2]))) throw new UsageError(`--clock-offset-ms must be CAMERA=MS, got "${o}"`);
    offsets.set(mm[1]!, Number(mm[2]));
  }
  const rtspPublish = values['rtsp-publish'] ?? null;
  if (rtspPublish !== null) {
    if (!/^rtsps?:\/\/[^\s]+$/.test(rtspPublish)) throw new UsageError(`--rtsp-publish must be an rtsp:// URL, got "${rtspPublish}"`);
    const clash = ['to', 'loss', 'jitter-ms', 'reorder', 'duplicate', 'clock-offset-ms', 'sdp', 'max-payload'].filter((k) => (values as Record<string, unknown>)[k] !== undefined);
    if (clash.length > 0) throw new UsageError(`--rtsp-publish cannot be combined with ${clash.map((k) => `--${k}`).join(', ')}`);
  }
  if (values.codec !== undefined && values.codec !== 'h264' && values.codec !== 'h265' && values.codec !== 'mjpeg') throw new UsageError(`--codec must be h264, h265 or mjpeg, got "${values.codec}"`);
  return {
    scenario: values.scenario,
    a: {
      host: m[1]!, portBase: num('to', m[2], 50000, 1, 65535),
      seconds: num('seconds', values.seconds, NaN, 0.1, 1e6),
      codec: (values.codec as Codec | undefined) ?? null,
      gop: values.gop === undefined ? null : num('gop', values.gop, 0, 1, 1000),
      loss: num('loss', values.loss, 0, 0, 100), jitterMs: num('jitter-ms', values['jitter-ms'], 0, 0, 1000),
      reorder: num('reorder', values.reorder, 0, 0, 100), duplicate: num('duplicate', values.duplicate, 0, 0, 100),
      seed: values.seed === undefined ? null : num('seed', values.seed, 0, 0, 0xffffffff),
      offsets, maxPayload: num('max-payload', values['max-payload'], 1200, 200, 65000),
      sdpDir: values.sdp ?? null, rtspPublish, quiet: values.quiet ?? false,
    },
  };
}

type Enc = ChildProcessByStdio<Writable, Readable, Readable>;
type Codec = 'h264' | 'h265' | 'mjpeg';

/** One camera: renderer → FFmpeg encoder → splitter → RtpSender. */
interface CameraStream {
  id: string;
  codec: Codec;
  enc: Enc;
  /** Null when FFmpeg publishes over RTSP itself. */
  sender: RtpSender | null;
  /** Capture times (shared clock) of frames written to the encoder, not yet out of it. */
  captures: number[];
  frames: number;
  encoded: number;
  stderr: string;
  done: Promise<void>;
}

function encoderArgs(s: Scenario['cameras'][number], codec: Codec, gop: number, rtspUrl: string | null): string[] {
  const args = encoderArgsPipe(s, codec, gop);
  if (!rtspUrl) return args;
  // Same encoder, but FFmpeg's RTSP muxer (ANNOUNCE + RECORD, interleaved TCP) instead of a pipe.
  return [...args.slice(0, -3), '-f', 'rtsp', '-rtsp_transport', 'tcp', rtspUrl];
}

function encoderArgsPipe(s: Scenario['cameras'][number], codec: Codec, gop: number): string[] {
  const [w, h] = s.resolution;
  const rate = `${Math.round(s.bitrate_kbps)}k`;
  const input = ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'gray', '-s', `${w}x${h}`, '-framerate', String(s.fps), '-i', 'pipe:0'];
  if (codec === 'mjpeg') {
    // RFC 2435 receivers assume the T.81 Annex K Huffman tables: -huffman default.
    return [...input, '-c:v', 'mjpeg', '-huffman', 'default', '-q:v', String(mjpegQuantiser({ bitrateKbps: s.bitrate_kbps, width: w, height: h, fps: s.fps })),
      '-pix_fmt', 'yuvj420p', '-flush_packets', '1', '-f', 'mjpeg', 'pipe:1'];
  }
  // No B-frames, so encoder output order is capture order; key frames every `gop` frames
  // (x264/x265 cannot be asked for a key frame at run time through a pipe, so PLI/FIR are
  // answered by the short GOP). Parameter sets are repeated before every key frame.
  if (codec === 'h265') {
    return [...input, '-c:v', 'libx265', '-preset', 'ultrafast', '-tune', 'zerolatency', '-b:v', rate, '-maxrate', rate, '-bufsize', rate, '-pix_fmt', 'yuv420p',
      '-x265-params', `log-level=error:bframes=0:keyint=${gop}:min-keyint=${gop}:scenecut=0:repeat-headers=1`, '-flush_packets', '1', '-f', 'hevc', 'pipe:1'];
  }
  return [...input, '-c:v', 'libx264', '-preset', 'superfast', '-tune', 'zerolatency', '-bf', '0', '-g', String(gop), '-keyint_min', String(gop),
    '-sc_threshold', '0', '-b:v', rate, '-maxrate', rate, '-bufsize', rate, '-pix_fmt', 'yuv420p', '-flush_packets', '1', '-f', 'h264', 'pipe:1'];
}

export async function streamCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  let scenario: Scenario;
  try {
    parsed = parse(argv);
    if (parsed === 'help') { io.stdout(STREAM_USAGE); return 0; }
    scenario = loadScenario(parsed.scenario);
    requireFfmpeg();
  } catch (e) {
    if (e instanceof ConfigError) { io.stderr(`dvs stream: invalid scenario:\n${e.message}\n`); return 2; }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) { io.stderr(`dvs stream: ${(e as Error).message}\n${STREAM_USAGE}`); return 2; }
    io.stderr(`dvs stream: ${(e as Error).message}\n`);
    return 1;
  }
  const a = parsed.a;
  for (const id of a.offsets.keys()) {
    if (!scenario.cameras.some((c) => c.id === id)) { io.stderr(`dvs stream: --clock-offset-ms names unknown camera '${id}'\n`); return 2; }
  }
  try {
    await runStream(scenario, a, io);
    return 0;
  } catch (e) {
    io.stderr(`dvs stream: ${(e as Error).message}\n`);
    return 1;
  }
}

async function runStream(scenario: Scenario, a: StreamArgs, io: CliIo): Promise<void> {
  const clock: SharedClock = systemClock();
  const seconds = Number.isNaN(a.seconds) ? scenario.duration_s : a.seconds;
  const { renderers } = buildRenderers(scenario);
  const seed = a.seed ?? scenario.seed;
  if (a.sdpDir) mkdirSync(a.sdpDir, { recursive: true });
  const cams: CameraStream[] = [];
  try {
    for (const [i, c] of scenario.cameras.entries()) {
      const codec: Codec = a.codec ?? c.codec;
      if (codec === 'mjpeg' && (c.resolution[0] % 8 || c.resolution[1] % 8)) throw new Error(`${c.id}: MJPEG over RTP needs a picture size in multiples of 8 (RFC 2435), got ${c.resolution.join('x')}`);
      const rtpPort = a.portBase + 2 * i;
      if (rtpPort + 1 > 65535) throw new Error(`port ${rtpPort + 1} for ${c.id} is out of range`);
      const offset = a.offsets.get(c.id) ?? c.clock?.offset_ms ?? 0;
      const rtspUrl = a.rtspPublish ? `${a.rtspPublish.replace(/\/+$/, '')}/${encodeURIComponent(c.id)}` : null;
      const sender = rtspUrl ? null : await RtpSender.open({
        codec, clock, host: a.host, rtpPort, seed: (seed + 7919 * (i + 1)) >>> 0, clockOffsetMs: offset, clockDriftPpm: c.clock?.drift_ppm ?? 0, maxPayload: a.maxPayload, cname: `${c.id}@dvs-stream`,
        impairment: { lossPct: a.loss, jitterMs: a.jitterMs, reorderPct: a.reorder, duplicatePct: a.duplicate, seed: (seed + i) >>> 0 },
      });
      const enc = spawn('ffmpeg', encoderArgs(c, codec, a.gop ?? Math.max(1, Math.round(c.fps)), rtspUrl), { stdio: ['pipe', 'pipe', 'pipe'] });
      const cam: CameraStream = { id: c.id, codec, enc, sender, captures: [], frames: 0, encoded: 0, stderr: '', done: Promise.resolve() };
      enc.stderr.setEncoding('utf8');
      enc.stderr.on('data', (d: string) => { cam.stderr = (cam.stderr + d).slice(-2000); });
      enc.stdin.on('error', (e) => { cam.stderr += `\nstdin: ${e.message}`; });
      const split = codec === 'mjpeg' ? new JpegSplitter() : new AccessUnitSplitter(codec);
      const out = (frames: Uint8Array[]) => {
        for (const f of frames) {
          const capture = cam.captures.shift();
          if (capture === undefined) { cam.stderr += '\nencoder produced more frames than it was given'; continue; }
          cam.encoded++;
          sender?.send(f, capture);
        }
      };
      const toBytes = (x: unknown[]) => (codec === 'mjpeg' ? (x as Uint8Array[]) : (x as { nals: Uint8Array[] }[]).map((au) => annexBBytes(au.nals)));
      enc.stdout.on('data', (chunk: Buffer) => out(toBytes(split.push(chunk))));
      cam.done = new Promise<void>((resolve) => enc.on('close', () => {
        if (split instanceof AccessUnitSplitter) out(toBytes(split.flush()));
        resolve();
      }));
      cams.push(cam);
      if (!sender) {
        if (!a.quiet) io.stdout(`${c.id}: ${codec} ${c.resolution.join('x')} @ ${c.fps} fps → RTSP RECORD ${redactUrl(rtspUrl!)}\n`);
        continue;
      }
      if (a.sdpDir) writeFileSync(join(a.sdpDir, `${c.id}.sdp`), buildSenderSdp({ codec, address: a.host, rtpPort, payloadType: sender.core.payloadType, name: `dvs ${c.id}`, fps: c.fps }));
      if (!a.quiet) io.stdout(`${c.id}: ${codec} ${c.resolution.join('x')} @ ${c.fps} fps → rtp://${a.host}:${rtpPort} (RTCP ${rtpPort + 1}), clock offset ${offset} ms${c.clock?.drift_ppm ? `, drift ${c.clock.drift_ppm} ppm` : ''}\n`);
    }

    // Frame k of camera c is captured at site time (k/fps − b)/a (its true clock, CONTRACTS §2),
    // i.e. at shared time start + 1000·site. Start so that the earliest capture is now.
    const siteOf = (c: number, k: number) => renderers[c]!.cam.clock.siteTime(k / scenario.cameras[c]!.fps);
    const earliest = Math.min(...scenario.cameras.map((_, c) => siteOf(c, 0)));
    const start = clock.nowMs() + 200 - earliest * 1000;
    const counts = scenario.cameras.map((c) => Math.max(1, Math.round(seconds * c.fps)));
    const next = counts.map(() => 0);
    const bufs = scenario.cameras.map((c) => new Uint8Array(c.resolution[0] * c.resolution[1]));
    let stop = false;
    const onSig = () => { stop = true; };
    process.once('SIGINT', onSig);
    let lastReport = clock.nowMs();
    let reported = cams.map(() => ({ frames: 0, octets: 0, packets: 0 }));
    try {
      for (;;) {
        if (stop) break;
        let c = -1;
        let t = Infinity;
        for (let i = 0; i < cams.length; i++) {
          if (next[i]! >= counts[i]!) continue;
          const ti = start + siteOf(i, next[i]!) * 1000;
          if (ti < t) { t = ti; c = i; }
        }
        if (c < 0) break;
        const wait = t - clock.nowMs();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const cam = cams[c]!;
        renderers[c]!.renderInto(next[c]!, bufs[c]!);
        cam.captures.push(t);
        if (!cam.enc.stdin.write(bufs[c]!)) await new Promise<void>((r) => cam.enc.stdin.once('drain', () => r()));
        cam.frames++;
        next[c]!++;
        if (!a.quiet && clock.nowMs() - lastReport >= 1000) {
          const now = clock.nowMs();
          const dt = (now - lastReport) / 1000;
          io.stdout(`${((now - start) / 1000).toFixed(1)} s  ${cams.map((s, i) => {
            if (!s.sender) return `${s.id} ${s.frames} frames rendered`;
            const k = s.sender.core.counters, w = s.sender.stats, r = reported[i]!;
            return `${s.id} ${((k.frames - r.frames) / dt).toFixed(1)} fps ${(((k.octets - r.octets) * 8) / dt / 1e6).toFixed(2)} Mb/s ${k.packets - r.packets} pkts (dropped ${w.dropped}, pli ${k.pli}, fir ${k.fir})`;
          }).join(' | ')}  lag ${Math.max(0, now - t).toFixed(0)} ms\n`);
          reported = cams.map((s) => ({ frames: s.sender?.core.counters.frames ?? 0, octets: s.sender?.core.counters.octets ?? 0, packets: s.sender?.core.counters.packets ?? 0 }));
          lastReport = now;
        }
      }
    } finally {
      process.removeListener('SIGINT', onSig);
    }
    for (const cam of cams) cam.enc.stdin.end();
    await Promise.all(cams.map((c) => c.done));
    await Promise.all(cams.map((c) => c.sender?.idle()));
    for (const cam of cams) {
      if (cam.enc.exitCode !== 0) throw new Error(`${cam.id}: encoder failed (exit ${cam.enc.exitCode}): ${cam.stderr.trim()}`);
      if (!cam.sender) {
        if (!a.quiet) io.stdout(`${cam.id}: ${cam.frames} frames published\n`);
        continue;
      }
      const k = cam.sender.core.counters, w = cam.sender.stats;
      if (!a.quiet) io.stdout(`${cam.id}: ${k.frames} frames, ${k.packets} packets (${w.dropped} dropped, ${w.duplicated} duplicated, ${w.reordered} reordered), ${k.senderReports} sender reports, PLI ${k.pli}, FIR ${k.fir}${k.refusedFrames ? `, ${k.refusedFrames} refused: ${cam.sender.core.lastRefusal}` : ''}\n`);
    }
  } finally {
    for (const cam of cams) {
      if (cam.enc.exitCode === null) cam.enc.kill('SIGKILL');
      await cam.sender?.close();
    }
  }
}

/** The URL without user:password@ (credentials never go to the output). */
function redactUrl(url: string): string {
  return url.replace(/^(rtsps?:\/\/)[^@/]*@/, '$1');
}
