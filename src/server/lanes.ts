/**
 * Ingest lanes: which stream's receive work goes to which lane, by one of three strategies.
 * Pure and synchronous: the caller supplies each stream's measured load and priority.
 *
 * - round_robin: streams in registration order, stream k → lane k mod N.
 * - least_loaded: longest-processing-time-first greedy over the measured busy time per stream
 *   (ms of work per second): heaviest stream to the currently lightest lane. Streams with no
 *   measurement yet count as the mean of the measured ones (or 1 when none is measured), so a
 *   fresh server spreads them evenly by count.
 * - weighted: the same greedy over priority weights (high 3, medium 2, low 1), so high-priority
 *   streams end up sharing lanes with fewer others.
 * Ties go to the lowest lane index, streams of equal load keep registration order: the result is
 * deterministic.
 */

export const LANE_STRATEGIES = ['round_robin', 'least_loaded', 'weighted'] as const;
export type LaneStrategy = (typeof LANE_STRATEGIES)[number];
export type Priority = 'high' | 'medium' | 'low';

export const PRIORITY_WEIGHT: Readonly<Record<Priority, number>> = { high: 3, medium: 2, low: 1 };

export interface LaneInput {
  id: string;
  priority: Priority;
  /** Measured busy time, ms per second of wall time; null before the first measurement. */
  busyMsPerS: number | null;
}

/** Lane index per stream id (every input gets one). */
export function assignLanes(streams: readonly LaneInput[], lanes: number, strategy: LaneStrategy): Map<string, number> {
  if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`lanes must be a positive integer, got ${lanes}`);
  const out = new Map<string, number>();
  if (strategy === 'round_robin') {
    streams.forEach((s, k) => out.set(s.id, k % lanes));
    return out;
  }
  const measured = streams.map((s) => s.busyMsPerS).filter((v): v is number => v !== null && Number.isFinite(v));
  const fallback = measured.length > 0 ? measured.reduce((a, b) => a + b, 0) / measured.length : 1;
  const cost = (s: LaneInput): number =>
    strategy === 'weighted' ? PRIORITY_WEIGHT[s.priority] : s.busyMsPerS !== null && Number.isFinite(s.busyMsPerS) ? s.busyMsPerS : fallback;
  const order = streams.map((s, k) => ({ s, k, c: cost(s) })).sort((a, b) => b.c - a.c || a.k - b.k);
  const load = new Float64Array(lanes);
  const count = new Uint32Array(lanes);
  for (const { s, c } of order) {
    let best = 0;
    for (let l = 1; l < lanes; l++) {
      // Lighter lane first; on equal load, fewer streams; then the lower index.
      if (load[l]! < load[best]! - 1e-12 || (Math.abs(load[l]! - load[best]!) <= 1e-12 && count[l]! < count[best]!)) best = l;
    }
    load[best] = load[best]! + c;
    count[best] = count[best]! + 1;
    out.set(s.id, best);
  }
  return out;
}

/** max lane load / mean lane load (1 = perfectly even; 0 when there is no load at all). */
export function imbalance(laneLoads: readonly number[]): number {
  const total = laneLoads.reduce((a, b) => a + b, 0);
  if (laneLoads.length === 0 || total <= 0) return 0;
  return Math.max(...laneLoads) / (total / laneLoads.length);
}
