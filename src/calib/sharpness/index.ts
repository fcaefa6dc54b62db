/**
 * Time sync from voxel sharpness (issue 7 item 4): refine camera clock offsets so that a tracked
 * target's 3D peak is as sharp as it gets. See docs/CALIB-SHARPNESS.md.
 */
export { CameraRays, type TargetObservations } from './rays.ts';
export { SharpnessCost, type CostDetail, type SharpnessCostOptions } from './cost.ts';
export { refineClockOffsets, type SharpnessCamera, type SharpnessOptions, type SharpnessResult } from './optimise.ts';
export { EvidenceLog, pathAt, subpixelCentroids, type AssociateOptions, type EvidenceList, type TargetPoint } from './evidence.ts';
export { EvidenceRecorder, longestTrack, recordFiles, type RecordFilesOptions, type Recording } from './record.ts';
export { refineSiteClocks, type SharpnessRun, type SharpnessRunOptions } from './run.ts';
