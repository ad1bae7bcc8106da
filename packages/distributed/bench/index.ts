/**
 * Stage 5 benchmarks, each against the obvious alternative in the same run: the tuning knobs
 * of D9 (Nagle, write batching, highWaterMark, backlog) against Node's defaults (tuning).
 *   pnpm bench                      every area, full run
 *   pnpm bench tuning               only these areas
 *   BENCH_QUICK=1 pnpm bench        a short run that only proves every benchmark still works
 * Each area lives in bench/<area>.ts and exports `rows()`.
 */
import { benchAreas, runBenchGroups } from '@socketlab/testkit';

await runBenchGroups(benchAreas(new URL('.', import.meta.url), ['tuning']));
