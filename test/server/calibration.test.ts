/**
 * GET /api/v1/calibration: the site config's calibration (values written in the YAML below,
 * compared field by field), one version stamped with the server's start; a provider passed to
 * buildApi (what an online refiner plugs in) is served as it answers. Also the pipeline routes
 * when the live pipeline is not attached, and the OpenAPI document listing the new routes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSiteConfig } from '../../src/config/index.ts';
import { buildApi, MediaServer, type CalibrationSnapshot } from '../../src/server/index.ts';
import { freeUdpPair, siteYaml } from './helpers.ts';

async function server(cameras: string[], opts: ConstructorParameters<typeof MediaServer>[1] = {}) {
  const cfg = parseSiteConfig(siteYaml({ cameras }), { baseDir: '/tmp' });
  assert.ok(cfg.ok, JSON.stringify(!cfg.ok && cfg.issues));
  const srv = new MediaServer(cfg.value, { lanes: 1, ...opts });
  return srv;
}

async function get(app: Awaited<ReturnType<typeof buildApi>>, path: string) {
  const r = await app.inject({ method: 'GET', url: path });
  return { status: r.statusCode, json: r.json() as any };
}

test('calibration from the site config: intrinsics, pose, clock per enabled camera, one config version', async () => {
  const [pa, pb] = [await freeUdpPair(), await freeUdpPair()];
  const srv = await server([
    '- id: camA', `  source: "rtp://127.0.0.1:${pa}"`, '  rtp_config: {codec: h264, fps: 15, resolution: [640, 480]}',
    '  pose: {enu: [10, -5, 3.5], yaw: 30, pitch: 12, roll: -1}', '  intrinsics: {fx: 800, fy: 790, cx: 320, cy: 240, k1: -0.1, k2: 0.02, p1: 0.001}',
    '  clock: {offset_ms: 400, drift_ppm: 12}',
    '- id: camB', `  source: "rtp://127.0.0.1:${pb}"`,
    '  approx_pose: {enu: [0, 0, 2], yaw: 180, pitch: 5}', '  intrinsics_guess: {fx: 1000, fy: 1000, cx: 960, cy: 540}',
    '- id: off', '  enabled: false', '  source: "file:x.mkv"',
  ], { pipeline: false });
  const before = Date.now();
  srv.start();
  const app = await buildApi(srv);
  try {
    const { status, json } = await get(app, '/api/v1/calibration');
    assert.equal(status, 200);
    const snap = json as CalibrationSnapshot;
    assert.equal(snap.current, 'config-1');
    assert.deepEqual(snap.cameras, [
      {
        id: 'camA', intrinsics: { fx: 800, fy: 790, cx: 320, cy: 240, k1: -0.1, k2: 0.02, p1: 0.001, p2: 0, k3: 0 }, intrinsics_source: 'intrinsics',
        pose: { enu: [10, -5, 3.5], yaw: 30, pitch: 12, roll: -1 }, pose_source: 'pose', clock: { offset_ms: 400, drift_ppm: 12 }, resolution: [640, 480], version: 'config-1',
      },
      {
        id: 'camB', intrinsics: { fx: 1000, fy: 1000, cx: 960, cy: 540, k1: 0, k2: 0, p1: 0, p2: 0, k3: 0 }, intrinsics_source: 'intrinsics_guess',
        pose: { enu: [0, 0, 2], yaw: 180, pitch: 5, roll: 0 }, pose_source: 'approx_pose', clock: { offset_ms: 0, drift_ppm: 0 }, resolution: null, version: 'config-1',
      },
    ]);
    assert.equal(snap.versions.length, 1);
    const v = snap.versions[0]!;
    assert.equal(v.version, 'config-1');
    assert.equal(v.source, 'config');
    assert.deepEqual(v.cameras, ['camA', 'camB']);
    const created = Date.parse(v.created_at);
    assert.ok(created >= before - 5 && created <= Date.now(), v.created_at);
    // JSON all the way (what an online refiner's snapshot must be too).
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);

    // The live pipeline is off here: the routes say so rather than fail.
    const p = await get(app, '/api/v1/pipeline');
    assert.deepEqual(p.json, { enabled: false, reason: 'disabled' });
    assert.deepEqual((await get(app, '/api/v1/tracks')).json, { enabled: false, t: null, epoch_unix_ms: null, tracks: [] });
    assert.deepEqual((await get(app, '/api/v1/detections?since=3')).json, { enabled: false, epoch_unix_ms: null, detections: [] });
    assert.equal((await get(app, '/api/v1/detections?since=abc')).status, 400);
    const paths = Object.keys((await get(app, '/api/v1/openapi.json')).json.paths);
    for (const route of ['/api/v1/calibration', '/api/v1/pipeline', '/api/v1/tracks', '/api/v1/detections']) assert.ok(paths.includes(route), route);
  } finally {
    await app.close();
    await srv.close(0);
  }
});

test('a calibration provider passed to buildApi is served as it answers (versions of an online refiner)', async () => {
  const srv = await server(['- id: camA', `  source: "rtp://127.0.0.1:${await freeUdpPair()}"`], { pipeline: false });
  srv.start();
  let calls = 0;
  const snapshot = (): CalibrationSnapshot => {
    calls++;
    return {
      current: `online-${calls}`,
      cameras: [{ id: 'camA', intrinsics: null, intrinsics_source: null, pose: null, pose_source: null, clock: { offset_ms: 12.5 * calls, drift_ppm: 0 }, resolution: null, version: `online-${calls}` }],
      versions: [
        { version: 'config-1', source: 'config', created_at: '2026-12-01T00:00:00.000Z', cameras: ['camA'] },
        { version: `online-${calls}`, source: 'online', created_at: '2026-12-01T00:01:00.000Z', cameras: ['camA'], note: 'window 60 s' },
      ],
    };
  };
  const app = await buildApi(srv, { calibration: { snapshot } });
  try {
    const a = (await get(app, '/api/v1/calibration')).json;
    const b = (await get(app, '/api/v1/calibration')).json;
    assert.equal(a.current, 'online-1');
    assert.equal(b.current, 'online-2'); // asked afresh on every request
    assert.equal(b.cameras[0].clock.offset_ms, 25);
    assert.deepEqual(b.versions.map((v: { version: string }) => v.version), ['config-1', 'online-2']);
  } finally {
    await app.close();
    await srv.close(0);
  }
});

test("pipeline 'auto' stays off, with the reason, when a live camera lacks geometry; true refuses to start", async () => {
  const cams = ['- id: camA', `  source: "rtp://127.0.0.1:${await freeUdpPair()}"`, '  rtp_config: {codec: h264, fps: 15}', '  pose: {enu: [0, 0, 2], yaw: 0, pitch: 10}'];
  const srv = await server(cams);
  srv.start();
  try {
    assert.equal(srv.pipeline, null);
    assert.equal(srv.pipelineState.enabled, false);
    assert.match(srv.pipelineState.reason!, /camA: no intrinsics, rtp_config\.resolution/);
  } finally {
    await srv.close(0);
  }
  const strict = await server(cams, { pipeline: true });
  assert.throws(() => strict.start(), /camA: no intrinsics/);
  await strict.close(0);
});
