import { probeService } from '@socketlab/testkit';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { createRedisStores } from '../../src/store/redis.ts';
import { describeStoreConformance } from './conformance.ts';

const redis = await probeService('redis');

describeStoreConformance('Redis', {
  shared: true,
  skip: redis.skip,
  require: () => redis.require(),
  namespace() {
    const keyPrefix = `test-chat-${crypto.randomUUID().slice(0, 8)}`;
    onTestFinished(async () => {
      const client = new Redis(redis.url);
      const keys = await client.keys(`${keyPrefix}:*`);
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
    });
    return async (options) => {
      const stores = createRedisStores({ url: redis.url, keyPrefix, ...options });
      return { stores, crash: () => stores.abandon() };
    };
  },
});
