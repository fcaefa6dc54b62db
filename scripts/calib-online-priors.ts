/**
 * End-to-end check of the online refiner's MAP priors: `dvs detect --calib-online` over a
 * rendered scenario (dvs sim output: site.yaml + truth-cameras.json) with the priors off and on,
 * and the pose / clock error vs the truth of the claimed calibration and of the last version.
 *   node --import tsx scripts/calib-online-priors.ts /tmp/dvs/h1 [seconds]
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

const cfg = loadSiteConfig(join(dir, 'site.yaml'));
const runs: Array<[string, OnlineRefinerOptions]> = [
  ['priors off', { positionSigmaM: 0, orientationSigmaDeg: 0, clockSigmaMs: 0 }],
  ['priors on (defaults)', {}],
  ['priors on, gauge reference', { gauge: 'reference' }],
  ['priors off, gauge reference', { gauge: 'reference', positionSigmaM: 0, orientationSigmaDeg: 0, clockSigmaMs: 0 }],
  ...(process.env.EXTRA ? [['priors tight (0.5 m, 0.05°, 5 ms)', { positionSigmaM: 0.5, orientationSigmaDeg: 0.05, clockSigmaMs: 5 }] as [string, OnlineRefinerOptions]] : []),
];
for (const [name, opts] of runs.filter((r) => !process.env.ONLY || r[0].includes(process.env.ONLY))) {
  const out = join(dir, `calib-${name.split(' ')[1]}`);
  await runOfflineDetect(cfg, out, { quiet: true, calibOnline: opts, ...(seconds !== undefined ? { maxSeconds: seconds } : {}) });
  const snap = JSON.parse(readFileSync(join(out, 'calibration.json'), 'utf8')) as { version: number; accepted: number; rejected: number; current: CameraCalibration[]; versions: Array<{ kind: string; model?: string; t: number | null }> };
  const claimed = errors(cfg.cameras.map((c) => ({ id: c.id, pose: c.pose, intrinsics: c.intrinsics, clock: c.clock ?? { offset_ms: 0, drift_ppm: 0 } }) as CameraCalibration));
  console.log(`${name}: claimed ${JSON.stringify(claimed)} → v${snap.version} (${snap.accepted} accepted / ${snap.rejected} rejected) ${JSON.stringify(errors(snap.current))}`);
  console.log(`  ${snap.versions.filter((v) => v.kind !== 'initial').map((v) => `${v.kind[0]}@${v.t}:${v.model ?? ''}`).join(' ')}`);
}
