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

/** What {@link onlineCalibration} needs of the live refiner host (LiveCalibHost.view()). */
export interface OnlineCalibrationSource {
  view(): {
    state: string;
    snapshot: import('../calib/online/index.ts').CalibrationSnapshot | null;
    batch_errors: number;
    last_error: string | null;
    observations_dropped: number;
    version_times: number[];
    restarts?: number;
    batches_lost?: number;
    in_use_version?: number;
  };
}

/** The snapshot plus the online refiner's status, when it runs. */
export interface OnlineCalibrationView extends CalibrationSnapshot {
  online: {
    state: string; accepted: number; rejected: number; batch_errors: number; last_error: string | null; observations_dropped: number;
    /** Worker restarts after crashes, and batches lost with the crashed workers. */
    restarts: number; batches_lost: number;
    /** The version the detector uses ('config-1' until one is adopted; adoption is opt-in). */
    in_use: string;
    records: import('../calib/online/index.ts').RefinementRecord[];
  };
}

/**
 * The configured calibration (version 'config-1', the refiner's version 0) followed by the online
 * refiner's accepted versions ('online-N'); cameras carry the newest accepted values. A crashed
 * or errored refiner is reported in `online` and the last good values stay served.
 */
export function onlineCalibration(cfg: SiteConfig, loadedAtMs: number, src: OnlineCalibrationSource): CalibrationProvider {
  const base = configCalibration(cfg, loadedAtMs);
  return {
    snapshot(): OnlineCalibrationView {
      const b = base.snapshot();
      const v = src.view();
      const s = v.snapshot;
      const inUse = v.in_use_version ?? 0;
      const online = {
        state: v.state, accepted: s?.accepted ?? 0, rejected: s?.rejected ?? 0, batch_errors: v.batch_errors, last_error: v.last_error, observations_dropped: v.observations_dropped,
        restarts: v.restarts ?? 0, batches_lost: v.batches_lost ?? 0, in_use: inUse > 0 ? `online-${inUse}` : 'config-1', records: s?.versions ?? [],
      };
      if (!s || s.version === 0) return { ...b, online };
      const name = `online-${s.version}`;
      const versions = [...b.versions];
      for (const r of s.versions) if (r.kind === 'accepted') versions.push({ version: `online-${r.version}`, source: 'online', created_at: new Date(v.version_times[r.version] ?? Date.parse(r.wall)).toISOString(), cameras: (r.cameras ?? []).map((c) => c.id), note: `held-out ${r.rmse_before_px} → ${r.rmse_after_px} px (${r.model ?? ''})` });
      const cams = b.cameras.map((c) => {
        const o = s.current.find((x) => x.id === c.id);
        return o ? { ...c, intrinsics: { ...o.intrinsics }, pose: { enu: [...o.pose.enu] as [number, number, number], yaw: o.pose.yaw, pitch: o.pose.pitch, roll: o.pose.roll }, clock: { ...o.clock }, version: name } : c;
      });
      return { current: name, cameras: cams, versions, online };
    },
  };
}
