/**
 * Per-stream health state with hysteresis: a stream turns `degraded` when its score has stayed
 * below `degradeBelow` for `minDwellMs`, and `recovered` when it has stayed at or above
 * `degradeBelow + recoverMargin` for `minDwellMs`. Scores in between keep the current state and
 * reset the pending timer, so a score hovering at the threshold never flaps. Time is injected.
 */
import { MediaError, checkRange } from '../errors.ts';
import { TypedEmitter } from './emitter.ts';
import type { HealthScore } from './score.ts';

export type HealthState = 'healthy' | 'degraded';

export interface HealthTransition {
  type: 'degraded' | 'recovered';
  streamId: string;
  /** Score at the moment of the transition. */
  score: number;
  /** When the transition was decided (the caller's clock, ms). */
  atMs: number;
  /** When the condition that led to it began (atMs − sinceMs ≥ minDwellMs). */
  sinceMs: number;
  /** Worst component of the last detailed score, when one was given. */
  worst: HealthScore['worst'];
  /** The last detailed score, when one was given. */
  detail: HealthScore | null;
}

export interface HealthMonitorOptions {
  /** Degrade below this score (media_server.load_balancing.health_threshold). Default 70. */
  degradeBelow?: number;
  /** Recover only at or above degradeBelow + recoverMargin. Default 10. */
  recoverMargin?: number;
  /** The condition must hold this long (ms) before a transition. Default 3000. */
  minDwellMs?: number;
  /** Clock used when update() is called without nowMs. Default Date.now. */
  now?: () => number;
}

export interface StreamHealthStatus {
  state: HealthState;
  score: number;
  detail: HealthScore | null;
  /** Time of the last transition (or of the first update). */
  sinceMs: number;
  lastUpdateMs: number;
}

interface Entry extends StreamHealthStatus {
  pendingSince: number | null;
}

export interface HealthMonitorEvents {
  degraded: HealthTransition;
  recovered: HealthTransition;
}

export class HealthMonitor extends TypedEmitter<HealthMonitorEvents> {
  readonly degradeBelow: number;
  readonly recoverAt: number;
  readonly minDwellMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(opts: HealthMonitorOptions = {}) {
    super();
    this.degradeBelow = checkRange('degradeBelow', opts.degradeBelow ?? 70, 0, 100);
    this.recoverAt = this.degradeBelow + checkRange('recoverMargin', opts.recoverMargin ?? 10, 0, 100);
    if (this.recoverAt > 100) throw new MediaError('MEDIA_OPTIONS', 'degradeBelow + recoverMargin must not exceed 100');
    this.minDwellMs = checkRange('minDwellMs', opts.minDwellMs ?? 3000, 0, 3600000);
    this.now = opts.now ?? Date.now;
  }

  /**
   * Feed a new score (a number or a healthScore() result) for a stream; returns the transition
   * it caused, if any (also emitted as 'degraded' / 'recovered'). A stream starts 'healthy'.
   */
  update(streamId: string, health: HealthScore | number, nowMs: number = this.now()): HealthTransition | null {
    if (this.closed) throw new MediaError('MEDIA_STATE', 'HealthMonitor is closed');
    const raw = typeof health === 'number' ? health : health.score;
    const score = Number.isNaN(raw) ? 0 : Math.min(100, Math.max(0, raw)); // NaN counts as dead
    const detail = typeof health === 'number' ? null : health;
    let e = this.entries.get(streamId);
    if (!e) {
      e = { state: 'healthy', score, detail, sinceMs: nowMs, lastUpdateMs: nowMs, pendingSince: null };
      this.entries.set(streamId, e);
    }
    e.score = score;
    e.detail = detail;
    e.lastUpdateMs = nowMs;
    const towardOther = e.state === 'healthy' ? score < this.degradeBelow : score >= this.recoverAt;
    if (!towardOther) {
      e.pendingSince = null;
      return null;
    }
    e.pendingSince ??= nowMs;
    if (nowMs - e.pendingSince < this.minDwellMs) return null;
    const t: HealthTransition = {
      type: e.state === 'healthy' ? 'degraded' : 'recovered',
      streamId, score, atMs: nowMs, sinceMs: e.pendingSince, worst: detail?.worst ?? null, detail,
    };
    e.state = e.state === 'healthy' ? 'degraded' : 'healthy';
    e.sinceMs = nowMs;
    e.pendingSince = null;
    this.emit(t.type, t);
    return t;
  }

  status(streamId: string): StreamHealthStatus | undefined {
    const e = this.entries.get(streamId);
    return e ? { state: e.state, score: e.score, detail: e.detail, sinceMs: e.sinceMs, lastUpdateMs: e.lastUpdateMs } : undefined;
  }

  /** Stream ids in first-update order. */
  streams(): string[] {
    return [...this.entries.keys()];
  }

  remove(streamId: string): boolean {
    return this.entries.delete(streamId);
  }

  /** Forget all streams and listeners; safe to call twice. */
  close(): void {
    this.closed = true;
    this.entries.clear();
    this.removeAllListeners();
  }
}
