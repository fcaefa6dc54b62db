/**
 * The `dvs` command: one subcommand per tool. Each returns its exit code; nothing here calls
 * process.exit, so tests can drive `main()` directly.
 */
import { calibCommand } from './calib.ts';
import { demoCommand } from './demo.ts';
import { detectCommand } from './detect.ts';
import { evalCommand } from './eval.ts';
import { processIo, type CliIo } from './io.ts';
import { serveCommand } from './serve.ts';
import { simCommand } from './sim.ts';
import { streamCommand } from './stream.ts';
import { trackCommand } from './track.ts';

const USAGE = `dvs — DroneVoxelServer

usage: dvs <command> [options]    (dvs <command> --help for its options)

commands:
  sim    render a scenario into camera videos and ground truth
  detect 3D detections from recorded video (file: cameras)
  track  tracks from 3D detections (detections.jsonl → tracks.jsonl)
  eval   score tracks against ground truth (Pd, FAR, CEP50, GOSPA, bird flags)
  calib  self-calibration (poses, intrinsics, clocks) from 2D tracks of a moving target
  demo   render the built-in demo site and show what the pipeline sees
  serve  media server: live RTP/RTSP ingest, stream health, REST + WebSocket API
  stream send simulated cameras live over RTP/UDP (with sender reports, optional loss/jitter)
`;

type Command = (argv: string[], io?: CliIo) => Promise<number>;

const commands: Record<string, Command> = {
  sim: simCommand,
  detect: detectCommand,
  track: trackCommand,
  eval: evalCommand,
  calib: calibCommand,
  demo: demoCommand,
  stream: streamCommand,
  serve: serveCommand,
};

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(USAGE);
    return name === undefined ? 2 : 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    io.stderr(`dvs: unknown command '${name}'\n${USAGE}`);
    return 2;
  }
  return cmd(rest, io);
}
