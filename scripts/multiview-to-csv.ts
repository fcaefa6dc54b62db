/**
 * Convert a dataset of the multi-view drone collection (../shared/datasets/multiview-drone,
 * CC BY-NC-SA 4.0; never copied into this repository) into `dvs calib` input (CONTRACTS §7):
 *
 *   node --import tsx scripts/multiview-to-csv.ts --dataset DIR --out OUT
 *       → OUT/site.yaml (intrinsics_guess and resolution from the dataset's calibration files,
 *         no pose: the result is in a similarity frame), OUT/det/camN.csv (t,x,y with
 *         t = frame number / fps on that camera's clock; label rows at (0, 0) mean "no drone"
 *         and are left out), OUT/sync-truth.json (the README's α/β tables, when present)
 *         and OUT/beacon.csv (the RTK log with a sample index, as t,e,n,u at 5 Hz) when present
 *   node --import tsx scripts/multiview-to-csv.ts --compare CALIBDIR --out OUT
 *       → compares CALIBDIR/report.json clocks with OUT/sync-truth.json in frames
 *
 * Frame rates: the calibration file's `fps`, except Mate 7 and Mate 10 which the dataset
 * remapped to exactly 30 fps (variable-rate smartphones, see the dataset README); the
 * ground-truth tables are in those remapped frames. Where a camera has two calibration files
 * (sonyG_1/_2, mate10_1/_2) the one whose fps matches is used (mate10_2: 30 fps; sonyG_1).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';

interface CamInfo { id: string; model: string; fps: number; resolution: [number, number]; K: number[][]; dist: number[] }

const CALIB_FILE: Record<string, string> = { mate10: 'mate10_2.json', sonyG: 'sonyG_1.json' };
const REMAPPED_30 = new Set(['mate7', 'mate10']);

export function readCameras(datasetDir: string, calibDir: string): CamInfo[] {
  const lines = readFileSync(join(datasetDir, 'cameras.txt'), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.map((l) => {
    const [id, model] = l.split(/\s+-\s+/).map((s) => s.trim());
    if (!id || !model) throw new Error(`cameras.txt: cannot read "${l}"`);
    const file = join(calibDir, model, CALIB_FILE[model] ?? `${model}.json`);
    const j = JSON.parse(readFileSync(file, 'utf8')) as { 'K-matrix': number[][]; distCoeff: number[]; fps: number; resolution: [number, number] };
    return { id, model, fps: REMAPPED_30.has(model) ? 30 : j.fps, resolution: j.resolution, K: j['K-matrix'], dist: j.distCoeff };
  });
}

/** Label file rows → [frame, x, y] with (0, 0) rows (no drone) dropped. */
export function readLabels(path: string): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (const l of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const f = l.trim().split(/\s+/).map(Number);
    if (f.length !== 3 || !f.every(Number.isFinite)) continue; // header or blank
    if (f[1] === 0 && f[2] === 0) continue;
    out.push([f[0]!, f[1]!, f[2]!]);
  }
  return out;
}

/** The α and β tables of a dataset README (rows: reference camera, columns: other camera). */
export function readSyncTables(readme: string): { alpha: number[][]; beta: number[][] } | null {
  const grab = (title: RegExp): number[][] | null => {
    const m = title.exec(readme);
    if (!m) return null;
    const rows: number[][] = [];
    for (const l of readme.slice(m.index).split(/\r?\n/).slice(1)) {
      if (!l.startsWith('|')) { if (rows.length) break; continue; }
      const cells = l.split('|').map((c) => c.trim()).filter((c) => c !== '');
      if (cells.length < 2 || !/^-?\d/.test(cells[0]!) || cells.some((c) => c.startsWith('---'))) continue;
      rows.push(cells.slice(1).map(Number));
    }
    return rows.length ? rows : null;
  };
  const alpha = grab(/### Time scale/), beta = grab(/### Time shift/);
  return alpha && beta ? { alpha, beta } : null;
}

function convert(datasetDir: string, out: string, calibDir: string): void {
  const cams = readCameras(datasetDir, calibDir);
  mkdirSync(join(out, 'det'), { recursive: true });
  const cameras = cams.map((c) => {
    const rows = readLabels(join(datasetDir, 'detections', `${c.id}.txt`));
    const csv = ['t,x,y', ...rows.map(([f, x, y]) => `${(f / c.fps).toFixed(6)},${x.toFixed(3)},${y.toFixed(3)}`)];
    writeFileSync(join(out, 'det', `${c.id}.csv`), `${csv.join('\n')}\n`);
    console.log(`${c.id} (${c.model}, ${c.fps} fps, ${c.resolution.join('×')}): ${rows.length} labelled frames`);
    const [k1, k2, p1, p2, k3] = c.dist;
    return {
      id: c.id,
      source: `file:${c.id}.mp4`,
      rtp_config: { protocol: 'file', resolution: c.resolution, fps: c.fps },
      intrinsics_guess: { fx: c.K[0]![0]!, fy: c.K[1]![1]!, cx: c.K[0]![2]!, cy: c.K[1]![2]!, k1: k1 ?? 0, k2: k2 ?? 0, p1: p1 ?? 0, p2: p2 ?? 0, k3: k3 ?? 0 },
    };
  });
  const doc = {
    site: { origin: { lat: 47.4, lon: 8.5, alt_m: 450 }, volume: { min: [-500, -500, -100], max: [500, 500, 400], voxel_m: 8 } },
    cameras,
  };
  writeFileSync(join(out, 'site.yaml'), `# Converted from ${basename(datasetDir)} of the multi-view drone dataset (CC BY-NC-SA 4.0) by scripts/multiview-to-csv.ts.\n${stringify(doc, { flowCollectionPadding: false })}`);
  // RTK log of the drone → a beacon log for `dvs calib --beacon`. Dataset 4's rtk.txt has a sample
  // index column; 5 Hz is the rate at which it lines up with the reconstructed path (RMS 0.18 m;
  // 4.99 or 5.01 Hz give 1.6 m). Files without the index column (datasets 1, 2) are skipped.
  const rtkFile = join(datasetDir, 'trajectory', 'rtk.txt');
  if (existsSync(rtkFile)) {
    const rows = readFileSync(rtkFile, 'utf8').split(/\r?\n/).map((l) => l.trim().split(/\s+/).map(Number)).filter((f) => f.length === 4 && f.every(Number.isFinite));
    if (rows.length > 0) {
      writeFileSync(join(out, 'beacon.csv'), `${['t,e,n,u', ...rows.map((r) => `${(r[0]! / 5).toFixed(3)},${r[1]!.toFixed(4)},${r[2]!.toFixed(4)},${r[3]!.toFixed(4)}`)].join('\n')}\n`);
      console.log(`RTK log: ${rows.length} samples at 5 Hz → beacon.csv`);
    }
  }
  const readme = join(datasetDir, 'README.md');
  const sync = existsSync(readme) ? readSyncTables(readFileSync(readme, 'utf8')) : null;
  if (sync) {
    writeFileSync(join(out, 'sync-truth.json'), `${JSON.stringify({ cameras: cams.map((c) => ({ id: c.id, fps: c.fps })), ...sync }, null, 2)}\n`);
    console.log('ground-truth synchronization tables → sync-truth.json');
  } else console.log('no ground-truth synchronization in this dataset');
}

/**
 * Compare estimated clocks with the tables: frame j = α·i + β maps frame i of the reference to
 * frame j of camera k. With camera_time = a·s + b and t = frame/fps:
 * α_est = (a_k/a_ref)·fps_k/fps_ref, β_est = fps_k·(b_k − (a_k/a_ref)·b_ref).
 */
function compare(calibDir: string, out: string): void {
  const truth = JSON.parse(readFileSync(join(out, 'sync-truth.json'), 'utf8')) as { cameras: Array<{ id: string; fps: number }>; alpha: number[][]; beta: number[][] };
  // Labelled frame range of each camera (for the errors over the overlap, below).
  const range = new Map<string, [number, number]>();
  for (const c of truth.cameras) {
    const f = join(out, 'det', `${c.id}.csv`);
    if (!existsSync(f)) continue;
    const t = readFileSync(f, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
    range.set(c.id, [Math.round(t[0]! * c.fps), Math.round(t[t.length - 1]! * c.fps)]);
  }
  const rep = JSON.parse(readFileSync(join(calibDir, 'report.json'), 'utf8')) as { reference_camera: string; cameras: Array<{ id: string; calibrated: boolean; clock: { offset_ms: number; drift_ppm: number }; reprojection_rmse_px: number | null }> };
  const ri = truth.cameras.findIndex((c) => c.id === rep.reference_camera);
  const ref = rep.cameras.find((c) => c.id === rep.reference_camera)!;
  const aR = 1 + ref.clock.drift_ppm * 1e-6, bR = ref.clock.offset_ms / 1000;
  console.log(`reference ${rep.reference_camera}; β error in frames of the other camera`);
  console.log('camera  calibrated  rmse_px   α_true    α_est      β_true     β_est   β_err_frames  β_err_ms   err@overlap start/mid/end (frames)');
  let worst = 0;
  truth.cameras.forEach((c, k) => {
    const r = rep.cameras.find((x) => x.id === c.id);
    if (!r) return;
    const a = (1 + r.clock.drift_ppm * 1e-6) / aR;
    const alphaEst = (a * c.fps) / truth.cameras[ri]!.fps;
    const betaEst = c.fps * (r.clock.offset_ms / 1000 - a * bR);
    const bt = truth.beta[ri]![k]!, at = truth.alpha[ri]![k]!;
    const e = betaEst - bt;
    if (r.calibrated && k !== ri) worst = Math.max(worst, Math.abs(e));
    // β is the mapping at reference frame 0, an extrapolation when α differs: the table's α has
    // four decimals (±5·10⁻⁵, i.e. up to ±1.5 frames over 30 000 reference frames), so the error
    // is also given where both cameras labelled the drone (reference frames of the overlap).
    const rr = range.get(truth.cameras[ri]!.id), rk = range.get(c.id);
    let over = '', inv = '';
    if (rr && rk && k !== ri) {
      const lo = Math.max(rr[0], (rk[0] - bt) / at), hi = Math.min(rr[1], (rk[1] - bt) / at);
      if (hi > lo) over = [lo, (lo + hi) / 2, hi].map((i) => (alphaEst * i + betaEst - (at * i + bt)).toFixed(2)).join(' / ');
      // The same table's row of camera k (k as the reference: reference frame i = α'·j + β'), whose
      // α' (≈ 1/α, also four decimals) is 2–2.4× more precise in relative terms for the 25–30 fps
      // cameras against the 60 fps reference: the error of the estimate against that mapping.
      const a2 = truth.alpha[k]?.[ri], b2 = truth.beta[k]?.[ri];
      if (a2 !== undefined && b2 !== undefined && hi > lo) {
        const e2 = (i: number): string => (alphaEst * i + betaEst - (i - b2) / a2).toFixed(2);
        inv = `   | vs row ${c.id}: ${e2(0)} at frame 0, ${[lo, (lo + hi) / 2, hi].map(e2).join(' / ')}`;
      }
    }
    console.log(`${c.id.padEnd(7)} ${String(r.calibrated).padEnd(10)} ${(r.reprojection_rmse_px ?? NaN).toFixed(3).padStart(7)} ${at.toFixed(4).padStart(8)} ${alphaEst.toFixed(5).padStart(9)} ${bt.toFixed(2).padStart(10)} ${betaEst.toFixed(2).padStart(9)} ${e.toFixed(2).padStart(13)} ${((1000 * e) / c.fps).toFixed(1).padStart(9)}   ${over}${inv}`);
  });
  console.log(`worst |β error| over calibrated cameras: ${worst.toFixed(2)} frames`);
}

function cli(): void {
  const { values } = parseArgs({ options: { dataset: { type: 'string' }, out: { type: 'string' }, calibration: { type: 'string' }, compare: { type: 'string' } } });
  if (!values.out) { console.error('usage: multiview-to-csv.ts --dataset DIR --out OUT [--calibration DIR] | --compare CALIBDIR --out OUT'); process.exit(2); }
  if (values.compare) { compare(values.compare, values.out); return; }
  if (!values.dataset) { console.error('--dataset is required'); process.exit(2); }
  const ds = resolve(values.dataset);
  if (!existsSync(join(ds, 'cameras.txt')) || !existsSync(join(ds, 'detections'))) { console.error(`${ds}: not a multi-view drone dataset folder (cameras.txt, detections/)`); process.exit(2); }
  convert(ds, values.out, values.calibration ?? join(dirname(ds), 'calibration'));
}

export { convert };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) cli();
