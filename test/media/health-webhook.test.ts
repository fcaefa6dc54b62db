import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createWebhookNotifier, WebhookNotifier, type WebhookRetry } from '../../src/media/health/index.ts';

interface Received { headers: http.IncomingHttpHeaders; body: Buffer; at: number }

/** A loopback HTTP server whose n-th request (0-based) is answered by `reply(n, res)`. */
async function server(reply: (n: number, res: http.ServerResponse) => void): Promise<{ url: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks), at: performance.now() });
      reply(got.length - 1, res);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }),
  };
}

const SECRET = 'correct horse battery staple';

test('webhook: JSON POST signed with HMAC-SHA256 of the raw body (verified with node:crypto), event and delivery headers', async () => {
  const s = await server((_n, res) => res.writeHead(204).end());
  const n = new WebhookNotifier({ url: s.url, secret: SECRET, now: () => Date.UTC(2026, 0, 15, 10, 30) });
  const id = n.notify('stream.degraded', { stream_id: 'cam01', health_score: 42.5, worst: 'packet_loss_rate' });
  await n.idle();
  assert.equal(s.got.length, 1);
  const r = s.got[0]!;
  const expected = createHmac('sha256', SECRET).update(r.body).digest();
  const sig = String(r.headers['x-dvs-signature']);
  assert.match(sig, /^sha256=[0-9a-f]{64}$/);
  assert.ok(timingSafeEqual(Buffer.from(sig.slice(7), 'hex'), expected));
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['x-dvs-event'], 'stream.degraded');
  assert.equal(r.headers['x-dvs-delivery'], id);
  assert.equal(r.headers['idempotency-key'], id);
  assert.deepEqual(JSON.parse(r.body.toString('utf8')), {
    id, event: 'stream.degraded', timestamp: '2026-01-15T10:30:00.000Z',
    data: { stream_id: 'cam01', health_score: 42.5, worst: 'packet_loss_rate' },
  });
  // A wrong secret gives a different signature.
  assert.notEqual(createHmac('sha256', 'other').update(r.body).digest('hex'), sig.slice(7));
  assert.equal(n.stats.delivered, 1);
  await n.close();
  await s.close();
});

test('webhook: two 500s then 200 → three attempts with the same id and bytes, backoff 20 then 40 ms (jitter drawn 0)', async () => {
  const s = await server((k, res) => res.writeHead(k < 2 ? 500 : 200).end('ok'));
  const retries: WebhookRetry[] = [];
  const n = new WebhookNotifier({ url: s.url, secret: SECRET, baseDelayMs: 20, maxDelayMs: 1000, jitter: 0.5, random: () => 0 });
  n.on('retry', (e) => retries.push(e));
  n.notify('stream.recovered', { stream_id: 'cam02' });
  await n.idle();
  assert.equal(s.got.length, 3);
  assert.deepEqual(s.got.map((g) => g.headers['x-dvs-attempt']), ['1', '2', '3']);
  assert.equal(new Set(s.got.map((g) => g.headers['x-dvs-delivery'])).size, 1);
  assert.ok(s.got[1]!.body.equals(s.got[0]!.body) && s.got[2]!.body.equals(s.got[0]!.body));
  assert.deepEqual(retries.map((r) => [r.attempt, r.delayMs, r.reason]), [[1, 20, 'http 500'], [2, 40, 'http 500']]);
  // The server saw the retries no earlier than the backoff (lower bounds only; 2 ms for timer rounding).
  assert.ok(s.got[1]!.at - s.got[0]!.at >= 18);
  assert.ok(s.got[2]!.at - s.got[1]!.at >= 38);
  assert.deepEqual({ ...n.stats }, { queued: 1, delivered: 1, failed: 0, attempts: 3, retries: 2, dropped: 0, cancelled: 0 });
  await n.close();
  await s.close();
});

test('webhook: gives up after maxAttempts on persistent 503; jittered delays stay within [d(1−j), d] and keep doubling', async () => {
  const s = await server((_k, res) => res.writeHead(503).end());
  const delays: number[] = [];
  let failedAfter = 0;
  const draws = [0.9, 0.1, 0.5];
  let i = 0;
  const n = new WebhookNotifier({ url: s.url, secret: SECRET, maxAttempts: 4, baseDelayMs: 10, jitter: 0.4, random: () => draws[i++ % draws.length]! });
  n.on('retry', (e) => delays.push(e.delayMs));
  n.on('failed', (e) => { failedAfter = e.attempts; });
  n.notify('stream.degraded', {});
  await n.idle();
  assert.equal(s.got.length, 4);
  assert.equal(failedAfter, 4);
  // d = 10, 20, 40 shortened by 0.4·u with u = 0.9, 0.1, 0.5: 6.4, 19.2, 32.
  assert.equal(delays.length, 3);
  [6.4, 19.2, 32].forEach((d, k) => assert.ok(Math.abs(delays[k]! - d) < 1e-9, `${delays[k]} vs ${d}`));
  assert.equal(n.stats.failed, 1);
  assert.equal(n.stats.delivered, 0);
  await n.close();
  await s.close();
});

test('webhook: 429 with Retry-After: 1 waits a second; 400 is not retried', async () => {
  const s = await server((k, res) => {
    if (k === 0) res.writeHead(429, { 'retry-after': '1' }).end();
    else if (k === 1) res.writeHead(200).end();
    else res.writeHead(400).end();
  });
  const retries: WebhookRetry[] = [];
  const failed: string[] = [];
  const n = new WebhookNotifier({ url: s.url, secret: SECRET, baseDelayMs: 10, jitter: 0 });
  n.on('retry', (e) => retries.push(e));
  n.on('failed', (e) => failed.push(e.reason));
  n.notify('a', 1);
  n.notify('b', 2);
  await n.idle();
  assert.deepEqual(retries.map((r) => r.delayMs), [1000]);
  assert.ok(s.got[1]!.at - s.got[0]!.at >= 995);
  assert.deepEqual(s.got.map((g) => g.headers['x-dvs-event']), ['a', 'a', 'b']);
  assert.deepEqual(failed, ['http 400']);
  assert.equal(n.stats.delivered, 1);
  await n.close();
  await s.close();
});

test('webhook: connection refused is retried then counted as failed; notify never throws', async () => {
  const s = await server((_k, res) => res.end());
  const url = s.url;
  await s.close(); // nothing listens on that port now
  const reasons: string[] = [];
  const n = new WebhookNotifier({ url, secret: SECRET, maxAttempts: 3, baseDelayMs: 5, jitter: 0 });
  n.on('retry', (e) => reasons.push(e.reason));
  assert.doesNotThrow(() => n.notify('x', { circular: (() => { const o: Record<string, unknown> = {}; o.self = o; return o; })() }));
  await n.idle();
  assert.deepEqual(reasons, ['ECONNREFUSED', 'ECONNREFUSED']);
  assert.equal(n.stats.failed, 1);
  assert.equal(n.stats.attempts, 3);
  await n.close();
});

test('webhook: bounded queue drops the oldest pending; close() aborts the hung request and cancels the rest; safe twice', async () => {
  const hung: http.ServerResponse[] = [];
  const s = await server((_k, res) => hung.push(res)); // never answers
  const dropped: string[] = [];
  const n = new WebhookNotifier({ url: s.url, secret: SECRET, queueCapacity: 2, timeoutMs: 60000 });
  n.on('dropped', (e) => dropped.push(`${e.event}:${e.reason}`));
  for (const e of ['e1', 'e2', 'e3', 'e4', 'e5']) n.notify(e, {});
  // notify() starts the worker synchronously, so e1 is in flight at once; e2..e5 queue up and
  // the capacity of 2 drops the oldest pending ones, e2 and e3.
  assert.deepEqual(dropped, ['e2:queue-full', 'e3:queue-full']);
  assert.equal(n.pending, 2);
  while (s.got.length === 0) await new Promise((r) => setTimeout(r, 5));
  await n.close();
  await n.close();
  assert.equal(n.notify('late', {}), null);
  assert.equal(s.got.length, 1);
  assert.deepEqual(dropped, ['e2:queue-full', 'e3:queue-full', 'e4:closed', 'e5:closed', 'e1:closed']);
  assert.deepEqual({ ...n.stats }, { queued: 5, delivered: 0, failed: 0, attempts: 1, retries: 0, dropped: 2, cancelled: 3 });
  await s.close();
});

test('webhook: disabled when webhook_url is "" (site.yaml default); bad options throw at construction', () => {
  assert.equal(createWebhookNotifier({ webhook_url: '' }, SECRET), null);
  assert.throws(() => new WebhookNotifier({ url: 'ftp://x', secret: SECRET }), /http or https/);
  assert.throws(() => new WebhookNotifier({ url: 'http://127.0.0.1:1/', secret: '' }), /secret/);
  assert.throws(() => new WebhookNotifier({ url: 'http://127.0.0.1:1/', secret: SECRET, maxAttempts: 0 }), /maxAttempts/);
});

test('webhook: close({drainMs}) waits for the queued deliveries before closing', async () => {
  const s = await server((_k, res) => { setTimeout(() => res.writeHead(200).end(), 30); });
  const n = new WebhookNotifier({ url: s.url, secret: SECRET });
  for (const e of ['a', 'b', 'c']) n.notify(e, {});
  await n.close({ drainMs: 10000 });
  assert.deepEqual(s.got.map((g) => g.headers['x-dvs-event']), ['a', 'b', 'c']);
  assert.equal(n.stats.delivered, 3);
  assert.equal(n.stats.cancelled, 0);
  await s.close();
});

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const opensslSkip = haveOpenssl() ? false : 'openssl not installed (it makes the throwaway certificate)';
if (opensslSkip) console.log(`# skipping the https webhook test: ${opensslSkip}`);

test('webhook over https with a private CA (self-signed loopback certificate made by openssl)', { skip: opensslSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dvs-hook-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    const bodies: Buffer[] = [];
    const sigs: string[] = [];
    const srv = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        sigs.push(String(req.headers['x-dvs-signature']));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
    // Without the CA the certificate is refused (a network error: retried, then failed).
    const strict = new WebhookNotifier({ url, secret: SECRET, maxAttempts: 1 });
    const reasons: string[] = [];
    strict.on('failed', (e) => reasons.push(e.reason));
    strict.notify('x', {});
    await strict.idle();
    assert.equal(strict.stats.failed, 1);
    assert.match(reasons[0]!, /SELF_SIGNED|CERT|UNABLE/i);
    const n = new WebhookNotifier({ url, secret: SECRET, tls: { ca: cert } });
    n.notify('stream.degraded', { stream_id: 'cam03' });
    await n.idle();
    assert.equal(n.stats.delivered, 1);
    assert.equal(sigs[0], `sha256=${createHmac('sha256', SECRET).update(bodies[0]!).digest('hex')}`);
    await n.close();
    await strict.close();
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
