/**
 * `dvs detect --config site.yaml --out DIR [--seconds S] [--quiet]`: 3D detection over recorded
 * video (`file:` cameras). Writes detections.jsonl and summary.json (CONTRACTS §6).
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadSiteConfig } from '../config/index.ts';
import { SiteCameraError, runOfflineDetect } from '../pipeline/index.ts';
import { processIo, UsageError, type CliIo } from './io.ts';
import { requireFfmpeg } from './sim.ts';

export const DETECT_USAGE = `usage: dvs detect --config site.yaml --out DIR [--zones zones.geojson] [--seconds S] [--calib-online] [--calib-adopt] [--quiet]
  --config   site config whose cameras have file: sources (e.g. dvs sim output)
  --out      output folder: detections.jsonl, tracks.jsonl, summary.json (+ alerts.jsonl with --zones)
  --zones    GeoJSON zones (configs/zones.example.geojson): alerts on drone tracks entering, loitering, leaving
  --seconds  process only the first S seconds of site time
  --calib-online  refine the calibration from the confirmed tracks as the video plays (docs/CALIB-ONLINE.md):
             calibration.jsonl (every version and rejection) and calibration.json (final); detection keeps the configured one
  --calib-adopt  as --calib-online, and detect with each accepted version from the next fusion tick on
             (intrinsics, poses, clocks); summary.json lists the versions adopted. Off by default: the
             detections then depend on the refiner (docs/CALIB-ONLINE.md, adoption)
  --quiet    no progress display
`;

export async function detectCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { config: { type: 'string' }, out: { type: 'string' }, seconds: { type: 'string' }, zones: { type: 'string' }, 'calib-online': { type: 'boolean' }, 'calib-adopt': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) { io.stdout(DETECT_USAGE); return 0; }
    if (!values.config || !values.out) throw new UsageError('--config and --out are required');
    const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
    if (seconds !== undefined && !(seconds > 0)) throw new UsageError(`--seconds must be a positive number, got "${values.seconds}"`);
    const cfg = loadSiteConfig(values.config);
    requireFfmpeg();
    const s = await runOfflineDetect(cfg, values.out, { quiet: values.quiet ?? false, ...(seconds !== undefined ? { maxSeconds: seconds } : {}), ...(values.zones !== undefined ? { zonesPath: values.zones } : {}), ...(values['calib-online'] || values['calib-adopt'] ? { calibOnline: true } : {}), ...(values['calib-adopt'] ? { calibAdopt: true } : {}) });
    io.stdout(`${s.detections} detections, ${s.confirmed_tracks} confirmed tracks${values.zones !== undefined ? `, ${s.alerts} alerts` : ''}${s.calibration ? `, calibration version ${s.calibration.version} (${s.calibration.accepted} accepted, ${s.calibration.rejected} rejected${s.calibration.adopted ? `, ${s.calibration.adopted.length} adopted` : ''})` : ''} over ${s.video_s.toFixed(1)} s of video in ${s.wall_s.toFixed(1)} s (${s.realtime_factor.toFixed(2)}× real time, ${s.frames_per_s} frames/s, peak RSS ${s.peak_rss_mb} MB) → ${values.out}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) { io.stderr(`dvs detect: invalid config, nothing done:\n${e.message}\n`); return 2; }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) { io.stderr(`dvs detect: ${(e as Error).message}\n${DETECT_USAGE}`); return 2; }
    if (e instanceof SiteCameraError) { io.stderr(`dvs detect: ${e.message}\n`); return 2; }
    io.stderr(`dvs detect: ${(e as Error).message}\n`);
    return 1;
  }
}
