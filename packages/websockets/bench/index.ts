/**
 * Stage 4 benchmarks: @socketlab/websockets against ws, pure JS and with its native add-ons,
 * in the same run; and the message encodings of the realtime entry (schema, MessagePack) against
 * JSON.
 *   pnpm bench                      every area, full run
 *   pnpm bench echo                 only these areas (echo, broadcast, memory, game)
 *   BENCH_QUICK=1 pnpm bench        a short run that only proves every benchmark still works
 * Each area lives in bench/<area>.ts and exports `rows()`; bench/sides.ts runs the three sides
 * in processes of their own (bench/peer.ts).
 */
import { benchAreas, runBenchGroups } from '@socketlab/testkit';

await runBenchGroups(
  benchAreas(new URL('.', import.meta.url), [
    'echo',
    'broadcast',
    'memory',
    'realtime',
    'encoding',
    'game',
  ]),
);
