/**
 * One set of specs for every NotificationStore the app can run on: stage 5's memory store (the
 * reference), Redis Streams and JetStream, each on a prefix of its own deleted after the test.
 */
import { randomBytes } from 'node:crypto';
import {
  createNotificationId,
  MemoryNotificationStore,
  type NotificationStore,
  type ServiceNotification,
} from '@socketlab/distributed';
import { probeService, type ServiceProbe } from '@socketlab/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { openJetStreamStore } from '../../src/store/nats.ts';
import { RedisStreamStore } from '../../src/store/redis.ts';
import { natsForTest, redisForTest } from '../helpers/backends.ts';

const [redis, nats] = await Promise.all([probeService('redis'), probeService('nats')]);

interface Backend {
  readonly name: string;
  readonly probe: ServiceProbe | undefined;
  /** Keeps exactly the newest `max` per key (Redis's `MAXLEN ~` keeps about that many, at least). */
  readonly exactRetention: boolean;
  open(max: number): Promise<NotificationStore>;
}

const backends: Backend[] = [
  {
    name: 'memory (stage 5)',
    probe: undefined,
    exactRetention: true,
    open: async (max) => new MemoryNotificationStore({ maxPerRecipient: max }),
  },
  {
    name: 'Redis Streams',
    probe: redis,
    exactRetention: false,
    async open(max) {
      const { client, prefix } = redisForTest(redis.url);
      return new RedisStreamStore({ redis: client, prefix, maxPerRecipient: max });
    },
  },
  {
    name: 'JetStream',
    probe: nats,
    exactRetention: true,
    async open(max) {
      const { nc, prefix } = await natsForTest(nats.url, (p) => [`${p}_history`, `KV_${p}_idem`]);
      return openJetStreamStore({ nc, prefix, maxPerRecipient: max });
    },
  },
];

/**
 * A notification for `user`. Its id is stage 5's, or one of that shape made at `at` (stage 5's
 * never goes back in time within a process; another instance's clock can).
 */
function note(title: string, user = 'ada', at?: number): ServiceNotification {
  const id =
    at === undefined
      ? createNotificationId()
      : `${at.toString(36).padStart(9, '0')}-000000-${randomBytes(4).toString('hex')}`;
  return { id, type: 'info', title, at: at ?? Date.now(), user } as ServiceNotification;
}

const titles = (list: readonly ServiceNotification[]) => list.map((n) => n.title);

describe.each(backends)('the $name store', (backend) => {
  const skip = backend.probe?.skip ?? false;
  beforeAll(() => backend.probe?.require());

  it.skipIf(skip)('lists a key oldest first, after a cursor, at most limit', async () => {
    const store = await backend.open(100);
    const sent = ['one', 'two', 'three', 'four'].map((t) => note(t));
    for (const n of sent)
      expect(await store.put('user:ada', n)).toEqual({ notification: n, duplicate: false });
    expect(titles(await store.list('user:ada', { limit: 10 }))).toEqual([
      'one',
      'two',
      'three',
      'four',
    ]);
    expect(titles(await store.list('user:ada', { after: sent[1]?.id, limit: 10 }))).toEqual([
      'three',
      'four',
    ]);
    expect(titles(await store.list('user:ada', { limit: 2 }))).toEqual(['one', 'two']);
    expect(await store.list('user:ada', { after: sent[3]?.id, limit: 10 })).toEqual([]);
    expect(await store.list('user:nobody', { limit: 10 })).toEqual([]);
  });

  it.skipIf(skip)(
    'keeps keys apart, even ones that differ only around a dot or a colon',
    async () => {
      const store = await backend.open(100);
      const keys = ['user:a.b', 'user:a', 'topic:a.b', 'user:a:b', 'user:a@b-c_d'];
      for (const key of keys) await store.put(key, note(key));
      for (const key of keys) expect(titles(await store.list(key, { limit: 10 }))).toEqual([key]);
    },
  );

  it.skipIf(skip)('lists ids sorted although another instance’s clock put one late', async () => {
    const store = await backend.open(100);
    const now = Date.now();
    await store.put('user:ada', note('later', 'ada', now + 10));
    await store.put('user:ada', note('earlier', 'ada', now - 10));
    expect(titles(await store.list('user:ada', { limit: 10 }))).toEqual(['earlier', 'later']);
  });

  it.skipIf(skip)(
    'refuses a second put of one id (the copy another instance records)',
    async () => {
      const store = await backend.open(100);
      const n = note('once');
      await store.put('user:ada', n);
      expect(await store.put('user:ada', { ...n })).toEqual({ notification: n, duplicate: true });
      expect(titles(await store.list('user:ada', { limit: 10 }))).toEqual(['once']);
    },
  );

  it.skipIf(skip)(
    'answers a known idempotency key with the earlier notification and stores nothing',
    async () => {
      const store = await backend.open(100);
      const first = note('first');
      await store.put('user:ada', first, 'order-1');
      const retry = note('retry');
      expect(await store.put('user:ada', retry, 'order-1')).toEqual({
        notification: first,
        duplicate: true,
      });
      expect(titles(await store.list('user:ada', { limit: 10 }))).toEqual(['first']);
    },
  );

  it.skipIf(skip)(
    'stores one of two concurrent puts with one idempotency key, and both resolve with it',
    async () => {
      const store = await backend.open(100);
      const [x, y] = await Promise.all([
        store.put('user:ada', note('x'), 'race-1'),
        store.put('user:ada', note('y'), 'race-1'),
      ]);
      expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
      expect(x.notification).toEqual(y.notification);
      expect(titles(await store.list('user:ada', { limit: 10 }))).toEqual([x.notification.title]);
    },
  );

  it.skipIf(skip)('keeps the newest maxPerRecipient of a key', async () => {
    const store = await backend.open(3);
    for (const t of ['1', '2', '3', '4', '5']) await store.put('topic:t', note(t));
    const kept = titles(await store.list('topic:t', { limit: 10 }));
    if (backend.exactRetention) expect(kept).toEqual(['3', '4', '5']);
    else expect(kept.slice(-3)).toEqual(['3', '4', '5']);
  });
});
