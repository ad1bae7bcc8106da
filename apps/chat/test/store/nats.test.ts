import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { probeService } from '@socketlab/testkit';
import { onTestFinished } from 'vitest';
import { connectNatsStores } from '../../src/store/nats.ts';
import { describeStoreConformance } from './conformance.ts';

const nats = await probeService('nats');

describeStoreConformance('NATS', {
  shared: true,
  skip: nats.skip,
  require: () => nats.require(),
  namespace() {
    const prefix = `t_chat_${randomUUID().slice(0, 8)}`;
    onTestFinished(async () => {
      const nc = await connect({ servers: nats.url });
      const jsm = await jetstreamManager(nc);
      for (const stream of [
        `${prefix}_history`,
        `KV_${prefix}_presence`,
        `KV_${prefix}_instances`,
      ]) {
        await jsm.streams.delete(stream).catch(() => undefined);
      }
      await nc.close();
    });
    return async (options) => {
      const stores = await connectNatsStores({ url: nats.url, prefix, ...options });
      return { stores, crash: () => stores.abandon() };
    };
  },
});
