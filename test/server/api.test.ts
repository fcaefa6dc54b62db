/**
 * The API against a running media server on loopback: two real FFmpeg H.264 senders and one RTSP
 * camera with credentials whose server is down. Shapes of spec 5.1, state changes through REST,
 * /ws/stream-health snapshots and events over a real WebSocket, 404/400/413/429 paths, no
 * credential text in any answer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import { parseSiteConfig } from '../../src/config/index.ts';
import { buildApi, MediaServer } from '../../src/server/index.ts';
import { closedTcpPort, ffmpegSender, freeUdpPair, killAll, openWs, siteYaml, sleep, until } from './helpers.ts';

const PASSWORD = 'Sup3rSecretPw';
let srv: MediaServer;
let app: FastifyInstance;
let base = '';
const procs: ChildProcess[] = [];

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { json = null; }
  assert.ok(!text.includes(PASSWORD), `credential in ${method} ${path}`);
  return { status: res.status, json, text };
}

before(async () => {
  const [pa, pb] = [await freeUdpPair(), await freeUdpPair()];
  const dead = await closedTcpPort();
  const cfg = parseSiteConfig(siteYaml({
    media: ['connection_timeout_ms: 1500', 'reconnect_attempts: 20', 'reconnect_backoff_ms: [200, 400]', 'load_balancing: {strategy: least_loaded, health_check_interval_ms: 250}'],
    cameras: [
      '- id: camA', `  source: "rtp://127.0.0.1:${pa}"`, '  rtp_config: {codec: h264, fps: 15, priority: high}',
      '- id: camB', `  source: "rtp://127.0.0.1:${pb}"`, '  rtp_config: {codec: h264}',
      '- id: camC', `  source: "rtsp://admin:${PASSWORD}@127.0.0.1:${dead}/stream1"`, '  rtp_config: {priority: low}',
      '- id: offline', '  source: "file:recorded.mp4"',
    ],
  }), { baseDir: '/tmp' });
  assert.ok(cfg.ok, JSON.stringify(!cfg.ok && cfg.issues));
  srv = new MediaServer(cfg.value, { lanes: 2, manager: { metricsWindowMs: 2000 } });
  srv.start();
  app = await buildApi(srv, { healthPushMs: 300, rateLimitMax: 40 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  procs.push(ffmpegSender(pa, { seconds: 60 }), ffmpegSender(pb, { seconds: 60 }));
  assert.ok(await until(() => srv.snapshot('camA').state === 'active' && srv.snapshot('camB').state === 'active', 15000), 'camA and camB active');
  await until(() => (srv.snapshot('camA').metrics.fps ?? 0) > 0 && srv.snapshot('camA').metrics.resolution !== null, 5000);
});

after(async () => {
  await killAll(procs);
  await app?.close();
  await srv?.close(0);
});

test('GET /api/v1/streams: spec 5.1 shape, file: camera not served, credentials redacted', async () => {
  const { status, json } = await call('GET', '/api/v1/streams');
  assert.equal(status, 200);
  assert.deepEqual(json.streams.map((s: any) => s.id), ['camA', 'camB', 'camC']);
  const a = json.streams[0];
  assert.equal(a.status, 'active');
  assert.equal(a.codec, 'h264');
  assert.deepEqual(a.resolution, [160, 120]); // testsrc2=size=160x120
  assert.deepEqual(a.metrics.current_resolution, [160, 120]);
  assert.equal(a.metrics.current_fps, 15); // RTP timestamps of a 15 fps source: (n − 1)·90000 / Δts
  assert.equal(a.priority, 'high');
  assert.equal(typeof a.health_score, 'number');
  assert.ok(a.health_score >= 0 && a.health_score <= 100);
  for (const k of ['packet_loss_rate', 'jitter_ms', 'frame_drop_rate', 'network_latency_ms', 'current_bitrate_kbps']) assert.ok(k in a.metrics, k);
  assert.equal(a.metrics.packet_loss_rate, 0); // loopback, nothing injected
  assert.ok(a.metrics.current_bitrate_kbps > 0);
  assert.match(a.last_frame_timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Math.abs(Date.parse(a.last_frame_timestamp) - Date.now()) < 5000);
  assert.ok(a.uptime_seconds >= 0);
  const c = json.streams[2];
  assert.equal(c.kind, 'rtsp');
  assert.ok(c.source.startsWith('rtsp://') && !c.source.includes('admin'), c.source);
  assert.ok(['connecting', 'reconnecting', 'failed'].includes(c.status), c.status);
  assert.equal(c.health_score, 0); // not active → 0 by the score's state rule
  const one = await call('GET', '/api/v1/streams/camB');
  assert.equal(one.status, 200);
  assert.equal(one.json.id, 'camB');
  assert.equal(one.json.status, 'active');
});

test('stop, start, restart through REST change the state', async () => {
  let r = await call('POST', '/api/v1/streams/camB/stop');
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'stopped');
  assert.equal((await call('GET', '/api/v1/streams/camB')).json.status, 'stopped');
  r = await call('POST', '/api/v1/streams/camB/start');
  assert.equal(r.status, 200);
  assert.ok(['connecting', 'active'].includes(r.json.status), r.json.status);
  assert.ok(await until(async () => (await call('GET', '/api/v1/streams/camB')).json.status === 'active', 8000), 'camB active after start');
  const events: string[] = [];
  const off = srv.on('state', (e) => { if (e.id === 'camB') events.push(e.to); });
  r = await call('POST', '/api/v1/streams/camB/restart');
  assert.equal(r.status, 200);
  assert.ok(await until(() => events.at(-1) === 'active', 8000), events.join(','));
  off();
  assert.deepEqual(events.slice(0, 2), ['stopped', 'connecting']);
});

test('404 for unknown streams and routes, 400 for bad ids, JSON errors', async () => {
  let r = await call('GET', '/api/v1/streams/nope');
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'STREAM_UNKNOWN');
  r = await call('POST', '/api/v1/streams/nope/restart');
  assert.equal(r.status, 404);
  r = await call('PATCH', '/api/v1/streams/nope/config', { rtp_config: { fps: 10 } });
  assert.equal(r.status, 404);
  r = await call('GET', '/api/v1/streams/offline'); // a file: camera is not a live stream
  assert.equal(r.status, 404);
  r = await call('GET', '/api/v1/nothing-here');
  assert.equal(r.status, 404);
  assert.equal(r.json.error.code, 'NOT_FOUND');
  r = await call('GET', `/api/v1/streams/${'x'.repeat(100)}`);
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'BAD_REQUEST');
});

test('configure: validated like site.yaml, 400 naming the field; a valid change applies', async () => {
  let r = await call('PATCH', '/api/v1/streams/camA/config', { rtp_config: { fps: -5 } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'INVALID_CONFIG');
  assert.equal(r.json.error.field, 'rtp_config.fps');
  r = await call('PATCH', '/api/v1/streams/camA/config', { rtp_config: { bitrate: 10 } });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /bitrate/);
  r = await call('POST', '/api/v1/streams/camA/configure', { rtp_config: { priority: 'urgent' } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'rtp_config.priority');
  r = await call('PATCH', '/api/v1/streams/camA/config', { id: 'other' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'id');
  r = await call('PUT', '/api/v1/streams/camA/config', { rtp_config: { codec: 'h264' } }); // PUT without a source
  assert.equal(r.status, 400);
  r = await call('PATCH', '/api/v1/streams/camA/config', { source: 'file:x.mp4' });
  assert.equal(r.status, 400);
  r = await call('PATCH', '/api/v1/streams/camA/config', '[1,2');
  assert.equal(r.status, 400);
  r = await call('PATCH', '/api/v1/streams/camA/config', '"just a string"');
  assert.equal(r.status, 400);
  r = await call('PATCH', '/api/v1/streams/camA/config', JSON.stringify({ pad: 'x'.repeat(200_000) }));
  assert.equal(r.status, 413);
  assert.equal((await call('GET', '/healthz')).status, 200);
  assert.equal(srv.snapshot('camA').state, 'active'); // nothing applied by the rejected bodies

  r = await call('PATCH', '/api/v1/streams/camA/config', { rtp_config: { bitrate_kbps: 4096, resolution: [160, 120], fps: 15 } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.rtp_config.bitrate_kbps, 4096);
  assert.equal(r.json.rtp_config.priority, 'high'); // merge patch kept it
  assert.equal(srv.camera('camA').rtp_config.bitrate_kbps, 4096);
  assert.ok(await until(() => srv.snapshot('camA').state === 'active', 8000), 'camA active again after reconfiguration');
});

test('load balancing: lanes, rebalance with a strategy, 400 on an unknown one', async () => {
  let r = await call('GET', '/api/v1/load-balancing');
  assert.equal(r.status, 200);
  assert.equal(r.json.lanes.length, 2);
  assert.deepEqual(r.json.lanes.flatMap((l: any) => l.streams).sort(), ['camA', 'camB', 'camC']);
  assert.equal((await call('GET', '/api/v1/streams/load-balancing/status')).json.strategy, 'least_loaded');
  r = await call('POST', '/api/v1/load-balancing/rebalance', { strategy: 'weighted' });
  assert.equal(r.status, 200);
  assert.equal(r.json.status.strategy, 'weighted');
  // Weights 3 (camA high), 2 (camB medium), 1 (camC low): greedy puts camA alone, camB + camC together.
  const lanes = r.json.status.lanes.map((l: any) => l.streams.sort().join('+')).sort();
  assert.deepEqual(lanes, ['camA', 'camB+camC']);
  assert.deepEqual(r.json.status.lanes.map((l: any) => l.weight).sort(), [3, 3]);
  r = await call('POST', '/api/v1/load-balancing/rebalance', { strategy: 'random' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'strategy');
});

test('sync, healthz and the OpenAPI document', async () => {
  const s = await call('GET', '/api/v1/sync');
  assert.equal(s.status, 200);
  assert.ok(['camA', 'camB'].includes(s.json.master), s.json.master);
  assert.equal(s.json.max_timing_offset_ms, 16);
  assert.deepEqual(s.json.offsets.map((o: any) => o.stream_id), ['camA', 'camB', 'camC']);
  const h = await call('GET', '/healthz');
  assert.deepEqual({ status: h.json.status, streams: h.json.streams }, { status: 'ok', streams: 3 });
  const o = await call('GET', '/api/v1/openapi.json');
  assert.equal(o.status, 200);
  assert.equal(o.json.openapi, '3.0.3');
  for (const p of ['/api/v1/streams', '/api/v1/streams/{id}', '/api/v1/streams/{id}/restart', '/api/v1/load-balancing/rebalance', '/api/v1/sync']) assert.ok(p in o.json.paths, p);
});

test('/ws/stream-health: a snapshot per stream at connect and every period; state events', async () => {
  const { ws, messages } = await openWs(base.replace('http', 'ws') + '/ws/stream-health');
  try {
    assert.ok(await until(() => messages.filter((m) => m.type === 'health').length >= 3 * 3, 5000), `${messages.length} messages`);
    const h = messages.filter((m) => m.type === 'health');
    assert.deepEqual([...new Set(h.map((m) => m.stream_id))].sort(), ['camA', 'camB', 'camC']);
    const a = h.find((m) => m.stream_id === 'camA')!;
    assert.equal(typeof a.health_score, 'number');
    assert.match(String(a.timestamp), /Z$/);
    assert.deepEqual(Object.keys(a.metrics as object).slice(0, 4), ['packet_loss_rate', 'jitter_ms', 'frame_drop_rate', 'network_latency_ms']);
    assert.ok(Array.isArray(a.alerts));
    const n = messages.length;
    await call('POST', '/api/v1/streams/camB/stop');
    assert.ok(await until(() => messages.slice(n).some((m) => m.type === 'state' && m.stream_id === 'camB' && m.to === 'stopped'), 3000));
    await call('POST', '/api/v1/streams/camB/start');
    assert.ok(await until(() => messages.slice(n).some((m) => m.type === 'state' && m.stream_id === 'camB' && m.to === 'active'), 8000));
    assert.ok(!JSON.stringify(messages).includes(PASSWORD));
  } finally {
    ws.close();
  }
});

test('rate limit on mutating routes: 429 after the limit, reads unaffected', async () => {
  const limited = await buildApi(srv, { rateLimitMax: 2, rateLimitWindowMs: 60_000 });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await limited.inject({ method: 'POST', url: '/api/v1/load-balancing/rebalance', payload: {} })).statusCode);
    assert.deepEqual(codes, [200, 200, 429]);
    const r = await limited.inject({ method: 'POST', url: '/api/v1/load-balancing/rebalance', payload: {} });
    assert.equal(r.json().error.code, 'RATE_LIMITED');
    assert.equal((await limited.inject({ method: 'GET', url: '/api/v1/streams' })).statusCode, 200);
  } finally {
    await limited.close();
  }
  await sleep(0);
});
