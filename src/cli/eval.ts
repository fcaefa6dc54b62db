/**
 * `dvs eval --truth truth.jsonl --tracks tracks.jsonl [--config site.yaml] [--truth-cameras PATH]
 *  [--json PATH] [--format table|json]`: score a tracker run against the simulator's truth.
 * Exit 0 on success, 2 on bad input (message on stderr), 1 on an internal fault.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { EvalInputError, formatDetectionScore, formatTable, loadEvalCameras, readDetectionsFile, readTracksFile, readTruthFile, scoreDetections, scoreRun } from '../eval/index.ts';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const processIo: CliIo = {
  stdout: (s) => { process.stdout.write(s); },
  stderr: (s) => { process.stderr.write(s); },
};

export const EVAL_USAGE = `usage: dvs eval --truth truth.jsonl (--tracks tracks.jsonl | --detections detections.jsonl) [--config site.yaml]
                [--truth-cameras truth-cameras.json] [--json out.json] [--format table|json]
  --truth          truth positions (dvs sim output)
  --tracks         tracker output (dvs detect output)
  --detections     score raw 3D detections instead (detections.jsonl of dvs detect)
  --config         site config; supplies camera resolutions missing from the truth cameras, and
                   the cameras themselves (with a warning) when there is no truth-cameras file
  --truth-cameras  true cameras (default: truth-cameras.json beside --truth)
  --json           also write the result as JSON to this path
  --format         what to print on stdout: table (default) or json
See docs/EVAL.md for the definition of every figure.
`;

export async function evalCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        truth: { type: 'string' },
        tracks: { type: 'string' },
        detections: { type: 'string' },
        config: { type: 'string' },
        'truth-cameras': { type: 'string' },
        json: { type: 'string' },
        format: { type: 'string', default: 'table' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) { io.stdout(EVAL_USAGE); return 0; }
    if (values.truth !== undefined && values.detections !== undefined) {
      if (values.tracks !== undefined) throw new EvalInputError('give --tracks or --detections, not both');
      return await scoreDetectionsCommand(values.truth, values.detections, values, io);
    }
    if (values.truth === undefined || values.tracks === undefined) throw new EvalInputError('--truth and --tracks (or --detections) are required');
    if (values.format !== 'table' && values.format !== 'json') throw new EvalInputError(`--format must be "table" or "json", got "${values.format}"`);
    const [truth, tracks, cams] = await Promise.all([
      readTruthFile(values.truth),
      readTracksFile(values.tracks),
      loadEvalCameras({ truthPath: values.truth, truthCamerasPath: values['truth-cameras'], configPath: values.config }),
    ]);
    for (const w of cams.warnings) io.stderr(`dvs eval: ${w}\n`);
    let result;
    try {
      result = scoreRun(truth, tracks, cams.cameras);
    } catch (err) {
      if (err instanceof RangeError) throw new EvalInputError(`${values.truth}: ${err.message}`);
      throw err;
    }
    const inputs = { truth: values.truth, tracks: values.tracks, cameras: cams.source };
    const json = JSON.stringify({ inputs, ...result }, null, 2) + '\n';
    if (values.json !== undefined) {
      try {
        await mkdir(dirname(values.json), { recursive: true });
        await writeFile(values.json, json);
      } catch (err) {
        throw new EvalInputError(`${values.json}: cannot write: ${(err as Error).message}`);
      }
    }
    io.stdout(values.format === 'json' ? json : formatTable(result, inputs));
    return 0;
  } catch (err) {
    if (err instanceof EvalInputError || isParseArgsError(err)) {
      io.stderr(`dvs eval: ${(err as Error).message}\n`);
      if (!(err instanceof EvalInputError)) io.stderr(EVAL_USAGE);
      return 2;
    }
    io.stderr(`dvs eval: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

async function scoreDetectionsCommand(truthPath: string, detPath: string, values: { config?: string | undefined; 'truth-cameras'?: string | undefined; json?: string | undefined; format?: string | undefined }, io: CliIo): Promise<number> {
  const [truth, dets, cams] = await Promise.all([
    readTruthFile(truthPath), readDetectionsFile(detPath),
    loadEvalCameras({ truthPath, truthCamerasPath: values['truth-cameras'], configPath: values.config }),
  ]);
  for (const w of cams.warnings) io.stderr(`dvs eval: ${w}\n`);
  const result = { inputs: { truth: truthPath, detections: detPath, cameras: cams.source }, ...scoreDetections(truth, dets, cams.cameras) };
  const json = JSON.stringify(result, null, 2) + '\n';
  if (values.json !== undefined) {
    await mkdir(dirname(values.json), { recursive: true });
    await writeFile(values.json, json);
  }
  io.stdout(values.format === 'json' ? json : formatDetectionScore(result));
  return 0;
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}
