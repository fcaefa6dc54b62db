/**
 * Cameras of a site config as geometry: the pose and intrinsics the config gives (`pose` over
 * `approx_pose`, `intrinsics` over `intrinsics_guess`), clock and rolling shutter, and the
 * frame size and rate (from `rtp_config`, else from probing the file).
 */
import type { SiteConfig } from '../config/index.ts';
import { Camera } from '../geometry/index.ts';
import { probeVideo } from '../ingest/index.ts';

export interface SiteCamera {
  index: number;
  id: string;
  camera: Camera;
  fps: number;
  /** Path of a `file:` source, else undefined. */
  file?: string;
}

export class SiteCameraError extends Error {
  readonly code = 'SITE_CAMERA';
}

export async function siteCameras(cfg: SiteConfig): Promise<SiteCamera[]> {
  const out: SiteCamera[] = [];
  for (const [index, c] of cfg.cameras.entries()) {
    if (c.enabled === false) continue;
    const pose = c.pose ?? c.approx_pose;
    const intr = c.intrinsics ?? c.intrinsics_guess;
    if (!pose) throw new SiteCameraError(`camera ${c.id}: needs pose or approx_pose to be used for detection (run dvs calib first)`);
    if (!intr) throw new SiteCameraError(`camera ${c.id}: needs intrinsics or intrinsics_guess`);
    const file = c.resolvedSource.startsWith('file:') ? c.resolvedSource.slice(5) : undefined;
    let resolution = c.rtp_config.resolution;
    let fps = c.rtp_config.fps;
    if ((!resolution || !fps) && file) {
      const p = await probeVideo(file);
      resolution ??= [p.width, p.height];
      fps ??= p.fps;
    }
    if (!resolution || !fps) throw new SiteCameraError(`camera ${c.id}: rtp_config.resolution and rtp_config.fps are needed for a ${c.rtp_config.protocol} source`);
    const camera = new Camera({ id: c.id, resolution, pose, intrinsics: intr, rolling_shutter: c.rolling_shutter, clock: c.clock });
    out.push({ index, id: c.id, camera, fps, ...(file ? { file } : {}) });
  }
  return out;
}
