/**
 * The calibration in use, as GET /api/v1/calibration serves it. The API reads it from a
 * {@link CalibrationProvider}; by default {@link configCalibration} (the site config's values, one
 * version: the config, stamped with when it was loaded). An online refiner plugs in by passing its
 * own provider to `buildApi(server, {calibration})`; every snapshot is plain JSON.
 */
import type { CameraConfig, SiteConfig } from '../config/index.ts';

export interface CalibrationIntrinsics {
  fx: number; fy: number; cx: number; cy: number;
  k1: number; k2: number; p1: number; p2: number; k3: number;
}

export interface CalibrationPose {
  /** Camera centre, ENU metres. */
  enu: [number, number, number];
  /** Degrees (CONTRACTS §1). */
  yaw: number; pitch: number; roll: number;
}

export interface CalibrationCamera {
  id: string;
  /** null when the config gives none. */
  intrinsics: CalibrationIntrinsics | null;
  /** Which config field it came from: 'intrinsics' (calibrated) or 'intrinsics_guess'. */
  intrinsics_source: 'intrinsics' | 'intrinsics_guess' | null;
  pose: CalibrationPose | null;
  pose_source: 'pose' | 'approx_pose' | null;
  /** camera_time = (1 + drift_ppm·1e-6)·site_time + offset_ms/1000 (CONTRACTS §2). */
  clock: { offset_ms: number; drift_ppm: number };
  resolution: [number, number] | null;
  /** Version (in `versions`) these values come from. */
  version: string;
}

export interface CalibrationVersion {
  version: string;
  /** 'config' for the site config; a refiner names itself ('online', …). */
  source: string;
  /** ISO 8601 time the version came into use. */
  created_at: string;
  /** Cameras this version sets (all for the config). */
  cameras: string[];
  /** Free text (file name, solver summary). */
  note?: string;
}

export interface CalibrationSnapshot {
  /** Version in use for most cameras (the newest). */
  current: string;
  cameras: CalibrationCamera[];
  /** Oldest first. */
  versions: CalibrationVersion[];
}

export interface CalibrationProvider {
  snapshot(): CalibrationSnapshot;
}

function cameraEntry(c: CameraConfig, version: string): CalibrationCamera {
  const intr = c.intrinsics ?? c.intrinsics_guess;
  const pose = c.pose ?? c.approx_pose;
  return {
    id: c.id,
    intrinsics: intr ? { fx: intr.fx, fy: intr.fy, cx: intr.cx, cy: intr.cy, k1: intr.k1 ?? 0, k2: intr.k2 ?? 0, p1: intr.p1 ?? 0, p2: intr.p2 ?? 0, k3: intr.k3 ?? 0 } : null,
    intrinsics_source: c.intrinsics ? 'intrinsics' : c.intrinsics_guess ? 'intrinsics_guess' : null,
    pose: pose ? { enu: [pose.enu[0], pose.enu[1], pose.enu[2]], yaw: pose.yaw, pitch: pose.pitch, roll: pose.roll } : null,
    pose_source: c.pose ? 'pose' : c.approx_pose ? 'approx_pose' : null,
    clock: { offset_ms: c.clock?.offset_ms ?? 0, drift_ppm: c.clock?.drift_ppm ?? 0 },
    resolution: c.rtp_config.resolution ? [c.rtp_config.resolution[0], c.rtp_config.resolution[1]] : null,
    version,
  };
}

/**
 * The site config's calibration: every enabled camera, one version 'config-1' created at
 * `loadedAtMs`. Reads the config on every snapshot, so a camera changed through the configure
 * route shows its new values.
 */
export function configCalibration(cfg: SiteConfig, loadedAtMs: number, note?: string): CalibrationProvider {
  const created = new Date(loadedAtMs).toISOString();
  return {
    snapshot(): CalibrationSnapshot {
      const cams = cfg.cameras.filter((c) => c.enabled !== false);
      return {
        current: 'config-1',
        cameras: cams.map((c) => cameraEntry(c, 'config-1')),
        versions: [{ version: 'config-1', source: 'config', created_at: created, cameras: cams.map((c) => c.id), ...(note !== undefined ? { note } : {}) }],
      };
    },
  };
}
