#!/usr/bin/env node
/**
 * The `socketlab-ft` command: `socketlab-ft --help` says what it takes; the commands live in
 * `cli/`. A second Ctrl-C (or SIGTERM) while stopping forces the exit.
 */
import { runCliProcess } from '@socketlab/internal';
import { runFtCli } from './cli/command.ts';

let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    signals++;
    if (signals > 1) {
      process.stderr.write('socketlab-ft: forced to stop\n');
      process.exit(130);
    }
  });
}

await runCliProcess(runFtCli);
