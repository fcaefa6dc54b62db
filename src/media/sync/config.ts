/** Sync manager options from a validated site.yaml. */
import type { MediaServerConfig, StreamProcessingConfig } from '../../config/schema.ts';
import type { SyncManagerOptions } from './manager.ts';

/**
 * maxTimingOffsetMs ← stream_processing.synchronization.max_timing_offset_ms; ringSize ←
 * stream_processing.frame_buffer.max_frames_per_stream; degradeBelow (master re-election) ←
 * media_server.load_balancing.health_threshold.
 */
export function syncOptionsFromConfig(
  cfg: { stream_processing: StreamProcessingConfig; media_server: MediaServerConfig },
  overrides: SyncManagerOptions = {},
): SyncManagerOptions {
  return {
    maxTimingOffsetMs: cfg.stream_processing.synchronization.max_timing_offset_ms,
    ringSize: cfg.stream_processing.frame_buffer.max_frames_per_stream,
    degradeBelow: cfg.media_server.load_balancing.health_threshold,
    ...overrides,
  };
}
