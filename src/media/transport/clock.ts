/**
 * Time and timers for the live layer, injectable so tests and replays can drive them. Times are
 * milliseconds on one monotone clock (default `performance.now()`), the same clock that is
 * passed to the pure cores as `nowMs`.
 */
import { performance } from 'node:perf_hooks';

export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** One re-armable timer: `arm(at)` keeps the earliest pending time unless `force`. */
export class Timer {
  private handle: TimerHandle | null = null;
  private at = Infinity;

  constructor(private readonly clock: Clock, private readonly fn: () => void) {}

  /** Fires at clock time `atMs` (or now when past); an earlier pending time is kept. */
  arm(atMs: number): void {
    if (this.handle !== null && this.at <= atMs) return;
    this.cancel();
    this.at = atMs;
    this.handle = this.clock.setTimeout(() => {
      this.handle = null;
      this.at = Infinity;
      this.fn();
    }, atMs - this.clock.now());
  }

  cancel(): void {
    if (this.handle !== null) this.clock.clearTimeout(this.handle);
    this.handle = null;
    this.at = Infinity;
  }

  get pending(): boolean {
    return this.handle !== null;
  }

  /** Clock time it is armed for; Infinity when not armed. */
  get dueAt(): number {
    return this.at;
  }
}
