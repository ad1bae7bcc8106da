/**
 * Echo through a server and a client of the same implementation, each in its own process
 * (bench/sides.ts), for ours, ws pure JS and ws with its add-ons. Two rows:
 * - 64-byte text messages, pipelined: the client sends a string, at most 100 unanswered, the
 *   server sends each message back as it came (`send(data, { binary: isBinary })`). Unit:
 *   messages echoed per second.
 * - 1 MiB binary messages, at most 4 unanswered. Unit: MB (10^6 bytes) of messages echoed per
 *   second, each message counted once.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts echo
 */
import type { BenchRow } from '@socketlab/testkit';
import { compareSides, type Pair, type SideName, startPairs, stopPairs } from './sides.ts';

const SMALL = 64;
const LARGE = 1024 * 1024;

/** The `run` of compareSides for one kind of message. */
function echoing(
  pairs: readonly Pair[],
  size: number,
  binary: boolean,
  window: number,
): (side: SideName, n: number) => Promise<void> {
  return async (side, n) => {
    const pair = pairs.find((p) => p.side.name === side);
    await pair?.client.request('echo', { n, size, binary, window });
  };
}

/** The echo area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  const pairs = await startPairs(1, true);
  try {
    const small = await compareSides(
      'echo-64B-text-pipelined',
      'messages/s',
      echoing(pairs, SMALL, false, 100),
      { batch: 2_000, maxBatches: 500 },
    );
    const large = await compareSides('echo-1MiB-binary', 'MB/s', echoing(pairs, LARGE, true, 4), {
      batch: 16,
      maxBatches: 200,
      scale: (perSecond) => (perSecond * LARGE) / 1e6,
    });
    return [...small, ...large];
  } finally {
    await stopPairs(pairs);
  }
}
