/**
 * The `socketlab-mux` commands, by name. Adding a command is one more entry in
 * {@link CLI_COMMANDS}; the dispatch (help, exit codes) is `@socketlab/internal`'s.
 * @internal
 */
import { type CliCommand, type CliIo, runCommandLine } from '@socketlab/internal';
import { chatCommand } from './chat.ts';
import { echoCommand } from './echo.ts';
import { loadCommand } from './load.ts';

/** Every `socketlab-mux` command, by name. */
export const CLI_COMMANDS: Readonly<Record<string, CliCommand>> = {
  chat: chatCommand,
  echo: echoCommand,
  load: loadCommand,
};

/**
 * Runs `socketlab-mux` with `argv` (without `node` and the script) and resolves with the exit
 * code: 0 done, 1 failed, 2 called wrongly. Never throws.
 */
export function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommandLine('socketlab-mux', CLI_COMMANDS, argv, io);
}
