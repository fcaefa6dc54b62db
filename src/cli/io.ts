/** Output sinks of the CLI commands (tests pass their own to capture what is printed). */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const processIo: CliIo = {
  stdout: (s) => { process.stdout.write(s); },
  stderr: (s) => { process.stderr.write(s); },
};

/** A usage mistake on the command line (exit 2 with usage). */
export class UsageError extends Error {
  readonly code = 'USAGE';
}
