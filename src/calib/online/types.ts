/**
 * Types of the online calibration refiner: what it is fed (confirmed track states and the 2D
 * observations that supported them), its options, and the records it versions.
 */

/** A confirmed track's 3D state at one site time (as the tracker reports it). */
export interface TrackState {
  trackId: number;
  /** Site time, seconds. */
  t: number;
  enu: readonly number[];
}

/** One camera's measurement of a confirmed track in one frame. */
export interface Observation2D {
  trackId: number;
  /** Position of the camera in the refiner's camera list. */
  cam: number;
  /** Frame time on the camera's own clock, seconds (the row offset of a rolling shutter is added by the model). */
  cameraTime: number;
  u: number;
  v: number;
}

/** A camera's calibration as served (site.yaml / truth-cameras.json shape). */
export interface CameraCalibration {
  id: string;
  pose: { enu: [number, number, number]; yaw: number; pitch: number; roll: number };
  intrinsics: { fx: number; fy: number; cx: number; cy: number; k1: number; k2: number; p1: number; p2: number; k3: number };
  clock: { offset_ms: number; drift_ppm: number };
}

/** What one refinement changed (or would have changed) for one camera, and its residuals. */
export interface CameraChange {
  id: string;
  /** Held-out observations of this camera in the window. */
  observations: number;
  /** Robust held-out RMS reprojection error (px) with the current calibration and with the candidate. */
  rmse_before_px: number;
  rmse_after_px: number;
  d_position_m: number;
  d_orientation_deg: number;
  /** Relative focal change, percent. */
  d_focal_pct: number;
  d_clock_ms: number;
  /**
   * With a pose model: the adjustment's 1-σ of the camera centre (bundle.ts: in its own frame,
   * reference camera held, so 0 there). A change well inside it is not resolved by the window.
   */
  position_sigma_m?: number;
}

export interface RefinementRecord {
  kind: 'initial' | 'accepted' | 'rejected';
  /** Accepted/initial: the new version; rejected: the version that stays current. */
  version: number;
  /** Site time of the refinement (end of the window), seconds; null for the initial version. */
  t: number | null;
  /** Wall time, ISO 8601. */
  wall: string;
  window?: { t0: number; t1: number; observations: number; held_out: number; tracks: number; memory: number };
  /** Robust RMS over the held-out observations of the window, current calibration and candidate (px). */
  rmse_before_px?: number;
  rmse_after_px?: number;
  /** The same over the older observations kept as memory (absent while it is too small). */
  memory_rmse_before_px?: number;
  memory_rmse_after_px?: number;
  /** In-sample RMS of the chosen adjustment (px). */
  fit_rmse_px?: number;
  /**
   * The parameter set of the candidate shown ("clock+pose+focal", "clock+pose", "clock"): each
   * refinement tries the freest one the data allow first and falls back to a simpler one only
   * when it fails a test; `models` gives each tried one's held-out robust RMS (null: failed or
   * implausible).
   */
  model?: string;
  models?: Record<string, number | null>;
  cameras?: CameraChange[];
  /** Why a candidate was rejected. */
  reason?: string;
  /** Wall seconds the refinement took. */
  elapsed_s?: number;
}

export interface CalibrationSnapshot {
  version: number;
  /** Site time at which the current version was accepted (null: the initial calibration). */
  t: number | null;
  reference_camera: string;
  current: CameraCalibration[];
  /** The most recent records, oldest first (bounded by `keepRecords`). */
  versions: RefinementRecord[];
  accepted: number;
  rejected: number;
}

export interface OnlineRefinerOptions {
  /** Camera (position in the list) whose pose (gauge 'reference') and clock define the frame and site time (default 0). */
  referenceCamera?: number;
  /**
   * Gauge (default 'reference'): 'reference' holds the reference camera's pose and the rig's
   * scale (its distance to the farthest camera); 'anchor' additionally maps every candidate back
   * onto the starting calibration by the least-squares similarity of the camera centres (and
   * points along their axes), so that no single camera's claimed pose defines the frame — but
   * claimed centres a few decimetres off on 100 m baselines turn the whole rig by ~0.3°
   * (docs/CALIB-ONLINE.md, gauge, for the measurements behind the default).
   */
  gauge?: 'reference' | 'anchor';
  /** Seconds of site time the adjustment looks back (default 20). */
  windowS?: number;
  /** Seconds before the window whose observations are kept as memory for the acceptance test (default 40). */
  memoryS?: number;
  /** Refine every this many seconds of site time… (default 5) */
  everyS?: number;
  /** …or after this many new observations, whichever comes first (default 2000). */
  everyObservations?: number;
  /** Fewest observations in the window before a refinement is tried (default 150). */
  minObservations?: number;
  /** Fewest fit observations for a camera to take part (fewer: its parameters are held) (default 40). */
  minCameraObservations?: number;
  /**
   * Fewest fit observations per camera for a model that refines clocks / poses / focal lengths
   * (defaults 40, 150, 150): the model is tried only when every taking-part camera has that many
   * (holding one camera at a wrong calibration while the others move biases them all). A few
   * dozen observations of one short track fix a clock offset but not a pose.
   */
  minModelObservations?: { clock?: number; focal?: number; pose?: number };
  /** Trajectory knot spacing, seconds (default 0.1). */
  knotDt?: number;
  /** Every k-th observation of each camera is held out of the fit to judge it (default 4). */
  holdOutEvery?: number;
  /** Refine camera poses (default true). */
  poses?: boolean;
  /** Refine focal lengths (default true); distortion stays near its value (σ `kSigma`). */
  focal?: boolean;
  /** σ of the focal prior toward the current value per refinement, relative (default 0.05). */
  focalSigma?: number;
  /** σ of the k1, k2 prior toward the current values (default 0.01). */
  kSigma?: number;
  /** Refine clock offsets (default true). Drifts are held: a window of seconds cannot see ppm. */
  clocks?: boolean;
  /**
   * MAP priors of each refinement toward the current accepted version (bundle.ts `priors`):
   * σ of the camera centre, m (default 1: GPS grade), of the orientation, degrees, on the
   * rotation vector between candidate and current (default 0.2), and of the clock offset, ms
   * (default 10). They keep directions the window leaves weakly determined (far targets, short
   * windows) where they are; where the data are strong they win. 0 turns one off.
   */
  positionSigmaM?: number;
  orientationSigmaDeg?: number;
  clockSigmaMs?: number;
  /** Huber threshold of the adjustment, px (default 2). */
  huberPx?: number;
  /** Residuals are clipped here for the robust RMS of the acceptance test, px (default 5). */
  clipPx?: number;
  /** A candidate must lower the held-out robust RMS by this fraction (default 0.02). */
  minGain?: number;
  /** …and may raise the memory robust RMS by at most this fraction (default 0.05). */
  memoryTolerance?: number;
  /** Fewest memory observations for the memory test to apply (default 100). */
  minMemoryObservations?: number;
  /** Largest plausible change per refinement (defaults: 5 m, 3°, 10 %, 250 ms). */
  maxStep?: { positionM?: number; orientationDeg?: number; focalPct?: number; clockMs?: number };
  /** LM iterations of one adjustment (default 15). */
  maxIterations?: number;
  /** Records kept for the snapshot (default 200). */
  keepRecords?: number;
  /** Wall clock for the records (default Date.now; injectable for tests). */
  now?: () => number;
}
