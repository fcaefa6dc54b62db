/**
 * Is a camera's clock rate determined by the data? Profile of the bundle-adjustment cost over
 * one camera's drift, on a converted multi-view drone dataset (scripts/multiview-to-csv.ts):
 *
 *   node --import tsx scripts/multiview-drift-profile.ts --out D [--reference cam0] [--max-shift 120]
 *        [--cams cam1,cam5] [--deltas -150,150] [--drift-sigma-ppm N | id=N,…] [--state FILE]
 *
 * Runs `calibrate` on D/site.yaml + D/det (as `dvs calib` does; saves the final adjustment to
 * D/drift-state.json, or loads it with --state), then for each camera and each δ (ppm) moves that
 * camera's drift by δ from its estimate, pins it there (drift prior σ 0.01 ppm) and re-runs the
 * final adjustment pass with everything else free (poses, intrinsics, every clock offset and the
 * other drifts, the path). Prints Δcost (the robust cost ½Σρ), Δχ² = 2Δcost/σ̂² with σ̂² the
 * baseline cost per residual, the drift's profile 1-σ |δ|/√Δχ², the formal 1-σ from the Hessian,
 * and, when D/sync-truth.json exists, the camera's β error (frames, at reference frame 0 and at
 * the start/middle/end of the labelled overlap) after the move: the README table is used only for
 * that comparison.
 *
 * With --split N (and --deltas none), instead: the site-time span that every camera observed is cut
 * into N windows and the final pass is re-run (everything free, no drift prior) on each window's
 * observations alone, printing every camera's drift per window: a rate that the data really
 * determine comes out the same in each window, within its formal σ.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleAdjust, type BaCamera, type BaOptions } from '../src/calib/bundle.ts';
import { calibrate, type AdjustedState, type CalibCameraInput } from '../src/calib/pipeline.ts';
import { parseTrackCsv } from '../src/calib/tracks.ts';
import { loadSiteConfig } from '../src/config/index.ts';

interface Truth { cameras: Array<{ id: string; fps: number }>; alpha: number[][]; beta: number[][] }

function parseSigma(v: string | undefined): number | Record<string, number> | undefined {
  if (v === undefined) return undefined;
  if (!v.includes('=')) return Number(v);
  return Object.fromEntries(v.split(',').map((e) => { const [k, x] = e.split('='); return [k!.trim(), Number(x)]; }));
}

function saveState(s: AdjustedState, file: string): void {
  const { onIteration: _, ...options } = s.options;
  writeFileSync(file, JSON.stringify({
    ids: s.ids, options,
    cams: s.cams.map((c) => ({ ...c, R: Array.from(c.R), C: Array.from(c.C) })),
    traj: { s0: s.traj.s0, dt: s.traj.dt, X: Array.from(s.traj.X) },
    obs: { cam: Array.from(s.obs.cam), t: Array.from(s.obs.t), u: Array.from(s.obs.u), v: Array.from(s.obs.v) },
  }));
}

function loadState(file: string): AdjustedState {
  const j = JSON.parse(readFileSync(file, 'utf8'));
  return {
    ids: j.ids, options: j.options,
    cams: j.cams.map((c: BaCamera & { R: number[]; C: number[] }) => ({ ...c, R: Float64Array.from(c.R), C: Float64Array.from(c.C) })),
    traj: { s0: j.traj.s0, dt: j.traj.dt, X: Float64Array.from(j.traj.X) },
    obs: { cam: Int32Array.from(j.obs.cam), t: Float64Array.from(j.obs.t), u: Float64Array.from(j.obs.u), v: Float64Array.from(j.obs.v) },
  };
}

const clone = (s: AdjustedState): { cams: BaCamera[]; traj: AdjustedState['traj'] } => ({
  cams: s.cams.map((c) => ({ ...c, R: Float64Array.from(c.R), C: Float64Array.from(c.C) })),
  traj: { s0: s.traj.s0, dt: s.traj.dt, X: Float64Array.from(s.traj.X) },
});

function main(): void {
  const { values } = parseArgs({ options: {
    out: { type: 'string' }, reference: { type: 'string' }, 'max-shift': { type: 'string' }, cams: { type: 'string' }, deltas: { type: 'string' },
    'drift-sigma-ppm': { type: 'string' }, state: { type: 'string' }, 'max-iterations': { type: 'string' }, split: { type: 'string' },
  } });
  if (!values.out) { console.error('usage: multiview-drift-profile.ts --out D [--reference ID] [--cams a,b] [--deltas -150,150] [--state FILE]'); process.exit(2); }
  const D = values.out;
  let state: AdjustedState;
  if (values.state) state = loadState(values.state);
  else {
    const cfg = loadSiteConfig(join(D, 'site.yaml'));
    const inputs: CalibCameraInput[] = [];
    for (const c of cfg.cameras) {
      const f = join(D, 'det', `${c.id}.csv`);
      if (!existsSync(f)) continue;
      const intr = c.intrinsics ?? c.intrinsics_guess!;
      inputs.push({ id: c.id, resolution: c.rtp_config.resolution ?? [2 * intr.cx + 1, 2 * intr.cy + 1], intrinsics: intr, clock: c.clock, rollingShutter: c.rolling_shutter, track: parseTrackCsv(readFileSync(f, 'utf8'), c.id, f) });
    }
    const t0 = performance.now();
    let got: AdjustedState | null = null;
    const ds = parseSigma(values['drift-sigma-ppm']);
    calibrate(inputs, {
      maxShiftS: Number(values['max-shift'] ?? 120), ...(values.reference ? { referenceCamera: values.reference } : {}),
      ...(ds !== undefined ? { driftSigmaPpm: ds } : {}), onAdjusted: (s) => { got = s; },
      onProgress: (m) => { if (/clock drifts|bundle adjustment:/.test(m)) console.log(m); },
    });
    console.log(`calibrate: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    state = got!;
    saveState(state, join(D, 'drift-state.json'));
  }
  const truthFile = join(D, 'sync-truth.json');
  const truth: Truth | null = existsSync(truthFile) ? JSON.parse(readFileSync(truthFile, 'utf8')) : null;
  const refId = state.ids[state.options.refCamera]!;
  const labelRange = (id: string, fps: number): [number, number] => {
    const t = readFileSync(join(D, 'det', `${id}.csv`), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
    return [Math.round(t[0]! * fps), Math.round(t[t.length - 1]! * fps)];
  };
  /** β error (frames of camera id) at reference frame 0 and over the overlap, for clock (a, b) against a reference with a = 1, b = 0. */
  const betaErr = (id: string, c: BaCamera, ref: BaCamera): string => {
    if (!truth) return '';
    const ri = truth.cameras.findIndex((x) => x.id === refId), k = truth.cameras.findIndex((x) => x.id === id);
    if (ri < 0 || k < 0) return '';
    const fk = truth.cameras[k]!.fps, fr = truth.cameras[ri]!.fps;
    const a = c.a / ref.a;
    const alphaEst = (a * fk) / fr, betaEst = fk * (c.b - a * ref.b);
    const at = truth.alpha[ri]![k]!, bt = truth.beta[ri]![k]!;
    const rr = labelRange(refId, fr), rk = labelRange(id, fk);
    const lo = Math.max(rr[0], (rk[0] - bt) / at), hi = Math.min(rr[1], (rk[1] - bt) / at);
    const e = (i: number): string => (alphaEst * i + betaEst - (at * i + bt)).toFixed(2);
    return `β err ${e(0)} fr; overlap ${e(lo)} / ${e((lo + hi) / 2)} / ${e(hi)}`;
  };
  const maxIt = Number(values['max-iterations'] ?? 60);
  const base: BaOptions = { ...state.options, maxIterations: maxIt };
  delete base.priors;
  // Baseline: the final pass again without any drift prior (from the calibrated state).
  const b0 = clone(state);
  let t0 = performance.now();
  const r0 = bundleAdjust(b0.cams, b0.traj, state.obs, base);
  const nRes = 2 * state.obs.cam.length;
  const s2 = (2 * r0.finalCost) / nRes;
  console.log(`baseline (no drift prior): cost ${r0.finalCost.toFixed(1)}, RMSE ${r0.rmsPx.toFixed(4)} px, σ̂² ${s2.toFixed(3)} px² per residual, ${r0.iterations} steps, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  state.ids.forEach((id, i) => {
    if (i === state.options.refCamera) return;
    console.log(`  ${id}: drift ${((b0.cams[i]!.a - 1) * 1e6).toFixed(1)} ppm (formal ± ${r0.clockSigma[i]!.driftPpm.toFixed(1)}), offset ${(b0.cams[i]!.b * 1000).toFixed(2)} ms (± ${r0.clockSigma[i]!.offsetMs.toFixed(2)}), RMSE ${r0.rmsPerCamera[i]!.toFixed(3)} px; ${betaErr(id, b0.cams[i]!, b0.cams[state.options.refCamera]!)}`);
  });
  if (values.split) {
    const n = Number(values.split);
    const site = (m: number): number => { const c = b0.cams[state.obs.cam[m]!]!; return (state.obs.t[m]! - c.b) / c.a; };
    const lo = state.ids.map(() => Infinity), hi = state.ids.map(() => -Infinity);
    for (let m = 0; m < state.obs.cam.length; m++) { const c = state.obs.cam[m]!, s = site(m); lo[c] = Math.min(lo[c]!, s); hi[c] = Math.max(hi[c]!, s); }
    const L = Math.max(...lo), Hh = Math.min(...hi);
    console.log(`common span of all cameras: site time ${L.toFixed(1)} … ${Hh.toFixed(1)} s, ${n} windows`);
    for (let w = 0; w < n; w++) {
      const a = L + ((Hh - L) * w) / n, b = L + ((Hh - L) * (w + 1)) / n;
      const keep: number[] = [];
      for (let m = 0; m < state.obs.cam.length; m++) { const s = site(m); if (s >= a && s < b) keep.push(m); }
      const obs = { cam: Int32Array.from(keep, (m) => state.obs.cam[m]!), t: Float64Array.from(keep, (m) => state.obs.t[m]!), u: Float64Array.from(keep, (m) => state.obs.u[m]!), v: Float64Array.from(keep, (m) => state.obs.v[m]!) };
      const p = clone({ ...state, cams: b0.cams, traj: b0.traj });
      t0 = performance.now();
      const r = bundleAdjust(p.cams, p.traj, obs, base);
      const per = state.ids.map((id, k) => (k === state.options.refCamera ? '' : `${id} ${((p.cams[k]!.a - 1) * 1e6).toFixed(1)} ± ${r.clockSigma[k]!.driftPpm.toFixed(1)}`)).filter((x) => x).join(', ');
      console.log(`window ${a.toFixed(0)}–${b.toFixed(0)} s (${keep.length} obs, RMSE ${r.rmsPx.toFixed(3)} px, ${((performance.now() - t0) / 1000).toFixed(0)} s): drift ppm ${per}`);
      state.ids.forEach((id, k) => { if (k !== state.options.refCamera) console.log(`    ${id}: ${betaErr(id, p.cams[k]!, p.cams[state.options.refCamera]!)}`); });
    }
  }
  const cams = values.cams ? values.cams.split(',') : state.ids.filter((_, i) => i !== state.options.refCamera);
  const deltas = values.deltas === 'none' ? [] : (values.deltas ?? '-150,150').split(',').map(Number);
  for (const id of cams) {
    const i = state.ids.indexOf(id);
    if (i < 0) { console.log(`${id}: not in the adjustment`); continue; }
    for (const d of deltas) {
      const p = clone({ ...state, cams: b0.cams, traj: b0.traj });
      p.cams[i]!.a += d * 1e-6;
      const sig = state.ids.map((_, k) => (k === i ? 0.01 : 0));
      t0 = performance.now();
      const r = bundleAdjust(p.cams, p.traj, state.obs, { ...base, priors: { driftSigmaPpm: sig, toward: p.cams.map((c) => ({ a: c.a })) } });
      const dc = r.finalCost - r0.finalCost, chi = (2 * dc) / s2;
      const per = state.ids.map((x, k) => `${x} ${r.rmsPerCamera[k]!.toFixed(3)}`).join(' ');
      console.log(`${id} drift ${d >= 0 ? '+' : ''}${d} ppm: Δcost ${dc.toFixed(1)} (Δχ² ${chi.toFixed(1)}, profile σ ${chi > 0 ? (Math.abs(d) / Math.sqrt(chi)).toFixed(0) : '∞'} ppm), RMSE ${r.rmsPx.toFixed(4)} px [${per}], offset ${(p.cams[i]!.b * 1000).toFixed(2)} ms; ${betaErr(id, p.cams[i]!, p.cams[state.options.refCamera]!)}; ${r.iterations} steps ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
}

main();
