/** Multi-stream synchronisation: RTP → capture time per stream, frame grouping, master election. See docs/MEDIA-HEALTH.md. */
export { ClockMapper, RtpTimestampUnwrapper, type CaptureMethod, type CaptureTime, type ClockMapperOptions } from './clock.ts';
export { lowerEnvelope, robustSigma, theilSen, type Line } from './fit.ts';
export {
  SyncManager,
  type MasterChange, type StreamOffset, type SyncedFrame, type SyncFrameInput, type SyncGroup, type SyncManagerEvents,
  type SyncManagerOptions, type SyncSlot,
} from './manager.ts';
export { syncOptionsFromConfig } from './config.ts';
