#!/usr/bin/env node
/**
 * The `socketlab-chat` command: `socketlab-chat --help` says what it takes; the command itself
 * lives in `server/command.ts`. A second Ctrl-C (or SIGTERM) while closing forces the exit.
 */
import { runCliProcess } from '@socketlab/internal';
import { runChatCli } from './server/command.ts';

await runCliProcess(runChatCli, { forceName: 'socketlab-chat' });
