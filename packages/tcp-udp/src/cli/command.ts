/**
 * What the `socketlab-tcp` commands share: their shape (from `@socketlab/internal`), the server
 * options and how a server command parses them and ends, and strict integer parsing. Not re-exported from the package: the CLI is a program.
 * @internal
 */

import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { CliIo } from '@socketlab/internal';

// The command shape, the usage error and the dispatcher are every stage's: @socketlab/internal.
export {
  type CliCommand,
  type CliIo,
  CliUsageError,
  parseIntegerOption,
} from '@socketlab/internal';

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

/** What {@link parseServerArgs} parses with (named, so the declaration build can name its result). */
type ServerArgsConfig<Options> = {
  args: string[];
  options: Omit<typeof SERVER_OPTIONS, keyof Options> & Options;
  strict: true;
  allowPositionals: false;
};

/** The values {@link parseServerArgs} returns. */
type ServerArgs<Options> = ReturnType<typeof parseArgs<ServerArgsConfig<Options>>>['values'];

/**
 * Parses a server command's arguments: {@link SERVER_OPTIONS} and the command's own `options`
 * (which may override one, e.g. another `--idle-timeout` default), strictly, no positionals.
 * @throws {TypeError} from `parseArgs` for an unknown option or a missing value.
 */
export function parseServerArgs<const Options extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: Options,
): ServerArgs<Options> {
  const all: Omit<typeof SERVER_OPTIONS, keyof Options> & Options = {
    ...SERVER_OPTIONS,
    ...options,
  };
  return parseArgs({ args, options: all, strict: true, allowPositionals: false }).values;
}

/** Resolves once `signal` is aborted (at once if it already is): how a server command waits for Ctrl-C. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * A server command's end: waits for Ctrl-C (or SIGTERM), says `closing()` on stderr, closes,
 * says `closed`, and returns exit code 0.
 */
export async function closeWhenAborted(
  io: CliIo,
  closing: () => string,
  close: () => Promise<void>,
): Promise<number> {
  await untilAborted(io.signal);
  io.err(closing());
  await close();
  io.err('closed');
  return 0;
}
