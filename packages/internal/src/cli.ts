/**
 * The plumbing of every stage's command (`socketlab-tcp`, `socketlab-mux` …): a table of
 * subcommands, top-level `--help`, one style of usage error, exit codes (0 done, 1 failed,
 * 2 called wrongly), and the process edge (signals, a status line on a terminal).
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
  /** Aborted on SIGINT/SIGTERM: a long-running command stops gracefully and returns. */
  signal: AbortSignal;
}

/** One subcommand: its one-line summary, its `--help` text, and what it does. */
export interface CliCommand {
  readonly summary: string;
  readonly help: string;
  /**
   * Runs with the arguments after the command name (never `-h`/`--help` before a `--`: the
   * dispatcher prints {@link CliCommand.help} for those); resolves with the exit code.
   */
  run(args: string[], io: CliIo): Promise<number>;
}

/** A mistake in how the command was called: printed with a hint, exit code 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** Exit code for a command called wrongly (unknown command, bad or missing option). */
export const EXIT_USAGE = 2;

/**
 * Parses a whole-number option strictly (no `12abc`, no `1e3`, no `-1`), within bounds.
 * @throws {CliUsageError} `--<name> must be a whole number, got "…"` or `must be from min to max`.
 */
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

/** A usage mistake: ours, or one `node:util`'s parseArgs found (unknown option, missing value). */
function isUsageError(err: unknown): boolean {
  return (
    err instanceof CliUsageError ||
    (err instanceof TypeError &&
      String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))
  );
}

function topHelp(program: string, commands: Readonly<Record<string, CliCommand>>): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    `Usage: ${program} <command> [options]`,
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    `Run '${program} <command> --help' for a command's options.`,
  ].join('\n');
}

/**
 * Runs `program` with `argv` (without `node` and the script): picks the command from
 * `commands`, and resolves with the exit code. Never throws: errors are printed on `io.err`,
 * a usage mistake with a hint (exit 2), any other failure with its `code` (exit 1).
 */
export async function runCommandLine(
  program: string,
  commands: Readonly<Record<string, CliCommand>>,
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(topHelp(program, commands));
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    io.err(`${program}: unknown command ${JSON.stringify(name)}\n\n${topHelp(program, commands)}`);
    return EXIT_USAGE;
  }
  // `-h`/`--help` anywhere before a `--` is the dispatcher's: a command never sees it.
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.includes('--help') || options.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (isUsageError(err)) {
      const usageLine = command.help.split('\n', 1)[0];
      io.err(
        `${program} ${name}: ${message}\n${usageLine}\nRun '${program} ${name} --help' for more.`,
      );
      return EXIT_USAGE;
    }
    const code = (err as { code?: unknown }).code;
    io.err(`${program} ${name}: ${message}${typeof code === 'string' ? ` [${code}]` : ''}`);
    return 1;
  }
}

/**
 * The process edge of a command: SIGINT/SIGTERM abort `io.signal`, lines go to stdout/stderr,
 * progress rewrites one status line when stderr is a terminal, and the exit code becomes
 * `process.exitCode`. With `forceName`, a second signal while the command is closing prints
 * `<forceName>: forced to stop` and exits 130 (a server whose close hangs can still be stopped);
 * without it the second signal gets Node's default (the process dies).
 */
export async function runCliProcess(
  run: (argv: readonly string[], io: CliIo) => Promise<number>,
  options: { forceName?: string } = {},
): Promise<void> {
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    if (options.forceName === undefined) {
      process.once(signal, () => controller.abort());
      continue;
    }
    process.on(signal, () => {
      if (!controller.signal.aborted) {
        controller.abort();
        return;
      }
      process.stderr.write(`${options.forceName}: forced to stop\n`);
      process.exit(130);
    });
  }
  process.exitCode = await run(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    // Carriage return, then erase the line: the status line is rewritten in place.
    status: process.stderr.isTTY ? (line) => process.stderr.write(`\r\x1b[2K${line}`) : undefined,
    signal: controller.signal,
  });
}
