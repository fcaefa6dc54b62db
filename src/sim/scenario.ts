/**
 * Scenario files (CONTRACTS §4): the input of `dvs sim`. Validated with the same machinery as
 * site.yaml, so a broken scenario is refused with the YAML path, line and reason of every
 * mistake before anything is written.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { CAMERA_ID_PATTERN, CODECS, closed, ClockSchema, IntrinsicsSchema, PoseSchema, RollingShutterSchema, SiteSchema } from '../config/schema.ts';
import { ConfigError, parseYamlWith, type Check } from '../config/validate.ts';

export const SkySchema = closed({
  brightness: Type.Number({ minimum: 0, maximum: 255, default: 190 }),
  gradient: Type.Number({ minimum: -255, maximum: 255, default: 25 }),
  clouds: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
  cloud_speed_mps: Type.Number({ minimum: 0, maximum: 100, default: 4 }),
  /** Extension: height of the cloud layer above the site origin, metres. */
  cloud_alt_m: Type.Number({ exclusiveMinimum: 0, default: 1500 }),
  /** Extension: direction the clouds move toward, degrees from north (default from the seed). */
  cloud_heading_deg: Type.Optional(Type.Number({ minimum: -360, maximum: 360 })),
}, { default: {} });

export const ReportErrorSchema = closed({
  /** Claimed position is off by exactly this many metres, in a seeded random direction. */
  pos_m: Type.Number({ minimum: 0, default: 0 }),
  /** Claimed orientation is off by exactly this angle, about a seeded random axis. */
  angle_deg: Type.Number({ minimum: 0, maximum: 90, default: 0 }),
  /** Claimed fx, fy are (1 + f_rel) times the true ones. */
  f_rel: Type.Number({ exclusiveMinimum: -0.9, maximum: 10, default: 0 }),
  /** Claimed clock offset is this many ms more than the true one. */
  offset_ms: Type.Number({ default: 0 }),
}, { default: {} });

/**
 * Extension: the camera is knocked at site time `t_s`: from then on its true orientation is
 * (yaw + yaw_deg, pitch + pitch_deg, roll + roll_deg); its position, intrinsics and clock stay.
 */
export const BumpSchema = closed({
  t_s: Type.Number({ minimum: 0 }),
  yaw_deg: Type.Number({ minimum: -30, maximum: 30, default: 0 }),
  pitch_deg: Type.Number({ minimum: -30, maximum: 30, default: 0 }),
  roll_deg: Type.Number({ minimum: -30, maximum: 30, default: 0 }),
});

/**
 * Extension: a seeded static skyline in ENU (buildings, trees, a distant ridge), the same 3D
 * geometry for every camera. Objects stand on the ground plane u = 0 at horizontal distances
 * `near_m`..`far_m` from the site origin, within the azimuth sector `sector_deg` (degrees
 * clockwise from north, [from, to]; default all around).
 */
export const SkylineSchema = closed({
  buildings: Type.Integer({ minimum: 0, maximum: 5000, default: 40 }),
  trees: Type.Integer({ minimum: 0, maximum: 5000, default: 60 }),
  near_m: Type.Number({ exclusiveMinimum: 0, default: 300 }),
  far_m: Type.Number({ exclusiveMinimum: 0, default: 1500 }),
  /** Building heights, metres [min, max]. */
  building_height_m: Type.Tuple([Type.Number({ exclusiveMinimum: 0 }), Type.Number({ exclusiveMinimum: 0 })], { default: [8, 40] }),
  /** Tree heights, metres [min, max]. */
  tree_height_m: Type.Tuple([Type.Number({ exclusiveMinimum: 0 }), Type.Number({ exclusiveMinimum: 0 })], { default: [8, 22] }),
  sector_deg: Type.Optional(Type.Tuple([Type.Number({ minimum: -360, maximum: 360 }), Type.Number({ minimum: -360, maximum: 360 })])),
  /** Horizontal distance of the ridge line from the site origin, metres (0: no ridge). */
  ridge_m: Type.Number({ minimum: 0, default: 4000 }),
  /** Mean and amplitude of the ridge height above the ground plane, metres. */
  ridge_height_m: Type.Number({ minimum: 0, default: 120 }),
  ridge_amplitude_m: Type.Number({ minimum: 0, default: 80 }),
  /** Aerial perspective: distance over which a surface fades 1/e of the way to the horizon sky, metres. */
  haze_m: Type.Number({ exclusiveMinimum: 0, default: 6000 }),
  /** Anti-aliasing: samples per pixel side where scenery may be (1..8). */
  supersample: Type.Integer({ minimum: 1, maximum: 8, default: 4 }),
});

export const SceneSchema = closed({
  skyline: Type.Optional(SkylineSchema),
});

export const SimCameraSchema = closed({
  id: Type.String({ pattern: CAMERA_ID_PATTERN }),
  resolution: Type.Tuple([Type.Integer({ minimum: 16, maximum: 8192 }), Type.Integer({ minimum: 16, maximum: 8192 })]),
  fps: Type.Number({ exclusiveMinimum: 0, maximum: 240 }),
  pose: PoseSchema,
  intrinsics: IntrinsicsSchema,
  clock: Type.Optional(ClockSchema),
  rolling_shutter: Type.Optional(RollingShutterSchema),
  noise_sigma: Type.Number({ minimum: 0, maximum: 64, default: 2 }),
  codec: Type.Enum([...CODECS], { default: 'h264' }),
  bitrate_kbps: Type.Number({ minimum: 50, maximum: 200000, default: 6000 }),
  /** Extension: optical blur (Gaussian PSF standard deviation), pixels. */
  psf_sigma_px: Type.Number({ minimum: 0, maximum: 5, default: 0.5 }),
  /** Extension: key-frame interval in frames (default 2 s worth, as most IP cameras). */
  gop: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  report_error: ReportErrorSchema,
  bump: Type.Optional(BumpSchema),
});

const Waypoint = Type.Tuple([Type.Number(), Type.Number(), Type.Number(), Type.Number()]);

export const TargetSchema = closed({
  id: Type.String({ pattern: CAMERA_ID_PATTERN }),
  class: Type.Enum(['drone', 'bird']),
  size_m: Type.Number({ exclusiveMinimum: 0, maximum: 50 }),
  intensity: Type.Number({ minimum: -255, maximum: 255 }),
  path: Type.Array(Waypoint, { minItems: 1 }),
  /** Extension: amplitude of the seeded meander, metres (default 20 for birds, 0 for drones). */
  meander_m: Type.Optional(Type.Number({ minimum: 0, maximum: 500 })),
  /** Extension: wing-beat frequency of a bird, Hz (default: seeded, 3–8 Hz). */
  flap_hz: Type.Optional(Type.Number({ minimum: 0.5, maximum: 30 })),
});

export const ScenarioSchema = closed({
  name: Type.String({ minLength: 1 }),
  seed: Type.Integer({ minimum: 0, maximum: 4294967295 }),
  duration_s: Type.Number({ exclusiveMinimum: 0, maximum: 7200 }),
  site: SiteSchema,
  sky: SkySchema,
  cameras: Type.Array(SimCameraSchema, { minItems: 1, maxItems: 64 }),
  targets: Type.Array(TargetSchema, { default: [] }),
  /** Extension: static scenery (absent: open sky over a textured ground plane, as before). */
  scene: Type.Optional(SceneSchema),
});

export type Scenario = Static<typeof ScenarioSchema>;
export type SimCamera = Static<typeof SimCameraSchema>;
export type SimTarget = Static<typeof TargetSchema>;
export type SimBump = Static<typeof BumpSchema>;
export type SkylineSpec = Static<typeof SkylineSchema>;

const checks: Check<Scenario>[] = [
  (s, report) => {
    const seen = new Map<string, number>();
    s.cameras.forEach((c, i) => {
      const first = seen.get(c.id);
      if (first !== undefined) report(`cameras[${i}].id`, `duplicate camera id '${c.id}' (first used at cameras[${first}].id)`);
      else seen.set(c.id, i);
      const [w, h] = c.resolution;
      // 4:2:0 video needs even dimensions, and every codec here encodes 4:2:0.
      if (w % 2 !== 0) report(`cameras[${i}].resolution[0]`, `width ${w} must be even for ${c.codec} (4:2:0 chroma)`);
      if (h % 2 !== 0) report(`cameras[${i}].resolution[1]`, `height ${h} must be even for ${c.codec} (4:2:0 chroma)`);
      // Pixel centres run 0..w−1, so the image spans −0.5..w−0.5 (CONTRACTS §1).
      if (c.intrinsics.cx < -0.5 || c.intrinsics.cx > w - 0.5) report(`cameras[${i}].intrinsics.cx`, `principal point cx=${c.intrinsics.cx} lies outside the image width ${w} (-0.5..${w - 0.5})`);
      if (c.intrinsics.cy < -0.5 || c.intrinsics.cy > h - 0.5) report(`cameras[${i}].intrinsics.cy`, `principal point cy=${c.intrinsics.cy} lies outside the image height ${h} (-0.5..${h - 0.5})`);
      const frames = s.duration_s * c.fps;
      if (frames > 1e6) report(`cameras[${i}].fps`, `duration_s × fps = ${frames} frames is more than 1e6`);
    });
  },
  (s, report) => {
    const seen = new Map<string, number>();
    s.targets.forEach((t, i) => {
      const first = seen.get(t.id);
      if (first !== undefined) report(`targets[${i}].id`, `duplicate target id '${t.id}' (first used at targets[${first}].id)`);
      else seen.set(t.id, i);
      if (t.intensity === 0) report(`targets[${i}].intensity`, 'intensity 0 makes the target invisible');
      for (let k = 1; k < t.path.length; k++) {
        if (!(t.path[k]![0] > t.path[k - 1]![0])) {
          report(`targets[${i}].path[${k}][0]`, `waypoint times must increase strictly (${t.path[k]![0]} after ${t.path[k - 1]![0]})`);
        }
      }
      if (t.flap_hz !== undefined && t.class !== 'bird') report(`targets[${i}].flap_hz`, 'flap_hz applies to birds only');
    });
  },
  (s, report) => {
    const sk = s.scene?.skyline;
    if (!sk) return;
    if (!(sk.far_m >= sk.near_m)) report('scene.skyline.far_m', `far_m=${sk.far_m} must be at least near_m=${sk.near_m}`);
    if (!(sk.building_height_m[1] >= sk.building_height_m[0])) report('scene.skyline.building_height_m[1]', 'maximum height below minimum');
    if (!(sk.tree_height_m[1] >= sk.tree_height_m[0])) report('scene.skyline.tree_height_m[1]', 'maximum height below minimum');
    if (sk.ridge_m > 0 && !(sk.ridge_m > sk.far_m)) report('scene.skyline.ridge_m', `ridge_m=${sk.ridge_m} must lie beyond far_m=${sk.far_m}`);
    s.cameras.forEach((c, i) => {
      if (sk.ridge_m > 0 && Math.hypot(c.pose.enu[0], c.pose.enu[1]) >= sk.ridge_m * 0.9) report(`cameras[${i}].pose.enu`, `camera lies at or beyond the ridge (ridge_m=${sk.ridge_m})`);
    });
  },
  (s, report) => {
    const v = s.site.volume;
    ['e', 'n', 'u'].forEach((axis, k) => {
      if (!(v.min[k]! < v.max[k]!)) report(`site.volume.max[${k}]`, `volume max ${axis}=${v.max[k]} must be greater than min ${axis}=${v.min[k]}`);
    });
  },
];

/** Parse and validate scenario text; `file` names it in messages. */
export function parseScenario(text: string, file = 'scenario.yaml'): { ok: true; value: Scenario } | { ok: false; issues: ConfigError['issues'] } {
  return parseYamlWith(text, ScenarioSchema, { file, checks });
}

/** Load a scenario file or throw {@link ConfigError} listing every mistake. */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, [{ path: '', message: `cannot read scenario file: ${(e as Error).message}` }]);
  }
  const r = parseScenario(text, path);
  if (!r.ok) throw new ConfigError(path, r.issues);
  return r.value;
}
