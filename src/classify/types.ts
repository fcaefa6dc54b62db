/**
 * Inputs and outputs of the drone/bird classifier. Inputs are plain arrays so that the tracker,
 * the pipeline or a test can build them without knowing how the classifier stores its state.
 */
export type Vec3 = [number, number, number];

/** A track's recent path in site time (seconds) and ENU metres; `vel` (m/s) when the tracker has it. */
export interface TrackHistory {
  t: number[];
  enu: Vec3[];
  vel?: Vec3[];
}

/**
 * What one camera measured of the target, frame by frame: `contrast` is the target's intensity
 * against the background at its projected pixel (signed grey levels; best integrated over the
 * blob, not the peak pixel, see docs/CLASSIFY.md). `areaPx` the blob area, `rangeM` the camera–target
 * distance (one value or per frame), `focalPx` the camera's focal length in pixels (to turn
 * apparent size into metres).
 */
export interface IntensitySeries {
  camera: string;
  t: number[];
  contrast: number[];
  areaPx?: number[];
  rangeM?: number | number[];
  focalPx?: number;
}

export type TargetClass = 'drone' | 'bird' | 'unknown';

export interface KinematicFeatures {
  /** Time span covered, s, and number of samples. */
  duration_s: number;
  samples: number;
  /** 3D speed: mean and 95th percentile, m/s. */
  meanSpeed: number;
  maxSpeed: number;
  /** Horizontal speed, mean, m/s. */
  meanHorizSpeed: number;
  /** |acceleration|: mean and 95th percentile, m/s². */
  meanAccel: number;
  maxAccel: number;
  /** Vertical speed: mean (signed) and 95th percentile of |vu|, m/s. */
  meanClimb: number;
  maxClimb: number;
  /** Fraction of the time spent horizontally still (|v_h| below the hover speed): hovering or vertical flight. */
  hoverFraction: number;
  /** Median path curvature |v × a| / |v|³ over samples moving faster than 2 m/s, 1/m (0 when none). */
  curvature: number;
  /** Net displacement / path length, 0..1 (1 = straight line; 1 when the path length is 0). */
  straightness: number;
}

export interface FlickerFeatures {
  /** Cameras (channels with contrast) that entered the periodogram, and their samples in total. */
  cameras: number;
  samples: number;
  /** Longest time span among those cameras' series, s. */
  span_s: number;
  /** Frequency of the strongest periodicity in the searched band, Hz (NaN when not assessable). */
  peakHz: number;
  /** Normalised combined periodogram power at the peak, 0..1 (fraction of variance explained). */
  peakPower: number;
  /** Peak power over the median power of the band more than 0.5 Hz away from it. */
  prominence: number;
  /** False-alarm probability of that peak under white noise. */
  fap: number;
  /** Relative amplitude of the fitted sinusoid at the peak (amplitude / |mean contrast|), averaged over cameras. */
  depth: number;
  /** Smallest relative modulation these samples could have shown at the FAP threshold. */
  detectableDepth: number;
  /** Median |mean contrast| / residual noise over the cameras. */
  snr: number;
  /** Upper end of the searched band (capped by the cameras' Nyquist frequency), Hz. */
  maxHz: number;
  /** Apparent size sqrt(area)·range/focal, metres (NaN without area, range and focal length). */
  sizeM: number;
  /** Coefficient of variation of sqrt(area)·range: rigid targets stay steady (NaN without area and range). */
  sizeCv: number;
}

export interface ClassFeatures {
  kinematics: KinematicFeatures;
  flicker: FlickerFeatures;
  /** Rule evidence terms (log-odds, positive = bird) and their sum. */
  evidence: Record<string, number>;
  score: number;
  /** Logistic of the score: the rule model's probability of 'bird'. */
  pBird: number;
}

export interface Classification {
  class: TargetClass;
  /** Probability of the reported label: pBird for bird, 1 − pBird for drone, 1 − |2·pBird − 1| for unknown. */
  confidence: number;
  features: ClassFeatures;
}
