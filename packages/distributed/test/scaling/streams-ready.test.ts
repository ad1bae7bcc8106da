import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { probeService } from '@socketlab/testkit';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { waitForStreamsAdapter } from '../../src/scaling/index.ts';
import { uniquePrefix } from './helpers.ts';

const redis = await probeService('redis');

/** A Redis client named `name`, quit when the test ends. */
function redisClient(name: string): Redis {
  const client = new Redis(redis.url, { connectionName: name, maxRetriesPerRequest: null });
  onTestFinished(() => {
    client.disconnect();
  });
  return client;
}

describe.skipIf(redis.skip)('waitForStreamsAdapter', () => {
  beforeAll(() => redis.require());

  it('resolves once an adapter made by hand reads its stream, and the marker is in the stream', async () => {
    const streamName = `${uniquePrefix(redis.url)}:stream`;
    const name = `socketlab-ready-${streamName.slice(-8)}`;
    const adapterClient = redisClient(name);
    const io = new Server(createServer(), {
      adapter: createAdapter(adapterClient, { streamName }),
    });
    onTestFinished(() => io.close());
    const control = redisClient(`${name}-control`);
    await waitForStreamsAdapter({ redis: control, io, streamName, connectionName: name });
    expect(await control.xlen(streamName)).toBeGreaterThanOrEqual(1);
    await control.del(streamName);
  });

  it('fails with DISTRIBUTED_ERR_TIMEOUT for a server whose adapter never reads the stream', async () => {
    const streamName = `${uniquePrefix(redis.url)}:stream`;
    const io = new Server(createServer()); // the in-memory adapter
    onTestFinished(() => io.close());
    const control = redisClient('socketlab-ready-none');
    onTestFinished(async () => {
      await control.del(streamName);
    });
    await expect(
      waitForStreamsAdapter({ redis: control, io, streamName, timeoutMs: 300 }),
    ).rejects.toMatchObject({ code: 'DISTRIBUTED_ERR_TIMEOUT' });
  });
});
