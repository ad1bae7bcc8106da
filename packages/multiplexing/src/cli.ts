#!/usr/bin/env node
/**
 * The `socketlab-mux` command. `socketlab-mux --help` lists the commands; the dispatcher and the
 * commands live in `cli/main.ts` and `cli/<command>.ts`.
 */
import { runCli } from './cli/index.ts';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort());
}
const code = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  // On a terminal, progress rewrites one line (carriage return, erase line).
  status: process.stderr.isTTY ? (line) => process.stderr.write(`\r\x1b[2K${line}`) : undefined,
  signal: controller.signal,
});
process.exitCode = code;
