#!/usr/bin/env node
/**
 * The `socketlab-ws` command. `socketlab-ws --help` lists the commands; the table and the
 * commands live in `cli/main.ts` and `cli/<command>.ts`.
 */
import { runCliProcess } from '@socketlab/internal';
import { runCli } from './cli/index.ts';

await runCliProcess(runCli);
