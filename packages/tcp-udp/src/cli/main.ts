/**
 * The `socketlab-tcp` dispatcher: a table of commands, top-level `--help`, and exit codes
 * (0 done, 1 failed, 2 called wrongly). Adding a command is one more entry in {@link CLI_COMMANDS}.
 * @internal
 */

import { type CliCommand, type CliIo, runCommandLine } from '@socketlab/internal';
import { chatCommand } from './chat.ts';
import { echoCommand } from './echo.ts';
import { receiveCommand } from './receive.ts';
import { sendCommand } from './send.ts';

/** Every `socketlab-tcp` command, by name. */
export const CLI_COMMANDS: Readonly<Record<string, CliCommand>> = {
  echo: echoCommand,
  chat: chatCommand,
  receive: receiveCommand,
  send: sendCommand,
};

/**
 * Runs `socketlab-tcp` with `argv` (without `node` and the script) and resolves with the exit code.
 * Never throws: errors are printed on `io.err`.
 */
export function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandLine('socketlab-tcp', CLI_COMMANDS, argv, io);
}
