/**
 * The chat's benchmarks, each against the obvious alternative in the same run:
 * - app: broadcast to 1,000 clients, message round trip and memory per client, through the chat
 *   (memory backend, every check and store on the way) against a bare Socket.IO server doing the
 *   same emits;
 * - scaled: broadcast to 1,000 clients spread over 3 instances sharing Redis against 1 instance
 *   (needs Redis: skipped with one line when it is missing, a failure under CI=true).
 *   pnpm bench                  both, full run
 *   pnpm bench app              only these
 *   BENCH_QUICK=1 pnpm bench    a short run that only proves the benchmarks still work
 */
import { benchAreas, runBenchGroups } from '@socketlab/testkit';

await runBenchGroups(benchAreas(new URL('.', import.meta.url), ['app', 'scaled']));
