#!/usr/bin/env node
/**
 * The `socketlab-notify` command: `socketlab-notify --help` says what it takes; the command itself
 * lives in `server/command.ts`. A second Ctrl-C (or SIGTERM) while closing forces the exit.
 */
import { runCliProcess } from '@socketlab/internal';
import { runNotifyCli } from './server/command.ts';

await runCliProcess(runNotifyCli, { forceName: 'socketlab-notify' });
