/**
 * The live online-calibration host (src/pipeline/live-calib.ts): a worker-thread refiner fed with
 * synthetic observations of a known rig whose claimed calibration is perturbed
 * (test/calib/synthetic.ts) must produce an accepted version closer to the truth, served by
 * GET /api/v1/calibration; a malformed batch and a worker crash are reported in the API view and
 * the server keeps answering.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Camera, type CameraParams } from '../../src/geometry/index.ts';
import { umeyama, applySimilarity } from '../../src/calib/solvers/index.ts';
import { parseSiteConfig } from '../../src/config/index.ts';
import { LiveCalibHost } from '../../src/pipeline/live-calib.ts';
import { LivePipeline, type LiveFrame } from '../../src/pipeline/live.ts';
import type { Detector } from '../../src/pipeline/detector.ts';
import { cameraParamsOf } from '../../src/calib/online/index.ts';
import { buildApi, MediaServer, type MediaServerOptions } from '../../src/server/index.ts';
import { onlineCalibration, type OnlineCalibrationView } from '../../src/server/calibration.ts';
import { Rng } from '../../src/util/rng.ts';
import { observe, rig, targetPath, type RigCamera, perturbedRig } from '../calib/synthetic.ts';
import { freeUdpPair, openWs, siteYaml, until as untilTrue } from '../server/helpers.ts';

const path2 = (s: number): [number, number, number] => { const p = targetPath(s + 37); return [p[0] - 40, p[1] + 35, p[2] + 12]; };


interface Errors { posM: number; fPct: number; clockMs: number }
type Cal = { id: string; intrinsics: { fx: number } | null; pose: { enu: number[] } | null; clock: { offset_ms: number } };
/** Against the truth: centres after the best similarity, focal lengths, clock offsets relative to camera 0. */
function errors(cal: readonly Cal[], truth: readonly Camera[]): Errors {
  const src: number[] = [], dst: number[] = [];
  cal.forEach((c, i) => { src.push(...c.pose!.enu); dst.push(truth[i]!.C[0]!, truth[i]!.C[1]!, truth[i]!.C[2]!); });
  const T = umeyama(src, dst)!;
  let posM = 0, fPct = 0, clockMs = 0;
  cal.forEach((c, i) => {
    const t = truth[i]!, C = applySimilarity(T, c.pose!.enu);
    posM = Math.max(posM, Math.hypot(C[0]! - t.C[0]!, C[1]! - t.C[1]!, C[2]! - t.C[2]!));
    fPct = Math.max(fPct, Math.abs(c.intrinsics!.fx / t.fx - 1) * 100);
    clockMs = Math.max(clockMs, Math.abs(c.clock.offset_ms - cal[0]!.clock.offset_ms - (t.clock.b - truth[0]!.clock.b) * 1000));
  });
  return { posM, fPct, clockMs };
}

/** Synthetic frame groups: every 1/15 s (the worker given time to keep up each second) of site time, the observations and tracker-like states (σ 0.3 px / 0.3 m) up to it. */
async function feed(host: LiveCalibHost, cams: RigCamera[], s0: number, s1: number, seed: number): Promise<void> {
  const truth = cams.map((c) => new Camera(c.params));
  const obs: Array<{ s: number; cam: number; track: number; tau: number; u: number; v: number }> = [];
  for (const [track, path] of [[1, targetPath], [2, path2]] as const) cams.forEach((c, i) => {
    const tr = observe(c, s0, s1, 0.3, seed + 10 * track + i, path);
    for (let k = 0; k < tr.t.length; k++) obs.push({ s: truth[i]!.clock.siteTime(tr.t[k]!), cam: i, track, tau: tr.t[k]!, u: tr.x[k]!, v: tr.y[k]! });
  });
  obs.sort((a, b) => a.s - b.s || a.cam - b.cam);
  const rng = new Rng(seed + 999);
  let q = 0, st = s0, n = 0;
  for (let g = s0; g <= s1 + 1e-9; g += 1 / 15) {
    for (; st <= g + 1e-9; st += 0.1) for (const [track, path] of [[1, targetPath], [2, path2]] as const) host.addTrackState({ trackId: track, t: st, enu: path(st).map((x) => x + 0.3 * rng.normal()) });
    while (q < obs.length && obs[q]!.s <= g) { const o = obs[q++]!; host.addObservation({ trackId: o.track, cam: o.cam, cameraTime: o.tau, u: o.u, v: o.v }); }
    host.tick(g);
    // Real time gives the worker a second per 15 groups; a synchronous loop would not, so wait for it each simulated second.
    if (++n % 15 === 0) await host.idle();
  }
}

async function serverFor(start: CameraParams[], pipeline: MediaServerOptions['pipeline'] = false) {
  const lines: string[] = [];
  for (const p of start) {
    const port = await freeUdpPair();
    const po = p.pose, k = p.intrinsics;
    lines.push(`- id: ${p.id}`, `  source: "rtp://127.0.0.1:${port}"`, `  rtp_config: {codec: h264, fps: 15, resolution: [${p.resolution![0]}, ${p.resolution![1]}]}`,
      `  pose: {enu: [${po.enu.join(', ')}], yaw: ${po.yaw}, pitch: ${po.pitch}, roll: ${po.roll}}`,
      `  intrinsics: {fx: ${k.fx}, fy: ${k.fy}, cx: ${k.cx}, cy: ${k.cy}, k1: ${k.k1 ?? 0}, k2: ${k.k2 ?? 0}}`,
      `  clock: {offset_ms: ${p.clock!.offset_ms}, drift_ppm: ${p.clock!.drift_ppm}}`);
  }
  const cfg = parseSiteConfig(siteYaml({ cameras: lines }), { baseDir: '/tmp' });
  assert.ok(cfg.ok, JSON.stringify(!cfg.ok && cfg.issues));
  return new MediaServer(cfg.value, { lanes: 1, pipeline });
}

test('worker-hosted refiner: an accepted version closer to the truth, served by GET /api/v1/calibration', async () => {
  const cams = rig();
  const truth = cams.map((c) => new Camera(c.params));
  const start = perturbedRig(cams, 5, 1.5, 0.4, 0.03, 30);
  const host = new LiveCalibHost(start, { windowS: 20, memoryS: 30, everyS: 5 });
  const srv = await serverFor(start);
  srv.start();
  const app = await buildApi(srv, { calibration: onlineCalibration(srv.config, Date.now(), host) });
  const accepted: number[] = [];
  host.onRecord((r) => { if (r.kind === 'accepted') accepted.push(r.version); });
  try {
    const r0 = (await app.inject({ method: 'GET', url: '/api/v1/calibration' })).json() as any;
    assert.equal(r0.current, 'config-1');
    assert.equal(r0.online.accepted, 0);
    await feed(host, cams, 100, 140, 1);
    await host.flush();
    const v = host.view();
    const res = await app.inject({ method: 'GET', url: '/api/v1/calibration' });
    assert.equal(res.statusCode, 200);
    const j = res.json() as any;
    const e0 = errors(r0.cameras, truth), eN = errors(j.cameras, truth);
    console.log(`live-calib: ${v.batches_done} batches, ${v.observations_sent} observations sent, ${v.observations_dropped} dropped; ${j.online.accepted} accepted / ${j.online.rejected} rejected; start ${JSON.stringify(e0)} → served ${JSON.stringify(eN)}`);
    assert.ok(accepted.length >= 1 && j.online.accepted >= 1, 'an accepted version');
    assert.equal(j.current, `online-${accepted[accepted.length - 1]}`);
    assert.equal(j.versions[0].version, 'config-1');
    assert.deepEqual(j.versions.slice(1).map((x: any) => x.version), accepted.map((n) => `online-${n}`));
    assert.ok(j.cameras.every((c: any) => c.version === j.current));
    assert.ok(e0.posM > 1 && e0.fPct > 2.5 && e0.clockMs > 15, JSON.stringify(e0));
    assert.ok(eN.posM < 0.5 * e0.posM && eN.fPct < 0.5 * e0.fPct && eN.clockMs < 0.5 * e0.clockMs, JSON.stringify(eN));
    assert.equal(j.online.state, 'running');
    assert.equal(j.online.batch_errors, 0);
  } finally {
    await host.close(); await app.close(); await srv.close(0);
  }
});

test('a malformed batch and a worker crash (no restarts allowed) are reported in the API view; the server keeps answering', async () => {
  const cams = rig();
  const start = cams.map((c) => c.params);
  const host = new LiveCalibHost(start, { maxRestarts: 0 });
  const srv = await serverFor(start);
  srv.start();
  const app = await buildApi(srv, { calibration: onlineCalibration(srv.config, Date.now(), host) });
  try {
    host.postRaw({ type: 'batch', seq: 0, t: 1, states: [], obs: [{ trackId: 1, cam: 9, cameraTime: 0, u: 1, v: 1 }] });
    host.postRaw({ type: 'batch', seq: 1, t: 'x', states: null, obs: null });
    await host.idle();
    let j = (await app.inject({ method: 'GET', url: '/api/v1/calibration' })).json() as any;
    assert.equal(j.online.batch_errors, 2);
    assert.match(j.online.last_error, /malformed batch/);
    assert.equal(j.online.state, 'running');
    assert.equal(j.current, 'config-1');
    host.postRaw({ type: 'crash' });
    await host.idle();
    await new Promise((r) => setTimeout(r, 200));
    const res = await app.inject({ method: 'GET', url: '/api/v1/calibration' });
    assert.equal(res.statusCode, 200);
    j = res.json() as any;
    assert.equal(j.online.state, 'crashed');
    assert.equal(j.online.restarts, 0);
    assert.equal(j.online.batches_lost, 1, 'the crash message itself was never answered');
    assert.match(j.online.last_error, /crash requested/);
    assert.equal(j.cameras.length, 4);
    host.addObservation({ trackId: 1, cam: 0, cameraTime: 0, u: 1, v: 1 });
    host.tick(2);
    assert.equal(host.view().batches_sent, 3, 'nothing posted to a dead worker');
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode < 500, true);
  } finally {
    await host.close(); await app.close(); await srv.close(0);
  }
});

test('a lagging worker: the open batch is capped, the excess is dropped and counted, tick never waits', async () => {
  const cams = rig();
  const host = new LiveCalibHost(cams.map((c) => c.params), { maxInFlight: 1, maxBatchObservations: 100 });
  try {
    // 3000 observations offered in 30 groups with no chance for the worker to answer in between.
    for (let g = 0; g < 30; g++) {
      for (let k = 0; k < 100; k++) host.addObservation({ trackId: 1, cam: k % 4, cameraTime: g, u: 600 + k, v: 300 });
      host.tick(g);
    }
    const v = host.view();
    assert.equal(v.batches_sent, 1, 'one batch in flight, the rest waits in the open batch');
    assert.equal(v.observations_sent, 100);
    assert.equal(v.observations_dropped, 3000 - 200, 'first batch 100 + open batch 100 kept');
    await host.flush();
    const w = host.view();
    assert.equal(w.observations_sent, 200);
    assert.equal(w.batch_errors, 0);
    assert.equal(w.state, 'running');
  } finally {
    await host.close();
  }
});

const until = async (what: string, ok: () => boolean, ms = 30000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await new Promise((r) => setTimeout(r, 20)); }
};

test('a crashed worker is restarted after a backoff and resumes from the last snapshot; past maxRestarts it stays crashed', async () => {
  const cams = rig();
  const truth = cams.map((c) => new Camera(c.params));
  const start = perturbedRig(cams, 5, 1.5, 0.4, 0.03, 30);
  const host = new LiveCalibHost(start, { windowS: 20, memoryS: 30, everyS: 5, maxRestarts: 2, restartBackoffMs: 100 });
  const srv = await serverFor(start);
  srv.start();
  const app = await buildApi(srv, { calibration: onlineCalibration(srv.config, Date.now(), host) });
  const api = async () => (await app.inject({ method: 'GET', url: '/api/v1/calibration' })).json() as any;
  try {
    await feed(host, cams, 100, 118, 1);
    await host.idle();
    const vA = host.view().snapshot!.version;
    const recordsA = host.view().snapshot!.versions.length;
    assert.ok(vA >= 1, `a version before the crash (${vA})`);
    // Crash 1: reported as restarting (the backoff holds the new worker back), then running again
    // with the same version, the same records and the next versions numbered on from it.
    host.postRaw({ type: 'crash' });
    await until('restarting', () => host.view().state === 'restarting');
    let j = await api();
    assert.equal(j.online.state, 'restarting');
    assert.equal(j.online.restarts, 1);
    assert.match(j.online.last_error, /crash requested/);
    assert.equal(j.current, `online-${vA}`, 'the last good version stays served');
    // Data offered while it restarts are kept for the new worker.
    host.addObservation({ trackId: 1, cam: 0, cameraTime: 118, u: 600, v: 300 });
    host.tick(118);
    assert.equal(host.view().batches_sent, host.view().batches_done + host.view().batches_lost, 'nothing posted while restarting');
    await until('running', () => host.view().state === 'running');
    j = await api();
    assert.equal(j.online.state, 'running');
    assert.equal(host.view().snapshot!.version, vA, 'resumed at the version it had');
    assert.equal(host.view().snapshot!.versions.length, recordsA, 'records carried over');
    await feed(host, cams, 118, 140, 2);
    await host.flush();
    const after = host.view().snapshot!;
    const accAfter = after.versions.filter((r) => r.kind === 'accepted' && r.version > vA);
    console.log(`restart: version ${vA} before the crash, ${after.version} after ${accAfter.length} more accepted; served error ${JSON.stringify(errors((await api()).cameras, truth))}`);
    assert.ok(accAfter.length >= 1, 'versions accepted after the restart');
    let v = 0;
    for (const r of after.versions) if (r.kind === 'accepted') { assert.equal(r.version, v + 1, 'version numbers carry on'); v = r.version; }
    const e0 = errors(start.map((p) => ({ id: p.id, intrinsics: p.intrinsics, pose: p.pose, clock: p.clock! })), truth), eN = errors((await api()).cameras, truth);
    assert.ok(eN.posM < 0.5 * e0.posM && eN.clockMs < 0.5 * e0.clockMs, JSON.stringify(eN));
    // Crash 2 (restart 2 of 2), then crash 3: no restart left.
    host.postRaw({ type: 'crash' });
    await until('restart 2', () => host.view().restarts === 2 && host.view().state === 'running');
    host.postRaw({ type: 'crash' });
    await until('crashed', () => host.view().state === 'crashed');
    await new Promise((r) => setTimeout(r, 500));
    j = await api();
    assert.equal(j.online.state, 'crashed');
    assert.equal(j.online.restarts, 2);
    assert.equal(j.current, `online-${after.version}`);
  } finally {
    await host.close(); await app.close(); await srv.close(0);
  }
});

test('LivePipeline calibAdopt: an accepted version reaches the detector at the next frame group, and that group is re-timed with the adopted clocks', async () => {
  const cams = rig();
  const truth = cams.map((c) => new Camera(c.params));
  const start = perturbedRig(cams, 5, 1.5, 0.4, 0.03, 30);
  const srv = await serverFor(start);
  const adoptedEvents: Array<[number, number]> = [];
  const pipe = new LivePipeline(srv, { calibAdopt: true, calibOnline: { windowS: 20, memoryS: 30, everyS: 5 }, epochUnixMs: 0, onCalibAdopted: (v, t) => adoptedEvents.push([v, t]) });
  const host = pipe.calib!;
  const detector = (pipe as unknown as { detector: Detector }).detector;
  const api = onlineCalibration(srv.config, Date.now(), host);
  try {
    await feed(host, cams, 100, 125, 1);
    await host.idle();
    const snap = host.view().snapshot!;
    assert.ok(snap.version >= 1, 'a version accepted');
    // Not yet in use: adoption waits for the next group boundary.
    assert.equal(pipe.adoptedVersion, 0);
    assert.equal((api.snapshot() as OnlineCalibrationView).online.in_use, 'config-1');
    assert.equal(detector.camera(1).clock.b, new Camera(start[1]!).clock.b);
    // One group with a frame of c2 (blank picture), timed as onDecoded times it before the adoption.
    const tau = new Camera(start[1]!).clock.cameraTime(126);
    const frame: LiveFrame = {
      cameraId: 'c2', camIndex: 1, siteTime: new Camera(start[1]!).clock.siteTime(tau), cameraTime: tau, captureUnixMs: tau * 1000, method: 'sender-report', uncertaintyMs: 0,
      rtpTimestamp: 0, arrivalUnixMs: 0, width: 1280, height: 720, data: new Uint8Array(1280 * 720),
    };
    const configuredSite = frame.siteTime;
    let released = 0;
    (pipe as unknown as { process(t: number, a: string, f: unknown[], c: boolean, s: number): void }).process(126, 'c2', [null, { camera: 'c2', t: frame.siteTime, atMs: 0, payload: { frame, release: () => released++ } }, null, null], false, 0);
    assert.equal(released, 1);
    assert.equal(pipe.adoptedVersion, snap.version);
    assert.deepEqual(adoptedEvents, [[snap.version, 126]]);
    assert.equal(host.view().in_use_version, snap.version);
    assert.equal((api.snapshot() as OnlineCalibrationView).online.in_use, `online-${snap.version}`);
    // Every camera of the detector is the accepted version's (projections of a point agree).
    const o1 = [0, 0, 0], o2 = [0, 0, 0];
    snap.current.forEach((cal, i) => {
      const want = new Camera(cameraParamsOf(cal, new Camera(start[i]!)));
      const got = detector.camera(i);
      assert.ok(got.projectInto(120, 230, 70, o1) && want.projectInto(120, 230, 70, o2));
      assert.ok(Math.hypot(o1[0]! - o2[0]!, o1[1]! - o2[1]!) < 1e-6, `camera ${cal.id}`);
      assert.equal(got.clock.b, want.clock.b);
    });
    // The frame was re-timed with the adopted clock, and that is closer to its true site time
    // (the truth's clocks; site time is c1's clock, which the reference keeps).
    const g = pipe.latestGroup!.frames[1]!;
    assert.equal(g.cameraTime, tau, 'camera time keeps its definition');
    assert.equal(g.siteTime, detector.camera(1).clock.siteTime(tau));
    const trueSite = truth[1]!.clock.siteTime(tau);
    console.log(`live adopt: version ${snap.version}; c2 frame site time vs truth: configured ${((configuredSite - trueSite) * 1000).toFixed(1)} ms → adopted ${((g.siteTime - trueSite) * 1000).toFixed(1)} ms`);
    assert.ok(Math.abs(g.siteTime - trueSite) < 0.25 * Math.abs(configuredSite - trueSite), 'closer to the true time');
  } finally {
    await pipe.close(); await srv.close(0);
  }
});

test("the server's own pipeline: accepted and adopted versions are 'calibration' events, pushed on /ws/stream-health", async () => {
  const cams = rig();
  const start = perturbedRig(cams, 5, 1.5, 0.4, 0.03, 30);
  const srv = await serverFor(start, { calibAdopt: true, calibOnline: { windowS: 20, memoryS: 30, everyS: 5 }, epochUnixMs: 0 });
  const events: Array<Record<string, unknown>> = [];
  srv.on('calibration', (e) => events.push({ ...e }));
  srv.start();
  const app = await buildApi(srv, { calibration: onlineCalibration(srv.config, Date.now(), srv.pipeline!.calib!) });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const { ws, messages } = await openWs(base.replace('http', 'ws') + '/ws/stream-health');
  const pipe = srv.pipeline!;
  try {
    await feed(pipe.calib!, cams, 100, 125, 1);
    await pipe.calib!.idle();
    const snap = pipe.calib!.view().snapshot!;
    const acc = snap.versions.filter((r) => r.kind === 'accepted');
    assert.ok(acc.length >= 1, 'a version accepted');
    // One event per accepted record, with the record's figures.
    assert.deepEqual(events.map((e) => [e.event, e.version, e.model, e.rmse_before_px, e.rmse_after_px]), acc.map((r) => ['accepted', r.version, r.model, r.rmse_before_px, r.rmse_after_px]));
    // Adoption at the next frame group (a blank c2 frame, as the adoption test above).
    const tau = new Camera(start[1]!).clock.cameraTime(126);
    const frame: LiveFrame = {
      cameraId: 'c2', camIndex: 1, siteTime: new Camera(start[1]!).clock.siteTime(tau), cameraTime: tau, captureUnixMs: tau * 1000, method: 'sender-report', uncertaintyMs: 0,
      rtpTimestamp: 0, arrivalUnixMs: 0, width: 1280, height: 720, data: new Uint8Array(1280 * 720),
    };
    (pipe as unknown as { process(t: number, a: string, f: unknown[], c: boolean, s: number): void }).process(126, 'c2', [null, { camera: 'c2', t: frame.siteTime, atMs: 0, payload: { frame, release: () => undefined } }, null, null], false, 0);
    assert.deepEqual(events.at(-1)!.event, 'adopted');
    assert.equal(events.at(-1)!.version, snap.version);
    assert.equal(events.at(-1)!.t, 126);
    // The same events on the WebSocket, stamped.
    assert.ok(await untilTrue(() => messages.filter((m) => m.type === 'calibration').length === events.length, 3000), JSON.stringify(messages.filter((m) => m.type === 'calibration')));
    const wsCal = messages.filter((m) => m.type === 'calibration');
    assert.deepEqual(wsCal.map((m) => [m.event, m.version]), events.map((e) => [e.event, e.version]));
    assert.match(String(wsCal[0]!.timestamp), /Z$/);
  } finally {
    ws.close();
    await app.close();
    await srv.close(0);
  }
});
