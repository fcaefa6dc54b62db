/**
 * Minimum-cost assignment (the Hungarian method with row/column potentials, O(r²·c) for an
 * r×c matrix with r ≤ c). Exact for any finite costs; ties are broken deterministically.
 */

export interface Assignment {
  /** rowToCol[i] = column assigned to row i, or −1 (only when there are more rows than columns). */
  rowToCol: number[];
  /** Sum of the assigned entries. */
  total: number;
}

/**
 * Assign every row to a distinct column (or every column to a distinct row when rows outnumber
 * columns) so that the sum of the chosen entries is smallest. `cost[i][j]` must be finite.
 */
export function solveAssignment(cost: readonly (readonly number[])[]): Assignment {
  const rows = cost.length;
  const cols = rows === 0 ? 0 : cost[0]!.length;
  for (const row of cost) {
    if (row.length !== cols) throw new RangeError('assignment: cost matrix rows differ in length');
    for (const x of row) if (!Number.isFinite(x)) throw new RangeError('assignment: costs must be finite');
  }
  if (rows === 0 || cols === 0) return { rowToCol: new Array<number>(rows).fill(-1), total: 0 };
  if (rows <= cols) {
    const rowToCol = hungarian(rows, cols, (i, j) => cost[i]![j]!);
    return { rowToCol, total: sumOf(cost, rowToCol) };
  }
  // More rows than columns: solve the transpose, then invert the mapping.
  const colToRow = hungarian(cols, rows, (i, j) => cost[j]![i]!);
  const rowToCol = new Array<number>(rows).fill(-1);
  colToRow.forEach((r, c) => { rowToCol[r] = c; });
  return { rowToCol, total: sumOf(cost, rowToCol) };
}

function sumOf(cost: readonly (readonly number[])[], rowToCol: readonly number[]): number {
  let s = 0;
  rowToCol.forEach((j, i) => { if (j >= 0) s += cost[i]![j]!; });
  return s;
}

/**
 * n ≤ m. Potentials u (rows) and v (columns) keep reduced costs a[i][j] − u[i] − v[j] ≥ 0;
 * each row is added by growing a shortest augmenting path (Dijkstra on reduced costs).
 * Arrays are 1-based with index 0 as the virtual start column.
 */
function hungarian(n: number, m: number, a: (i: number, j: number) => number): number[] {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j] = row (1-based) matched to column j, 0 = free
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a(i0 - 1, j - 1) - u[i0]! - v[j]!;
        if (cur < minv[j]!) { minv[j] = cur; way[j] = j0; }
        if (minv[j]! < delta) { delta = minv[j]!; j1 = j; }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          const r = p[j]!;
          u[r] = u[r]! + delta;
          v[j] = v[j]! - delta;
        } else minv[j] = minv[j]! - delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowToCol = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) rowToCol[p[j]! - 1] = j - 1;
  return rowToCol;
}
