/**
 * Stage 4 benchmarks, each against the obvious alternative in the same run: @socketlab/websockets
 * against ws, pure JS and with its native add-ons (echo, broadcast, memory); the realtime entry's
 * middleware against bare Socket.IO (realtime); its message encodings (schema, MessagePack)
 * against JSON (encoding); and the game server's tick against its period (game).
 *   pnpm bench                      every area, full run
 *   pnpm bench echo                 only these areas (echo, broadcast, memory, realtime, encoding, game)
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
