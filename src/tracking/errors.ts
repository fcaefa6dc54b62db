/** Faults of the tracking module, with stable codes. */

/** An option outside its domain, found at construction. */
export class TrackingConfigError extends Error {
  readonly code = 'TRACKING_CONFIG';
  override readonly name = 'TrackingConfigError';
}

/** A call that breaks the tracker's contract (time going backwards, a malformed detection). */
export class TrackingInputError extends Error {
  readonly code = 'TRACKING_INPUT';
  override readonly name = 'TrackingInputError';
}
