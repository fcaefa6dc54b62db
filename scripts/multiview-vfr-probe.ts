/**
 * Research probe (no production code): on what time base are a camera's label frame numbers?
 * Written for dataset 4's cam3 (Huawei Mate 10, "variable frame rate"), which `dvs calib` cannot
 * synchronize with t = frame/30.
 *
 *   node --import tsx scripts/multiview-vfr-probe.ts [--out /tmp/d4] [--calib /tmp/d4/calibB2] [--cam cam3]
 *        [--window 600] [--points 60] [--fps-min 18] [--fps-max 31] [--fps-step 0.5] [--t-step 0.1]
 *
 * Inputs: D/site.yaml (the camera's intrinsics_guess and nominal fps), D/det/<cam>.csv (t,x,y with
 * t = raw label frame / fps), the calibration of the other cameras: CALIB/trajectory.csv (t,e,n,u,
 * site time) and, when D/sync-truth.json exists, the README table (printed for comparison only).
 *
 * Method: the raw frame index j = round(t·fps). Labels are cut into windows of `window` labels;
 * in each, `points` labels (evenly spaced) are given the site times t0 + (j − j0)/r for every
 * rate r on a grid and every start t0 along the path (step t-step), a free 3×4 projection (DLT,
 * any pose and focal length) is fitted to them against the path, and the hypothesis with the
 * least median reprojection error (px, with the guessed fx) is kept. A line t(j) = j/r + b is then
 * fitted to the windows' best (j0, t0) by RANSAC (inlier: |Δt| < 0.5 s) and refined (rate and
 * time of the middle label, two 11×11 grids) by the median error of one DLT on every label inside
 * the path (two trimmed re-fits on the best 60%), compared with t = j/nominal at its best offset.
 *
 * Figures it printed (dataset 4: /tmp/d4 from docs/CALIB.md "Reproduce" with --beacon
 * /tmp/d4/beacon.csv --beacon-max-shift 300, calibration of the six other cameras in calibB2,
 * cam3, default options, 53 s on 2 shared cores):
 *   windows (600 labels each): 4 of the 10 windows inside the path agree on 21–21.5 frames/s
 *     (DLT medians 7.7–18.4 px); the other 6 find nothing (49–75 px at scattered rates/times);
 *     the 2 windows of raw 1..1200 (before the path starts) fit spurious 4.9–5.0 px.
 *   line through the 4: t_site = j/21.316 − 39.02 s (global trimmed DLT 48.6 px);
 *   refined by the global DLT: t_site = j/21.256 − 40.12 s, global DLT median 5.9 px (4K
 *     image) over 5504 labels, 67.8% within 10 px;
 *   t = j/30 + any offset: nothing (best 20.9 px over only 2028 labels, spurious).
 *   table (comparison only): with the line, raw frame 1 falls at remapped index k = 19.3 and
 *     k − j grows from 18 to 4226 (raw frames at 21.26/s against the remapped 29.96/s).
 *
 * A Python prototype of the fuller probe (time-free pose search on a ground grid scored by a
 * monotone dynamic-time-warping alignment, then point-to-line pose + focal refinement alternated
 * with the warp; not in the repository; validated on cam2 with simulated dropped frames and an
 * unknown pose: 0.57 px, every label's time within 1/60 s) put cam3 at ENU (−112.7, −77.4,
 * −18.5) m (30 m from cam6, 74–76 m from cam1/cam2), yaw 77°, pitch 18°, fx 3214 (guess 3265),
 * labels at site time j/21.2514 − 40.13 s with ±0.12 s rms wander (0.63 s worst), reprojection
 * median 7.6 px with that line (pose refit), 6.0 px with the monotone warp (70% of the labels in
 * the path within 20 px), 2.1 px with every label's time free.
 *
 * Check with the existing pipeline: cam3.csv re-timed as t = j/21.256 (scratch copy of /tmp/d4/det
 * in /tmp/vfr/d4r, site.yaml unchanged), `dvs calib … --max-shift 120 --reference cam0 --beacon
 * /tmp/d4/beacon.csv --beacon-max-shift 300` (66 s): 7 of 7 cameras; cam3 RMSE 3.98 px, 5785/6666
 * inliers, ENU (−112.9, −77.5, −18.6) m, fx 3234, offset 40.158 s, drift −161 ppm; but the
 * others get worse (overall 1.04 → 1.97 px, cam0 0.98 → 1.75, cam2 1.66 → 2.44; their β errors
 * stay within ±0.85 frames): cam3's ±0.12 s time wander pulls the shared path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSiteConfig } from '../src/config/index.ts';

interface Intr { fx: number; fy: number; cx: number; cy: number; k1?: number; k2?: number; k3?: number; p1?: number; p2?: number }

function readCsv(file: string): number[][] {
  const rows: number[][] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const s = line.trim();
    if (!s || /[a-z]/i.test(s[0]!)) continue;
    rows.push(s.split(',').map(Number));
  }
  return rows;
}

/** Iterative inverse of the OpenCV (k1,k2,k3,p1,p2) model: pixels → normalized pinhole coordinates. */
function undistort(K: Intr, u: number, v: number): [number, number] {
  const k1 = K.k1 ?? 0, k2 = K.k2 ?? 0, k3 = K.k3 ?? 0, p1 = K.p1 ?? 0, p2 = K.p2 ?? 0;
  const xd = (u - K.cx) / K.fx, yd = (v - K.cy) / K.fy;
  let x = xd, y = yd;
  for (let i = 0; i < 30; i++) {
    const r2 = x * x + y * y;
    const rad = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
    const dx = 2 * p1 * x * y + p2 * (r2 + 2 * x * x), dy = p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
    x = (xd - dx) / rad; y = (yd - dy) / rad;
  }
  return [x, y];
}

/** Eigenvector of the smallest eigenvalue of a symmetric n×n matrix (cyclic Jacobi). */
function smallestEigvec(A: Float64Array, n: number, V: Float64Array): Float64Array {
  V.fill(0);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 12; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! * A[p * n + q]!;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const app = A[p * n + p]!, aqq = A[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!, akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq; A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!, aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk; A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p]!, vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq; V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < n; i++) if (A[i * n + i]! < A[best * n + best]!) best = i;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = V[k * n + best]!;
  return out;
}

const AtA = new Float64Array(144), Vbuf = new Float64Array(144), row = new Float64Array(12);

interface Dlt { p: Float64Array; mx: number; my: number; mz: number; sc: number }

/** DLT of 3D points X (n×3) to normalized 2D x (n×2); per-point reprojection errors (normalized units) into err. */
function dltErrors(X: Float64Array, x: Float64Array, n: number, err: Float64Array): void {
  dltApply(dltFit(X, x, n), X, x, n, err);
}

function dltFit(X: Float64Array, x: Float64Array, n: number): Dlt {
  let mx = 0, my = 0, mz = 0;
  for (let i = 0; i < n; i++) { mx += X[3 * i]!; my += X[3 * i + 1]!; mz += X[3 * i + 2]!; }
  mx /= n; my /= n; mz /= n;
  let sc = 0;
  for (let i = 0; i < n; i++) sc += (X[3 * i]! - mx) ** 2 + (X[3 * i + 1]! - my) ** 2 + (X[3 * i + 2]! - mz) ** 2;
  sc = Math.sqrt(sc / n) || 1;
  AtA.fill(0);
  const addRow = (): void => {
    for (let a = 0; a < 12; a++) { const ra = row[a]!; if (ra === 0) continue; for (let b = a; b < 12; b++) AtA[a * 12 + b] = AtA[a * 12 + b]! + ra * row[b]!; }
  };
  for (let i = 0; i < n; i++) {
    const X0 = (X[3 * i]! - mx) / sc, X1 = (X[3 * i + 1]! - my) / sc, X2 = (X[3 * i + 2]! - mz) / sc;
    const u = x[2 * i]!, v = x[2 * i + 1]!;
    row.fill(0); row[0] = X0; row[1] = X1; row[2] = X2; row[3] = 1;
    row[8] = -u * X0; row[9] = -u * X1; row[10] = -u * X2; row[11] = -u; addRow();
    row.fill(0); row[4] = X0; row[5] = X1; row[6] = X2; row[7] = 1;
    row[8] = -v * X0; row[9] = -v * X1; row[10] = -v * X2; row[11] = -v; addRow();
  }
  for (let a = 0; a < 12; a++) for (let b = 0; b < a; b++) AtA[a * 12 + b] = AtA[b * 12 + a]!;
  return { p: smallestEigvec(AtA, 12, Vbuf), mx, my, mz, sc };
}

function dltApply(P: Dlt, X: Float64Array, x: Float64Array, n: number, err: Float64Array): void {
  const { p, mx, my, mz, sc } = P;
  for (let i = 0; i < n; i++) {
    const X0 = (X[3 * i]! - mx) / sc, X1 = (X[3 * i + 1]! - my) / sc, X2 = (X[3 * i + 2]! - mz) / sc;
    const q0 = p[0]! * X0 + p[1]! * X1 + p[2]! * X2 + p[3]!;
    const q1 = p[4]! * X0 + p[5]! * X1 + p[6]! * X2 + p[7]!;
    const q2 = p[8]! * X0 + p[9]! * X1 + p[10]! * X2 + p[11]!;
    err[i] = Math.hypot(q0 / q2 - x[2 * i]!, q1 / q2 - x[2 * i + 1]!);
  }
}

function median(a: ArrayLike<number>, n = a.length): number {
  const s = Array.from({ length: n }, (_, i) => a[i]!).sort((p, q) => p - q);
  return n % 2 ? s[(n - 1) / 2]! : 0.5 * (s[n / 2 - 1]! + s[n / 2]!);
}

function main(): void {
  const { values } = parseArgs({ options: {
    out: { type: 'string' }, calib: { type: 'string' }, cam: { type: 'string' }, window: { type: 'string' }, points: { type: 'string' },
    'fps-min': { type: 'string' }, 'fps-max': { type: 'string' }, 'fps-step': { type: 'string' }, 't-step': { type: 'string' },
  } });
  const D = values.out ?? '/tmp/d4';
  const CAL = values.calib ?? join(D, 'calibB2');
  const camId = values.cam ?? 'cam3';
  const W = Number(values.window ?? 600), NP = Number(values.points ?? 60);
  const fpsMin = Number(values['fps-min'] ?? 18), fpsMax = Number(values['fps-max'] ?? 31), fpsStep = Number(values['fps-step'] ?? 0.5);
  const tStep = Number(values['t-step'] ?? 0.1);
  const cfg = loadSiteConfig(join(D, 'site.yaml'));
  const cam = cfg.cameras.find((c) => c.id === camId);
  if (!cam) throw new Error(`no camera ${camId} in ${D}/site.yaml`);
  const K = (cam.intrinsics ?? cam.intrinsics_guess) as Intr | undefined;
  if (!K) throw new Error(`${camId}: no intrinsics`);
  const nominal = cam.rtp_config.fps ?? 30;

  // Labels: raw frame index and normalized coordinates.
  const lab = readCsv(join(D, 'det', `${camId}.csv`));
  const N = lab.length;
  const J = new Float64Array(N), xn = new Float64Array(2 * N);
  for (let i = 0; i < N; i++) {
    const r = lab[i]!;
    J[i] = Math.round(r[0]! * nominal);
    const [x, y] = undistort(K, r[1]!, r[2]!);
    xn[2 * i] = x; xn[2 * i + 1] = y;
  }
  // Path (site time), interpolated only across its 0.1-s knots (not across gaps).
  const tr = readCsv(join(CAL, 'trajectory.csv'));
  const ts = tr.map((r) => r[0]!), T0 = ts[0]!, T1 = ts[ts.length - 1]!;
  const at = (t: number, out: Float64Array, o: number): boolean => {
    if (!(t >= T0 && t <= T1)) return false;
    let lo = 0, hi = ts.length - 1;
    while (hi - lo > 1) { const m = (lo + hi) >> 1; if (ts[m]! <= t) lo = m; else hi = m; }
    const a = tr[lo]!, b = tr[hi]!;
    if (b[0]! - a[0]! > 0.15) return false;
    const w = (t - a[0]!) / (b[0]! - a[0]!);
    for (let k = 0; k < 3; k++) out[3 * o + k] = (1 - w) * a[k + 1]! + w * b[k + 1]!;
    return true;
  };
  console.log(`${camId}: ${N} labels, raw frames ${J[0]}..${J[N - 1]}; path ${T0.toFixed(1)}..${T1.toFixed(1)} s site time (${tr.length} knots); fx guess ${K.fx.toFixed(0)}`);

  // 1. Windows: best (rate, start) per window by DLT median.
  const Xb = new Float64Array(3 * NP), xb = new Float64Array(2 * NP), eb = new Float64Array(NP);
  const wins: Array<{ j0: number; t0: number; fps: number; med: number }> = [];
  const started = performance.now();
  for (let a = 0; a + W <= N; a += W) {
    const idx = Array.from({ length: NP }, (_, k) => a + Math.round((k * (W - 1)) / (NP - 1)));
    const j0 = J[a]!, span = J[a + W - 1]! - j0;
    for (let k = 0; k < NP; k++) { xb[2 * k] = xn[2 * idx[k]!]!; xb[2 * k + 1] = xn[2 * idx[k]! + 1]!; }
    let best = { j0, t0: NaN, fps: NaN, med: Infinity };
    for (let fps = fpsMin; fps <= fpsMax + 1e-9; fps += fpsStep) {
      for (let t0 = T0; t0 + span / fps <= T1; t0 += tStep) {
        let ok = true;
        for (let k = 0; k < NP && ok; k++) ok = at(t0 + (J[idx[k]!]! - j0) / fps, Xb, k);
        if (!ok) continue;
        dltErrors(Xb, xb, NP, eb);
        const med = median(eb) * K.fx;
        if (med < best.med) best = { j0, t0, fps, med };
      }
    }
    wins.push(best);
    console.log(`  labels ${String(a).padStart(5)}.. (raw ${j0}..${j0 + span}): best DLT median ${best.med.toFixed(1)} px at fps ${best.fps.toFixed(2)}, t(j0) ${best.t0.toFixed(2)} s`);
  }
  console.log(`  (${((performance.now() - started) / 1000).toFixed(0)} s)`);

  // 2. RANSAC line t = j/r + b through the windows' best starts.
  const good = wins.filter((w) => Number.isFinite(w.t0));
  let line = { a: NaN, b: NaN, inl: [] as typeof good };
  for (let p = 0; p < good.length; p++) {
    for (let q = p + 1; q < good.length; q++) {
      const A = (good[q]!.t0 - good[p]!.t0) / (good[q]!.j0 - good[p]!.j0);
      if (!(A > 1 / 40 && A < 1 / 10)) continue;
      const B = good[p]!.t0 - A * good[p]!.j0;
      const inl = good.filter((w) => Math.abs(w.t0 - (A * w.j0 + B)) < 0.5);
      if (inl.length > line.inl.length) line = { a: A, b: B, inl };
    }
  }
  if (line.inl.length >= 2) {
    // least squares on the inliers
    const n = line.inl.length;
    const mj = line.inl.reduce((s, w) => s + w.j0, 0) / n, mt = line.inl.reduce((s, w) => s + w.t0, 0) / n;
    let sjj = 0, sjt = 0;
    for (const w of line.inl) { sjj += (w.j0 - mj) ** 2; sjt += (w.j0 - mj) * (w.t0 - mt); }
    line.a = sjt / sjj; line.b = mt - line.a * mj;
    console.log(`line through ${n}/${good.length} windows: t_site = j/${(1 / line.a).toFixed(3)} ${line.b >= 0 ? '+' : '−'} ${Math.abs(line.b).toFixed(2)} s; window rates ${line.inl.map((w) => w.fps.toFixed(1)).join(', ')}`);
  } else console.log('no two windows agree on a line: no constant-rate time base found');

  // 3. Global DLT on every label inside the path with (a) the line, (b) t = j/nominal at its best offset.
  const globalMed = (tof: (j: number) => number): { med: number; n: number; w10: number } => {
    const X = new Float64Array(3 * N), x = new Float64Array(2 * N);
    let n = 0;
    for (let i = 0; i < N; i++) if (at(tof(J[i]!), X, n)) { x[2 * n] = xn[2 * i]!; x[2 * n + 1] = xn[2 * i + 1]!; n++; }
    if (n < 20) return { med: Infinity, n, w10: 0 };
    const e = new Float64Array(n);
    dltErrors(X, x, n, e);
    // two trimmed re-fits on the 60% best labels (interpolated or foreign labels do not pull)
    for (let pass = 0; pass < 2; pass++) {
      const thr = [...e].sort((p, q) => p - q)[Math.floor(0.6 * n)]!;
      const Xs = new Float64Array(3 * n), xs = new Float64Array(2 * n);
      let m = 0;
      for (let i = 0; i < n; i++) if (e[i]! <= thr) { Xs.set(X.subarray(3 * i, 3 * i + 3), 3 * m); xs.set(x.subarray(2 * i, 2 * i + 2), 2 * m); m++; }
      const P = dltFit(Xs, xs, m);
      dltApply(P, X, x, n, e);
    }
    let w10 = 0;
    for (let i = 0; i < n; i++) { e[i] = e[i]! * K.fx; if (e[i]! < 10) w10++; }
    return { med: median(e), n, w10: w10 / n };
  };
  if (line.inl.length >= 2) {
    const g = globalMed((j) => line.a * j + line.b);
    console.log(`global DLT (trimmed), time from the line: median ${g.med.toFixed(1)} px over ${g.n} labels, ${(100 * g.w10).toFixed(1)}% within 10 px`);
    // local search of (rate, time at the middle label) around the line, scored by the global DLT median
    const jm = 0.5 * (J[0]! + J[N - 1]!);
    let best = { med: g.med, fps: 1 / line.a, tm: line.a * jm + line.b, n: g.n, w10: g.w10 };
    for (const [dF, dT] of [[0.02, 0.1], [0.004, 0.02]] as const) {
      const c = { ...best };
      for (let a = -5; a <= 5; a++) for (let b = -5; b <= 5; b++) {
        const fps = c.fps + a * dF, tm = c.tm + b * dT;
        const r = globalMed((j) => tm + (j - jm) / fps);
        if (r.n > 0.8 * g.n && r.med < best.med) best = { med: r.med, fps, tm, n: r.n, w10: r.w10 };
      }
    }
    line.a = 1 / best.fps; line.b = best.tm - jm / best.fps;
    console.log(`refined: t_site = j/${best.fps.toFixed(3)} ${line.b >= 0 ? '+' : '−'} ${Math.abs(line.b).toFixed(2)} s: global DLT median ${best.med.toFixed(1)} px over ${best.n} labels, ${(100 * best.w10).toFixed(1)}% within 10 px`);
  }
  let bestNom = { med: Infinity, off: NaN, n: 0, w10: 0 };
  for (let off = T0 - J[N - 1]! / nominal; off <= T1 - J[0]! / nominal; off += 0.5) {
    const g = globalMed((j) => j / nominal + off);
    if (g.n > 2000 && g.med < bestNom.med) bestNom = { ...g, off };
  }
  console.log(`global DLT, t = j/${nominal} + offset (best of a 0.5-s grid): median ${bestNom.med.toFixed(1)} px over ${bestNom.n} labels at offset ${bestNom.off.toFixed(1)} s`);

  // 4. Table (comparison only): cam0 frame i = 59.94006·t; remapped 30-fps cam index k = α·i + β.
  const truthFile = join(D, 'sync-truth.json');
  if (existsSync(truthFile) && line.inl.length >= 2) {
    const tru = JSON.parse(readFileSync(truthFile, 'utf8')) as { cameras: Array<{ id: string }>; alpha: number[][]; beta: number[][] };
    const ci = tru.cameras.findIndex((c) => c.id === camId);
    const ref = tru.cameras[0]!.id;
    const fr0 = cfg.cameras.find((c) => c.id === ref)?.rtp_config.fps ?? 59.94006;
    const al = tru.alpha[0]![ci]!, be = tru.beta[0]![ci]!;
    const kOf = (t: number): number => al * fr0 * t + be;
    const jA = J[0]!, jB = J[N - 1]!;
    console.log(`table (${ref}→${camId}, remapped 30 fps index k): k − j = ${(kOf(line.a * jA + line.b) - jA).toFixed(0)} at raw ${jA}, ${(kOf(line.a * jB + line.b) - jB).toFixed(0)} at raw ${jB}; k at raw frame 1 = ${kOf(line.a + line.b).toFixed(1)} (a first frame at pts 0 would give ≈1); the table's implied rate of raw frames: ${(1 / line.a).toFixed(2)} raw/s against ${(al * fr0).toFixed(2)} remapped/s`);
  }
}

main();
