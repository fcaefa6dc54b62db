/** `dvs serve --config site.yaml [--port N]`: the media server with its API (being written). */
import type { CliIo } from './io.ts';
import { processIo } from './io.ts';

export async function serveCommand(_argv: string[], io: CliIo = processIo): Promise<number> {
  io.stderr('dvs serve: not available yet\n');
  return 1;
}
