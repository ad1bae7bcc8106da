#!/usr/bin/env node
/**
 * The `socketlab-tcp` command. `socketlab-tcp --help` lists the commands; the dispatcher and the
 * commands live in `cli/main.ts` and `cli/<command>.ts`. SIGINT and SIGTERM abort the
 * command's signal: a server closes gracefully; a client stops, and the process exits once it returns.
 */
import { runCli } from './cli/index.ts';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort());
}
const code = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  signal: controller.signal,
});
process.exitCode = code;
// A stopped client may leave a socket behind (its library call cannot be cancelled): exit now.
if (controller.signal.aborted) process.exit(code);
