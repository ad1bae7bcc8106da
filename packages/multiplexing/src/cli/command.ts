/**
 * The shape of one `socketlab-mux` command, so adding a command is one more entry in the table of
 * `src/cli/main.ts`. Not re-exported from the package: the CLI is a program, not an API.
 * @internal
 */

/** Where a command prints and how it is told to stop. */
export interface CliIo {
  /** One line for the user on stdout (a report, or JSON). */
  out(line: string): void;
  /** One line of diagnostics on stderr. */
  err(line: string): void;
  /**
   * Rewrites the one status line on a terminal (an empty string clears it). Absent when stderr
   * is not a terminal: progress then goes to {@link CliIo.err} as plain lines.
   */
  status?: ((line: string) => void) | undefined;
  /** Aborted on SIGINT/SIGTERM: a long-running command stops and prints what it has. */
  signal: AbortSignal;
}

/** One subcommand: its one-line summary, its `--help` text, and what it does. */
export interface CliCommand {
  readonly summary: string;
  readonly help: string;
  /** Runs with the arguments after the command name; resolves with the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** A mistake in how the command was called: printed with a hint, exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/**
 * Parses a decimal number option strictly (`12`, `0.5`; not `12abc`, `1e3`, `-1`), within bounds.
 * @throws {CliUsageError} for anything else.
 */
export function parseNumberOption(
  name: string,
  raw: string | undefined,
  min: number,
  max: number,
  { integer = false } = {},
): number {
  if (raw === undefined) throw new CliUsageError(`--${name} is required`);
  const pattern = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = Number(raw);
  if (!pattern.test(raw) || !Number.isFinite(value)) {
    const kind = integer ? 'a whole number' : 'a number';
    throw new CliUsageError(`--${name} must be ${kind}, got ${JSON.stringify(raw)}`);
  }
  if (value < min || value > max) {
    throw new CliUsageError(`--${name} must be from ${min} to ${max}, got ${raw}`);
  }
  return value;
}
