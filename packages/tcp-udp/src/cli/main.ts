/**
 * The `socketlab-tcp` dispatcher: a table of commands, top-level `--help`, and exit codes
 * (0 done, 1 failed, 2 called wrongly). Adding a command is one more entry in {@link CLI_COMMANDS}.
 * @internal
 */

import { chatCommand } from './chat.ts';
import { type CliCommand, type CliIo, CliUsageError } from './command.ts';
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

/** Exit code for a command called wrongly (unknown command, bad or missing option). */
export const EXIT_USAGE = 2;

function topHelp(): string {
  const width = Math.max(...Object.keys(CLI_COMMANDS).map((name) => name.length));
  const lines = Object.entries(CLI_COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return [
    'Usage: socketlab-tcp <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    "Run 'socketlab-tcp <command> --help' for a command's options.",
  ].join('\n');
}

/**
 * Runs `socketlab-tcp` with `argv` (without `node` and the script) and resolves with the exit code.
 * Never throws: errors are printed on `io.err`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(topHelp());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = Object.hasOwn(CLI_COMMANDS, name) ? CLI_COMMANDS[name] : undefined;
  if (command === undefined) {
    io.err(`socketlab-tcp: unknown command ${JSON.stringify(name)}\n\n${topHelp()}`);
    return EXIT_USAGE;
  }
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.includes('--help') || options.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const usage =
      err instanceof CliUsageError ||
      (err instanceof TypeError &&
        String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'));
    if (usage) {
      const usageLine = command.help.split('\n', 1)[0];
      io.err(
        `socketlab-tcp ${name}: ${(err as Error).message}\n${usageLine}\nRun 'socketlab-tcp ${name} --help' for more.`,
      );
      return EXIT_USAGE;
    }
    io.err(`socketlab-tcp ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
