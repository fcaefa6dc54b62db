export { siteCameras, SiteCameraError, type SiteCamera } from './cameras.ts';
export { Detector, type Detection, type DetectorOptions, type DetectorStats } from './detector.ts';
export { runOfflineDetect, type OfflineOptions, type OfflineSummary } from './offline.ts';
export {
  LivePipeline, LivePipelineError,
  type LiveCodedFrame, type LiveMediaSource, type LiveTimeSource, type LivePipelineOptions, type LiveFrame, type LiveGroup, type LivePipelineCounters,
} from './live.ts';
export { FrameGrouper, type FrameGroup, type GrouperCounters, type GrouperOptions, type PendingFrame } from './live-group.ts';
export { liveSiteCameras, type LiveCameras } from './live-cameras.ts';
