/** Faults of the calibration module (stable codes). */
export class CalibInputError extends Error {
  readonly code = 'CALIB_INPUT';
}

/** The data do not determine a calibration (too little overlap, degenerate motion, no consensus). */
export class CalibFailedError extends Error {
  readonly code = 'CALIB_FAILED';
}
