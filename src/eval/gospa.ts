/**
 * GOSPA (generalized optimal sub-pattern assignment, Rahmathullah, García-Fernández & Svensson
 * 2017) between two finite point sets in ENU metres.
 */
import { solveAssignment } from './assignment.ts';
import { dist3 } from './stats.ts';

export interface GospaResult {
  /** d = (Σ_assigned min(d,c)^p + (c^p/α)·|m−n|)^(1/p), metres. */
  distance: number;
  /** Σ d^p over assigned pairs closer than c. */
  localization: number;
  /** (c^p/α)·missedCount. */
  missed: number;
  /** (c^p/α)·falseCount. */
  false: number;
  /** Points of X not paired with a point of Y closer than c. */
  missedCount: number;
  /** Points of Y not paired with a point of X closer than c. */
  falseCount: number;
  /** For each x, the index of its pair in Y closer than c, or −1. */
  xToY: number[];
}

/** X: truth points, Y: estimates. c > 0, p ≥ 1, 0 < α ≤ 2. */
export function gospa(X: readonly ArrayLike<number>[], Y: readonly ArrayLike<number>[], c: number, p: number, alpha: number): GospaResult {
  const m = X.length, n = Y.length;
  const cp = c ** p;
  const d = X.map((x) => Y.map((y) => dist3(x, y)));
  const { rowToCol, total } = solveAssignment(d.map((row) => row.map((dij) => Math.min(dij, c) ** p)));
  const distance = (total + (cp / alpha) * Math.abs(m - n)) ** (1 / p);
  let localization = 0, paired = 0;
  const xToY = rowToCol.map((j, i) => {
    if (j < 0) return -1;
    const dij = d[i]![j]!;
    if (!(dij < c)) return -1;
    localization += dij ** p;
    paired++;
    return j;
  });
  const missedCount = m - paired, falseCount = n - paired;
  return {
    distance, localization, missed: (cp / alpha) * missedCount, false: (cp / alpha) * falseCount,
    missedCount, falseCount, xToY,
  };
}
