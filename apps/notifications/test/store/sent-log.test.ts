/**
 * One set of specs for every sender's history the app can run on: in memory (the reference),
 * Redis and JetStream KV, each on a prefix of its own deleted after the test.
 */
import { createNotificationId } from '@socketlab/distributed';
import { probeService, type ServiceProbe } from '@socketlab/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppNotification } from '../../src/contract.ts';
import { MemorySentLog, type SentLog, type SentLogOptions } from '../../src/server/sent-log.ts';
import { openJetStreamSentLog } from '../../src/store/nats-sent-log.ts';
import { RedisSentLog } from '../../src/store/redis-sent-log.ts';
import { natsForTest, redisForTest } from '../helpers/backends.ts';

const [redis, nats] = await Promise.all([probeService('redis'), probeService('nats')]);

interface Backend {
  readonly name: string;
  readonly probe: ServiceProbe | undefined;
  open(options: SentLogOptions): Promise<SentLog>;
}

const backends: Backend[] = [
  { name: 'memory', probe: undefined, open: async (options) => new MemorySentLog(options) },
  {
    name: 'Redis',
    probe: redis,
    async open(options) {
      const { client, prefix } = redisForTest(redis.url);
      return new RedisSentLog({ redis: client, prefix, ...options });
    },
  },
  {
    name: 'JetStream KV',
    probe: nats,
    async open(options) {
      const { nc, prefix } = await natsForTest(nats.url, (p) => [`KV_${p}_sent`]);
      return openJetStreamSentLog({ nc, prefix, ...options });
    },
  },
];

/** A notification `sender` sent to `to` (a user, or `#topic`). */
function sent(title: string, to = 'ada', sender = 'k1'): AppNotification {
  return {
    id: createNotificationId(),
    type: 'info',
    title,
    at: Date.now(),
    ...(to.startsWith('#') ? { topic: to.slice(1) } : { user: to }),
    data: { priority: 'normal', expiresAt: null, sender },
  } as AppNotification;
}

describe.each(backends)('the $name sent log', (backend) => {
  const skip = backend.probe?.skip ?? false;
  beforeAll(() => backend.probe?.require());

  it.skipIf(skip)('lists a key’s records oldest first, after a cursor, at most limit', async () => {
    const log = await backend.open({ perKey: 100 });
    const notes = ['one', 'two', 'three'].map((t) => sent(t));
    for (const n of notes) await log.record(n);
    await log.record(sent('other key', 'ada', 'k2'));
    await log.record(notes[0] as AppNotification); // a second record of one id is ignored
    const titles = async (after?: string, limit = 10) =>
      (await log.list('k1', after, limit)).map((r) => r.title);
    expect(await titles()).toEqual(['one', 'two', 'three']);
    expect(await titles(notes[0]?.id)).toEqual(['two', 'three']);
    expect(await titles(undefined, 2)).toEqual(['one', 'two']);
    expect(await titles(notes[2]?.id)).toEqual([]);
    expect(await log.list('k2', undefined, 10)).toMatchObject([{ title: 'other key' }]);
    expect(await log.list('nobody', undefined, 10)).toEqual([]);
    expect((await log.list('k1', undefined, 1))[0]).toEqual({
      id: notes[0]?.id,
      user: 'ada',
      title: 'one',
      priority: 'normal',
      at: notes[0]?.at,
      expiresAt: null,
      deliveredTo: [],
      readBy: [],
    });
  });

  it.skipIf(skip)(
    'records receipts from the user it was for and anyone for a topic, and refuses the rest',
    async () => {
      const log = await backend.open({ perKey: 100 });
      const direct = sent('for ada');
      const topic = sent('for all', '#deploys');
      await log.record(direct);
      await log.record(topic);
      expect(await log.delivered(direct.id, 'ada')).toBe(true);
      expect(await log.delivered(direct.id, 'ada')).toBe(true);
      expect(await log.read(direct.id, 'eve')).toBe(false);
      expect(await log.delivered(createNotificationId(), 'ada')).toBe(false);
      expect(await log.read(topic.id, 'bob')).toBe(true);
      expect(await log.delivered(topic.id, 'cy')).toBe(true);
      const [a, t] = await log.list('k1', undefined, 10);
      expect(a).toMatchObject({ deliveredTo: ['ada'], readBy: [] });
      expect(t).toMatchObject({ topic: 'deploys', deliveredTo: ['bob', 'cy'], readBy: ['bob'] });
    },
  );

  it.skipIf(skip)('takes receipts for one notification from many clients at once', async () => {
    const log = await backend.open({ perKey: 100 });
    const n = sent('for all', '#t');
    await log.record(n);
    const users = Array.from({ length: 8 }, (_, i) => `u${i}`);
    const results = await Promise.all(users.map((u) => log.read(n.id, u)));
    expect(results).toEqual(users.map(() => true));
    const [r] = await log.list('k1', undefined, 1);
    expect([...(r?.readBy ?? [])].sort()).toEqual(users);
  });

  it.skipIf(skip)('keeps the newest perKey of a key and forgets the others', async () => {
    const log = await backend.open({ perKey: 2, maxReceipts: 1 });
    const notes = ['1', '2', '3'].map((t) => sent(t, '#t'));
    for (const n of notes) await log.record(n);
    expect((await log.list('k1', undefined, 10)).map((r) => r.title)).toEqual(['2', '3']);
    expect(await log.read(notes[0]?.id as string, 'ada')).toBe(false);
    expect(await log.read(notes[2]?.id as string, 'ada')).toBe(true);
    expect(await log.read(notes[2]?.id as string, 'bob')).toBe(true); // beyond maxReceipts: not kept
    expect((await log.list('k1', notes[1]?.id, 10))[0]).toMatchObject({
      deliveredTo: ['ada'],
      readBy: ['ada'],
    });
  });
});
