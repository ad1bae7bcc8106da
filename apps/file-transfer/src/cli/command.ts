/**
 * `socketlab-ft`: the subcommands `receive` and `send`, run with the repository's common
 * command-line plumbing (help, usage errors, exit codes).
 */
import { type CliIo, runCommandLine } from '@socketlab/internal';
import { receiveCommand } from './receive-command.ts';
import { sendCommand } from './send-command.ts';

/** Runs `socketlab-ft` with `argv` (without `node` and the script); resolves with the exit code. */
export function runFtCli(argv: readonly string[], io: CliIo): Promise<number> {
  // `pnpm start -- …` hands the script its `--` too.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  return runCommandLine('socketlab-ft', { receive: receiveCommand, send: sendCommand }, args, io);
}
