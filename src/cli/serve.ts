/**
 * `dvs serve --config site.yaml [--port N] [--bind ADDR] [--lanes N]`: the media server with its
 * API. Prints one line when listening and one per stream state change or health alert (sources
 * redacted); stops cleanly on SIGINT/SIGTERM (streams torn down, alerts in flight drained ≤ 1 s).
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadSiteConfig } from '../config/index.ts';
import { redactCredentials } from '../config/redact.ts';
import { buildApi, isLiveCamera, MediaServer, MediaServerError } from '../server/index.ts';
import { onlineCalibration } from '../server/calibration.ts';
import { processIo, UsageError, type CliIo } from './io.ts';

export const SERVE_USAGE = `usage: dvs serve --config site.yaml [--port N] [--bind ADDR] [--lanes N] [--no-detect] [--calib-online] [--calib-adopt]
  --config  site config; cameras with rtsp://, rtp:// or tcp:// sources are received (file: ones are ignored)
  --port    API port (default api.port of the config; 0 = any free port, printed)
  --bind    API address (default api.bind_address of the config)
  --lanes   ingest lanes for load balancing (default min(4, CPU cores))
  --no-detect  receive and monitor the streams only (no decoding, detection or tracking); by default
            detection runs when every live camera has a pose, intrinsics and rtp_config resolution and fps
  --calib-online  refine the calibration online from the confirmed tracks (a worker thread;
            docs/LIVE-CALIB.md): GET /api/v1/calibration serves config-1 then online-N versions and the
            refiner's status; each accepted version is printed. The detector keeps the configured
            calibration. Needs detection (every live camera with pose, intrinsics, resolution, fps)
  --calib-adopt  as --calib-online, and the detector switches to each accepted version at the next
            frame group (intrinsics, poses, clocks; the API's online.in_use says which). Off by default
  environment: DVS_WEBHOOK_SECRET signs webhook alerts (required when alerting.webhook_url is set)
`;

export interface ServeControl {
  /** Resolves the command (clean shutdown) when aborted; default: SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Called once listening, with the bound address. */
  onListening?: (address: { host: string; port: number }) => void;
}

export async function serveCommand(argv: string[], io: CliIo = processIo, control: ServeControl = {}): Promise<number> {
  let server: MediaServer | null = null;
  try {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { config: { type: 'string' }, port: { type: 'string' }, bind: { type: 'string' }, lanes: { type: 'string' }, 'no-detect': { type: 'boolean' }, 'calib-online': { type: 'boolean' }, 'calib-adopt': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) { io.stdout(SERVE_USAGE); return 0; }
    if (!values.config) throw new UsageError('--config is required');
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port must be an integer 0..65535, got "${values.port}"`);
    const lanes = values.lanes === undefined ? undefined : Number(values.lanes);
    if (lanes !== undefined && !(Number.isInteger(lanes) && lanes >= 1 && lanes <= 256)) throw new UsageError(`--lanes must be an integer 1..256, got "${values.lanes}"`);
    if ((values['calib-online'] || values['calib-adopt']) && values['no-detect']) throw new UsageError(`--${values['calib-adopt'] ? 'calib-adopt' : 'calib-online'} needs detection (drop --no-detect)`);
    const cfg = loadSiteConfig(values.config);
    const live = cfg.cameras.filter(isLiveCamera);
    if (live.length === 0) io.stderr('dvs serve: no live camera (rtsp://, rtp://, tcp://) in the config; serving the API with no streams\n');

    const adopt = values['calib-adopt'] ?? false;
    const calibOnline = values['calib-online'] || adopt ? { calibOnline: true, calibAdopt: adopt } : null;
    const srv = new MediaServer(cfg, { ...(lanes !== undefined ? { lanes } : {}), ...(values['no-detect'] ? { pipeline: false } : {}), ...(calibOnline ? { pipeline: calibOnline } : {}) });
    server = srv;
    srv.on('state', (e) => io.stdout(`${new Date(e.at).toISOString()} ${e.id} ${e.from} → ${e.to}${e.attempt > 0 && e.to !== 'active' ? ` (attempt ${e.attempt})` : ''}${e.reason ? `: ${e.reason}` : ''}\n`));
    srv.on('degraded', (a) => io.stdout(`${new Date(a.at).toISOString()} ${a.streamId} health degraded (score ${a.score.toFixed(0)}, worst ${a.worst ?? '?'})\n`));
    srv.on('recovered', (a) => io.stdout(`${new Date(a.at).toISOString()} ${a.streamId} health recovered (score ${a.score.toFixed(0)})\n`));
    srv.on('calibration', (c) => io.stdout(c.event === 'accepted'
      ? `${new Date(c.at).toISOString()} calibration online-${c.version} accepted at t ${c.t?.toFixed(1)} s: held-out ${c.rmse_before_px} → ${c.rmse_after_px} px (${c.model ?? ''})${adopt ? '; detection switches to it at the next frame group' : ''}\n`
      : `${new Date(c.at).toISOString()} calibration online-${c.version} in use for detection from t ${c.t?.toFixed(1)} s\n`));
    srv.start();
    const calibHost = srv.pipeline?.calib ?? null;
    const app = await buildApi(srv, calibHost ? { calibration: onlineCalibration(srv.config, srv.startedAtMs ?? Date.now(), calibHost) } : {});
    const host = values.bind ?? cfg.api.bind_address;
    await app.listen({ host, port: port ?? cfg.api.port });
    const addr = app.server.address();
    const bound = typeof addr === 'object' && addr !== null ? { host: addr.address, port: addr.port } : { host, port: port ?? cfg.api.port };
    io.stdout(`dvs serve: ${live.length} stream(s) [${live.map((c) => `${c.id} ${redactCredentials(c.source)}`).join(', ')}], ${srv.lanes} lane(s) (${srv.strategy}), API on http://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}\n`);
    const ps = srv.pipelineState;
    io.stdout(`dvs serve: detection ${ps.enabled ? 'on' : `off${ps.reason ? ` (${ps.reason})` : ''}`}\n`);
    control.onListening?.(bound);

    await new Promise<void>((resolve) => {
      if (control.signal) {
        if (control.signal.aborted) return resolve();
        control.signal.addEventListener('abort', () => resolve(), { once: true });
        return;
      }
      const stop = (sig: string) => {
        io.stdout(`dvs serve: ${sig}, shutting down\n`);
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        resolve();
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
    await app.close();
    await srv.close(1000);
    io.stdout('dvs serve: stopped\n');
    return 0;
  } catch (e) {
    await server?.close(0);
    if (e instanceof ConfigError) { io.stderr(`dvs serve: invalid config, nothing started:\n${e.message}\n`); return 2; }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) { io.stderr(`dvs serve: ${(e as Error).message}\n${SERVE_USAGE}`); return 2; }
    if (e instanceof MediaServerError) { io.stderr(`dvs serve: ${e.message}\n`); return 2; }
    io.stderr(`dvs serve: ${(e as Error).message}\n`);
    return 1;
  }
}
