import { freePort, pollUntil, probeService, rejectionOf } from '@socketlab/testkit';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DistributedError } from '../../src/errors.ts';
import { askInstances, createScaledServer, type ScalingAdapter } from '../../src/scaling/index.ts';
import { startInstances } from './helpers.ts';

const redis = await probeService('redis');

describe.skipIf(redis.skip)('serverSideEmit across instances', () => {
  beforeAll(() => redis.require());

  it.each<ScalingAdapter>(['pubsub', 'streams'])(
    'collects one answer from every other instance (%s adapter)',
    async (adapter) => {
      const { instances } = await startInstances(redis.url, adapter, 3);
      instances.forEach(({ io }, i) => {
        io.on('whoami', (question: string, ack: (reply: unknown) => void) =>
          ack({ instance: i, question }),
        );
      });
      const replies = await askInstances<{ instance: number; question: string }>(
        (instances[0] as (typeof instances)[0]).io,
        'whoami',
        'who are you?',
      );
      // every instance but the one asking, in no fixed order
      expect(replies.map((r) => r.instance).sort()).toEqual([1, 2]);
      expect(replies.every((r) => r.question === 'who are you?')).toBe(true);
    },
  );

  it('times out, losing the answers that came, when one instance does not answer', async () => {
    const { instances } = await startInstances(redis.url, 'pubsub', 3, { requestsTimeoutMs: 300 });
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    let bAnswered = 0;
    b.io.on('whoami', (ack: (reply: unknown) => void) => {
      bAnswered++;
      ack('b');
    });
    // instance C has no listener for 'whoami': Redis still counts it as subscribed, so the
    // adapter waits for its answer until requestsTimeoutMs
    const error = await rejectionOf(askInstances(a.io, 'whoami'));
    expect(error).toBeInstanceOf(DistributedError);
    expect(error).toMatchObject({ code: 'DISTRIBUTED_ERR_TIMEOUT' });
    expect(String((error as DistributedError).cause)).toMatch(/1 responses received out of 2/);
    // B handled it all the same: a timeout does not mean "not done"
    expect(bAnswered).toBe(1);
  });

  it('sends a plain serverSideEmit (no ack) to the others and never to itself', async () => {
    const { instances } = await startInstances(redis.url, 'pubsub', 2);
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const seenByA: unknown[] = [];
    a.io.on('invalidate', (key: unknown) => seenByA.push(key));
    const seenByB = new Promise((resolve) => b.io.on('invalidate', resolve));
    a.io.serverSideEmit('invalidate', 'user:42');
    expect(await seenByB).toBe('user:42');
    // a round trip through Redis from A after its own emit: its own message would be here by now
    await a.io.fetchSockets();
    expect(seenByA).toEqual([]);
  });

  it('rejects with DISTRIBUTED_ERR_UNAVAILABLE when Redis does not answer', async () => {
    const port = await freePort('127.0.0.1');
    const error = await rejectionOf(
      createScaledServer({
        redisUrl: `redis://127.0.0.1:${port}`,
        adapter: 'pubsub',
        connectTimeoutMs: 200,
      }),
    );
    expect(error).toMatchObject({ code: 'DISTRIBUTED_ERR_UNAVAILABLE' });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it.each<ScalingAdapter>(['pubsub', 'streams'])(
    'quits every Redis client it made on close, the adapter’s own included (%s adapter)',
    async (adapter) => {
      const { instances } = await startInstances(redis.url, adapter, 1);
      const scaled = instances[0] as (typeof instances)[0];
      const name = scaled.redis.options.connectionName as string;
      const observer = new Redis(redis.url);
      onTestFinished(() => observer.disconnect());
      const ours = async () =>
        String(await observer.call('CLIENT', 'LIST'))
          .split('\n')
          .filter((line) => line.includes(` name=${name} `)).length;
      // pub/sub: publisher and subscriber; streams: publisher, the reader and the subscriber it duplicated
      expect(await ours()).toBe(adapter === 'pubsub' ? 2 : 3);
      await scaled.close();
      await scaled.close(); // idempotent
      expect(
        await pollUntil(async () => (await ours()) === 0 || undefined, 'its clients to go'),
      ).toBe(true);
    },
  );

  it('refuses an unknown adapter or an empty key prefix before connecting to anything', async () => {
    await expect(
      // @ts-expect-error: not an adapter
      createScaledServer({ redisUrl: redis.url, adapter: 'memory' }),
    ).rejects.toThrow(TypeError);
    await expect(
      createScaledServer({ redisUrl: redis.url, adapter: 'pubsub', keyPrefix: '' }),
    ).rejects.toThrow(TypeError);
  });
});
