/**
 * Webhook alerts: JSON POST of events to `monitoring.stream_health.alerting.webhook_url`, signed
 * with HMAC-SHA256, delivered one at a time in order from a bounded queue, retried with
 * exponential backoff and jitter. notify() never throws and never waits; failures are counted
 * and reported as events. Only node:http / node:https, no dependencies.
 *
 * Request:  POST <url>, body {"id", "event", "timestamp", "data"} (identical bytes on every attempt)
 *   Content-Type: application/json
 *   X-DVS-Event: <event>             X-DVS-Delivery / Idempotency-Key: <id>   X-DVS-Attempt: <n>
 *   X-DVS-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>
 * Outcome:  2xx delivered; 408, 429, 5xx, network error or timeout → retry after
 *   max(min(maxDelayMs, baseDelayMs·2^(k−1))·(1 − jitter·u), Retry-After) (k = failures so far,
 *   u uniform in [0,1), Retry-After capped at maxRetryAfterMs); any other status → failed at once;
 *   after maxAttempts attempts → failed.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { MediaError, checkRange } from '../errors.ts';
import { TypedEmitter } from './emitter.ts';

export interface WebhookNotifierOptions {
  /** http:// or https:// URL. */
  url: string;
  /** HMAC-SHA256 key for X-DVS-Signature (non-empty). */
  secret: string;
  /** Attempts per delivery, the first included. Default 5. */
  maxAttempts?: number;
  /** Delay after the first failure, doubled after each further one. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap of the exponential delay. Default 30000 ms. */
  maxDelayMs?: number;
  /** Jitter fraction: the delay is shortened by up to this fraction at random. Default 0.2 (0..0.5). */
  jitter?: number;
  /** Per-attempt timeout (connect + response headers). Default 5000 ms. */
  timeoutMs?: number;
  /** Pending deliveries kept; when full the oldest pending one is dropped. Default 256. */
  queueCapacity?: number;
  /** Cap on a server's Retry-After. Default 60000 ms. */
  maxRetryAfterMs?: number;
  userAgent?: string;
  /** TLS options for https URLs (e.g. a private CA). */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  /** Injectables for tests: random in [0,1), wall clock (ms), delivery id factory. */
  random?: () => number;
  now?: () => number;
  newId?: () => string;
}

export interface WebhookStats {
  /** Accepted by notify(). */
  queued: number;
  delivered: number;
  /** Gave up (attempts exhausted or a non-retryable status). */
  failed: number;
  /** Attempts made, all deliveries together. */
  attempts: number;
  retries: number;
  /** Dropped from a full queue (oldest first). */
  dropped: number;
  /** Cancelled by close() before delivery. */
  cancelled: number;
}

export interface WebhookDelivered { id: string; event: string; attempts: number; status: number }
export interface WebhookRetry { id: string; event: string; /** Attempts made so far. */ attempt: number; delayMs: number; reason: string }
export interface WebhookFailed { id: string; event: string; attempts: number; reason: string }
export interface WebhookDropped { id: string; event: string; reason: 'queue-full' | 'closed' }

export interface WebhookEvents {
  delivered: WebhookDelivered;
  retry: WebhookRetry;
  failed: WebhookFailed;
  dropped: WebhookDropped;
}

interface Item { id: string; event: string; body: Buffer; signature: string }

type AttemptResult =
  | { kind: 'ok'; status: number }
  | { kind: 'retry'; reason: string; retryAfterMs: number }
  | { kind: 'permanent'; reason: string };

/** `sha256=<hex>` of the raw body, as sent in X-DVS-Signature. */
export function webhookSignature(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; ms from now, or 0. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number {
  if (value === undefined) return 0;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - nowMs) : 0;
}

export class WebhookNotifier extends TypedEmitter<WebhookEvents> {
  readonly stats: WebhookStats = { queued: 0, delivered: 0, failed: 0, attempts: 0, retries: 0, dropped: 0, cancelled: 0 };
  private readonly url: URL;
  private readonly secret: string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitter: number;
  private readonly timeoutMs: number;
  private readonly capacity: number;
  private readonly maxRetryAfterMs: number;
  private readonly userAgent: string;
  private readonly tls: WebhookNotifierOptions['tls'];
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly queue: Item[] = [];
  private worker: Promise<void> | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private inFlight: http.ClientRequest | null = null;
  private wake: (() => void) | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: WebhookNotifierOptions) {
    super();
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new MediaError('MEDIA_OPTIONS', 'webhook url is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MediaError('MEDIA_OPTIONS', 'webhook url must be http or https');
    if (typeof opts.secret !== 'string' || opts.secret.length === 0) throw new MediaError('MEDIA_OPTIONS', 'webhook secret must be a non-empty string');
    this.url = url;
    this.secret = opts.secret;
    this.maxAttempts = checkRange('maxAttempts', opts.maxAttempts ?? 5, 1, 100, true);
    this.baseDelayMs = checkRange('baseDelayMs', opts.baseDelayMs ?? 500, 0, 3600000);
    this.maxDelayMs = checkRange('maxDelayMs', opts.maxDelayMs ?? 30000, this.baseDelayMs, 3600000);
    this.jitter = checkRange('jitter', opts.jitter ?? 0.2, 0, 0.5);
    this.timeoutMs = checkRange('timeoutMs', opts.timeoutMs ?? 5000, 1, 600000);
    this.capacity = checkRange('queueCapacity', opts.queueCapacity ?? 256, 1, 1e6, true);
    this.maxRetryAfterMs = checkRange('maxRetryAfterMs', opts.maxRetryAfterMs ?? 60000, 0, 3600000);
    this.userAgent = opts.userAgent ?? 'DroneVoxelServer-webhook/1';
    this.tls = opts.tls;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
  }

  /** Deliveries waiting (the one in flight not counted). */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Queue an event; returns its delivery id, or null after close(). Never throws: an
   * unserialisable `data` is replaced by {error} and still sent.
   */
  notify(event: string, data: unknown): string | null {
    if (this.closed) return null;
    const id = this.newId();
    let body: string;
    try {
      body = JSON.stringify({ id, event, timestamp: new Date(this.now()).toISOString(), data });
    } catch (err) {
      body = JSON.stringify({ id, event, timestamp: new Date(this.now()).toISOString(), data: { error: `unserialisable payload: ${String(err)}` } });
    }
    const raw = Buffer.from(body, 'utf8');
    this.queue.push({ id, event, body: raw, signature: webhookSignature(this.secret, raw) });
    this.stats.queued++;
    while (this.queue.length > this.capacity) {
      const old = this.queue.shift()!;
      this.stats.dropped++;
      this.emit('dropped', { id: old.id, event: old.event, reason: 'queue-full' });
    }
    this.worker ??= this.run();
    return id;
  }

  /** Resolves when the queue is empty and nothing is in flight. */
  idle(): Promise<void> {
    if (this.worker === null) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stop: wait up to `drainMs` (default 0) for queued deliveries, then cancel the rest (the
   * request in flight is aborted, a pending backoff ends). Safe to call twice.
   */
  close(opts: { drainMs?: number } = {}): Promise<void> {
    this.closing ??= (async () => {
      const drainMs = opts.drainMs ?? 0;
      if (drainMs > 0 && this.worker !== null) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([this.idle(), new Promise<void>((r) => { timer = setTimeout(r, drainMs); })]);
        clearTimeout(timer);
      }
      this.closed = true;
      for (const it of this.queue.splice(0)) {
        this.stats.cancelled++;
        this.emit('dropped', { id: it.id, event: it.event, reason: 'closed' });
      }
      this.inFlight?.destroy(new Error('notifier closed'));
      this.wake?.();
      await this.worker;
      this.removeAllListeners();
    })();
    return this.closing;
  }

  private async run(): Promise<void> {
    try {
      for (let it = this.queue.shift(); it !== undefined && !this.closed; it = this.queue.shift()) await this.deliver(it);
    } finally {
      this.worker = null;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async deliver(it: Item): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.stats.attempts++;
      const r = await this.attempt(it, attempt);
      if (this.closed) {
        if (r.kind === 'ok') {
          this.stats.delivered++;
        } else {
          this.stats.cancelled++;
          this.emit('dropped', { id: it.id, event: it.event, reason: 'closed' });
        }
        return;
      }
      if (r.kind === 'ok') {
        this.stats.delivered++;
        this.emit('delivered', { id: it.id, event: it.event, attempts: attempt, status: r.status });
        return;
      }
      if (r.kind === 'permanent' || attempt >= this.maxAttempts) {
        this.stats.failed++;
        this.emit('failed', { id: it.id, event: it.event, attempts: attempt, reason: r.reason });
        return;
      }
      const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)) * (1 - this.jitter * this.random());
      const delayMs = Math.max(backoff, Math.min(this.maxRetryAfterMs, r.retryAfterMs));
      this.stats.retries++;
      this.emit('retry', { id: it.id, event: it.event, attempt, delayMs, reason: r.reason });
      await this.sleep(delayMs);
      if (this.closed) {
        this.stats.cancelled++;
        this.emit('dropped', { id: it.id, event: it.event, reason: 'closed' });
        return;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private attempt(it: Item, attempt: number): Promise<AttemptResult> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: AttemptResult): void => {
        if (settled) return;
        settled = true;
        this.inFlight = null;
        resolve(r);
      };
      const headers = {
        'content-type': 'application/json',
        'content-length': String(it.body.length),
        'user-agent': this.userAgent,
        'x-dvs-event': it.event,
        'x-dvs-delivery': it.id,
        'idempotency-key': it.id,
        'x-dvs-attempt': String(attempt),
        'x-dvs-signature': it.signature,
      };
      const opts: https.RequestOptions = { method: 'POST', headers, agent: false, timeout: this.timeoutMs };
      if (this.url.protocol === 'https:' && this.tls) Object.assign(opts, this.tls);
      let req: http.ClientRequest;
      try {
        req = (this.url.protocol === 'https:' ? https : http).request(this.url, opts, (res) => {
          res.resume(); // drain and discard the body
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) settle({ kind: 'ok', status });
          else if (status === 408 || status === 429 || (status >= 500 && status < 600)) {
            const ra = res.headers['retry-after'];
            settle({ kind: 'retry', reason: `http ${status}`, retryAfterMs: parseRetryAfter(Array.isArray(ra) ? ra[0] : ra, this.now()) });
          } else settle({ kind: 'permanent', reason: `http ${status}` });
        });
      } catch (err) {
        settle({ kind: 'permanent', reason: `request: ${String(err)}` });
        return;
      }
      this.inFlight = req;
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => settle({ kind: 'retry', reason: err.code ?? err.message, retryAfterMs: 0 }));
      req.end(it.body);
    });
  }
}

/** A notifier for `monitoring.stream_health.alerting`, or null when webhook_url is "" (disabled). */
export function createWebhookNotifier(
  alerting: { webhook_url: string },
  secret: string,
  opts: Omit<WebhookNotifierOptions, 'url' | 'secret'> = {},
): WebhookNotifier | null {
  return alerting.webhook_url === '' ? null : new WebhookNotifier({ ...opts, url: alerting.webhook_url, secret });
}
