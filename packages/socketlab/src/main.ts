/**
 * The `socketlab` dispatcher: a table of commands, top-level `--help`, and exit codes (0 done,
 * 1 failed, 2 called wrongly). Adding a command is one more entry in {@link COMMANDS}.
 */
import { type CliCommand, type CliIo, CliUsageError, EXIT_USAGE } from './command.ts';
import { hintCommand } from './commands/hint.ts';
import { listCommand } from './commands/list.ts';
import { resetCommand } from './commands/reset.ts';
import { runCommand } from './commands/run.ts';
import { solutionCommand } from './commands/solution.ts';
import { verifyCommand } from './commands/verify.ts';
import { watchCommand } from './commands/watch.ts';

/** Every `socketlab` command, by name. */
export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  list: listCommand,
  watch: watchCommand,
  verify: verifyCommand,
  hint: hintCommand,
  solution: solutionCommand,
  reset: resetCommand,
  run: runCommand,
};

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'usage: pnpm socketlab [command] [options]     (from anywhere in the repository)',
    '',
    'Learn socket programming stage by stage: read a lesson, make its exercise pass, move on.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'socketlab <command> --help' for a command's options. Without a command: list.",
    'Progress is kept in .socketlab-progress.json in the repository root (SOCKETLAB_PROGRESS to move it).',
  ].join('\n');
}

/**
 * Runs `socketlab` with `argv` (without `node` and the script) and resolves with the exit code.
 * Never throws: errors are printed on `io.err`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.out(topHelp());
    return 0;
  }
  const named = first !== undefined && !first.startsWith('-');
  const name = named ? first : 'list';
  const command = COMMANDS[name];
  if (!command) {
    io.err(`socketlab: unknown command ${JSON.stringify(name)}\n\n${topHelp()}`);
    return EXIT_USAGE;
  }
  const args = named ? rest : [...argv];
  const options = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (options.includes('--help') || options.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.err(`socketlab ${name}: ${error.message}\nRun 'socketlab ${name} --help' for its usage.`);
      return EXIT_USAGE;
    }
    io.err(`socketlab ${name}: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

/** The bin's entry: real stdout/stderr/stdin, Ctrl-C as an abort. */
export async function main(argv: readonly string[]): Promise<number> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const io: CliIo = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    signal: controller.signal,
    env: process.env,
    stdin: process.stdin,
  };
  try {
    return await runCli(argv, io);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.stdin.pause();
  }
}
