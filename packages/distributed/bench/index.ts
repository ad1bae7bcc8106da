/**
 * Stage 5 benchmarks, each against the obvious alternative in the same run: the tuning knobs
 * of D9 (Nagle, write batching, highWaterMark, backlog) against Node's defaults (tuning);
 * fan-out to many Socket.IO clients over 1, 2 and 3 instances on Redis and on NATS against one
 * in-memory instance (fanout); ack round trips through nginx against direct (nginx); JetStream
 * replay against a live core NATS subscription, RabbitMQ work-queue throughput with acks at
 * prefetch 50 against 1 (brokers). The areas that need Redis, NATS, RabbitMQ or nginx print
 * what to start and skip when it is missing, except under CI=true, where they fail.
 *   pnpm bench                      every area, full run
 *   pnpm bench tuning               only these areas
 *   BENCH_QUICK=1 pnpm bench        a short run that only proves every benchmark still works
 * Each area lives in bench/<area>.ts and exports `rows()`.
 */
import { benchAreas, runBenchGroups } from '@socketlab/testkit';

await runBenchGroups(
  benchAreas(new URL('.', import.meta.url), ['tuning', 'fanout', 'nginx', 'brokers']),
);
