/**
 * The `socketlab-mux` dispatcher: a table of commands, top-level `--help`, and exit codes
 * (0 done, 1 failed, 2 called wrongly). Adding a command is one more entry in {@link CLI_COMMANDS}.
 * @internal
 */
import { type CliCommand, type CliIo, CliUsageError } from './command.ts';
import { loadCommand } from './load.ts';

/** Every `socketlab-mux` command, by name. */
export const CLI_COMMANDS: Readonly<Record<string, CliCommand>> = {
  load: loadCommand,
};

/** Exit code for a command called wrongly (unknown command, bad or missing option). */
export const EXIT_USAGE = 2;

function topHelp(): string {
  const width = Math.max(...Object.keys(CLI_COMMANDS).map((name) => name.length));
  return [
    'Usage: socketlab-mux <command> [options]',
    '',
    'Commands:',
    ...Object.entries(CLI_COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'socketlab-mux <command> --help' for a command's options.",
  ].join('\n');
}

/** A usage mistake: ours, or one `node:util`'s parseArgs found (unknown option, missing value). */
function isUsageError(err: unknown): boolean {
  return (
    err instanceof CliUsageError ||
    (err instanceof TypeError &&
      String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'))
  );
}

/**
 * Runs `socketlab-mux` with `argv` (without `node` and the script) and resolves with the exit
 * code. Never throws: errors are printed on `io.err`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(topHelp());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = Object.hasOwn(CLI_COMMANDS, name) ? CLI_COMMANDS[name] : undefined;
  if (command === undefined) {
    io.err(`socketlab-mux: unknown command ${JSON.stringify(name)}\n\n${topHelp()}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (isUsageError(err)) {
      io.err(`socketlab-mux ${name}: ${message}\nRun 'socketlab-mux ${name} --help' for usage.`);
      return EXIT_USAGE;
    }
    const code = (err as { code?: unknown }).code;
    io.err(`socketlab-mux ${name}: ${message}${typeof code === 'string' ? ` [${code}]` : ''}`);
    return 1;
  }
}
