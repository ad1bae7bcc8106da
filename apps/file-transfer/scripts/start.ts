/**
 * `pnpm start`: a receiver (and its upload page) into a fresh temporary folder, which prints how to
 * send to it.
 * Extra arguments go to `socketlab-ft receive` (`pnpm start -- --tls`).
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCliProcess } from '@socketlab/internal';
import { runFtCli } from '../src/cli/command.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'socketlab-ft-inbox-'));
await runCliProcess(
  (argv, io) => {
    const extra = argv[0] === '--' ? argv.slice(1) : argv;
    return runFtCli(['receive', '--dir', dir, '--web', ...extra], io);
  },
  { forceName: 'socketlab-ft' },
);
