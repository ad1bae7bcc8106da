/**
 * `pnpm matrix`: the instructor's report of every stage × exercise for the reference solutions,
 * the untouched starters and each student checkout (see packages/socketlab/README.md).
 *   pnpm matrix --help
 */
import { matrixMain } from '../packages/socketlab/src/matrix/main.ts';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.exitCode = await matrixMain(
  process.argv.slice(2),
  {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    color: false,
    signal: controller.signal,
    env: process.env,
  },
  { tty: process.stderr.isTTY === true, write: (text) => process.stderr.write(text) },
);
