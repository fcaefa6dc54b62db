/**
 * `dvs track --detections DIR|FILE [--config site.yaml] --out DIR [--scan-s S]`: run the tracker
 * over a detections.jsonl and write DIR/tracks.jsonl (CONTRACTS §6).
 * Exit 0 on success, 2 on bad input (message names the file and line), 1 on an internal fault.
 */
import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadSiteConfig } from '../config/index.ts';
import { TrackingConfigError, TrackingInputError, cameraPositions, readDetectionLines, trackDetections, type Vec3 } from '../tracking/index.ts';
import { processIo, UsageError, type CliIo } from './io.ts';

export const TRACK_USAGE = `usage: dvs track --detections DIR|detections.jsonl --out DIR [--config site.yaml] [--scan-s S] [--smooth]
  --detections  detections.jsonl, or a dvs detect output folder holding one
  --config      site config: camera positions for the measurement covariance (without it every
                detection gets the fallback covariance)
  --out         output folder: tracks.jsonl
  --scan-s      tracker scan period in seconds (default: the smallest gap between detection times)
  --smooth      also write tracks-smoothed.jsonl: RTS-smoothed trajectories of the confirmed tracks
See docs/TRACKING.md.
`;

export async function trackCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { detections: { type: 'string' }, config: { type: 'string' }, out: { type: 'string' }, 'scan-s': { type: 'string' }, smooth: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) { io.stdout(TRACK_USAGE); return 0; }
    if (!values.detections || !values.out) throw new UsageError('--detections and --out are required');
    const scanS = values['scan-s'] === undefined ? undefined : Number(values['scan-s']);
    if (scanS !== undefined && !(scanS > 0 && Number.isFinite(scanS))) throw new UsageError(`--scan-s must be a positive number, got "${values['scan-s']}"`);
    let cameras = new Map<string, Vec3>();
    if (values.config !== undefined) cameras = cameraPositions(loadSiteConfig(values.config));
    else io.stderr('dvs track: no --config: camera positions unknown, every detection gets the fallback covariance\n');
    const path = isDir(values.detections) ? join(values.detections, 'detections.jsonl') : values.detections;
    const dets = await readDetectionLines(path);
    const r = trackDetections(dets, { geometry: { cameras }, smooth: values.smooth ?? false, ...(scanS !== undefined ? { scanS } : {}) });
    await mkdir(values.out, { recursive: true });
    const outPath = join(values.out, 'tracks.jsonl');
    await writeFile(outPath, jsonl(r.records));
    if (r.smoothed) await writeFile(join(values.out, 'tracks-smoothed.jsonl'), jsonl(r.smoothed));
    io.stdout(`${dets.length} detections in ${r.scans} scans of ${r.scanS.toFixed(4)} s → ${r.tracks} tracks, ${r.confirmedTracks} confirmed, ${r.records.length} records → ${outPath}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) { io.stderr(`dvs track: invalid config, nothing done:\n${e.message}\n`); return 2; }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) { io.stderr(`dvs track: ${(e as Error).message}\n${TRACK_USAGE}`); return 2; }
    if (e instanceof TrackingInputError || e instanceof TrackingConfigError) { io.stderr(`dvs track: ${e.message}\n`); return 2; }
    io.stderr(`dvs track: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

const jsonl = (rows: object[]) => rows.map((x) => JSON.stringify(x)).join('\n') + (rows.length > 0 ? '\n' : '');

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false; // not there: reading it as a file reports the error with its name
  }
}
