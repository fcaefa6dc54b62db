/**
 * Preprocess stage (per camera): privacy masks, background model, differencing, light denoise,
 * robust noise estimate, adaptive threshold, sparse top-K motion pixels. docs/PREPROCESS.md.
 */
export { createMotionPixels, type MotionOptions, type MotionPixels } from './types.ts';
export { MotionDetector } from './detector.ts';
export { PreprocessError, type PreprocessErrorCode } from './errors.ts';
export { rasterizeMasks } from './mask.ts';
export { BlobGrouper, createBlobList, type BlobList, type PixelList } from './blobs.ts';
export { TrackletFilter, type EnergyProbe, type TrackletOptions, type TrackletStats } from './tracklets.ts';
