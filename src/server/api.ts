/**
 * The media server's HTTP API on Fastify 5 (spec 5.1, 5.2): stream status and control, stream
 * configuration, load balancing, sync, the /ws/stream-health WebSocket, an OpenAPI document.
 * Every error is JSON `{error: {code, message, field?, issues?}}`; mutating routes are
 * rate-limited. See docs/SERVER.md for the routes with examples.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import { redactCredentialsInText } from '../config/redact.ts';
import { CAMERA_ID_PATTERN } from '../config/schema.ts';
import { applyCameraChange, type ConfigureMode } from './configure.ts';
import { httpStatusOf, MediaServerError } from './errors.ts';
import { LANE_STRATEGIES, type LaneStrategy } from './lanes.ts';
import type { MediaServer, ServerAlert } from './media-server.ts';
import { configCalibration, type CalibrationProvider } from './calibration.ts';
import { alertView, detectionsView, healthMessage, pipelineView, streamView, syncView, tracksView } from './views.ts';

export interface ApiOptions {
  /** Largest accepted request body, bytes. Default 65536. */
  bodyLimit?: number;
  /** Requests per window per client on mutating routes. Default 60. */
  rateLimitMax?: number;
  /** Rate-limit window, ms. Default 60000. */
  rateLimitWindowMs?: number;
  /** Period of the WebSocket health snapshots, ms. Default 1000. */
  healthPushMs?: number;
  /** Fastify logger (default off: `dvs serve` prints its own lines). */
  logger?: boolean;
  /** Source of GET /api/v1/calibration (e.g. an online refiner). Default: the site config, loaded when the server started. */
  calibration?: CalibrationProvider;
}

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', pattern: CAMERA_ID_PATTERN, description: 'camera id from site.yaml' } },
  required: ['id'],
} as const;

/** What the API uses of a `ws` socket (no @types/ws installed). */
interface WsLike {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  terminate(): void;
  on(event: string, fn: (...args: unknown[]) => void): void;
}

const errorBody = (code: string, message: string, extra: Record<string, unknown> = {}) => ({ error: { code, message, ...extra } });

/** Builds (does not listen) the API around a started MediaServer. Closing the app stops its timers and sockets, not the media server. */
export async function buildApi(srv: MediaServer, opts: ApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? 65536, routerOptions: { ignoreTrailingSlash: true } });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'DroneVoxelServer media server API', version: '1.0.0', description: 'Stream status, control, configuration, load balancing and sync (docs/SERVER.md).' },
    },
  });
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifyWebsocket, { options: { maxPayload: 4096 } });
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  const limited = { rateLimit: { max: opts.rateLimitMax ?? 60, timeWindow: opts.rateLimitWindowMs ?? 60_000 } };

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const known = httpStatusOf(err);
    if (known !== null) {
      const issues = err instanceof MediaServerError && err.issues.length > 0 ? { field: err.issues[0]!.field, issues: err.issues } : {};
      return reply.code(known).send(errorBody(err.code, redactCredentialsInText(err.message), issues));
    }
    if (err.validation) {
      const v = err.validation[0];
      const field = v ? `${(v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')}${v.params && 'missingProperty' in v.params ? String(v.params.missingProperty) : ''}` : '';
      return reply.code(400).send(errorBody('BAD_REQUEST', `${err.validationContext ?? 'request'}${field ? `.${field}` : ''} ${v?.message ?? 'is invalid'}`, { field }));
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) {
      reply.log.error(err);
      return reply.code(500).send(errorBody('INTERNAL', 'internal error'));
    }
    return reply.code(status).send(errorBody(status === 429 ? 'RATE_LIMITED' : err.code ?? 'BAD_REQUEST', redactCredentialsInText(err.message)));
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)));

  // ---------------------------------------------------------------- streams
  app.get('/healthz', { schema: { tags: ['server'], summary: 'liveness' } }, async () => {
    const ids = srv.ids();
    return { status: 'ok', streams: ids.length, active: ids.filter((id) => srv.snapshot(id).state === 'active').length };
  });
  app.get('/api/v1/streams', { schema: { tags: ['streams'], summary: 'every stream with state, health and metrics (spec 5.1)' } }, async () => ({
    streams: srv.ids().map((id) => streamView(srv, id)),
  }));
  app.get<{ Params: { id: string } }>('/api/v1/streams/:id', { schema: { tags: ['streams'], summary: 'one stream', params: idParams } },
    async (req) => streamView(srv, req.params.id));

  for (const action of ['start', 'stop', 'restart'] as const) {
    app.post<{ Params: { id: string } }>(`/api/v1/streams/:id/${action}`, { config: limited, schema: { tags: ['streams'], summary: `${action} a stream`, params: idParams } }, async (req) => {
      const id = req.params.id;
      if (action === 'start') srv.start1(id);
      else if (action === 'stop') await srv.stop(id);
      else await srv.restart(id);
      return streamView(srv, id);
    });
  }

  const configure = (mode: ConfigureMode) => async (req: { params: { id: string }; body: unknown }) => {
    const id = req.params.id;
    srv.camera(id); // 404 before validation
    const cam = applyCameraChange(srv.config, id, req.body, mode);
    await srv.configure(id, cam);
    return { stream: streamView(srv, id), rtp_config: cam.rtp_config, network_qos: cam.network_qos };
  };
  const cfgSchema = (summary: string) => ({ tags: ['streams'], summary, params: idParams, body: { type: 'object', description: 'camera entry fields of site.yaml (rtp_config, network_qos, source, …)' } });
  app.patch<{ Params: { id: string } }>('/api/v1/streams/:id/config', { config: limited, schema: cfgSchema('merge-patch a camera entry (RFC 7396), restart if running') }, configure('patch'));
  app.put<{ Params: { id: string } }>('/api/v1/streams/:id/config', { config: limited, schema: cfgSchema('replace a camera entry, restart if running') }, configure('put'));
  app.post<{ Params: { id: string } }>('/api/v1/streams/:id/configure', { config: limited, schema: cfgSchema('spec 5.1 name of PATCH …/config') }, configure('patch'));

  // ---------------------------------------------------------------- load balancing, sync
  const lbStatus = async () => srv.status();
  app.get('/api/v1/load-balancing', { schema: { tags: ['load-balancing'], summary: 'lane assignment and measured load' } }, lbStatus);
  app.get('/api/v1/streams/load-balancing/status', { schema: { tags: ['load-balancing'], summary: 'spec 5.1 alias' } }, lbStatus);
  const rebalance = async (req: { body: unknown }) => {
    const body = req.body ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new MediaServerError('INVALID_CONFIG', 'body must be a JSON object', [{ field: '', message: 'must be a JSON object' }]);
    const strategy = (body as { strategy?: unknown }).strategy;
    if (strategy !== undefined && !LANE_STRATEGIES.includes(strategy as LaneStrategy)) {
      throw new MediaServerError('INVALID_CONFIG', `field strategy: must be one of ${LANE_STRATEGIES.join(', ')}`, [{ field: 'strategy', message: `must be one of ${LANE_STRATEGIES.join(', ')}` }]);
    }
    return srv.rebalance(strategy as LaneStrategy | undefined);
  };
  app.post('/api/v1/load-balancing/rebalance', { config: limited, schema: { tags: ['load-balancing'], summary: 'reassign streams to lanes (optional {strategy})' } }, rebalance);
  app.post('/api/v1/streams/load-balancing/rebalance', { config: limited, schema: { tags: ['load-balancing'], summary: 'spec 5.1 alias' } }, rebalance);
  app.get('/api/v1/sync', { schema: { tags: ['sync'], summary: 'master stream, clock offsets, latest frame group' } }, async () => syncView(srv));

  // ---------------------------------------------------------------- live pipeline, calibration
  app.get('/api/v1/pipeline', { schema: { tags: ['pipeline'], summary: 'live detection pipeline: counters, latest frame group with each camera\'s site time and the spread' } }, async () => pipelineView(srv));
  app.get('/api/v1/tracks', { schema: { tags: ['pipeline'], summary: 'latest update of every live track' } }, async () => tracksView(srv));
  app.get<{ Querystring: { since?: number } }>('/api/v1/detections', {
    schema: { tags: ['pipeline'], summary: 'recent 3D detections after `since` (site seconds)', querystring: { type: 'object', properties: { since: { type: 'number' } }, additionalProperties: false } },
  }, async (req) => detectionsView(srv, req.query.since ?? -Infinity));
  const calibration = opts.calibration ?? configCalibration(srv.config, srv.startedAtMs ?? Date.now(), 'site config');
  app.get('/api/v1/calibration', { schema: { tags: ['calibration'], summary: 'calibration in use per camera (intrinsics, pose, clock) and its versions' } }, async () => calibration.snapshot());
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // ---------------------------------------------------------------- /ws/stream-health
  const sockets = new Set<WsLike>();
  const alerts = new Map<string, ServerAlert>();
  const send = (msg: unknown): void => {
    const text = JSON.stringify(msg);
    for (const ws of sockets) if (ws.readyState === ws.OPEN && ws.bufferedAmount < 1 << 20) ws.send(text);
  };
  const snapshots = (): void => {
    if (sockets.size === 0) return;
    for (const id of srv.ids()) {
      const a = alerts.get(id);
      send(healthMessage(srv, id, a ? [a] : []));
    }
  };
  const offs = [
    srv.on('state', (e) => send({ type: 'state', stream_id: e.id, from: e.from, to: e.to, reason: e.reason, attempt: e.attempt, timestamp: new Date(e.at).toISOString() })),
    srv.on('degraded', (a) => { alerts.set(a.streamId, a); send(alertView(a)); }),
    srv.on('recovered', (a) => { alerts.delete(a.streamId); send(alertView(a)); }),
    srv.on('calibration', ({ at, ...e }) => send({ type: 'calibration', ...e, timestamp: new Date(at).toISOString() })),
  ];
  const push = setInterval(snapshots, opts.healthPushMs ?? 1000);
  push.unref();
  app.get('/ws/stream-health', { websocket: true, schema: { hide: true } }, (raw) => {
    const socket = raw as WsLike;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => sockets.delete(socket));
    socket.on('message', () => { /* the topic is push-only; client messages are ignored */ });
    for (const id of srv.ids()) {
      const a = alerts.get(id);
      socket.send(JSON.stringify(healthMessage(srv, id, a ? [a] : [])));
    }
  });
  app.addHook('onClose', async () => {
    clearInterval(push);
    offs.forEach((off) => off());
    for (const ws of sockets) ws.terminate();
    sockets.clear();
  });
  return app;
}
