/** Classifier and alert engine costs: one full classification, a 50-track stream, alert updates. */
import { AlertEngine, zoneFromEnu, type TrackUpdate } from '../src/alerts/index.ts';
import { classifyTrack, TrackClassifier, type IntensitySeries, type TrackHistory } from '../src/classify/index.ts';
import { Rng } from '../src/util/rng.ts';

export function benchClassify(): Record<string, number> {
  const rng = new Rng(9);
  // One 8 s window: 30 Hz fixes, 4 cameras at 30 fps with contrast and area (8 periodogram channels).
  const t = Array.from({ length: 240 }, (_, k) => k / 30);
  const history: TrackHistory = { t, enu: t.map((x) => [5 * x + rng.normal(), 800 + rng.normal(), 60 + rng.normal()]) };
  const sigs: IntensitySeries[] = [0, 1, 2, 3].map((c) => ({
    camera: `cam0${c + 1}`, t: t.map((x) => x + 0.003 * c),
    contrast: t.map((x) => -50 * (1 + 0.2 * Math.cos(2 * Math.PI * 6 * x + c)) + 4 * rng.normal()),
    areaPx: t.map((x) => 30 * (1 + 0.3 * Math.cos(2 * Math.PI * 6 * x + c))), rangeM: 800,
  }));
  for (let i = 0; i < 5; i++) classifyTrack(history, sigs);
  let t0 = performance.now();
  const N = 40;
  for (let i = 0; i < N; i++) classifyTrack(history, sigs);
  const fullMs = (performance.now() - t0) / N;
  const cut = (x: IntensitySeries): IntensitySeries => ({ ...x, t: x.t.slice(120), contrast: x.contrast.slice(120), areaPx: x.areaPx!.slice(120) });
  const sigs4 = sigs.map(cut);
  t0 = performance.now();
  for (let i = 0; i < N; i++) classifyTrack(history, sigs4);
  const flick4Ms = (performance.now() - t0) / N;

  // 50 tracks, 4 cameras each, 30 fps for 10 s, classify() every frame (recomputes once per second;
  // the defaults: 8 s of path, 4 s of intensity).
  const tc = new TrackClassifier();
  const tracks = 50, frames = 300;
  t0 = performance.now();
  for (let k = 0; k < frames; k++) {
    const tk = k / 30;
    for (let j = 0; j < tracks; j++) {
      const id = `t${j}`;
      tc.addPosition(id, tk, [j * 10 + 5 * tk, 500, 50]);
      for (let c = 0; c < 4; c++) tc.addSignature(id, { camera: `cam0${c}`, t: tk, contrast: -50 + 4 * rng.normal(), areaPx: 20 + rng.normal() });
      tc.classify(id, tk);
    }
  }
  const streamMsPerFrame = (performance.now() - t0) / frames;

  // Alert engine: 3 zones (a 64-gon with a hole, a square, a two-part MultiPolygon), 50 tracks.
  const gon: [number, number][] = Array.from({ length: 64 }, (_, i) => [300 * Math.cos((i * Math.PI) / 32), 300 * Math.sin((i * Math.PI) / 32)]);
  const hole: [number, number][] = [[-50, -50], [-50, 50], [50, 50], [50, -50]];
  const zones = [
    zoneFromEnu({ id: 'ring', ceiling_m: 200, polygons: [[gon, hole]], alert_on: ['enter', 'loiter', 'exit'] }),
    zoneFromEnu({ id: 'sq', ceiling_m: 120, polygons: [[[[400, 0], [500, 0], [500, 100], [400, 100]]]] }),
    zoneFromEnu({ id: 'multi', ceiling_m: 120, polygons: [[[[-500, 0], [-400, 0], [-400, 100]]], [[[-500, 200], [-400, 200], [-400, 300]]]] }),
  ];
  const eng = new AlertEngine(zones);
  const ups: TrackUpdate[] = [];
  for (let k = 0; k < 600; k++) {
    for (let j = 0; j < 50; j++) {
      const a = (j / 50) * 2 * Math.PI;
      ups.push({ t: k / 30, track_id: j, status: 'confirmed', enu: [(-600 + 2 * k) * Math.cos(a), (-600 + 2 * k) * Math.sin(a), 60], class: 'drone', confidence: 0.9 });
    }
  }
  t0 = performance.now();
  let alerts = 0;
  for (const u of ups) alerts += eng.update(u).length;
  const updPerS = ups.length / ((performance.now() - t0) / 1000);
  if (alerts < 0) console.log('');
  return { 'classify.full_8s_4cam_ms': fullMs, 'classify.track_8s_flicker_4s_4cam_ms': flick4Ms, 'classify.stream_50_tracks_ms_per_frame': streamMsPerFrame, 'alerts.updates_per_s_3_zones': updPerS };
}
