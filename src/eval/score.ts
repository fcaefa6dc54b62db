/**
 * The pure scoring core of `dvs eval`: truth rows + track reports + the true cameras → metrics.
 * No I/O, no clocks. Every definition is written out in docs/EVAL.md.
 */
import type { Camera } from '../geometry/index.ts';
import { solveAssignment } from './assignment.ts';
import { gospa } from './gospa.ts';
import { dist3, mean, nearestWithin, quantile } from './stats.ts';
import {
  DEFAULT_EVAL_OPTIONS, SPEC_THRESHOLDS,
  type BirdResult, type Check, type DroneResult, type ErrorStats, type EvalOptions, type EvalResult,
  type FalseTrack, type GospaSummary, type ResolvedEvalOptions, type TrackRow, type TruthRow, type Vec3,
} from './types.ts';

interface TruthObject { id: string; cls: 'drone' | 'bird'; enu: Vec3 }
interface Instant { t: number; objects: TruthObject[] }
interface TrackSeries { id: string; confirmed: TrackRow[]; confirmedTimes: Float64Array }
interface DroneAcc { counted: number; errors: number[]; seq: string[]; reports: number; birdReports: number }
interface Candidate { trackId: string; enu: Vec3 }

/** Fill in defaults and reject values outside each option's domain (RangeError). */
export function resolveEvalOptions(o: EvalOptions = {}): ResolvedEvalOptions {
  const r: ResolvedEvalOptions = { ...DEFAULT_EVAL_OPTIONS };
  for (const [k, v] of Object.entries(o) as [keyof EvalOptions, number | undefined][]) if (v !== undefined) r[k] = v;
  const bad = (what: string) => { throw new RangeError(`eval options: ${what}`); };
  if (!(r.gateM > 0 && Number.isFinite(r.gateM))) bad('gateM must be a positive number');
  if (!(r.timeTolS >= 0 && Number.isFinite(r.timeTolS))) bad('timeTolS must be ≥ 0');
  if (!(Number.isInteger(r.minCameras) && r.minCameras >= 0)) bad('minCameras must be an integer ≥ 0');
  if (!(r.gospaC > 0 && Number.isFinite(r.gospaC))) bad('gospaC must be a positive number');
  if (!(r.gospaP >= 1 && Number.isFinite(r.gospaP))) bad('gospaP must be ≥ 1');
  if (!(r.gospaAlpha > 0 && r.gospaAlpha <= 2)) bad('gospaAlpha must be in (0, 2]');
  return r;
}

/** Score one run. Throws RangeError on inconsistent truth (a target twice at one instant, a target changing class). */
export function scoreRun(truth: readonly TruthRow[], tracks: readonly TrackRow[], cameras: readonly Camera[], opts?: EvalOptions): EvalResult {
  const o = resolveEvalOptions(opts);
  const instants = buildInstants(truth);
  const series = buildTracks(tracks);
  const classes = new Map<string, 'drone' | 'bird'>();
  for (const inst of instants) for (const ob of inst.objects) classes.set(ob.id, ob.cls);
  const droneIds = [...classes].filter(([, c]) => c === 'drone').map(([id]) => id).sort();
  const birdIds = [...classes].filter(([, c]) => c === 'bird').map(([id]) => id).sort();
  const drones = new Map<string, DroneAcc>(droneIds.map((id) => [id, { counted: 0, errors: [], seq: [], reports: 0, birdReports: 0 }]));
  const birds = new Map<string, { reports: number; birdReports: number }>(birdIds.map((id) => [id, { reports: 0, birdReports: 0 }]));

  // Per truth instant: Pd / CEP / identity association and GOSPA.
  const g = { d: 0, dp: 0, loc: 0, missed: 0, fals: 0, missedN: 0, falseN: 0 };
  const uv = new Float64Array(3);
  for (const inst of instants) {
    const X = inst.objects.filter((ob) => ob.cls === 'drone' && visibleIn(cameras, ob.enu, uv) >= o.minCameras);
    for (const x of X) drones.get(x.id)!.counted++;
    const Y: Candidate[] = [];
    for (const s of series) {
      const k = nearestWithin(s.confirmedTimes, inst.t, o.timeTolS);
      const r = k >= 0 ? s.confirmed[k]! : undefined;
      if (r && r.class !== 'bird') Y.push({ trackId: s.id, enu: r.enu });
    }
    const pairs = gatedPairs(X.map((x) => x.enu), Y.map((y) => y.enu), o.gateM);
    pairs.forEach((j, i) => {
      if (j < 0) return;
      const acc = drones.get(X[i]!.id)!;
      acc.errors.push(dist3(X[i]!.enu, Y[j]!.enu));
      acc.seq.push(Y[j]!.trackId);
    });
    const gi = gospa(X.map((x) => x.enu), Y.map((y) => y.enu), o.gospaC, o.gospaP, o.gospaAlpha);
    g.d += gi.distance; g.dp += gi.distance ** o.gospaP;
    g.loc += gi.localization; g.missed += gi.missed; g.fals += gi.false;
    g.missedN += gi.missedCount; g.falseN += gi.falseCount;
  }

  // Per confirmed report: association to a truth object (classification) and drone proximity (FAR).
  const instantTimes = Float64Array.from(instants, (i) => i.t);
  const falseTracks: FalseTrack[] = [];
  let confirmedTracks = 0, confirmedReports = 0;
  for (const s of series) {
    let near = 0, bird = 0;
    for (const r of s.confirmed) {
      const k = nearestWithin(instantTimes, r.t, o.timeTolS);
      if (r.class === 'bird') bird++;
      if (k < 0) continue;
      let best: TruthObject | undefined, bestD = Infinity, nearDrone = false;
      for (const ob of instants[k]!.objects) {
        const d = dist3(ob.enu, r.enu);
        if (d > o.gateM) continue;
        if (ob.cls === 'drone') nearDrone = true;
        if (d < bestD) { best = ob; bestD = d; }
      }
      if (nearDrone) near++;
      const acc = best ? (best.cls === 'drone' ? drones.get(best.id) : birds.get(best.id)) : undefined;
      if (acc) { acc.reports++; if (r.class === 'bird') acc.birdReports++; }
    }
    const n = s.confirmed.length;
    confirmedReports += n;
    if (n === 0) continue;
    confirmedTracks++;
    const nonBird = 2 * bird <= n;
    if (nonBird && 2 * near < n) {
      falseTracks.push({ trackId: s.id, firstT: s.confirmed[0]!.t, lastT: s.confirmed[n - 1]!.t, confirmedReports: n, nearDroneReports: near });
    }
  }

  const tStart = instants[0]!.t, tEnd = instants[instants.length - 1]!.t;
  const durationS = tEnd - tStart;
  const droneResults = droneIds.map((id) => droneResult(id, drones.get(id)!));
  const birdResults: BirdResult[] = birdIds.map((id) => {
    const b = birds.get(id)!;
    return { id, reports: b.reports, birdReports: b.birdReports, flagRate: ratio(b.birdReports, b.reports) };
  });
  const allErrors = droneIds.flatMap((id) => drones.get(id)!.errors);
  const counted = droneResults.reduce((s, d) => s + d.countedInstants, 0);
  const matched = allErrors.length;
  const detection = { countedInstants: counted, matchedInstants: matched, pd: ratio(matched, counted), ...errorStats(allErrors) };
  const perMinute = durationS > 0 ? falseTracks.length / (durationS / 60) : null;
  const birdReports = birdResults.reduce((s, b) => s + b.reports, 0);
  const birdFlagged = birdResults.reduce((s, b) => s + b.birdReports, 0);
  const droneReports = droneResults.reduce((s, d) => s + d.reports, 0);
  const droneAsBird = droneResults.reduce((s, d) => s + d.birdReports, 0);
  const ni = instants.length;
  const gospaSummary: GospaSummary = {
    instants: ni, meanM: g.d / ni, rmsM: (g.dp / ni) ** (1 / o.gospaP),
    meanLocalization: g.loc / ni, meanMissed: g.missed / ni, meanFalse: g.fals / ni,
    meanMissedCount: g.missedN / ni, meanFalseCount: g.falseN / ni,
  };
  const flagRates = birdResults.flatMap((b) => (b.flagRate === null ? [] : [b.flagRate]));
  const asBirdRates = droneResults.flatMap((d) => (d.asBirdRate === null ? [] : [d.asBirdRate]));
  return {
    options: o,
    truth: { instants: ni, tStart, tEnd, durationS, drones: droneIds.length, birds: birdIds.length },
    tracks: { tracks: series.length, confirmedTracks, reports: tracks.length, confirmedReports },
    cameras: cameras.map((c) => c.id),
    detection,
    falseAlarms: { falseTracks: falseTracks.length, perMinute, tracks: falseTracks },
    classification: {
      birdReports, birdFlagged, birdFlagRate: ratio(birdFlagged, birdReports),
      droneReports, droneAsBird, droneAsBirdRate: ratio(droneAsBird, droneReports),
    },
    identity: { switches: droneResults.reduce((s, d) => s + d.idSwitches, 0) },
    gospa: gospaSummary,
    drones: droneResults,
    birds: birdResults,
    checks: {
      pd: check(detection.pd, '>=', SPEC_THRESHOLDS.pdMin),
      far: check(perMinute, '<=', SPEC_THRESHOLDS.farMaxPerMin),
      cep50: check(detection.cep50M, '<=', SPEC_THRESHOLDS.cep50MaxM),
      birdFlag: check(flagRates.length ? Math.min(...flagRates) : null, '>=', SPEC_THRESHOLDS.birdFlagMin),
      droneAsBird: check(asBirdRates.length ? Math.max(...asBirdRates) : null, '<=', SPEC_THRESHOLDS.droneAsBirdMax),
    },
  };
}

/** Number of cameras whose image contains the point (in front of the camera and on the sensor). */
export function visibleIn(cameras: readonly Camera[], enu: Vec3, scratch: Float64Array = new Float64Array(3)): number {
  let n = 0;
  for (const cam of cameras) if (cam.projectInto(enu[0], enu[1], enu[2], scratch) && cam.inImage(scratch[0]!, scratch[1]!)) n++;
  return n;
}

/**
 * Pair drones X with reports Y: as many pairs within `gate` as possible, and among those the
 * smallest summed distance. Returns, per x, the index into Y or −1.
 */
export function gatedPairs(X: readonly Vec3[], Y: readonly Vec3[], gate: number): number[] {
  if (X.length === 0 || Y.length === 0) return X.map(() => -1);
  // An out-of-gate entry costs more than any full set of in-gate pairs, so the optimum first
  // maximises the number of in-gate pairs (k+1 in-gate pairs always beat k).
  const big = gate * (Math.min(X.length, Y.length) + 1) + 1;
  const d = X.map((x) => Y.map((y) => dist3(x, y)));
  const { rowToCol } = solveAssignment(d.map((row) => row.map((v) => (v <= gate ? v : big))));
  return rowToCol.map((j, i) => (j >= 0 && d[i]![j]! <= gate ? j : -1));
}

function buildInstants(truth: readonly TruthRow[]): Instant[] {
  if (truth.length === 0) throw new RangeError('truth: no rows');
  const byKey = new Map<number, Instant>();
  const cls = new Map<string, 'drone' | 'bird'>();
  for (const row of truth) {
    const known = cls.get(row.id);
    if (known !== undefined && known !== row.class) throw new RangeError(`truth: target "${row.id}" changes class from ${known} to ${row.class} at t=${row.t}`);
    cls.set(row.id, row.class);
    // Instants are keyed to the microsecond so that 12.3 and 12.299999999 are one instant.
    const key = Math.round(row.t * 1e6);
    let inst = byKey.get(key);
    if (!inst) { inst = { t: row.t, objects: [] }; byKey.set(key, inst); }
    if (inst.objects.some((ob) => ob.id === row.id)) throw new RangeError(`truth: target "${row.id}" appears twice at t=${row.t}`);
    inst.objects.push({ id: row.id, cls: row.class, enu: row.enu });
  }
  const out = [...byKey.values()].sort((a, b) => a.t - b.t);
  for (const inst of out) inst.objects.sort((a, b) => cmp(a.id, b.id));
  return out;
}

function buildTracks(tracks: readonly TrackRow[]): TrackSeries[] {
  const byId = new Map<string, TrackRow[]>();
  for (const r of tracks) {
    let list = byId.get(r.track_id);
    if (!list) { list = []; byId.set(r.track_id, list); }
    list.push(r);
  }
  return [...byId].sort((a, b) => cmp(a[0], b[0])).map(([id, list]) => {
    const confirmed = list.filter((r) => r.status === 'confirmed').sort((a, b) => a.t - b.t); // stable
    return { id, confirmed, confirmedTimes: Float64Array.from(confirmed, (r) => r.t) };
  });
}

function droneResult(id: string, acc: DroneAcc): DroneResult {
  let idSwitches = 0;
  const trackIds: string[] = [];
  acc.seq.forEach((tid, k) => {
    if (k > 0 && tid !== acc.seq[k - 1]) idSwitches++;
    if (!trackIds.includes(tid)) trackIds.push(tid);
  });
  return {
    id, countedInstants: acc.counted, matchedInstants: acc.errors.length, pd: ratio(acc.errors.length, acc.counted),
    ...errorStats(acc.errors), idSwitches, trackIds,
    reports: acc.reports, birdReports: acc.birdReports, asBirdRate: ratio(acc.birdReports, acc.reports),
  };
}

function errorStats(errors: readonly number[]): ErrorStats {
  const s = [...errors].sort((a, b) => a - b);
  return { cep50M: quantile(s, 0.5), meanM: mean(s), p90M: quantile(s, 0.9), maxM: s.length ? s[s.length - 1]! : null };
}

function ratio(num: number, den: number): number | null {
  return den > 0 ? num / den : null;
}

function check(value: number | null, op: '>=' | '<=', threshold: number): Check {
  return { value, op, threshold, pass: value === null ? null : op === '>=' ? value >= threshold : value <= threshold };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
