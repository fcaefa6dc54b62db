/** Inputs, options and the result of `dvs eval` (see docs/EVAL.md for every definition). */

export type Vec3 = [number, number, number];

/** One line of truth.jsonl (CONTRACTS §5). */
export interface TruthRow {
  /** Site time, seconds. */
  t: number;
  id: string;
  class: 'drone' | 'bird';
  /** ENU metres. */
  enu: Vec3;
}

/** One line of tracks.jsonl (CONTRACTS §6). `track_id` is kept as a string (numbers are converted). */
export interface TrackRow {
  t: number;
  track_id: string;
  status: 'tentative' | 'confirmed' | 'lost';
  enu: Vec3;
  vel?: Vec3 | undefined;
  class: 'drone' | 'bird' | 'unknown';
  confidence?: number | undefined;
}

/** One line of detections.jsonl (CONTRACTS §6), the fields scoring reads. */
export interface DetectionRow {
  t: number;
  enu: Vec3;
}

export interface EvalOptions {
  /** Association gate, metres: a report further than this from a truth object is not its match. Default 50. */
  gateM?: number;
  /** Largest |t_report − t_truth| for a report to stand for a truth instant, seconds. Default 0.1. */
  timeTolS?: number;
  /** A drone instant counts when the drone is inside at least this many cameras' images. Default 3. */
  minCameras?: number;
  /** GOSPA cut-off c, metres. Default 50. */
  gospaC?: number;
  /** GOSPA order p (≥ 1). Default 2. */
  gospaP?: number;
  /** GOSPA α in (0, 2]. Default 2 (the only value for which the components add up to d^p). */
  gospaAlpha?: number;
}

export type ResolvedEvalOptions = Required<EvalOptions>;

export const DEFAULT_EVAL_OPTIONS: ResolvedEvalOptions = {
  gateM: 50, timeTolS: 0.1, minCameras: 3, gospaC: 50, gospaP: 2, gospaAlpha: 2,
};

/** Spec acceptance thresholds (ORIGINAL-SPEC §9) and the later classification ones. */
export const SPEC_THRESHOLDS = {
  pdMin: 0.85,
  farMaxPerMin: 0.2,
  cep50MaxM: 15,
  birdFlagMin: 0.8,
  droneAsBirdMax: 0.1,
} as const;

export interface ErrorStats {
  cep50M: number | null;
  meanM: number | null;
  p90M: number | null;
  maxM: number | null;
}

export interface DroneResult extends ErrorStats {
  id: string;
  /** Truth instants at which the drone was inside ≥ minCameras images. */
  countedInstants: number;
  /** Counted instants with a confirmed non-bird report within the gate. */
  matchedInstants: number;
  pd: number | null;
  /** Changes of the matched track id between consecutive matched instants. */
  idSwitches: number;
  /** Matched track ids in order of first match. */
  trackIds: string[];
  /** Confirmed reports associated with this drone, and how many of them were classed bird. */
  reports: number;
  birdReports: number;
  asBirdRate: number | null;
}

export interface BirdResult {
  id: string;
  reports: number;
  birdReports: number;
  flagRate: number | null;
}

export interface FalseTrack {
  trackId: string;
  firstT: number;
  lastT: number;
  confirmedReports: number;
  /** Confirmed reports within the gate of some drone at that time. */
  nearDroneReports: number;
}

export interface GospaSummary {
  instants: number;
  /** Mean over truth instants of the GOSPA distance, metres. */
  meanM: number | null;
  /** (mean of d^p)^(1/p), metres. */
  rmsM: number | null;
  /** Means over instants of the three parts of d^p (m^p); they add up to rmsM^p when α = 2. */
  meanLocalization: number | null;
  meanMissed: number | null;
  meanFalse: number | null;
  /** Mean number of missed drones / false reports per instant. */
  meanMissedCount: number | null;
  meanFalseCount: number | null;
}

export interface Check {
  value: number | null;
  op: '>=' | '<=';
  threshold: number;
  /** Null when the value is undefined (nothing to measure). */
  pass: boolean | null;
}

export interface EvalResult {
  options: ResolvedEvalOptions;
  truth: { instants: number; tStart: number; tEnd: number; durationS: number; drones: number; birds: number };
  tracks: { tracks: number; confirmedTracks: number; reports: number; confirmedReports: number };
  cameras: string[];
  detection: ErrorStats & { countedInstants: number; matchedInstants: number; pd: number | null };
  falseAlarms: { falseTracks: number; perMinute: number | null; tracks: FalseTrack[] };
  classification: {
    birdReports: number; birdFlagged: number; birdFlagRate: number | null;
    droneReports: number; droneAsBird: number; droneAsBirdRate: number | null;
  };
  identity: { switches: number };
  gospa: GospaSummary;
  drones: DroneResult[];
  birds: BirdResult[];
  checks: { pd: Check; far: Check; cep50: Check; birdFlag: Check; droneAsBird: Check };
}
