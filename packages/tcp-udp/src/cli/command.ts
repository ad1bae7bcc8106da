/**
 * The shape of one `socketlab-tcp` command, so that adding a command is one more entry in the
 * table of `src/cli/main.ts`. Not re-exported from the package: the CLI is a program, not an API.
 * @internal
 */

/** Where a command prints and how it is told to stop. */
export interface CliIo {
  /** One line for the user on stdout. */
  out(line: string): void;
  /** One line of diagnostics on stderr. */
  err(line: string): void;
  /** Aborted on SIGINT/SIGTERM: a long-running command closes gracefully and returns. */
  signal: AbortSignal;
}

/** One subcommand: its one-line summary, its `--help` text, and what it does. */
export interface CliCommand {
  readonly summary: string;
  readonly help: string;
  /**
   * Runs with the arguments after the command name (never `-h`/`--help`: the dispatcher prints
   * {@link CliCommand.help} for those); resolves with the exit code.
   */
  run(args: string[], io: CliIo): Promise<number>;
}

/** A mistake in how the command was called: printed with a hint, exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/**
 * The options every server command takes (`--host`, `--port`, `--idle-timeout`), in
 * `node:util`'s parseArgs shape: spread into a command's own options. `-h`/`--help` is the
 * dispatcher's: a command never sees it.
 */
export const SERVER_OPTIONS = {
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '0' },
  'idle-timeout': { type: 'string', default: '0' },
} as const;

/** Parses an integer option strictly (no `12abc`, no `1e3`), within bounds. */
export function parseIntegerOption(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new CliUsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new CliUsageError(`--${name} must be from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Resolves once `signal` is aborted (at once if it already is): how a server command waits for Ctrl-C. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
