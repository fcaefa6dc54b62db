/** Stream health: composite score, hysteresis monitor, signed webhook alerts. See docs/MEDIA-HEALTH.md. */
export {
  componentScore, DEFAULT_HEALTH_THRESHOLDS, healthScore, resolveHealthScoreOptions,
  type HealthComponent, type HealthComponentName, type HealthInput, type HealthScore, type HealthScoreOptions,
  type HealthThresholds, type ResolvedHealthScoreOptions,
} from './score.ts';
export { HealthMonitor, type HealthMonitorEvents, type HealthMonitorOptions, type HealthState, type HealthTransition, type StreamHealthStatus } from './monitor.ts';
export {
  createWebhookNotifier, parseRetryAfter, WebhookNotifier, webhookSignature,
  type WebhookDelivered, type WebhookDropped, type WebhookEvents, type WebhookFailed, type WebhookNotifierOptions,
  type WebhookRetry, type WebhookStats,
} from './webhook.ts';
export { TypedEmitter, type Listener } from './emitter.ts';
export { healthSettingsFromConfig, type HealthSettings } from './config.ts';
