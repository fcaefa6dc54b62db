/**
 * Health alerts end to end: a media server with two FFmpeg senders and a loopback HTTP receiver as
 * the webhook endpoint. Killing one sender produces a signed `stream.degraded` for that stream
 * only (HMAC recomputed here with node:crypto), a new sender a `stream.recovered`; the same
 * transitions reach /ws/stream-health. Also: the `dvs serve` CLI end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSiteConfig } from '../../src/config/index.ts';
import { serveCommand } from '../../src/cli/serve.ts';
import { buildApi, MediaServer, MediaServerError } from '../../src/server/index.ts';
import { ffmpegSender, freeUdpPair, killAll, openWs, siteYaml, until } from './helpers.ts';

const SECRET = 'hook-secret-for-tests';

interface Received { headers: IncomingHttpHeaders; raw: string; body: { id: string; event: string; timestamp: string; data: Record<string, unknown> } }

async function receiver(): Promise<{ url: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      got.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hooks/dvs`, got, close: () => new Promise<void>((r) => s.close(() => r())) };
}

function signatureOk(r: Received): boolean {
  const sig = String(r.headers['x-dvs-signature'] ?? '');
  if (!sig.startsWith('sha256=')) return false;
  const mine = createHmac('sha256', SECRET).update(r.raw).digest();
  const theirs = Buffer.from(sig.slice(7), 'hex');
  return theirs.length === mine.length && timingSafeEqual(theirs, mine);
}

test('killed sender → signed stream.degraded; sender back → stream.recovered; the other stream raises nothing', async (t) => {
  const hook = await receiver();
  const [pa, pb] = [await freeUdpPair(), await freeUdpPair()];
  const cfg = parseSiteConfig(siteYaml({
    media: ['connection_timeout_ms: 1000', 'reconnect_attempts: 50', 'reconnect_backoff_ms: [200]', 'load_balancing: {health_check_interval_ms: 200, health_threshold: 70}'],
    monitoring: ['stream_health:', `  alerting: {webhook_url: "${hook.url}"}`],
    cameras: ['- id: camA', `  source: "rtp://127.0.0.1:${pa}"`, '  rtp_config: {codec: h264}', '- id: camB', `  source: "rtp://127.0.0.1:${pb}"`, '  rtp_config: {codec: h264}'],
  }));
  assert.ok(cfg.ok, JSON.stringify(!cfg.ok && cfg.issues));
  assert.throws(() => new MediaServer(cfg.value, { webhookSecret: '' }), (e: unknown) => e instanceof MediaServerError && e.code === 'WEBHOOK_SECRET');
  const srv = new MediaServer(cfg.value, { webhookSecret: SECRET, monitor: { minDwellMs: 1000 }, manager: { metricsWindowMs: 1500 }, webhook: { baseDelayMs: 50 } });
  srv.start();
  const app = await buildApi(srv, { healthPushMs: 250 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { ws, messages } = await openWs(`ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws/stream-health`);
  const procs: ChildProcess[] = [];
  t.after(async () => {
    ws.terminate();
    await killAll(procs);
    await app.close();
    await srv.close(0);
    await hook.close();
  });
  procs.push(ffmpegSender(pa, { seconds: 60 }), ffmpegSender(pb, { seconds: 60 }));
  assert.ok(await until(() => srv.snapshot('camA').state === 'active' && srv.snapshot('camB').state === 'active', 15000), 'both active');
  // Past the startup grace (one metrics window) both are judged healthy.
  assert.ok(await until(() => srv.health('camA').score >= 80 && srv.health('camB').score >= 80, 8000), JSON.stringify([srv.health('camA'), srv.health('camB')]));

  procs[0]!.kill('SIGKILL');
  assert.ok(await until(() => hook.got.some((g) => g.body.event === 'stream.degraded'), 10000), 'degraded webhook');
  const deg = hook.got.find((g) => g.body.event === 'stream.degraded')!;
  assert.ok(signatureOk(deg), 'HMAC-SHA256 of the raw body with the shared secret');
  assert.equal(deg.headers['x-dvs-event'], 'stream.degraded');
  assert.equal(deg.headers['content-type'], 'application/json');
  assert.equal(deg.body.data.stream_id, 'camA');
  assert.equal(deg.body.data.worst, 'state'); // reconnecting: not active → score 0
  assert.ok((deg.body.data.health_score as number) < 70);
  assert.ok(messages.some((m) => m.type === 'degraded' && m.stream_id === 'camA'), 'degraded on the WebSocket');
  assert.ok(messages.some((m) => m.type === 'state' && m.stream_id === 'camA' && m.to === 'reconnecting'));
  // The next periodic snapshot of camA carries the open alert.
  const at = messages.findIndex((m) => m.type === 'degraded' && m.stream_id === 'camA');
  assert.ok(await until(() => messages.slice(at).some((m) => m.type === 'health' && m.stream_id === 'camA'), 3000));
  const nextA = messages.slice(at).find((m) => m.type === 'health' && m.stream_id === 'camA')!;
  assert.deepEqual((nextA.alerts as Array<{ type: string }>).map((a) => a.type), ['degraded']);

  procs.push(ffmpegSender(pa, { seconds: 60 }));
  assert.ok(await until(() => hook.got.some((g) => g.body.event === 'stream.recovered'), 20000), `recovered webhook; health ${JSON.stringify(srv.health('camA'))}`);
  const rec = hook.got.find((g) => g.body.event === 'stream.recovered')!;
  assert.ok(signatureOk(rec));
  assert.equal(rec.body.data.stream_id, 'camA');
  assert.ok((rec.body.data.health_score as number) >= 80);
  assert.ok(Date.parse(rec.body.timestamp) > Date.parse(deg.body.timestamp));
  assert.notEqual(rec.body.id, deg.body.id);
  assert.equal(srv.snapshot('camA').state, 'active');
  assert.ok(hook.got.every((g) => g.body.data.stream_id === 'camA'), 'camB raised no alert');
  assert.ok(messages.some((m) => m.type === 'recovered' && m.stream_id === 'camA'));
});

test('dvs serve: listens, logs state changes without credentials, stops cleanly on abort', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dvs-serve-'));
  const pa = await freeUdpPair();
  const file = join(dir, 'site.yaml');
  writeFileSync(file, siteYaml({
    media: ['connection_timeout_ms: 800', 'reconnect_backoff_ms: [100]'],
    cameras: ['- id: camA', `  source: "rtp://127.0.0.1:${pa}"`, '  rtp_config: {codec: h264}', '- id: camR', '  source: "rtsp://bob:HunterTwo@127.0.0.1:9/live"'],
  }));
  const out: string[] = [];
  const err: string[] = [];
  const ac = new AbortController();
  let port = 0;
  const done = serveCommand(['--config', file, '--port', '0'], { stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, {
    signal: ac.signal, onListening: (a) => { port = a.port; },
  });
  const sender = ffmpegSender(pa, { seconds: 30 });
  try {
    assert.ok(await until(() => port > 0, 10000), err.join(''));
    // Both outcomes before stopping: camA up, camR's refused RTSP connection logged (each lane's
    // worker thread starts on its own, so neither waits for the other).
    assert.ok(await until(() => /camA (connecting|reconnecting) → active/.test(out.join('')) && /camR connecting → reconnecting/.test(out.join('')), 10000), out.join(''));
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/streams`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { streams: unknown[] }).streams.length, 2);
  } finally {
    ac.abort();
    await killAll([sender]);
  }
  assert.equal(await done, 0);
  const text = out.join('') + err.join('');
  assert.match(text, /API on http:\/\/127\.0\.0\.1:\d+/);
  assert.match(text, /camR connecting → reconnecting/);
  assert.ok(!text.includes('HunterTwo') && !text.includes('bob:'), text);
  assert.match(out.at(-1)!, /stopped/);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`)); // the API is closed
  assert.equal(await serveCommand(['--config', join(dir, 'missing.yaml')], { stdout: () => {}, stderr: () => {} }), 2);
});
