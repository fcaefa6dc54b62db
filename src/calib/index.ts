/** Self-calibration from moving targets: the public face of src/calib. See docs/CALIB.md. */
export { calibrate, type CalibCameraInput, type CalibrateOptions, type CalibratedCamera, type CalibrationResult } from './pipeline.ts';
export { estimateClockPair, type ClockSyncOptions, type ClockSyncResult } from './clock-sync.ts';
export { syncToTrajectory, trajectorySyncAccepted, dltProjection, type KnotPath, type TrajectorySyncOptions, type TrajectorySyncResult } from './traj-sync.ts';
export { bundleAdjust, reprojectionErrors, trajectoryAt, type BaCamera, type BaObservations, type BaOptions, type BaReport, type BaTrajectory } from './bundle.ts';
export { parseBeaconCsv, parseTrackCsv, sampleTrack, medianInterval, type Track2D } from './tracks.ts';
export { alignBeacon, type BeaconAlignment, type BeaconLog, type BeaconOptions } from './beacon.ts';
export { CalibInputError, CalibFailedError } from './errors.ts';
export { tracksFromVideo, linkTrack, type VideoCamera, type VideoTrackOptions, type VideoTrackStats, type LinkOptions } from './video-tracks.ts';
export * as solvers from './solvers/index.ts';
/** Static scene (ORB bump monitor, skyline alignment, pairwise geometry; OpenCV.js loads lazily, on first use). See docs/CALIB-STATIC.md. */
export * as staticScene from './static/index.ts';
/** Clock offsets from the sharpness of a tracked target's 3D peak. See docs/CALIB-SHARPNESS.md. */
export * as sharpness from './sharpness/index.ts';
/** The online refiner (dvs detect --calib-online; the live server's calibration versions). See docs/CALIB-ONLINE.md. */
export * as online from './online/index.ts';
