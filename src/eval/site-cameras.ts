/**
 * The few camera fields `dvs eval` needs from a site.yaml, through the validated site loader
 * (so a broken site.yaml is refused with every mistake listed, as everywhere else).
 */
import { ConfigError, loadSiteConfig } from '../config/index.ts';
import { EvalInputError } from './io.ts';

export interface SiteCamera {
  id: string;
  /** `rtp_config.resolution`, when given. */
  resolution: unknown;
  /** `pose`, else `approx_pose`. */
  pose: unknown;
  /** `intrinsics`, else `intrinsics_guess`. */
  intrinsics: unknown;
  clock?: unknown;
  rolling_shutter?: unknown;
}

export async function readSiteCameras(path: string): Promise<SiteCamera[]> {
  try {
    const cfg = loadSiteConfig(path);
    return cfg.cameras.map((c) => ({
      id: c.id,
      resolution: c.rtp_config?.resolution,
      pose: c.pose ?? c.approx_pose,
      intrinsics: c.intrinsics ?? c.intrinsics_guess,
      clock: c.clock,
      rolling_shutter: c.rolling_shutter,
    }));
  } catch (err) {
    if (err instanceof ConfigError) throw new EvalInputError(`invalid site config:\n${err.message}`);
    throw err;
  }
}
