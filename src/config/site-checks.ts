/**
 * Semantic checks of site.yaml that a schema cannot express. Each reports a path and a reason;
 * they run only after the schema passed, so the value is fully typed and defaulted.
 */
import type { Check, Locate } from './validate.ts';
import type { CameraConfigInput, Intrinsics, SiteConfigInput } from './schema.ts';
import { PROTOCOLS_BY_SCHEME, parseSource } from './source.ts';
import { redactCredentials } from './redact.ts';

/** Voxel grids above this count cannot be indexed with 32-bit signed integers. */
export const MAX_VOXELS = 2 ** 31;
const AXES = ['e (east)', 'n (north)', 'u (up)'] as const;

const at = (locate: Locate, path: string): string => {
  const p = locate(path);
  return p ? `${path}, line ${p.line}` : path;
};

export const checkCameraIds: Check<SiteConfigInput> = (cfg, report, locate) => {
  const first = new Map<string, number>();
  cfg.cameras.forEach((cam, i) => {
    const j = first.get(cam.id);
    if (j === undefined) first.set(cam.id, i);
    else report(`cameras[${i}].id`, `duplicate camera id '${cam.id}' (first defined at ${at(locate, `cameras[${j}].id`)})`);
  });
};

export const checkCameraCount: Check<SiteConfigInput> = (cfg, report) => {
  const max = cfg.media_server.max_concurrent_streams;
  const enabled = cfg.cameras.map((c, i) => (c.enabled ? i : -1)).filter((i) => i >= 0);
  const over = enabled[max];
  if (over !== undefined) {
    report(`cameras[${over}]`, `${enabled.length} enabled cameras exceed media_server.max_concurrent_streams (${max})`);
  }
};

/** Source/rtsp presence, scheme, protocol agreement. */
export const checkSources: Check<SiteConfigInput> = (cfg, report) => {
  cfg.cameras.forEach((cam, i) => {
    const base = `cameras[${i}]`;
    if (cam.source === undefined && cam.rtsp === undefined) {
      report(base, `camera '${cam.id}' needs a 'source' (or the legacy 'rtsp' key)`);
      return;
    }
    if (cam.source !== undefined && cam.rtsp !== undefined && cam.source !== cam.rtsp) {
      report(`${base}.rtsp`, "differs from 'source'; give only one of them");
    }
    const key = cam.source !== undefined ? 'source' : 'rtsp';
    const parsed = parseSource(cam.source ?? cam.rtsp ?? '');
    if (!parsed.ok) {
      report(`${base}.${key}`, parsed.message);
      return;
    }
    const protocol = cam.rtp_config.protocol;
    const allowed = PROTOCOLS_BY_SCHEME[parsed.scheme];
    if (protocol !== undefined && !allowed.includes(protocol)) {
      report(`${base}.rtp_config.protocol`, `protocol '${protocol}' contradicts the ${parsed.scheme}: source (allowed: ${allowed.join('|')})`);
    }
    if (parsed.scheme === 'rtp' && cam.rtp_config.port !== undefined && cam.rtp_config.port !== parsed.port) {
      report(`${base}.rtp_config.port`, `port ${cam.rtp_config.port} differs from the source's port ${parsed.port}`);
    }
  });
};

/** RTP port range, per-camera ports inside it, no port used twice. */
export const checkPorts: Check<SiteConfigInput> = (cfg, report, locate) => {
  const rangePath = 'media_server.network.rtp_port_range';
  const [lo, hi] = cfg.media_server.network.rtp_port_range;
  const rangeOk = lo <= hi;
  if (!rangeOk) report(rangePath, `min ${lo} is greater than max ${hi}`);
  const used = new Map<number, { id: string; path: string }>();
  cfg.cameras.forEach((cam, i) => {
    const port = localPort(cam);
    if (port === undefined) return;
    const path = cam.rtp_config.port !== undefined ? `cameras[${i}].rtp_config.port` : `cameras[${i}].${cam.source !== undefined ? 'source' : 'rtsp'}`;
    if (rangeOk && (port < lo || port > hi)) report(path, `port ${port} is outside ${rangePath} [${lo}, ${hi}]`);
    const prev = used.get(port);
    if (prev) report(path, `port ${port} is already used by camera '${prev.id}' (${at(locate, prev.path)})`);
    else used.set(port, { id: cam.id, path });
  });
};

/** The local port a camera binds: rtp_config.port, else the port of an rtp:// source. */
function localPort(cam: CameraConfigInput): number | undefined {
  if (cam.rtp_config.port !== undefined) return cam.rtp_config.port;
  const p = parseSource(cam.source ?? cam.rtsp ?? '');
  return p.ok && p.scheme === 'rtp' ? p.port : undefined;
}

export const checkVolume: Check<SiteConfigInput> = (cfg, report) => {
  const { min, max, voxel_m } = cfg.site.volume;
  let ok = true;
  for (let a = 0; a < 3; a++) {
    const lo = min[a] ?? 0;
    const hi = max[a] ?? 0;
    if (lo >= hi) {
      ok = false;
      report(`site.volume.max[${a}]`, `max must be greater than min on axis ${AXES[a]} (min ${lo}, max ${hi})`);
    }
  }
  if (!ok) return;
  const count = [0, 1, 2].reduce((n, a) => n * Math.ceil(((max[a] ?? 0) - (min[a] ?? 0)) / voxel_m), 1);
  if (count > MAX_VOXELS) {
    report('site.volume.voxel_m', `volume holds ${count.toExponential(2)} voxels, more than 2^31; use a larger voxel_m or a smaller volume`);
  }
};

export const checkIntrinsics: Check<SiteConfigInput> = (cfg, report) => {
  cfg.cameras.forEach((cam, i) => {
    const res = cam.rtp_config.resolution;
    if (!res) return;
    const [w, h] = res;
    const check = (k: 'intrinsics' | 'intrinsics_guess', K: Intrinsics | undefined): void => {
      if (!K) return;
      // Pixel (0,0) is the centre of the top-left pixel: the image spans -0.5 .. w-0.5.
      if (K.cx < -0.5 || K.cx > w - 0.5) report(`cameras[${i}].${k}.cx`, `principal point x ${K.cx} is outside the image (0..${w - 1} for width ${w})`);
      if (K.cy < -0.5 || K.cy > h - 0.5) report(`cameras[${i}].${k}.cy`, `principal point y ${K.cy} is outside the image (0..${h - 1} for height ${h})`);
    };
    check('intrinsics', cam.intrinsics);
    check('intrinsics_guess', cam.intrinsics_guess);
  });
};

export const checkPrivacyMasks: Check<SiteConfigInput> = (cfg, report) => {
  cfg.cameras.forEach((cam, i) => {
    cam.privacy_masks.forEach((poly, k) => {
      let twice = 0;
      poly.forEach(([x1, y1], j) => {
        const [x2, y2] = poly[(j + 1) % poly.length] ?? [x1, y1];
        twice += x1 * y2 - x2 * y1;
      });
      if (Math.abs(twice) < 1e-9) report(`cameras[${i}].privacy_masks[${k}]`, 'polygon has zero area (points are collinear or repeated)');
    });
  });
};

export const checkMisc: Check<SiteConfigInput> = (cfg, report) => {
  const qa = cfg.stream_processing.quality_adaptation;
  if (qa.min_bitrate_kbps > qa.max_bitrate_kbps) {
    report('stream_processing.quality_adaptation.min_bitrate_kbps', `min_bitrate_kbps ${qa.min_bitrate_kbps} is greater than max_bitrate_kbps ${qa.max_bitrate_kbps}`);
  }
  const alerting = cfg.monitoring.stream_health.alerting;
  for (const key of ['webhook_url', 'slack_webhook'] as const) {
    const url = alerting[key];
    if (url !== '' && !/^https?:\/\/[^/\s]+/i.test(url)) {
      report(`monitoring.stream_health.alerting.${key}`, `must be empty or an http(s) URL (got ${JSON.stringify(redactCredentials(url))})`);
    }
  }
};

export const SITE_CHECKS: readonly Check<SiteConfigInput>[] = [
  checkCameraIds, checkCameraCount, checkSources, checkPorts, checkVolume, checkIntrinsics, checkPrivacyMasks, checkMisc,
];
