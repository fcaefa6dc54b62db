/**
 * `dvs sim`: render a scenario into per-camera videos plus the ground truth (CONTRACTS §5).
 * The scenario is validated completely before anything is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Rng, hashSeed } from '../util/rng.ts';
import { Progress } from '../util/progress.ts';
import { CloudField } from './clouds.ts';
import { FfmpegEncoder } from './encode.ts';
import { CameraRenderer, bumpedSimCamera, cameraFromSim } from './render.ts';
import { reportedCamera } from './reported.ts';
import type { Scenario } from './scenario.ts';
import { StaticScene } from './scene.ts';
import { SkyRenderer } from './sky.ts';
import { SimulatedTarget } from './targets.ts';

export interface SimOptions {
  /** Suppress the progress display. */
  quiet?: boolean;
  /** Render only the first N frames of every camera (tests, benchmarks). */
  maxFrames?: number;
}

export interface SimResult {
  outDir: string;
  cameras: { id: string; file: string; frames: number; width: number; height: number; fps: number }[];
  truthRows: number;
  wallS: number;
  framesPerS: number;
}

/** Build the renderers of every camera of a scenario (shared by `dvs sim` and the benchmark). */
export function buildRenderers(s: Scenario): { renderers: CameraRenderer[]; targets: SimulatedTarget[] } {
  const targets = s.targets.map((t, i) => new SimulatedTarget(t, s.seed, i));
  const field = new CloudField(hashSeed(s.seed, 0xc10d));
  const heading = s.sky.cloud_heading_deg ?? new Rng(hashSeed(s.seed, 0x3ead)).uniform(0, 360);
  const skyParams = { ...s.sky, cloud_heading_deg: heading };
  const scene = buildScene(s) ?? undefined;
  const renderers = s.cameras.map((c, i) => {
    const cam = cameraFromSim(c);
    const after = bumpedSimCamera(c);
    let bumped = null;
    if (after) {
      const cam2 = cameraFromSim(after);
      bumped = { tS: c.bump!.t_s, cam: cam2, sky: new SkyRenderer(cam2, skyParams, field, scene, c.psf_sigma_px) };
    }
    return new CameraRenderer(c, cam, new SkyRenderer(cam, skyParams, field, scene, c.psf_sigma_px), targets, s.seed, i, bumped);
  });
  return { renderers, targets };
}

/** The scenario's static scenery, or null when it has none. */
export function buildScene(s: Scenario): StaticScene | null {
  return s.scene?.skyline ? new StaticScene(s.scene.skyline, s.seed) : null;
}

/** Frames a camera renders over the scenario's duration. */
export function frameCount(s: Scenario, fps: number): number {
  return Math.round(s.duration_s * fps);
}

export async function runSim(s: Scenario, outDir: string, opts: SimOptions = {}): Promise<SimResult> {
  const t0 = performance.now();
  mkdirSync(outDir, { recursive: true });
  const { renderers, targets } = buildRenderers(s);
  writeSiteYaml(s, outDir);
  writeTruthCameras(s, outDir);
  const scene = buildScene(s);
  if (scene) writeFileSync(join(outDir, 'truth-scene.json'), `${JSON.stringify(scene.toJSON())}\n`);
  const truthRows = writeTruth(s, targets, outDir);

  const counts = s.cameras.map((c) => Math.min(frameCount(s, c.fps), opts.maxFrames ?? Infinity));
  const total = counts.reduce((a, b) => a + b, 0);
  const progress = new Progress(`sim ${s.name}`, total, 'frames', process.stderr, opts.quiet ?? false);
  const encoders = s.cameras.map((c) => new FfmpegEncoder({
    path: join(outDir, `${c.id}.mkv`), width: c.resolution[0], height: c.resolution[1], fps: c.fps,
    codec: c.codec, bitrateKbps: c.bitrate_kbps, gop: c.gop ?? Math.max(1, Math.round(2 * c.fps)),
  }));
  try {
    // Round-robin over cameras so every FFmpeg encoder works in parallel with the renderer.
    const maxCount = Math.max(...counts);
    for (let k = 0; k < maxCount; k++) {
      for (let c = 0; c < renderers.length; c++) {
        if (k >= counts[c]!) continue;
        const enc = encoders[c]!;
        const buf = await enc.acquire();
        renderers[c]!.renderInto(k, buf);
        enc.submit(buf);
        progress.tick();
      }
    }
    await Promise.all(encoders.map((e) => e.close()));
  } catch (e) {
    for (const enc of encoders) enc.abort();
    throw e;
  } finally {
    progress.finish();
  }
  const wallS = (performance.now() - t0) / 1000;
  return {
    outDir,
    cameras: s.cameras.map((c, i) => ({ id: c.id, file: join(outDir, `${c.id}.mkv`), frames: counts[i]!, width: c.resolution[0], height: c.resolution[1], fps: c.fps })),
    truthRows,
    wallS,
    framesPerS: total / wallS,
  };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** truth.jsonl: every target alive at each 0.1 s of site time. Returns the number of rows. */
function writeTruth(s: Scenario, targets: SimulatedTarget[], outDir: string): number {
  const lines: string[] = [];
  const p = new Float64Array(3);
  const n = Math.floor(s.duration_s * 10 + 1e-9);
  for (let i = 0; i <= n; i++) {
    const t = i / 10;
    for (const tg of targets) {
      if (!tg.trajectory.isActive(t)) continue;
      tg.trajectory.positionInto(t, p);
      lines.push(JSON.stringify({ t, id: tg.id, class: tg.cls, enu: [r3(p[0]!), r3(p[1]!), r3(p[2]!)] }));
    }
  }
  writeFileSync(join(outDir, 'truth.jsonl'), lines.length ? `${lines.join('\n')}\n` : '');
  return lines.length;
}

function writeTruthCameras(s: Scenario, outDir: string): void {
  const cameras = s.cameras.map((c) => ({
    id: c.id, resolution: c.resolution, fps: c.fps, pose: c.pose, intrinsics: c.intrinsics,
    clock: c.clock ?? { offset_ms: 0, drift_ppm: 0 }, ...(c.rolling_shutter ? { rolling_shutter: c.rolling_shutter } : {}),
    ...(c.bump ? { bump: c.bump, pose_after_bump: bumpedSimCamera(c)!.pose } : {}),
  }));
  writeFileSync(join(outDir, 'truth-cameras.json'), `${JSON.stringify({ scenario: s.name, seed: s.seed, cameras }, null, 2)}\n`);
}

/** site.yaml as the operator would have it: reported (perturbed) poses, intrinsics and clocks. */
function writeSiteYaml(s: Scenario, outDir: string): void {
  const cameras = s.cameras.map((c, i) => {
    const rep = reportedCamera(c, s.seed, i);
    return {
      id: c.id,
      source: `file:${c.id}.mkv`,
      rtp_config: { protocol: 'file', resolution: c.resolution, fps: c.fps, bitrate_kbps: c.bitrate_kbps },
      pose: { enu: rep.pose.enu.map(r3), yaw: r6(rep.pose.yaw), pitch: r6(rep.pose.pitch), roll: r6(rep.pose.roll) },
      intrinsics: rep.intrinsics,
      clock: rep.clock,
      ...(c.rolling_shutter ? { rolling_shutter: c.rolling_shutter } : {}),
    };
  });
  const doc = {
    site: s.site,
    media_server: { max_concurrent_streams: Math.max(16, s.cameras.length) },
    cameras,
  };
  const header = `# Generated by \`dvs sim\` from scenario '${s.name}' (seed ${s.seed}).\n# Poses, intrinsics and clocks are as reported (the truth perturbed by report_error);\n# the true values are in truth-cameras.json.\n`;
  writeFileSync(join(outDir, 'site.yaml'), header + stringify(doc, { flowCollectionPadding: false }));
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
