/**
 * The cameras `dvs eval` uses to decide which truth instants count: the true cameras of
 * truth-cameras.json (beside truth.jsonl, or --truth-cameras), resolutions filled in from the
 * site config when absent; without a truth-cameras file, the site config's own cameras (with a
 * warning, since those poses are only the reported ones). Clocks and rolling shutter are kept
 * when given (visibility itself is a geometric test at the truth instant; the signal meter
 * needs them to find a target in a frame stamped on the camera's own clock).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Camera, type CameraParams } from '../geometry/index.ts';
import { EvalInputError, asObject, field, num, readText, vec3, type JsonObject } from './io.ts';
import { readSiteCameras, type SiteCamera } from './site-cameras.ts';

export interface EvalCameras {
  cameras: Camera[];
  /** The file the camera poses came from. */
  source: string;
  warnings: string[];
}

export interface CameraSourceOptions {
  truthPath: string;
  /** Explicit truth-cameras file; must exist when given. */
  truthCamerasPath?: string | undefined;
  configPath?: string | undefined;
}

export async function loadEvalCameras(o: CameraSourceOptions): Promise<EvalCameras> {
  const path = o.truthCamerasPath ?? join(dirname(o.truthPath), 'truth-cameras.json');
  let site: SiteCamera[] | undefined;
  const siteCameras = async (why: string): Promise<SiteCamera[]> => {
    if (o.configPath === undefined) throw new EvalInputError(`${why}, and no --config was given to take it from`);
    return (site ??= await readSiteCameras(o.configPath));
  };
  if (o.truthCamerasPath !== undefined || existsSync(path)) {
    const text = await readText(path);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new EvalInputError(`${path}: invalid JSON: ${(err as Error).message}`);
    }
    const list = field(asObject(doc, path), 'cameras', path);
    if (!Array.isArray(list)) throw new EvalInputError(`${path}: "cameras" must be an array`);
    const cameras: Camera[] = [];
    for (let i = 0; i < list.length; i++) {
      const at = `${path}: cameras[${i}]`;
      const c = asObject(list[i], at);
      const id = field(c, 'id', at);
      if (typeof id !== 'string') throw new EvalInputError(`${at}: field "id" must be a string`);
      let resolution: unknown = c['resolution'];
      let resAt = at;
      if (resolution === undefined) {
        const sc = (await siteCameras(`${at} (${id}) has no "resolution"`)).find((s) => s.id === id);
        if (!sc || sc.resolution === undefined) throw new EvalInputError(`${at} (${id}) has no "resolution" and ${o.configPath} has no cameras[id=${id}].rtp_config.resolution`);
        resolution = sc.resolution;
        resAt = `${o.configPath}: camera ${id} rtp_config`;
      }
      cameras.push(makeCamera({ id, resolution, pose: field(c, 'pose', at), intrinsics: field(c, 'intrinsics', at), clock: c['clock'], rolling_shutter: c['rolling_shutter'] }, at, resAt));
    }
    return { cameras, source: path, warnings: [] };
  }
  const sc = await siteCameras(`no truth cameras: ${path} does not exist`);
  const cameras = sc.map((s) => {
    const at = `${o.configPath}: camera ${s.id}`;
    if (s.pose === undefined) throw new EvalInputError(`${at}: needs "pose" or "approx_pose"`);
    if (s.intrinsics === undefined) throw new EvalInputError(`${at}: needs "intrinsics" or "intrinsics_guess"`);
    if (s.resolution === undefined) throw new EvalInputError(`${at}: needs rtp_config.resolution`);
    return makeCamera(s, at, `${at} rtp_config`);
  });
  const warning = `warning: ${path} not found; deciding visibility with the cameras of ${o.configPath} (reported, not true, poses)`;
  return { cameras, source: o.configPath!, warnings: [warning] };
}

function makeCamera(c: { id: string; resolution: unknown; pose: unknown; intrinsics: unknown; clock?: unknown; rolling_shutter?: unknown }, at: string, resAt: string): Camera {
  const r = c.resolution;
  if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => Number.isInteger(x) && (x as number) > 0)) {
    throw new EvalInputError(`${resAt}: "resolution" must be [width, height] in positive integers`);
  }
  const pose = asObject(c.pose, `${at}.pose`);
  const k = asObject(c.intrinsics, `${at}.intrinsics`);
  const opt = (o: JsonObject, name: string, where: string) => (o[name] === undefined ? 0 : num(o, name, where));
  const params: CameraParams = {
    id: c.id,
    resolution: [r[0] as number, r[1] as number],
    pose: { enu: vec3(pose, 'enu', `${at}.pose`), yaw: num(pose, 'yaw', `${at}.pose`), pitch: num(pose, 'pitch', `${at}.pose`), roll: opt(pose, 'roll', `${at}.pose`) },
    intrinsics: {
      fx: num(k, 'fx', `${at}.intrinsics`), fy: num(k, 'fy', `${at}.intrinsics`), cx: num(k, 'cx', `${at}.intrinsics`), cy: num(k, 'cy', `${at}.intrinsics`),
      k1: opt(k, 'k1', `${at}.intrinsics`), k2: opt(k, 'k2', `${at}.intrinsics`), k3: opt(k, 'k3', `${at}.intrinsics`),
      p1: opt(k, 'p1', `${at}.intrinsics`), p2: opt(k, 'p2', `${at}.intrinsics`),
    },
  };
  if (c.clock !== undefined && c.clock !== null) {
    const ck = asObject(c.clock, `${at}.clock`);
    params.clock = { offset_ms: opt(ck, 'offset_ms', `${at}.clock`), drift_ppm: opt(ck, 'drift_ppm', `${at}.clock`) };
  }
  if (c.rolling_shutter !== undefined && c.rolling_shutter !== null) {
    const rs = asObject(c.rolling_shutter, `${at}.rolling_shutter`);
    const dir = rs['direction'] ?? 'down';
    if (dir !== 'down' && dir !== 'up') throw new EvalInputError(`${at}.rolling_shutter: "direction" must be "down" or "up"`);
    params.rolling_shutter = { line_us: num(rs, 'line_us', `${at}.rolling_shutter`), direction: dir };
  }
  try {
    return new Camera(params);
  } catch (err) {
    throw new EvalInputError(`${at}: ${(err as Error).message}`);
  }
}
