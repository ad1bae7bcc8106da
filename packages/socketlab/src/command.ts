/**
 * The shape of one `socketlab` command, so that adding a command is one more entry in the table
 * of `src/main.ts`.
 */
import { type ParseArgsConfig, parseArgs, styleText } from 'node:util';

/** Where a command prints, what it reads, and how it is told to stop. */
export interface CliIo {
  /** Text for the user on stdout (a line, or several joined by `\n`). */
  out(text: string): void;
  /** Diagnostics on stderr. */
  err(text: string): void;
  /** Whether to colour the output (stdout is a terminal and NO_COLOR is not set). */
  readonly color: boolean;
  /** Aborted on SIGINT/SIGTERM: a long-running command stops gracefully and returns. */
  readonly signal: AbortSignal;
  /** The environment (SOCKETLAB_ROOT, SOCKETLAB_PROGRESS, …). */
  readonly env: NodeJS.ProcessEnv;
  /** Keys for `watch`: a terminal (raw mode) or plain lines. */
  readonly stdin?: KeyInput;
}

/** What `watch` reads its keys from: process.stdin, or a stream in tests. */
export interface KeyInput extends NodeJS.EventEmitter {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding?(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** One command: its one-line summary, its `--help` text, and what it does. */
export interface CliCommand {
  readonly summary: string;
  readonly help: string;
  /** Runs with the arguments after the command name; resolves with the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

// One usage error, exit code and option parser for every socketlab command: @socketlab/internal.
import { CliUsageError } from '@socketlab/internal';

export { CliUsageError, EXIT_USAGE, parseIntegerOption } from '@socketlab/internal';

/**
 * `node:util`'s parseArgs, with its errors turned into {@link CliUsageError} (exit code 2).
 * `--help`/`-h` is accepted here and answered by the dispatcher (`src/main.ts`) before a command runs.
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: O,
  allowPositionals = true,
) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as O & {
        help: { type: 'boolean'; short: 'h' };
      },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
}

type Style = 'green' | 'red' | 'yellow' | 'cyan' | 'dim' | 'bold';

/** `text` in `style` when `io.color`, else as it is. */
export function paint(io: Pick<CliIo, 'color'>, style: Style, text: string): string {
  return io.color ? styleText(style, text) : text;
}
