import { probeService } from '@socketlab/testkit';
import { connectNatsStores } from '../../src/store/nats.ts';
import { describeStoreConformance } from './conformance.ts';
import { natsPrefix } from './namespaces.ts';

const nats = await probeService('nats');

describeStoreConformance('NATS', {
  shared: true,
  skip: nats.skip,
  require: () => nats.require(),
  namespace() {
    const prefix = natsPrefix(nats.url);
    return async (options) => {
      const stores = await connectNatsStores({ url: nats.url, prefix, ...options });
      return { stores, crash: () => stores.abandon() };
    };
  },
});
