/**
 * Adoption of online calibration versions by the detector (Detector.setCameras, DetectCalibration
 * `adopt`), on the synthetic 4-camera rig of test/calib/synthetic.ts whose configured cameras are
 * perturbed from the truth. The frames are the targets' true projections (true cameras, true
 * clocks) as small blobs of cast pixels; the pipeline runs with the perturbed cameras, exactly as
 * `dvs detect --calib-adopt` wires it (offline.ts: refine per frame, adopt right after the next
 * fusion tick). The judge is the truth: each detection against the true target position at its
 * time, not anything the pipeline computed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera, type CameraParams } from '../../src/geometry/index.ts';
import { DetectCalibration, type OnlineRefinerOptions } from '../../src/calib/online/index.ts';
import { Detector, type Detection } from '../../src/pipeline/detector.ts';
import { TrackStage } from '../../src/pipeline/tracks.ts';
import type { SiteCamera } from '../../src/pipeline/cameras.ts';
import type { PixelList } from '../../src/preprocess/index.ts';
import { applySimilarity, umeyama } from '../../src/calib/solvers/index.ts';
import { rig, targetPath, type RigCamera, perturbedRig } from '../calib/synthetic.ts';
import { tmpDir } from '../helpers/tmp.ts';

const path2 = (s: number): [number, number, number] => { const p = targetPath(s + 37); return [p[0] - 40, p[1] + 35, p[2] + 12]; };
const PATHS = [targetPath, path2];


interface Frame { cam: number; tau: number; cast: PixelList }

/**
 * Every camera's frames (camera time k/fps) over true site time [s0, s1]: each target's true
 * projection at the frame's true time as a 3×3 blob of cast pixels (energies from a Gaussian of
 * σ 0.6 px about the sub-pixel point, so the blob's centroid lies within ~0.1 px of it).
 */
function frames(cams: RigCamera[], s0: number, s1: number): Frame[] {
  const out: Frame[] = [];
  const o = [0, 0, 0];
  cams.forEach((rc, i) => {
    const cam = new Camera(rc.params);
    const k0 = Math.ceil(cam.clock.cameraTime(s0) * rc.fps), k1 = Math.floor(cam.clock.cameraTime(s1) * rc.fps);
    for (let k = k0; k <= k1; k++) {
      const tau = k / rc.fps, s = cam.clock.siteTime(tau);
      const index: number[] = [], energy: number[] = [];
      for (const path of PATHS) {
        const p = path(s);
        if (!cam.projectInto(p[0], p[1], p[2], o) || !cam.inImage(o[0]!, o[1]!)) continue;
        const u0 = Math.round(o[0]!), v0 = Math.round(o[1]!);
        for (let dv = -1; dv <= 1; dv++) for (let du = -1; du <= 1; du++) {
          const u = u0 + du, v = v0 + dv;
          if (u < 0 || v < 0 || u >= cam.width || v >= cam.height) continue;
          index.push(v * cam.width + u);
          energy.push(60 * Math.exp(-((u - o[0]!) ** 2 + (v - o[1]!) ** 2) / (2 * 0.6 ** 2)));
        }
      }
      out.push({ cam: i, tau, cast: { count: index.length, index: Uint32Array.from(index), energy: Float32Array.from(energy) } });
    }
  });
  return out;
}

/**
 * The point of the nearer target's true path over the 0.2 s before time t (site time = the
 * reference camera's clock) closest to p: a tick fuses the rays of the last frames, so a
 * detection lags the target by up to a frame or two (~1–2 m at these speeds) along its path; the
 * distance to the recent path leaves what the geometry gets wrong.
 */
function truthPoint(t: number, p: ArrayLike<number>): [number, number, number] {
  let best = Infinity, at: [number, number, number] = [NaN, NaN, NaN];
  for (const path of PATHS) for (let k = 0; k <= 40; k++) {
    const q = path(t - 0.005 * k), e = Math.hypot(p[0]! - q[0], p[1]! - q[1], p[2]! - q[2]);
    if (e < best) { best = e; at = q; }
  }
  return at;
}

/**
 * Errors of detections against the truth: absolute (ENU), and after the best similarity of the
 * detections onto the true paths (what the images can determine: the site frame of a calibration
 * refined from images alone is fixed by the claimed one, docs/CALIB-ONLINE.md, gauge). The
 * similarity is found ICP-style: pair each detection with its true point, fit, pair the mapped
 * detections again (8 rounds), so that a frame error is not mistaken for lag along the path.
 * Detections more than 20 m from any target are left out (none expected).
 */
function truthErrors(ds: readonly Detection[]): { abs: number[]; sim: number[] } {
  const kept: Detection[] = [], abs: number[] = [];
  for (const d of ds) {
    const q = truthPoint(d.t, d.enu), e = Math.hypot(d.enu[0] - q[0], d.enu[1] - q[1], d.enu[2] - q[2]);
    if (e < 20) { kept.push(d); abs.push(e); }
  }
  if (kept.length < 3) return { abs, sim: [] };
  const src = kept.flatMap((d) => d.enu);
  let sim: number[] = abs;
  let T: ReturnType<typeof umeyama> = null;
  for (let round = 0; round < 8; round++) {
    const dst: number[] = [];
    sim = kept.map((d) => {
      const p = T ? applySimilarity(T, d.enu) : d.enu, q = truthPoint(d.t, p);
      dst.push(...q);
      return Math.hypot(p[0]! - q[0], p[1]! - q[1], p[2]! - q[2]);
    });
    T = umeyama(src, dst);
    if (!T) break;
  }
  return { abs, sim };
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)]! : NaN; };

interface Run { dets: Detection[]; adoptedAt: number[]; adopted: number[]; version: number }

/** The offline wiring (offline.ts, in-thread order): frames in site-time order under the detector's current clocks, refine per frame, adopt after the next tick. */
function run(start: CameraParams[], cams: RigCamera[], s0: number, s1: number, outDir: string, adopt: boolean, opts: OnlineRefinerOptions): Run {
  const site: SiteCamera[] = start.map((p, i) => ({ index: i, id: p.id, camera: new Camera(p), fps: cams[i]!.fps }));
  const stage = new TrackStage({ cameras: new Map(site.map((c) => [c.id, [c.camera.C[0]!, c.camera.C[1]!, c.camera.C[2]!]])) });
  const online = new DetectCalibration(site, outDir, opts, { adopt });
  const dets: Detection[] = [];
  const adoptedAt: number[] = [];
  const detector = new Detector(site, { min: [-80, 40, 0], max: [280, 440, 160], voxel_m: 2 }, {
    frontEnds: false,
    peaks: { maxRayErrorPx: 12, refineSearchPx: 6 },
    onTick: (t, ds) => {
      for (const d of ds) dets.push(d);
      const r = stage.tick(t, ds);
      online.tracks(r.tracks);
      const a = adopt ? online.takeAdoption() : null;
      if (a) { detector.setCameras(a); adoptedAt.push(t); }
    },
  });
  const queue = frames(cams, s0, s1);
  const siteTime = (f: Frame) => detector.camera(f.cam).clock.siteTime(f.tau);
  // Per camera in camera-time order; merged by the site time under the clocks in use at each step (as offline.ts).
  const lanes = cams.map((_, i) => queue.filter((f) => f.cam === i).sort((a, b) => a.tau - b.tau));
  const head = lanes.map(() => 0);
  for (;;) {
    let k = -1;
    for (let i = 0; i < lanes.length; i++) if (head[i]! < lanes[i]!.length && (k < 0 || siteTime(lanes[i]![head[i]!]!) < siteTime(lanes[k]![head[k]!]!))) k = i;
    if (k < 0) break;
    const f = lanes[k]![head[k]!++]!;
    const st = siteTime(f);
    detector.pushCast(f.cam, f.tau, st, f.cast);
    online.frame(f.cam, f.tau, st, detector.lastCast(f.cam), stage.liveTracks());
  }
  for (const d of detector.flush()) dets.push(d);
  const snap = online.finish();
  detector.close(); stage.close();
  return { dets, adoptedAt, adopted: [...online.adopted], version: snap.version };
}

const OPTS: OnlineRefinerOptions = { windowS: 20, memoryS: 30, everyS: 5, now: () => Date.UTC(2026, 0, 1) };
const S0 = 100, S1 = 145;

/** The same perturbed rig with and without adoption: medians of the truth errors before the first adoption and, in both runs, after the last one. */
function compare(t: { after: (fn: () => void) => void }, start: CameraParams[], cams: RigCamera[], label: string, floor = false) {
  const on = run(start, cams, S0, S1, tmpDir(t), true, OPTS);
  const off = run(start, cams, S0, S1, tmpDir(t), false, OPTS);
  const first = on.adoptedAt[0] ?? Infinity, last = on.adoptedAt[on.adoptedAt.length - 1] ?? Infinity;
  const span = (ds: Detection[], a: number, b: number) => truthErrors(ds.filter((d) => d.t >= a && d.t < b));
  const r = {
    on, off,
    before: span(on.dets, S0, first), after: span(on.dets, last + 1, S1 + 1), control: span(off.dets, last + 1, S1 + 1),
    floor: floor ? span(run(perturbedRig(cams, 5, 0, 0, 0, 0), cams, S0, S1, tmpDir(t), false, OPTS).dets, last + 1, S1 + 1) : null,
  };
  const f = (e: { abs: number[]; sim: number[] }) => `${median(e.abs).toFixed(2)} m / ${median(e.sim).toFixed(2)} m (${e.abs.length})`;
  console.log(`${label}: versions ${on.adopted.join(', ')} adopted at t ${on.adoptedAt.map((x) => x.toFixed(2)).join(', ')} (final version ${on.version}); ` +
    `detection error vs truth, median absolute / after a similarity (detections): before ${f(r.before)}; after the last adoption ${f(r.after)}; ` +
    `same span without adoption ${f(r.control)}${r.floor ? `; with the true calibration ${f(r.floor)}` : ''}`);
  assert.ok(on.adopted.length >= 1, 'at least one version adopted');
  assert.deepEqual(on.adopted, [...on.adopted].sort((a, b) => a - b), 'versions adopted in order');
  assert.equal(off.adopted.length, 0);
  assert.ok(r.before.abs.length > 50 && r.after.abs.length > 50 && r.control.abs.length > 50, `enough detections: ${r.before.abs.length}, ${r.after.abs.length}, ${r.control.abs.length}`);
  return r;
}

test('adoption, reference camera surveyed and the others claimed off: detections come closer to the true positions', (t) => {
  const cams = rig();
  // Camera c1 (the reference) exact; c2–c4 claimed 0.5 m and 0.2° off, f +1.5 %, clocks +24 / −30 / +36 ms.
  const r = compare(t, perturbedRig(cams, 5, 0.5, 0.2, 0.015, 30, true), cams, 'adopt (c1 exact)', true);
  const m = (xs: number[]) => median(xs);
  assert.ok(m(r.after.abs) < 0.7 * m(r.control.abs), `absolute: after ${m(r.after.abs)} m vs the same span unadopted ${m(r.control.abs)} m`);
  assert.ok(m(r.after.abs) < 0.8 * m(r.before.abs), `absolute: after ${m(r.after.abs)} m vs before ${m(r.before.abs)} m`);
  assert.ok(m(r.after.sim) < 0.5 * m(r.control.sim), `after a similarity: ${m(r.after.sim)} m vs unadopted ${m(r.control.sim)} m`);
});

test('adoption, every camera claimed off: geometry as good as the truth\'s up to a similarity; the site frame stays the claims\'', (t) => {
  const cams = rig();
  // Every camera claimed 1 m and 0.2° off, f +1.5 %, clocks of c2–c4 ±24–36 ms. The refined
  // frame is fixed by the claims (gauge 'reference': c1's claimed pose and its claimed distance
  // to the farthest camera), ~0.2° and 0.7 % from the truth: nothing in the images can fix that.
  const r = compare(t, perturbedRig(cams, 5, 1.0, 0.2, 0.015, 30), cams, 'adopt (all off)');
  const m = (xs: number[]) => median(xs);
  assert.ok(m(r.after.sim) < 0.75 * m(r.control.sim), `after a similarity: ${m(r.after.sim)} m vs unadopted ${m(r.control.sim)} m`);
  assert.ok(m(r.after.sim) < 0.45, `after a similarity: ${m(r.after.sim)} m (the true calibration: ~0.33 m)`);
  assert.ok(m(r.after.abs) < 1.1 * m(r.control.abs), `absolute: after ${m(r.after.abs)} m vs unadopted ${m(r.control.abs)} m (the frame error stays)`);
});
