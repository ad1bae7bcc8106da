/**
 * The notifications app's benchmarks, each against the obvious alternative in the same run:
 * - latency: REST-to-socket p50/p99 with 1,000 users connected, against a bare node:http handler
 *   emitting to a Socket.IO room;
 * - fanout: notifications per second fanned out to 1,000 topic subscribers, 3 instances over
 *   Redis against 1 (needs Redis: skipped with one line when it is missing);
 * - conflation: memory held for a stalled subscriber of the conflated feed against a queue of
 *   every update.
 *   pnpm bench                  all, full run
 *   pnpm bench latency          only these
 *   BENCH_QUICK=1 pnpm bench    a short run that only proves the benchmarks still work
 */
import { benchAreas, runBenchGroups } from '@socketlab/testkit';

await runBenchGroups(
  benchAreas(new URL('.', import.meta.url), ['latency', 'fanout', 'conflation']),
);
