/**
 * Stage 3 benchmarks: the library against the obvious alternative, in the same run.
 *   pnpm bench                      a full run
 *   BENCH_QUICK=1 pnpm bench        a short run that only proves every benchmark still works
 */
import { report } from '@socketlab/testkit';
import { rows } from './connections.ts';

report(await rows());
