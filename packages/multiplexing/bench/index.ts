/**
 * Stage 3 benchmarks: the library against the obvious alternative, in the same run.
 *   pnpm bench                      every area, full run
 *   pnpm bench load                 only these areas
 *   BENCH_QUICK=1 pnpm bench        a short run that only proves every benchmark still works
 * Each area lives in bench/<area>.ts and exports `rows()`.
 */
import { benchAreas, runBenchGroups } from '@socketlab/testkit';

await runBenchGroups(
  benchAreas(new URL('.', import.meta.url), [
    'connections',
    'load',
    'socket-options',
    'concurrency',
    'pool',
    'scale',
  ]),
);
