import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createNotificationId,
  jwtAuthenticate,
  MemoryNotificationStore,
  NOTIFICATION_ID_PATTERN,
  parseNotificationRequest,
  type ServiceNotification,
} from '../../src/microservice/index.ts';

const n = (id: string, user = 'ada'): ServiceNotification => ({
  id,
  type: 't',
  title: id,
  at: 0,
  user,
});

describe('notification requests, ids and the memory store', () => {
  it('makes ids that sort in the order they were made, even in one millisecond', () => {
    const ids = Array.from({ length: 50 }, () => createNotificationId(1_000));
    expect(ids.every((id) => NOTIFICATION_ID_PATTERN.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(createNotificationId(2_000) > (ids.at(-1) as string)).toBe(true);
  });

  it('checks a request and names the field that is wrong', () => {
    expect(parseNotificationRequest({ topic: 'ops', title: 'up', idempotencyKey: 'k' })).toEqual({
      recipient: { topic: 'ops' },
      type: 'notification',
      title: 'up',
      idempotencyKey: 'k',
    });
    expect(() => parseNotificationRequest({ user: 'ada', title: 'x'.repeat(201) })).toThrow(
      expect.objectContaining({
        code: 'DISTRIBUTED_ERR_PAYLOAD',
        message: expect.stringMatching(/title/),
      }),
    );
  });

  it('keeps a bounded, id-ordered history per recipient, and one notification per idempotency key', () => {
    const store = new MemoryNotificationStore({ maxPerRecipient: 3, maxIdempotencyKeys: 1 });
    for (const id of ['b', 'a', 'c', 'd']) store.put('user:ada', n(id));
    expect(store.list('user:ada', { limit: 10 }).map((x) => x.id)).toEqual(['b', 'c', 'd']);
    expect(store.list('user:ada', { after: 'b', limit: 1 }).map((x) => x.id)).toEqual(['c']);
    expect(store.list('user:ada', { after: 'z', limit: 5 })).toEqual([]);
    expect(store.put('user:bob', n('x', 'bob'), 'k1').duplicate).toBe(false);
    expect(store.put('user:bob', n('y', 'bob'), 'k1')).toEqual({
      notification: n('x', 'bob'),
      duplicate: true,
    });
    store.put('user:bob', n('z', 'bob'), 'k2'); // k1 is forgotten: one key is remembered
    expect(store.put('user:bob', n('w', 'bob'), 'k1').duplicate).toBe(false);
    expect(() => new MemoryNotificationStore({ maxPerRecipient: 0 })).toThrow(RangeError);
  });

  it('turns a verified JWT into its subject, and anything else into no user', async () => {
    const key = 'a-secret-of-at-least-thirty-two-bytes!!';
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const sign = (claims: Record<string, unknown>) => {
      const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
      return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
    };
    const authenticate = jwtAuthenticate({
      algorithms: ['HS256'],
      key,
      issuer: 'auth',
      audience: 'notifications',
    });
    const exp = Math.floor(Date.now() / 1000) + 60;
    expect(await authenticate(sign({ sub: 'ada', iss: 'auth', aud: 'notifications', exp }))).toBe(
      'ada',
    );
    expect(
      await authenticate(sign({ sub: 'ada', iss: 'evil', aud: 'notifications', exp })),
    ).toBeUndefined();
    expect(await authenticate('not.a.jwt')).toBeUndefined();
  });
});
