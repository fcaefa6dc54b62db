/**
 * The clock senders share: a monotonic millisecond clock plus the Unix time it corresponds to,
 * fixed once, so every sender's NTP timestamps come from one timeline (as cameras disciplined by
 * one NTP server would). A sender adds its own offset to simulate a camera whose clock is wrong.
 */
import { performance } from 'node:perf_hooks';

export interface SharedClock {
  /** Monotonic milliseconds (any origin). */
  nowMs(): number;
  /** Unix epoch milliseconds of a `nowMs()` reading. */
  unixMs(monoMs: number): number;
}

/** performance.now() anchored to Date.now() once, at construction. */
export function systemClock(): SharedClock {
  const anchor = Date.now() - performance.now();
  return { nowMs: () => performance.now(), unixMs: (m) => anchor + m };
}

/** A clock driven by hand (tests of the pure core). */
export class ManualClock implements SharedClock {
  constructor(public now = 0, readonly unixAtZero = 1.7e12) {}
  nowMs(): number {
    return this.now;
  }
  unixMs(m: number): number {
    return this.unixAtZero + m;
  }
}
