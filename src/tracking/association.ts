/**
 * Gating and global nearest neighbour (GNN) association.
 *
 * Gate: a detection may update a track when its squared Mahalanobis distance d² = νᵀS⁻¹ν is at
 * most the chi-square quantile of 3 degrees of freedom for the gate probability.
 *
 * GNN: choose at most one detection per track and at most one track per detection so that
 * Σ(cost of the chosen pairs) + Σ(miss cost of the tracks left without one) is least; pairs
 * outside the gate cannot be chosen. Solved exactly with the Hungarian solver of src/eval, per
 * connected cluster of the gated pairs (tracks and detections that share no gate are independent
 * problems), on the matrix [cost | miss columns] where each track has its own miss column and
 * excluded pairs carry a finite cost too large to ever be part of an optimum.
 */
import { solveAssignment } from '../eval/assignment.ts';
import { TrackingConfigError } from './errors.ts';

/** P(χ²₃ ≤ x) = erf(√(x/2)) − √(2x/π)·e^(−x/2). */
export function chiSquare3Cdf(x: number): number {
  if (!(x > 0)) return 0;
  return erf(Math.sqrt(x / 2)) - Math.sqrt((2 * x) / Math.PI) * Math.exp(-x / 2);
}

/** The x with P(χ²₃ ≤ x) = p, by bisection on the CDF (p in (0, 1)). */
export function chiSquare3Quantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new TrackingConfigError(`gate probability must be in (0, 1), got ${String(p)}`);
  let lo = 0, hi = 1;
  while (chiSquare3Cdf(hi) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (chiSquare3Cdf(mid) < p) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** The error function: Maclaurin series below 3, Laplace's continued fraction for erfc above. */
function erf(x: number): number {
  if (x < 0) return -erf(-x);
  if (x < 3) {
    let term = x, sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))) (Lentz-free backward evaluation).
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + (k / 2) / f;
  return 1 - Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/**
 * Optimal GNN assignment. cost is rows×cols row-major; a non-finite entry (Infinity) marks a pair
 * outside the gate. missCost[i] is what leaving track i without a detection costs. Returns
 * rowToCol (−1: no detection). Deterministic: clusters are solved in order of their first row.
 */
export function associateGnn(cost: Float64Array, rows: number, cols: number, missCost: Float64Array): Int32Array {
  const out = new Int32Array(rows).fill(-1);
  if (rows === 0 || cols === 0) return out;
  // Union-find over rows (0..rows−1) and columns (rows..rows+cols−1) joined by gated pairs.
  const parent = new Int32Array(rows + cols);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const find = (a: number): number => {
    while (parent[a]! !== a) { parent[a] = parent[parent[a]!]!; a = parent[a]!; }
    return a;
  };
  let anyPair = false;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (!Number.isFinite(cost[i * cols + j]!)) continue;
      anyPair = true;
      const a = find(i), b = find(rows + j);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  }
  if (!anyPair) return out;
  const clusterRows = new Map<number, number[]>();
  const clusterCols = new Map<number, number[]>();
  for (let i = 0; i < rows; i++) { const r = find(i); let l = clusterRows.get(r); if (!l) clusterRows.set(r, (l = [])); l.push(i); }
  for (let j = 0; j < cols; j++) { const r = find(rows + j); const l = clusterCols.get(r); if (l) l.push(j); else if (clusterRows.has(r)) clusterCols.set(r, [j]); }
  for (const [root, rs] of clusterRows) {
    const cs = clusterCols.get(root);
    if (!cs) continue; // a track with no gated detection: a miss
    if (rs.length === 1 && cs.length === 1) {
      const i = rs[0]!, j = cs[0]!;
      if (cost[i * cols + j]! < missCost[i]!) out[i] = j;
      continue;
    }
    solveCluster(cost, cols, missCost, rs, cs, out);
  }
  return out;
}

function solveCluster(cost: Float64Array, cols: number, missCost: Float64Array, rs: number[], cs: number[], out: Int32Array): void {
  const nr = rs.length, nc = cs.length;
  // Shift costs to start at 0 (every row is assigned exactly once, so a common shift does not
  // change the optimum); then any assignment avoiding excluded pairs costs ≤ nr·max < big.
  let lo = Infinity, hi = -Infinity;
  for (const i of rs) {
    lo = Math.min(lo, missCost[i]!); hi = Math.max(hi, missCost[i]!);
    for (const j of cs) { const c = cost[i * cols + j]!; if (Number.isFinite(c)) { lo = Math.min(lo, c); hi = Math.max(hi, c); } }
  }
  const big = 2 * nr * (hi - lo) + 1;
  const m: number[][] = rs.map((i, a) => {
    const row = new Array<number>(nc + nr).fill(big);
    cs.forEach((j, b) => { const c = cost[i * cols + j]!; if (Number.isFinite(c)) row[b] = c - lo; });
    row[nc + a] = missCost[i]! - lo;
    return row;
  });
  const { rowToCol } = solveAssignment(m);
  rowToCol.forEach((b, a) => {
    if (b >= 0 && b < nc && m[a]![b]! < big) out[rs[a]!] = cs[b]!;
  });
}
