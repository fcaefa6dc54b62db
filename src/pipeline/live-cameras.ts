/**
 * The live cameras of a site config as geometry for the live pipeline: every enabled camera with
 * an rtsp://, rtp:// or tcp:// source, with the pose, intrinsics, clock and rolling shutter the
 * config gives and the frame size and rate of `rtp_config` (a stream cannot be probed ahead).
 * `index` is the camera's position in the config, as in {@link siteCameras}.
 */
import type { SiteConfig } from '../config/index.ts';
import { Camera } from '../geometry/index.ts';
import type { SiteCamera } from './cameras.ts';

const LIVE = /^(rtsp|rtp|tcp):\/\//i;

export interface LiveCameras {
  cameras: SiteCamera[];
  /** Live cameras that cannot be used, with the reason (missing pose, intrinsics, resolution or fps). */
  unusable: Array<{ id: string; reason: string }>;
}

export function liveSiteCameras(cfg: SiteConfig): LiveCameras {
  const cameras: SiteCamera[] = [];
  const unusable: LiveCameras['unusable'] = [];
  for (const [index, c] of cfg.cameras.entries()) {
    if (c.enabled === false || !LIVE.test(c.resolvedSource)) continue;
    const pose = c.pose ?? c.approx_pose;
    const intr = c.intrinsics ?? c.intrinsics_guess;
    const { resolution, fps } = c.rtp_config;
    const missing = [!pose && 'pose', !intr && 'intrinsics', !resolution && 'rtp_config.resolution', !fps && 'rtp_config.fps'].filter((x): x is string => typeof x === 'string');
    if (missing.length > 0 || !pose || !intr || !resolution || !fps) {
      unusable.push({ id: c.id, reason: `no ${missing.join(', ')}` });
      continue;
    }
    const camera = new Camera({ id: c.id, resolution, pose, intrinsics: intr, rolling_shutter: c.rolling_shutter, clock: c.clock });
    cameras.push({ index, id: c.id, camera, fps });
  }
  return { cameras, unusable };
}
