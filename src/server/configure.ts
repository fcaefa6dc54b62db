/**
 * A stream configuration change from the API, validated exactly like site.yaml: the changed camera
 * is put back into the whole site config, which is serialised and parsed again by
 * parseSiteConfig (schema, closed objects, defaults and the semantic site checks such as duplicate
 * ports). Issues on that camera come back with the camera-relative field ("rtp_config.fps").
 *
 * PATCH: RFC 7396 JSON merge patch on the camera entry (objects merge, null removes a key).
 * PUT: the body is the whole camera entry (its `id`, when given, must match).
 */
import { stringify } from 'yaml';
import { parseSiteConfig, toSiteConfigInput, type CameraConfig, type SiteConfig } from '../config/index.ts';
import { MediaServerError } from './errors.ts';

export type ConfigureMode = 'patch' | 'put';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7396 merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * The validated camera that results from applying `body` to camera `id` of `site`; throws
 * MediaServerError INVALID_CONFIG naming every bad field.
 */
export function applyCameraChange(site: SiteConfig, id: string, body: unknown, mode: ConfigureMode): CameraConfig {
  if (!isObject(body)) throw new MediaServerError('INVALID_CONFIG', 'request body must be a JSON object', [{ field: '', message: 'must be a JSON object' }]);
  if (body.id !== undefined && body.id !== id) {
    throw new MediaServerError('INVALID_CONFIG', `field id: cannot rename stream ${id}`, [{ field: 'id', message: `must be '${id}' (streams cannot be renamed)` }]);
  }
  const input = toSiteConfigInput(site);
  const index = input.cameras.findIndex((c) => c.id === id);
  if (index < 0) throw new MediaServerError('INVALID_CONFIG', `no camera ${id} in the site config`);
  const current = input.cameras[index]! as Record<string, unknown>;
  let next: Record<string, unknown>;
  if (mode === 'put') {
    next = { ...body, id };
  } else {
    next = mergePatch(current, body) as Record<string, unknown>;
    // A new source re-derives the protocol unless the patch names one; the legacy key goes.
    const rc = isObject(body.rtp_config) ? body.rtp_config : {};
    if (body.source !== undefined) {
      delete next.rtsp;
      if (rc.protocol === undefined && isObject(next.rtp_config)) {
        const { protocol: _derived, ...restRc } = next.rtp_config;
        next.rtp_config = restRc;
      }
    }
  }
  input.cameras[index] = next as (typeof input.cameras)[number];
  const parsed = parseSiteConfig(stringify(input), { file: 'request' });
  if (!parsed.ok) {
    const prefix = `cameras[${index}]`;
    const issues = parsed.issues.map((i) => ({
      field: i.path === prefix ? '' : i.path.startsWith(`${prefix}.`) ? i.path.slice(prefix.length + 1) : i.path,
      message: i.message,
    }));
    const head = issues.slice(0, 3).map((i) => `${i.field || '(camera)'}: ${i.message}`).join('; ');
    throw new MediaServerError('INVALID_CONFIG', `invalid configuration: ${head}`, issues);
  }
  return parsed.value.cameras[index]!;
}
