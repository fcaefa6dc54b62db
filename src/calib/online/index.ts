/** Online calibration refinement from confirmed tracks: the public face of src/calib/online. See docs/CALIB-ONLINE.md. */
export { OnlineRefiner } from './refiner.ts';
export { observeCast, type CastObservation, type TrackPoint } from './observe.ts';
export { layoutTracks, observationsFor, robustRms, type Layout, type Segment } from './problem.ts';
export { anchorSimilarity, baFromCamera, calibrationOf, cameraParamsOf, delta, type StateDelta } from './state.ts';
export type { CalibrationSnapshot, CameraCalibration, CameraChange, Observation2D, OnlineRefinerOptions, RefinementRecord, TrackState } from './types.ts';
export { DetectCalibration, type DetectCalibrationOptions, type DetectHookCamera } from './detect-hook.ts';
