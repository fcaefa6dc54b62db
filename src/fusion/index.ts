export { intersectRays, type RayIntersection } from './intersect.ts';
export { PeakFinder, type Peak, type PeakOptions, type SnapshotLike, type VolumeLike, type CameraEvidence } from './peaks.ts';
