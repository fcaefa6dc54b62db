/** The media server process: composition of the live media layer, and its HTTP/WebSocket API. See docs/SERVER.md. */
export { buildApi, type ApiOptions } from './api.ts';
export { applyCameraChange, mergePatch, type ConfigureMode } from './configure.ts';
export { httpStatusOf, MediaServerError, type MediaServerErrorCode } from './errors.ts';
export { assignLanes, imbalance, LANE_STRATEGIES, PRIORITY_WEIGHT, type LaneInput, type LaneStrategy, type Priority } from './lanes.ts';
export {
  isLiveCamera, MediaServer,
  type LaneStatus, type LoadBalancingStatus, type MediaServerEvents, type MediaServerOptions, type PipelineState, type ServerAlert, type StreamHealthView,
} from './media-server.ts';
export { alertView, healthMessage, streamView, syncView, type StreamView } from './views.ts';
export {
  configCalibration,
  type CalibrationCamera, type CalibrationIntrinsics, type CalibrationPose, type CalibrationProvider, type CalibrationSnapshot, type CalibrationVersion,
} from './calibration.ts';
export { detectionsView, pipelineView, tracksView } from './views.ts';
