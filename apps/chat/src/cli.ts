#!/usr/bin/env node
/**
 * The `socketlab-chat` command: `socketlab-chat --help` says what it takes; the command itself
 * lives in `server/command.ts`. A second Ctrl-C (or SIGTERM) while closing forces the exit.
 */
import { runCliProcess } from '@socketlab/internal';
import { runChatCli } from './server/command.ts';

let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    signals++;
    if (signals > 1) {
      process.stderr.write('socketlab-chat: forced to stop\n');
      process.exit(130);
    }
  });
}

await runCliProcess(runChatCli);
