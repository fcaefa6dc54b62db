export { siteCameras, SiteCameraError, type SiteCamera } from './cameras.ts';
export { Detector, type Detection, type DetectorOptions, type DetectorStats } from './detector.ts';
export { runOfflineDetect, type OfflineOptions, type OfflineSummary } from './offline.ts';
