/** Health settings from a validated site.yaml (monitoring and media_server sections). */
import type { MediaServerConfig, MonitoringConfig } from '../../config/schema.ts';
import type { HealthMonitorOptions } from './monitor.ts';
import type { HealthScoreOptions, HealthThresholds } from './score.ts';

export interface HealthSettings {
  thresholds: HealthThresholds;
  score: HealthScoreOptions;
  monitor: HealthMonitorOptions;
  /** "" when webhook alerts are disabled. */
  webhookUrl: string;
}

/**
 * thresholds ← monitoring.stream_health.thresholds; metrics ← monitoring.stream_health.metrics;
 * degradeBelow ← media_server.load_balancing.health_threshold. Bitrate is not scored by default:
 * an H.264 stream of a still sky can legitimately fall far below
 * stream_processing.quality_adaptation.min_bitrate_kbps (pass overrides.score.minBitrateKbps to
 * score it). Other options keep their defaults unless overridden.
 */
export function healthSettingsFromConfig(
  cfg: { monitoring: MonitoringConfig; media_server: MediaServerConfig },
  overrides: { score?: HealthScoreOptions; monitor?: HealthMonitorOptions } = {},
): HealthSettings {
  const sh = cfg.monitoring.stream_health;
  return {
    thresholds: { ...sh.thresholds },
    score: { metrics: [...sh.metrics], ...overrides.score },
    monitor: { degradeBelow: cfg.media_server.load_balancing.health_threshold, ...overrides.monitor },
    webhookUrl: sh.alerting.webhook_url,
  };
}
