/**
 * Self-calibration acceptance run (issue 7, simulator part): `dvs sim --frames 1` on a
 * scenario whose site.yaml claims poses 5 m and 5° off, focal lengths 10 % off and clocks up to
 * 2 s off (report_error); per-camera CSVs from the projected truth (truth.jsonl through
 * truth-cameras.json, rolling shutter included, 0.5 px noise); `dvs calib`; figures against
 * the truth. Clocks are compared relative to the reference camera (site time is its configured
 * clock), positions after a similarity alignment.
 *
 *   node --import tsx bench/calib.ts [--scenario calib-flight|spec-1km] [--keep DIR] [--noise PX] [--knot-dt S]
 *   node --import tsx bench/calib.ts --video [--drone-size M] [--sim DIR] [--keep DIR]
 *
 * --video: the whole pipeline instead: `dvs sim` renders the videos (4 × 1080p H.264, 3 min:
 * 15–25 min on 2 cores; --sim DIR reuses a folder a previous run rendered into DIR/sim), and
 * `dvs calib` without --detections takes the target's 2D tracks from them (motion front end,
 * image-plane chains). Its wall time then includes decoding the videos. --drone-size M changes the
 * calibration flight's drone (default 0.35 m: too faint at 250–650 m for video calibration; 0.8 m
 * calibrates, docs/CALIB.md).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import { applySimilarity, umeyama } from '../src/calib/solvers/index.ts';
import { main } from '../src/cli/main.ts';
import { Camera, type CameraParams } from '../src/geometry/index.ts';
import { Rng } from '../src/util/rng.ts';

const REPORT_ERRORS = [1500, -2000, 800, -1200, 1900, -700, 300];

/** A calibration flight: 4 × 1080p wide-angle cameras on spec-like baselines, a drone flying a wide pattern at 250–650 m for 3 minutes. */
export function calibFlight(droneSizeM = 0.35): Record<string, unknown> {
  const at = [60, 420, 95];
  const cam = (id: string, enu: number[], fps: number, clock: { offset_ms: number; drift_ppm: number }, fx: number, k1: number, i: number) => {
    const dx = at[0]! - enu[0]!, dy = at[1]! - enu[1]!, dz = at[2]! - enu[2]!;
    return {
      id, resolution: [1920, 1080], fps,
      pose: { enu, yaw: (Math.atan2(dx, dy) * 180) / Math.PI, pitch: (Math.atan2(dz, Math.hypot(dx, dy)) * 180) / Math.PI, roll: 0 },
      intrinsics: { fx, fy: fx, cx: 960, cy: 540, k1, k2: 0.01 },
      clock, rolling_shutter: { line_us: 28, direction: 'down' }, noise_sigma: 2, codec: 'h264', bitrate_kbps: 4000,
      report_error: { pos_m: 5, angle_deg: 5, f_rel: 0.1, offset_ms: REPORT_ERRORS[i]! },
    };
  };
  return {
    name: 'calib-flight', seed: 7, duration_s: 180,
    site: { origin: { lat: 47, lon: 8, alt_m: 400 }, volume: { min: [-400, -100, 0], max: [600, 900, 300], voxel_m: 8 } },
    sky: { brightness: 185, gradient: 25, clouds: 0.2, cloud_speed_mps: 3 },
    cameras: [
      cam('cam01', [0, 0, 8], 30, { offset_ms: 0, drift_ppm: 0 }, 1400, -0.08, 0),
      cam('cam02', [130, 10, 6], 30, { offset_ms: 12, drift_ppm: 20 }, 1420, -0.07, 1),
      cam('cam03', [-10, 125, 10], 25, { offset_ms: -30, drift_ppm: -15 }, 1380, -0.09, 2),
      cam('cam04', [135, 140, 7], 30, { offset_ms: 45, drift_ppm: 5 }, 1410, -0.08, 3),
    ],
    targets: [{
      id: 'drone1', class: 'drone', size_m: droneSizeM, intensity: -60,
      path: [[0, -100, 330, 60], [20, 150, 350, 120], [40, 250, 560, 90], [60, 50, 660, 150], [80, -150, 520, 70], [100, -50, 300, 110],
        [120, 180, 320, 60], [140, 220, 600, 140], [160, -80, 620, 80], [180, 0, 420, 100]],
    }],
  };
}

/** spec-1km.yaml with the acceptance's report_error on every camera. */
function spec1km(): Record<string, unknown> {
  const s = parse(readFileSync(new URL('../scenarios/spec-1km.yaml', import.meta.url), 'utf8')) as { cameras: Array<Record<string, unknown>> };
  s.cameras.forEach((c, i) => { c.report_error = { pos_m: 5, angle_deg: 5, f_rel: 0.1, offset_ms: REPORT_ERRORS[i]! }; });
  return s as unknown as Record<string, unknown>;
}

interface Truth { t: number; enu: number[] }

/** Catmull–Rom interpolation of the 0.1 s truth at site time s (null outside). */
function truthAt(rows: Truth[], s: number): [number, number, number] | null {
  const f = (s - rows[0]!.t) / 0.1;
  const i = Math.floor(f);
  if (i < 1 || i + 2 >= rows.length) return null;
  const u = f - i;
  const p0 = rows[i - 1]!.enu, p1 = rows[i]!.enu, p2 = rows[i + 1]!.enu, p3 = rows[i + 2]!.enu;
  return [0, 1, 2].map((k) => 0.5 * (2 * p1[k]! + (-p0[k]! + p2[k]!) * u + (2 * p0[k]! - 5 * p1[k]! + 4 * p2[k]! - p3[k]!) * u * u + (-p0[k]! + 3 * p1[k]! - 3 * p2[k]! + p3[k]!) * u * u * u)) as [number, number, number];
}

export interface CalibAcceptance {
  wall_s: number;
  rmse_px: number;
  clock_err_max_ms: number;
  position_err_max_m: number;
  focal_err_max_pct: number;
  cameras: Array<{ id: string; rmse_px: number; clock_err_ms: number; position_err_m: number; focal_err_pct: number; position_sigma_m: number }>;
}

export async function runCalibAcceptance(scenario: 'calib-flight' | 'spec-1km', opts: { keep?: string; noisePx?: number; knotDt?: number; video?: boolean; simDir?: string; droneSizeM?: number } = {}): Promise<CalibAcceptance> {
  const dir = opts.keep ?? mkdtempSync(join(tmpdir(), 'dvs-calib-bench-'));
  mkdirSync(dir, { recursive: true });
  const quiet = { stdout: () => {}, stderr: () => {} };
  try {
    const scen = scenario === 'spec-1km' ? spec1km() : calibFlight(opts.droneSizeM);
    writeFileSync(join(dir, 'scenario.yaml'), stringify(scen));
    const sim = opts.simDir ?? join(dir, 'sim');
    if (!opts.simDir) {
      const frames = opts.video ? [] : ['--frames', '1'];
      if (await main(['sim', '--scenario', join(dir, 'scenario.yaml'), '--out', sim, ...frames, '--quiet'], quiet) !== 0) throw new Error('dvs sim failed');
    }
    const truthCams = (JSON.parse(readFileSync(join(sim, 'truth-cameras.json'), 'utf8')) as { cameras: Array<CameraParams & { fps: number }> }).cameras;
    const rows = readFileSync(join(sim, 'truth.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Truth & { id: string }).filter((r) => r.id === 'drone1');
    const det = join(dir, 'det');
    mkdirSync(det, { recursive: true });
    const rng = new Rng(4242);
    const sigma = opts.noisePx ?? 0.5;
    const cams = truthCams.map((c) => new Camera(c));
    truthCams.forEach((c, ci) => {
      const cam = cams[ci]!;
      const lines = ['t,x,y'];
      const o = [0, 0, 0];
      for (let k = 0; ; k++) {
        const tc = k / c.fps;
        if (cam.clock.siteTime(tc) > rows[rows.length - 1]!.t) break;
        // Rolling shutter: the row that sees the target is exposed later; fixed-point steps.
        let ok = false;
        let v = 0;
        for (let it = 0; it < 3; it++) {
          const p = truthAt(rows, cam.clock.siteTime(tc + cam.rowOffsetS(v)));
          if (!p || !cam.projectInto(p[0], p[1], p[2], o)) { ok = false; break; }
          v = o[1]!; ok = true;
        }
        if (!ok || !cam.inImage(o[0]!, o[1]!)) continue;
        lines.push(`${tc.toFixed(6)},${(o[0]! + sigma * rng.normal()).toFixed(3)},${(o[1]! + sigma * rng.normal()).toFixed(3)}`);
      }
      writeFileSync(join(det, `${c.id}.csv`), `${lines.join('\n')}\n`);
    });
    const out = join(dir, 'calib');
    const t0 = performance.now();
    const err: string[] = [];
    const extra = opts.knotDt !== undefined ? ['--knot-dt', String(opts.knotDt)] : [];
    const source = opts.video ? [] : ['--detections', det];
    const code = await main(['calib', '--config', join(sim, 'site.yaml'), ...source, '--out', out, ...extra], { stdout: () => {}, stderr: (s) => { err.push(s); if (opts.video && !s.includes('iteration')) process.stderr.write(s); } });
    const wall = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`dvs calib exited ${code}: ${err.join('')}`);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { reference_camera: string; reprojection_rmse_px: number; cameras: Array<{ id: string; reprojection_rmse_px: number; clock: { offset_ms: number; drift_ppm: number }; pose: { enu: number[] }; intrinsics: { fx: number }; position_sigma_m: number }> };
    const byId = new Map(report.cameras.map((c) => [c.id, c]));
    const tMid = rows[Math.floor(rows.length / 2)]!.t;
    const clockErr = (id: string): number => {
      const c = byId.get(id)!, t = cams[truthCams.findIndex((x) => x.id === id)]!;
      return ((1 + c.clock.drift_ppm * 1e-6) * tMid + c.clock.offset_ms / 1000 - t.clock.cameraTime(tMid)) * 1000;
    };
    const refErr = clockErr(report.reference_camera);
    const T = umeyama(truthCams.flatMap((c) => byId.get(c.id)!.pose.enu), cams.flatMap((c) => Array.from(c.C)))!;
    const per = truthCams.map((c, i) => {
      const r = byId.get(c.id)!;
      const p = applySimilarity(T, r.pose.enu), q = cams[i]!.C;
      return {
        id: c.id, rmse_px: r.reprojection_rmse_px, clock_err_ms: clockErr(c.id) - refErr,
        position_err_m: Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!, p[2]! - q[2]!),
        focal_err_pct: (r.intrinsics.fx / cams[i]!.fx - 1) * 100, position_sigma_m: r.position_sigma_m,
      };
    });
    return {
      wall_s: wall, rmse_px: report.reprojection_rmse_px,
      clock_err_max_ms: Math.max(...per.map((p) => Math.abs(p.clock_err_ms))),
      position_err_max_m: Math.max(...per.map((p) => p.position_err_m)),
      focal_err_max_pct: Math.max(...per.map((p) => Math.abs(p.focal_err_pct))),
      cameras: per,
    };
  } finally {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Figures for bench/run.ts. */
export async function benchCalib(): Promise<Record<string, number>> {
  const r = await runCalibAcceptance('calib-flight');
  return {
    'dvs calib wall time, 4 cameras × 3 min (s)': r.wall_s,
    'dvs calib reprojection RMSE (px)': r.rmse_px,
    'dvs calib worst clock error (ms)': r.clock_err_max_ms,
    'dvs calib worst camera position error (m)': r.position_err_max_m,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { scenario: { type: 'string', default: 'calib-flight' }, keep: { type: 'string' }, noise: { type: 'string' }, 'knot-dt': { type: 'string' }, video: { type: 'boolean' }, sim: { type: 'string' }, 'drone-size': { type: 'string' } } });
  const sc = values.scenario === 'spec-1km' ? 'spec-1km' : 'calib-flight';
  const r = await runCalibAcceptance(sc, { ...(values.keep ? { keep: values.keep } : {}), ...(values.noise ? { noisePx: Number(values.noise) } : {}), ...(values['knot-dt'] ? { knotDt: Number(values['knot-dt']) } : {}), ...(values.video ? { video: true } : {}), ...(values.sim ? { simDir: values.sim, video: true } : {}), ...(values['drone-size'] ? { droneSizeM: Number(values['drone-size']) } : {}) });
  console.log(`${values.sim ? `videos in ${values.sim}` : `scenario ${sc}${values.video ? ' from video' : ''}`}: dvs calib ${r.wall_s.toFixed(1)} s, reprojection RMSE ${r.rmse_px.toFixed(3)} px`);
  console.log('camera   rmse_px  clock_err_ms  pos_err_m  sigma_m  f_err_%');
  for (const c of r.cameras) console.log(`${c.id.padEnd(8)} ${c.rmse_px.toFixed(3).padStart(7)} ${c.clock_err_ms.toFixed(3).padStart(13)} ${c.position_err_m.toFixed(3).padStart(10)} ${c.position_sigma_m.toFixed(3).padStart(8)} ${c.focal_err_pct.toFixed(3).padStart(8)}`);
  console.log(`worst: clock ${r.clock_err_max_ms.toFixed(3)} ms, position ${r.position_err_max_m.toFixed(3)} m, focal ${r.focal_err_max_pct.toFixed(3)} %`);
}
