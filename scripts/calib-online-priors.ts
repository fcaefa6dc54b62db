/**
 * End-to-end check of the online refiner's MAP priors: `dvs detect --calib-online` over a
 * rendered scenario (dvs sim output: site.yaml + truth-cameras.json + truth.jsonl) with the
 * priors off and on, gauge anchor and reference, with and without adoption (`calibAdopt`), and
 * the pose / clock error vs the truth of the claimed calibration and of the last version, and the
 * detections' error vs the true target positions after the first accepted version.
 *   node --import tsx scripts/calib-online-priors.ts /tmp/dvs/h1 [seconds]
 *   RUNS='anchor,anchor+adopt,reference+adopt' … (the runs whose name contains one of these; default all)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSiteConfig } from '../src/config/index.ts';
import { runOfflineDetect } from '../src/pipeline/index.ts';
import { Camera, rotationAngleBetween } from '../src/geometry/index.ts';
import type { CameraCalibration, OnlineRefinerOptions } from '../src/calib/online/index.ts';

const dir = process.argv[2] ?? '/tmp/dvs/h1';
const seconds = process.argv[3] ? Number(process.argv[3]) : undefined;
interface TruthCam extends CameraCalibration { resolution: [number, number] }
const truth = (JSON.parse(readFileSync(join(dir, 'truth-cameras.json'), 'utf8')) as { cameras: TruthCam[] }).cameras;
const byId = new Map(truth.map((c) => [c.id, c]));

function errors(cal: readonly CameraCalibration[]): { posM: number; degMax: number; clockMs: number; fPct: number } {
  let posM = 0, degMax = 0, clockMs = 0, fPct = 0;
  const ref = cal[0]!, tref = byId.get(ref.id)!;
  for (const c of cal) {
    const t = byId.get(c.id)!;
    const R = new Camera({ id: c.id, resolution: t.resolution, pose: c.pose, intrinsics: c.intrinsics }).R;
    const Rt = new Camera({ id: t.id, resolution: t.resolution, pose: t.pose, intrinsics: t.intrinsics }).R;
    posM = Math.max(posM, Math.hypot(...[0, 1, 2].map((k) => c.pose.enu[k]! - t.pose.enu[k]!)));
    degMax = Math.max(degMax, rotationAngleBetween(R, Rt) * 180 / Math.PI);
    // Clock offsets relative to the reference camera (what the data can see).
    clockMs = Math.max(clockMs, Math.abs((c.clock.offset_ms - ref.clock.offset_ms) - (t.clock.offset_ms - tref.clock.offset_ms)));
    fPct = Math.max(fPct, Math.abs(c.intrinsics.fx / t.intrinsics.fx - 1) * 100);
  }
  return { posM: +posM.toFixed(3), degMax: +degMax.toFixed(3), clockMs: +clockMs.toFixed(2), fPct: +fPct.toFixed(2) };
}

/** The true targets (truth.jsonl, every 0.1 s) by id, for the detections' errors. */
const targets = new Map<string, Array<{ t: number; enu: number[] }>>();
for (const l of readFileSync(join(dir, 'truth.jsonl'), 'utf8').split('\n')) {
  if (!l.trim()) continue;
  const r = JSON.parse(l) as { t: number; id: string; enu: number[] };
  (targets.get(r.id) ?? targets.set(r.id, []).get(r.id)!).push({ t: r.t, enu: r.enu });
}
const at = (rows: Array<{ t: number; enu: number[] }>, t: number): number[] | null => {
  let k = rows.findIndex((r) => r.t > t);
  if (k <= 0) return null;
  const a = rows[k - 1]!, b = rows[k]!, w = (t - a.t) / (b.t - a.t);
  return [0, 1, 2].map((i) => a.enu[i]! + w * (b.enu[i]! - a.enu[i]!));
};
/** Median distance (m) of the detections with t ≥ t0 to the nearer target's true path over the 0.2 s before each (a tick lags the target by a frame or two). */
function detectionError(out: string, t0: number): { median: number; n: number } {
  const errs: number[] = [];
  for (const l of readFileSync(join(out, 'detections.jsonl'), 'utf8').split('\n')) {
    if (!l.trim()) continue;
    const d = JSON.parse(l) as { t: number; enu: number[] };
    if (d.t < t0) continue;
    let best = Infinity;
    for (const rows of targets.values()) for (let k = 0; k <= 20; k++) { const q = at(rows, d.t - 0.01 * k); if (q) best = Math.min(best, Math.hypot(d.enu[0]! - q[0]!, d.enu[1]! - q[1]!, d.enu[2]! - q[2]!)); }
    if (best < 20) errs.push(best);
  }
  errs.sort((a, b) => a - b);
  return { median: +(errs[Math.floor(errs.length / 2)] ?? NaN).toFixed(3), n: errs.length };
}

const cfg = loadSiteConfig(join(dir, 'site.yaml'));
const runs: Array<[string, OnlineRefinerOptions, boolean]> = [
  ['priors off', { positionSigmaM: 0, orientationSigmaDeg: 0, clockSigmaMs: 0 }, false],
  ['priors on, gauge anchor', { gauge: 'anchor' }, false],
  ['priors on, gauge reference', { gauge: 'reference' }, false],
  ['priors off, gauge reference', { gauge: 'reference', positionSigmaM: 0, orientationSigmaDeg: 0, clockSigmaMs: 0 }, false],
  ['priors on, gauge anchor+adopt', { gauge: 'anchor' }, true],
  ['priors on, gauge reference+adopt', { gauge: 'reference' }, true],
  ...(process.env.EXTRA ? [['priors tight (0.5 m, 0.05°, 5 ms)', { positionSigmaM: 0.5, orientationSigmaDeg: 0.05, clockSigmaMs: 5 }, false] as [string, OnlineRefinerOptions, boolean]] : []),
];
const wanted = process.env.RUNS?.split(',') ?? null;
let firstAccept = Infinity;
for (const [name, opts, adopt] of runs.filter((r) => !wanted || wanted.some((w) => r[0].endsWith(w)))) {
  const out = join(dir, `calib-${name.replace(/[^a-z+]+/g, '-')}`);
  await runOfflineDetect(cfg, out, { quiet: true, calibOnline: opts, calibAdopt: adopt, ...(seconds !== undefined ? { maxSeconds: seconds } : {}) });
  const snap = JSON.parse(readFileSync(join(out, 'calibration.json'), 'utf8')) as { version: number; accepted: number; rejected: number; current: CameraCalibration[]; versions: Array<{ kind: string; model?: string; t: number | null }> };
  const claimed = errors(cfg.cameras.map((c) => ({ id: c.id, pose: c.pose, intrinsics: c.intrinsics, clock: c.clock ?? { offset_ms: 0, drift_ppm: 0 } }) as CameraCalibration));
  console.log(`${name}: claimed ${JSON.stringify(claimed)} → v${snap.version} (${snap.accepted} accepted / ${snap.rejected} rejected) ${JSON.stringify(errors(snap.current))}`);
  console.log(`  ${snap.versions.filter((v) => v.kind !== 'initial').map((v) => `${v.kind[0]}@${v.t}:${v.model ?? ''}`).join(' ')}`);
  // Detections after the first accepted version of the first run (the same span for every run).
  if (!Number.isFinite(firstAccept)) firstAccept = snap.versions.find((v) => v.kind === 'accepted')?.t ?? Infinity;
  const all = detectionError(out, -Infinity), late = detectionError(out, Number.isFinite(firstAccept) ? firstAccept + 1 : Infinity);
  console.log(`  detections vs truth (median): all ${all.median} m (${all.n}); after t ${(firstAccept + 1).toFixed(1)} ${late.median} m (${late.n})${adopt ? ' [adopted]' : ''}`);
}
