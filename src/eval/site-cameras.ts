/**
 * The few camera fields `dvs eval` needs from a site.yaml, read straight from the YAML.
 * Kept apart so it can be switched to `loadSiteConfig` (src/config) once that exists.
 */
import { parse } from 'yaml';
import { EvalInputError, readText } from './io.ts';

export interface SiteCamera {
  id: string;
  /** `rtp_config.resolution`, unchecked. */
  resolution: unknown;
  /** `pose`, else `approx_pose`, unchecked. */
  pose: unknown;
  /** `intrinsics`, else `intrinsics_guess`, unchecked. */
  intrinsics: unknown;
}

export async function readSiteCameras(path: string): Promise<SiteCamera[]> {
  let doc: unknown;
  try {
    doc = parse(await readText(path));
  } catch (err) {
    if (err instanceof EvalInputError) throw err;
    throw new EvalInputError(`${path}: invalid YAML: ${(err as Error).message}`);
  }
  const cams = (doc as { cameras?: unknown } | null)?.cameras;
  if (!Array.isArray(cams)) throw new EvalInputError(`${path}: "cameras" must be a list`);
  return cams.map((c: unknown, i) => {
    const o = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
    if (typeof o['id'] !== 'string') throw new EvalInputError(`${path}: cameras[${i}].id must be a string`);
    const rtp = o['rtp_config'] as Record<string, unknown> | undefined;
    return {
      id: o['id'],
      resolution: typeof rtp === 'object' && rtp !== null ? rtp['resolution'] : undefined,
      pose: o['pose'] ?? o['approx_pose'],
      intrinsics: o['intrinsics'] ?? o['intrinsics_guess'],
    };
  });
}
