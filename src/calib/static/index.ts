/**
 * Calibration from the static scene: the public face of src/calib/static. See docs/CALIB-STATIC.md.
 * OpenCV.js is loaded lazily ({@link loadCv}) and only by the feature-based paths.
 */
export { loadCv, type Cv, type CvBox } from './cv.ts';
export { detectOrb, matchOrb, type OrbFeatures, type OrbOptions, type MatchOptions } from './features.ts';
export { bearings, projectBearing, fitRotation, ransacRotation, rotationResidual, refineMatch, type PatchTrack } from './rotation.ts';
export { MedianBackground } from './background.ts';
export { smoothImage } from './image.ts';
export { estimateOrientationChange, applyChange, staticMask, type OrientationChange, type OrientationChangeOptions } from './orientation.ts';
export { extractSkyline, alignSkyline, otsuThreshold, type SkylineProfile, type SkylineAlignment, type ProfileOptions, type AlignOptions } from './skyline.ts';
export { BumpMonitor, type BumpMonitorOptions, type BumpReport } from './monitor.ts';
export { pairwiseGeometry, type PairGeometry, type PairOptions } from './pairwise.ts';
