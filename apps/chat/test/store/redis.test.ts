import { probeService } from '@socketlab/testkit';
import { createRedisStores } from '../../src/store/redis.ts';
import { describeStoreConformance } from './conformance.ts';
import { redisPrefix } from './namespaces.ts';

const redis = await probeService('redis');

describeStoreConformance('Redis', {
  shared: true,
  skip: redis.skip,
  require: () => redis.require(),
  namespace() {
    const keyPrefix = redisPrefix(redis.url);
    return async (options) => {
      const stores = createRedisStores({ url: redis.url, keyPrefix, ...options });
      return { stores, crash: () => stores.abandon() };
    };
  },
});
