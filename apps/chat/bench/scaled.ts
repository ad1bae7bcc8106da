/**
 * Broadcast to 1,000 clients (50 quick) spread round robin over 3 chat instances sharing Redis
 * (Redis backend: history in Redis, the Streams adapter carrying each message to the other
 * instances) against 1 chat instance with the memory backend, in the same run. All instances,
 * clients and senders share this process (and Redis the machine): the ratio says what the Redis
 * hop costs, not what three machines would reach.
 *   pnpm bench scaled
 */
import { randomUUID } from 'node:crypto';
import { type BenchRow, compareRounds, probeService } from '@socketlab/testkit';
import { Redis } from 'ioredis';
import { createRedisBackend } from '../src/backends/index.ts';
import { createMemoryBackend } from '../src/store/memory.ts';
import { broadcastRate, CLIENTS, chatTarget, type Target } from './helpers.ts';

export async function rows(): Promise<BenchRow[]> {
  const redis = await probeService('redis');
  if (redis.skip) return [];
  redis.require();
  const keyPrefix = `bench-chat-${randomUUID().slice(0, 8)}`;
  const measure = async (target: Target): Promise<number> => {
    try {
      return await broadcastRate(target, 20);
    } finally {
      await target.close();
    }
  };
  try {
    return [
      await compareRounds({
        bench: `broadcast to ${CLIENTS} clients, 3 instances`,
        unit: 'deliveries/s',
        ours: async () =>
          measure(
            await chatTarget(
              '3 instances over Redis',
              [0, 1, 2].map(() => createRedisBackend({ url: redis.url, keyPrefix })),
            ),
          ),
        baseline: '1 instance (memory)',
        theirs: async () => measure(await chatTarget('1 instance', [createMemoryBackend()])),
      }),
    ];
  } finally {
    const client = new Redis(redis.url);
    const keys = await client.keys(`${keyPrefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  }
}
