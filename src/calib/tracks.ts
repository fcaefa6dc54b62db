/**
 * 2D target tracks per camera (CONTRACTS §7): samples (t, x, y) with t on the camera's own
 * clock, sorted by time; linear interpolation between neighbouring samples that are close
 * enough in time.
 */
import { CalibInputError } from './errors.ts';

export interface Track2D {
  id: string;
  t: Float64Array;
  x: Float64Array;
  y: Float64Array;
}

/** Parse `t,x,y` CSV text (header required; blank lines ignored). Throws CalibInputError with line numbers. */
export function parseTrackCsv(text: string, id: string, source = id): Track2D {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').trim().toLowerCase().replace(/\s+/g, '');
  if (header !== 't,x,y') throw new CalibInputError(`${source}: line 1: header must be "t,x,y", got "${lines[0] ?? ''}"`);
  const rows: Array<[number, number, number]> = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    const f = l.split(',');
    if (f.length !== 3) throw new CalibInputError(`${source}: line ${i + 1}: expected 3 fields, got ${f.length}`);
    const v = f.map((s) => Number(s.trim()));
    if (!v.every((n) => Number.isFinite(n)) || f.some((s) => s.trim() === '')) throw new CalibInputError(`${source}: line ${i + 1}: not a number in "${l}"`);
    rows.push([v[0]!, v[1]!, v[2]!]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  const n = rows.length;
  const tr: Track2D = { id, t: new Float64Array(n), x: new Float64Array(n), y: new Float64Array(n) };
  for (let i = 0; i < n; i++) { tr.t[i] = rows[i]![0]; tr.x[i] = rows[i]![1]; tr.y[i] = rows[i]![2]; }
  for (let i = 1; i < n; i++) if (tr.t[i] === tr.t[i - 1]) throw new CalibInputError(`${source}: two rows with t = ${tr.t[i]}`);
  return tr;
}

/** Index of the last sample with t ≤ q, −1 when q precedes every sample. */
export function lowerIndex(t: Float64Array, q: number): number {
  let lo = 0, hi = t.length - 1;
  if (hi < 0 || q < t[0]!) return -1;
  if (q >= t[hi]!) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! <= q) lo = mid; else hi = mid;
  }
  return lo;
}

/**
 * Position at time q by linear interpolation into out[0..1]; false when q is outside the track
 * or the bracketing samples are more than maxGap apart.
 */
export function sampleTrack(tr: Track2D, q: number, maxGap: number, out: Float64Array | number[]): boolean {
  const i = lowerIndex(tr.t, q);
  if (i < 0) return false;
  const n = tr.t.length;
  if (i === n - 1) {
    if (q !== tr.t[i]) return false;
    out[0] = tr.x[i]!; out[1] = tr.y[i]!;
    return true;
  }
  const t0 = tr.t[i]!, t1 = tr.t[i + 1]!;
  if (t1 - t0 > maxGap) {
    if (q === t0) { out[0] = tr.x[i]!; out[1] = tr.y[i]!; return true; }
    return false;
  }
  const w = (q - t0) / (t1 - t0);
  out[0] = tr.x[i]! + w * (tr.x[i + 1]! - tr.x[i]!);
  out[1] = tr.y[i]! + w * (tr.y[i + 1]! - tr.y[i]!);
  return true;
}

/** Median time between successive samples (the frame interval when the track is dense). */
export function medianInterval(tr: Track2D): number {
  const d: number[] = [];
  for (let i = 1; i < tr.t.length; i++) d.push(tr.t[i]! - tr.t[i - 1]!);
  if (d.length === 0) return NaN;
  d.sort((a, b) => a - b);
  return d[d.length >> 1]!;
}

/** Parse a beacon log `t,e,n,u` (header required; t on the beacon's clock, ENU metres), sorted by t. */
export function parseBeaconCsv(text: string, source: string): { t: Float64Array; enu: Float64Array } {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').trim().toLowerCase().replace(/\s+/g, '');
  if (header !== 't,e,n,u') throw new CalibInputError(`${source}: line 1: header must be "t,e,n,u", got "${lines[0] ?? ''}"`);
  const rows: number[][] = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    const f = l.split(',');
    const v = f.map((s) => Number(s.trim()));
    if (f.length !== 4 || f.some((s) => s.trim() === '') || !v.every(Number.isFinite)) throw new CalibInputError(`${source}: line ${i + 1}: expected 4 numbers, got "${l}"`);
    rows.push(v);
  }
  rows.sort((a, b) => a[0]! - b[0]!);
  if (rows.length < 10) throw new CalibInputError(`${source}: only ${rows.length} samples (need at least 10)`);
  return { t: Float64Array.from(rows, (r) => r[0]!), enu: Float64Array.from(rows.flatMap((r) => [r[1]!, r[2]!, r[3]!])) };
}
