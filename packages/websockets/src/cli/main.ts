/**
 * The `socketlab-ws` commands, by name; the dispatch (help, exit codes) is
 * `@socketlab/internal`'s.
 * @internal
 */
import type { Readable } from 'node:stream';
import { type CliCommand, type CliIo, runCommandLine } from '@socketlab/internal';
import { createConnectCommand } from './connect.ts';
import { echoCommand } from './echo.ts';

/** What `socketlab-ws` prints to and reads from; `stdin` defaults to the process's. */
export interface WsCliIo extends CliIo {
  /** Where `connect` reads the lines it sends. @default process.stdin */
  readonly stdin?: Readable | undefined;
}

/** Every `socketlab-ws` command, by name, `connect` reading from `stdin()`. */
function commandsFor(stdin: () => Readable): Readonly<Record<string, CliCommand>> {
  return { connect: createConnectCommand(stdin), echo: echoCommand };
}

/**
 * Runs `socketlab-ws` with `argv` (without `node` and the script) and resolves with the exit
 * code: 0 done, 1 failed, 2 called wrongly. Never throws.
 */
export function runCli(argv: readonly string[], io: WsCliIo): Promise<number> {
  return runCommandLine(
    'socketlab-ws',
    commandsFor(() => io.stdin ?? process.stdin),
    argv,
    io,
  );
}
