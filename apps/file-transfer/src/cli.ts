#!/usr/bin/env node
/**
 * The `socketlab-ft` command: `socketlab-ft --help` says what it takes; the commands live in
 * `cli/`. A second Ctrl-C (or SIGTERM) while stopping forces the exit.
 */
import { runCliProcess } from '@socketlab/internal';
import { runFtCli } from './cli/command.ts';

await runCliProcess(runFtCli, { forceName: 'socketlab-ft' });
