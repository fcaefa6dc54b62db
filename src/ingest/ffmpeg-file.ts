/**
 * Decode a video file to 8-bit grey frames with an FFmpeg child process (the luma plane, as the
 * pipeline uses). Frames arrive as views into one reusable buffer per frame slot: copy what you
 * keep. The detection issue builds frame pools and camera clocks on top of this.
 */
import { spawn } from 'node:child_process';

/**
 * FFmpeg output options for 8-bit grey frames on stdout: the decoded luma plane as it is
 * (`extractplanes=y`), every coded frame exactly once. Not `-pix_fmt gray`: that runs swscale's
 * limited→full range conversion over every pixel, which cost more CPU than the H.264 decode
 * itself left to spare (1080p, 600 frames, one thread: decode alone 5.1 s, + extractplanes to a
 * pipe 6.8 s, + `-pix_fmt gray` to a pipe 9.8 s). The grey levels are therefore the stream's own
 * Y values (16–235 for limited-range video); motion thresholds adapt to the measured noise, so
 * the scale does not matter. The `format` step converts only what is not already 8-bit planar
 * YUV or grey (RGB, 10-bit), so those still arrive as 8-bit luma.
 */
export function greyOutputArgs(target = 'pipe:1'): string[] {
  return [
    '-vf', 'format=pix_fmts=yuv420p|yuvj420p|yuv422p|yuvj422p|yuv444p|yuvj444p|nv12|gray,extractplanes=y',
    // Every coded frame exactly once: FFmpeg's default constant-rate output would duplicate and
    // drop frames whenever container timestamps (Matroska: whole ms) jitter around 1/fps.
    '-fps_mode', 'passthrough', '-f', 'rawvideo', target,
  ];
}

export interface ProbeInfo {
  codec: string;
  width: number;
  height: number;
  /** Frame rate as FFmpeg reports it (r_frame_rate), e.g. "15/1". */
  frameRate: string;
  fps: number;
  /** Frames counted by decoding the whole stream (ffprobe -count_frames). */
  frames: number;
}

/** ffprobe a video's first video stream, counting its frames by decoding. */
export async function probeVideo(path: string): Promise<ProbeInfo> {
  const out = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,width,height,r_frame_rate,nb_read_frames', '-of', 'json', path]);
  const s = (JSON.parse(out.toString('utf8')) as { streams?: Record<string, unknown>[] }).streams?.[0];
  if (!s) throw new Error(`${path}: no video stream`);
  const [num, den] = String(s.r_frame_rate).split('/').map(Number);
  return {
    codec: String(s.codec_name), width: Number(s.width), height: Number(s.height),
    frameRate: String(s.r_frame_rate), fps: num! / (den || 1), frames: Number(s.nb_read_frames),
  };
}

/** Container duration in seconds (fast: no decoding), or null when the container does not say. */
export async function probeDuration(path: string): Promise<number | null> {
  const out = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]);
  const d = Number(out.toString('utf8').trim());
  return Number.isFinite(d) && d > 0 ? d : null;
}

/**
 * Decode every frame of `path` as width×height grey bytes. Yields (index, frame) with `frame` a
 * fresh-per-slot view valid until the next iteration.
 */
export async function* decodeGrayFrames(path: string, width: number, height: number): AsyncGenerator<{ index: number; frame: Uint8Array }> {
  const proc = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', path, ...greyOutputArgs()], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => { stderr = (stderr + d).slice(-2000); });
  const exited = new Promise<number | null>((resolve) => proc.on('close', resolve));
  const size = width * height;
  const frame = new Uint8Array(size);
  let fill = 0, index = 0;
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(size - fill, chunk.length - off);
        frame.set(chunk.subarray(off, off + n), fill);
        fill += n; off += n;
        if (fill === size) { yield { index: index++, frame }; fill = 0; }
      }
    }
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
  const code = await exited;
  if (code !== 0 && code !== null) throw new Error(`ffmpeg decoding ${path} failed (exit ${code}): ${stderr.trim()}`);
  if (fill !== 0) throw new Error(`${path}: stream ended inside a frame (${fill} of ${size} bytes)`);
}

/** Decode a whole (small) video into one buffer of frames × width × height bytes. */
export async function decodeAllGray(path: string, width: number, height: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  for await (const { frame } of decodeGrayFrames(path, width, height)) frames.push(frame.slice());
  return frames;
}

function run(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`${cmd} exited ${code}: ${err.trim()}`))));
  });
}
