/**
 * End-to-end offline detection against the decode bound: on a rendered piece of
 * scenarios/spec-1km.yaml (4 × 1080p30 H.264), FFmpeg's decode-only frames/s with all cameras
 * decoding concurrently, two ways: `-f null` (bare decode, nothing written: the strictest bound)
 * and `-pix_fmt gray` to /dev/null (what a plain FFmpeg command takes to produce grey frames), and
 * `dvs detect`'s frames/s (its wall time includes start-up: worker threads loading, so short runs
 * understate it), real-time factor and peak RSS. The issue's aim: detect ≥ 85 % of decode-only.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSiteConfig } from '../src/config/index.ts';
import { runOfflineDetect } from '../src/pipeline/index.ts';
import { loadScenario, runSim } from '../src/sim/index.ts';

const DECODE_ONLY = {
  null: ['-f', 'null', '-'],
  grey: ['-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'gray', '-y', '/dev/null'],
};

function decodeOnly(file: string, how: keyof typeof DECODE_ONLY): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, ...DECODE_ONLY[how]], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`))));
  });
}

/**
 * On an already rendered scenario directory (site.yaml and one `<camera>.mkv` per camera, e.g.
 * out/accept/spec-1km from `npm run accept`): the whole videos, decode-only and `dvs detect`
 * back to back.
 */
export async function benchDetectDir(dir: string): Promise<Record<string, number>> {
  const cfg = loadSiteConfig(join(dir, 'site.yaml'));
  const files = cfg.cameras.map((c) => join(dir, `${c.id}.mkv`));
  const out = mkdtempSync(join(tmpdir(), 'dvs-bench-detect-'));
  try {
    return await compare(files, () => runOfflineDetect(cfg, out, { quiet: true }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export async function benchDetect(frames: number): Promise<Record<string, number>> {
  const scenario = loadScenario('scenarios/spec-1km.yaml');
  const dir = mkdtempSync(join(tmpdir(), 'dvs-bench-detect-'));
  try {
    await runSim(scenario, dir, { quiet: true, maxFrames: frames });
    const files = scenario.cameras.map((c) => join(dir, `${c.id}.mkv`));
    return await compare(files, () => runOfflineDetect(loadSiteConfig(join(dir, 'site.yaml')), join(dir, 'det'), { quiet: true }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function compare(files: string[], detect: () => ReturnType<typeof runOfflineDetect>): Promise<Record<string, number>> {
  const wall = async (how: keyof typeof DECODE_ONLY) => {
    const t0 = performance.now();
    await Promise.all(files.map((f) => decodeOnly(f, how)));
    return (performance.now() - t0) / 1000;
  };
  const nullS = await wall('null');
  const greyS = await wall('grey');
  const s = await detect();
  // The frames dvs detect counted are the frames FFmpeg decoded above.
  const total = Object.values(s.frames).reduce((a, b) => a + b, 0);
  const nullFps = total / nullS, greyFps = total / greyS;
  return {
    'detect.ffmpeg_decode_only_fps_4x1080p': nullFps,
    'detect.ffmpeg_decode_to_grey_fps_4x1080p': greyFps,
    'detect.dvs_detect_fps_4x1080p': s.frames_per_s,
    'detect.fraction_of_decode_rate': s.frames_per_s / nullFps,
    'detect.fraction_of_decode_to_grey_rate': s.frames_per_s / greyFps,
    'detect.realtime_factor': s.realtime_factor,
    'detect.peak_rss_mb': s.peak_rss_mb,
    'detect.motion_pixels_per_frame': s.motion_pixels / total,
    'detect.voxel_steps_per_frame': s.voxel_steps / total,
  };
}
