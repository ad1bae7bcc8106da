/**
 * Broadcast: a server sends each 64-byte message, as text, to every one of its clients
 * (1,000; 200 with BENCH_QUICK=1) with a loop of `send()` over `clients`, the way ws's README
 * relays a message to a room; the clients, all in one process, count what they receive. A batch
 * ends when every client has every message. Server and clients are of the same implementation,
 * each in its own process (bench/sides.ts). Unit: deliveries (message × client) per second.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts broadcast
 */
import { BENCH_QUICK, type BenchRow } from '@socketlab/testkit';
import { compareSides, startPairs, stopPairs } from './sides.ts';

const CLIENTS = BENCH_QUICK ? 200 : 1_000;
const SIZE = 64;

/** The broadcast area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  const pairs = await startPairs(CLIENTS, false);
  try {
    const delivered = new Map<string, number>();
    return await compareSides(
      `broadcast-64B-${CLIENTS}-clients`,
      'deliveries/s',
      async (side, n) => {
        const pair = pairs.find((p) => p.side.name === side);
        if (pair === undefined) return;
        const target = (delivered.get(side) ?? 0) + n * CLIENTS;
        delivered.set(side, target);
        await Promise.all([
          pair.client.request('received', { target }),
          pair.server.request('broadcast', { count: n, size: SIZE }),
        ]);
      },
      { batch: 10, maxBatches: 1_000, scale: (perSecond) => perSecond * CLIENTS },
    );
  } finally {
    await stopPairs(pairs);
  }
}
