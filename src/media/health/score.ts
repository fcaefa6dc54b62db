/**
 * Composite stream health score (0–100) from one per-stream metrics snapshot. Pure: the caller
 * (stream manager) measures, this file only judges. Formula and worked examples: docs/MEDIA-HEALTH.md.
 *
 *   component score  s = clamp(100 − 50·r, 0, 100), r = badness ratio to the configured threshold
 *                    (r = 1 at the threshold → 50 points, r = 2 → 0)
 *   mean             M = Σ wᵢ·sᵢ / Σ wᵢ over the components that apply
 *   score            clamp(min(M, worst + worstSlack) − penalty, 0, 100)
 *   penalty          min(maxPenalty, resolutionChanges·resolutionChangePenalty + codecSwitches·codecSwitchPenalty)
 *   stalled stream   (state ≠ 'active' or secondsSinceLastFrame > stallSeconds) scores 0
 */
import { MediaError, checkRange } from '../errors.ts';

/** One stream's metrics over the caller's recent window. */
export interface HealthInput {
  /** Fraction of packets lost, 0..1. */
  packetLossRate: number;
  /** Interarrival jitter (RFC 3550 §A.8) in ms: the latest value and its min/max/mean over the window. */
  jitterMs: { current: number; min: number; max: number; mean: number };
  /** Fraction of frames not delivered to the decoder (incomplete or gated), 0..1. */
  frameDropRate: number;
  /** Round-trip or one-way latency estimate in ms; null when not measurable (no component then). */
  networkLatencyMs: number | null;
  bitrateKbps: number;
  width: number;
  height: number;
  /** Frames per second received. */
  fps: number;
  /** Frames per second the stream is configured for; when given, a shortfall is scored. */
  expectedFps?: number;
  /** Resolution changes within the caller's recent window (each costs penalty points). */
  resolutionChanges: number;
  /** Codec switches within the caller's recent window. */
  codecSwitches: number;
  /** Seconds since the last whole frame (Infinity when none yet). */
  secondsSinceLastFrame: number;
  /** Stream state from the stream manager; anything but 'active' scores 0. */
  state: string;
}

/** Same names and meaning as `monitoring.stream_health.thresholds` in site.yaml. */
export interface HealthThresholds {
  packet_loss_rate: number;
  jitter_ms: number;
  frame_drop_rate: number;
  network_latency_ms: number;
}

export type HealthComponentName = 'packet_loss_rate' | 'jitter_ms' | 'frame_drop_rate' | 'network_latency_ms' | 'fps' | 'stream_bitrate_kbps';

export interface HealthComponent {
  /** The measured value the component judges. */
  value: number;
  /** What it is compared with (threshold, expected fps, minimum bitrate). */
  reference: number;
  /** Badness ratio r (1 = at the threshold). */
  ratio: number;
  /** 0..100. */
  score: number;
  weight: number;
}

export interface HealthScore {
  /** 0..100 (not rounded). */
  score: number;
  components: Partial<Record<HealthComponentName, HealthComponent>>;
  /** The lowest-scoring component, 'stalled'/'state' for a dead stream, null when nothing applies. */
  worst: HealthComponentName | 'stalled' | 'state' | null;
  /** Points subtracted for resolution changes and codec switches. */
  penalty: number;
  /** Weighted mean M before the worst-component cap and the penalty. */
  mean: number;
}

export interface HealthScoreOptions {
  /** Metrics that count (monitoring.stream_health.metrics); default: all. fps counts whenever expectedFps is given. */
  metrics?: readonly string[];
  /** Component weights. Defaults: loss 3, jitter 2, frame drop 2, latency 1, fps 2, bitrate 1. */
  weights?: Partial<Record<HealthComponentName, number>>;
  /** The score never exceeds the worst component plus this. Default 40. */
  worstSlack?: number;
  /** Fps shortfall (1 − fps/expected) that counts as "at threshold". Default 0.2. */
  fpsShortfallThreshold?: number;
  /** Minimum bitrate in kbps (stream_processing.quality_adaptation.min_bitrate_kbps); 0 = bitrate not scored. Default 0. */
  minBitrateKbps?: number;
  /** Points per resolution change / codec switch, and their cap. Defaults 10, 20, 50. */
  resolutionChangePenalty?: number;
  codecSwitchPenalty?: number;
  maxPenalty?: number;
  /** A stream without a frame for longer than this is stalled (score 0). Default 2. */
  stallSeconds?: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = { packet_loss_rate: 0.05, jitter_ms: 50, frame_drop_rate: 0.1, network_latency_ms: 200 };

const DEFAULT_WEIGHTS: Record<HealthComponentName, number> = {
  packet_loss_rate: 3, jitter_ms: 2, frame_drop_rate: 2, network_latency_ms: 1, fps: 2, stream_bitrate_kbps: 1,
};

/** Component score of a badness ratio: 100 at 0, 50 at the threshold, 0 at twice it. */
export function componentScore(ratio: number): number {
  if (Number.isNaN(ratio)) return 0;
  return Math.min(100, Math.max(0, 100 - 50 * ratio));
}

function ratioOf(value: number, threshold: number): number {
  if (!(value > 0)) return 0; // 0, negative or NaN measured badness counts as none
  return threshold > 0 ? value / threshold : Infinity;
}

/** Validated, defaulted scorer options (build once, reuse for every snapshot). */
export interface ResolvedHealthScoreOptions {
  metrics: ReadonlySet<string>;
  weights: Record<HealthComponentName, number>;
  worstSlack: number;
  fpsShortfallThreshold: number;
  minBitrateKbps: number;
  resolutionChangePenalty: number;
  codecSwitchPenalty: number;
  maxPenalty: number;
  stallSeconds: number;
}

export function resolveHealthScoreOptions(o: HealthScoreOptions = {}): ResolvedHealthScoreOptions {
  const weights = { ...DEFAULT_WEIGHTS };
  for (const [k, v] of Object.entries(o.weights ?? {})) {
    if (!(k in weights)) throw new MediaError('MEDIA_OPTIONS', `unknown health weight ${k}`);
    weights[k as HealthComponentName] = checkRange(`weights.${k}`, v as number, 0, 1000);
  }
  return {
    metrics: new Set(o.metrics ?? ['packet_loss_rate', 'jitter_ms', 'frame_drop_rate', 'network_latency_ms', 'stream_bitrate_kbps', 'resolution_changes', 'codec_switches']),
    weights,
    worstSlack: checkRange('worstSlack', o.worstSlack ?? 40, 0, 100),
    fpsShortfallThreshold: checkRange('fpsShortfallThreshold', o.fpsShortfallThreshold ?? 0.2, 1e-6, 1),
    minBitrateKbps: checkRange('minBitrateKbps', o.minBitrateKbps ?? 0, 0, 1e7),
    resolutionChangePenalty: checkRange('resolutionChangePenalty', o.resolutionChangePenalty ?? 10, 0, 100),
    codecSwitchPenalty: checkRange('codecSwitchPenalty', o.codecSwitchPenalty ?? 20, 0, 100),
    maxPenalty: checkRange('maxPenalty', o.maxPenalty ?? 50, 0, 100),
    stallSeconds: checkRange('stallSeconds', o.stallSeconds ?? 2, 0, 3600),
  };
}

/** Score one snapshot. `options` may be pre-resolved with resolveHealthScoreOptions to skip validation. */
export function healthScore(
  input: HealthInput,
  thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
  options: HealthScoreOptions | ResolvedHealthScoreOptions = {},
): HealthScore {
  const o = options.metrics instanceof Set ? (options as ResolvedHealthScoreOptions) : resolveHealthScoreOptions(options as HealthScoreOptions);
  const components: Partial<Record<HealthComponentName, HealthComponent>> = {};
  const add = (name: HealthComponentName, value: number, reference: number, ratio: number): void => {
    components[name] = { value, reference, ratio, score: componentScore(ratio), weight: o.weights[name] };
  };
  const on = (m: string): boolean => o.metrics.has(m);
  if (on('packet_loss_rate')) add('packet_loss_rate', input.packetLossRate, thresholds.packet_loss_rate, ratioOf(input.packetLossRate, thresholds.packet_loss_rate));
  if (on('jitter_ms')) add('jitter_ms', input.jitterMs.current, thresholds.jitter_ms, ratioOf(input.jitterMs.current, thresholds.jitter_ms));
  if (on('frame_drop_rate')) add('frame_drop_rate', input.frameDropRate, thresholds.frame_drop_rate, ratioOf(input.frameDropRate, thresholds.frame_drop_rate));
  if (on('network_latency_ms') && input.networkLatencyMs !== null) {
    add('network_latency_ms', input.networkLatencyMs, thresholds.network_latency_ms, ratioOf(input.networkLatencyMs, thresholds.network_latency_ms));
  }
  if (input.expectedFps !== undefined && input.expectedFps > 0) {
    const shortfall = Math.max(0, 1 - input.fps / input.expectedFps);
    add('fps', input.fps, input.expectedFps, shortfall / o.fpsShortfallThreshold);
  }
  if (on('stream_bitrate_kbps') && o.minBitrateKbps > 0) {
    // Shortfall below the minimum: half the minimum counts as "at threshold".
    const shortfall = Math.max(0, 1 - input.bitrateKbps / o.minBitrateKbps);
    add('stream_bitrate_kbps', input.bitrateKbps, o.minBitrateKbps, shortfall / 0.5);
  }

  let sumW = 0;
  let sumWs = 0;
  let worst: HealthComponentName | null = null;
  let worstScore = Infinity;
  for (const [name, c] of Object.entries(components) as [HealthComponentName, HealthComponent][]) {
    sumW += c.weight;
    sumWs += c.weight * c.score;
    if (c.score < worstScore) {
      worstScore = c.score;
      worst = name;
    }
  }
  const mean = sumW > 0 ? sumWs / sumW : 100;
  let penalty = 0;
  if (on('resolution_changes')) penalty += Math.max(0, input.resolutionChanges) * o.resolutionChangePenalty;
  if (on('codec_switches')) penalty += Math.max(0, input.codecSwitches) * o.codecSwitchPenalty;
  penalty = Math.min(o.maxPenalty, penalty);

  if (input.state !== 'active') return { score: 0, components, worst: 'state', penalty, mean };
  if (!(input.secondsSinceLastFrame <= o.stallSeconds)) return { score: 0, components, worst: 'stalled', penalty, mean };
  const capped = worst === null ? mean : Math.min(mean, worstScore + o.worstSlack);
  return { score: Math.min(100, Math.max(0, capped - penalty)), components, worst, penalty, mean };
}
