/**
 * What the `socketlab-tcp` commands share: their shape (from `@socketlab/internal`), the server
 * options and strict integer parsing. Not re-exported from the package: the CLI is a program.
 * @internal
 */

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

/** Resolves once `signal` is aborted (at once if it already is): how a server command waits for Ctrl-C. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
