/**
 * `dvs sim --scenario S --out DIR [--frames N] [--quiet]`: render a scenario (CONTRACTS §4–5).
 * A broken scenario is refused with every mistake listed and nothing written (exit 2).
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/index.ts';
import { loadScenario, runSim, type SimResult } from '../sim/index.ts';
import { processIo, UsageError, type CliIo } from './io.ts';

export const SIM_USAGE = `usage: dvs sim --scenario scenario.yaml --out DIR [--frames N] [--quiet]
  --scenario  scenario file (see scenarios/ and CONTRACTS §4)
  --out       output folder: site.yaml, <camera>.mkv, truth.jsonl, truth-cameras.json
  --frames    render only the first N frames of every camera (quick looks)
  --quiet     no progress display
`;

export async function simCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  let result: SimResult;
  try {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { scenario: { type: 'string' }, out: { type: 'string' }, frames: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) { io.stdout(SIM_USAGE); return 0; }
    if (!values.scenario || !values.out) throw new UsageError('--scenario and --out are required');
    const frames = values.frames === undefined ? undefined : Number(values.frames);
    if (frames !== undefined && !(Number.isInteger(frames) && frames > 0)) throw new UsageError(`--frames must be a positive integer, got "${values.frames}"`);
    const scenario = loadScenario(values.scenario);
    requireFfmpeg();
    result = await runSim(scenario, values.out, { quiet: values.quiet ?? false, maxFrames: frames });
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`dvs sim: invalid scenario, nothing written:\n${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`dvs sim: ${(e as Error).message}\n${SIM_USAGE}`);
      return 2;
    }
    io.stderr(`dvs sim: ${(e as Error).message}\n`);
    return 1;
  }
  for (const c of result.cameras) io.stdout(`${c.id}: ${c.frames} frames ${c.width}x${c.height} @ ${c.fps} fps → ${c.file}\n`);
  io.stdout(`truth: ${result.truthRows} rows; ${result.wallS.toFixed(1)} s wall, ${result.framesPerS.toFixed(1)} frames/s\n`);
  return 0;
}

/** Fail early, before anything is written, when FFmpeg is not installed. */
export function requireFfmpeg(): void {
  const r = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) throw new Error('ffmpeg is not installed or not on PATH (run `npm run setup`, which installs it)');
}
