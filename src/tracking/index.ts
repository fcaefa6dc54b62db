/** Multi-target tracking: the only public face of src/tracking. See docs/TRACKING.md. */
export { associateGnn, chiSquare3Cdf, chiSquare3Quantile } from './association.ts';
export { TrackingConfigError, TrackingInputError } from './errors.ts';
export { ImmFilter, type ImmOptions, type ImmState } from './imm.ts';
export { KalmanFilter, initialState, type Filter, type GaussianState, type InitialPrior } from './kalman.ts';
export {
  CovarianceDeleter, MofNInitiator, TimeDeleter,
  type CovarianceDeleterOptions, type Deleter, type MofNOptions, type TimeDeleterOptions, type TrackLife, type TrackStatus,
} from './lifecycle.ts';
export { GeometryMeasurementModel, type GeometryNoiseOptions, type Vec3Like } from './measurement.ts';
export { ConstantAcceleration, ConstantVelocity, type ConstantAccelerationOptions, type ConstantVelocityOptions, type MotionModel } from './models.ts';
export {
  Tracker, createDefaultFilter,
  type Classify, type Track, type TrackClass, type TrackRecord, type TrackerDetection, type TrackerOptions, type Vec3,
} from './tracker.ts';
export {
  cameraPositions, parseDetectionLines, readDetectionLines, trackDetections,
  type BatchOptions, type BatchResult, type TimedDetection,
} from './batch.ts';
export { invert, rtsSmooth, type TrackPoint } from './smoother.ts';
