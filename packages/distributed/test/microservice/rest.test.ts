import { once } from 'node:events';
import net from 'node:net';
import { probeService, withTimeout } from '@socketlab/testkit';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  createNotificationService,
  MemoryNotificationStore,
  type ServiceNotification,
} from '../../src/microservice/index.ts';
import { createScaledEmitter, type ScalingAdapter } from '../../src/scaling/index.ts';
import { client, inbox, next, uniquePrefix } from '../scaling/helpers.ts';
import { authenticate, get, post, startServices } from './helpers.ts';

const redis = await probeService('redis');

/** Writes `request` as it is on a new connection; resolves with everything the server sent until it closed or answered. */
async function rawRequest(url: string, request: string): Promise<string> {
  const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  socket.end(request);
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  await withTimeout(once(socket, 'close'), 'the server to answer and close');
  return text;
}

describe.skipIf(redis.skip).each<ScalingAdapter>(['pubsub', 'streams'])(
  'REST in, Socket.IO out, across instances (%s adapter)',
  (adapter) => {
    beforeAll(() => redis.require());

    it('pushes a notification posted on instance A to the user’s socket on instance B, and to no one else', async () => {
      const [a, b] = await startServices(redis.url, 2, { adapter });
      if (a === undefined || b === undefined) throw new Error('two instances');
      const ada = await client(b.url, { auth: { token: 'token-ada' } });
      const bob = await client(b.url, { auth: { token: 'token-bob' } });
      const toBob = inbox(bob, 'notification');
      const atAda = next(ada, 'notification', 'ada, on B, to get the notification posted on A');
      const posted = await post(a.url, {
        user: 'ada',
        title: 'build',
        body: 'green',
        data: { n: 1 },
      });
      expect(posted.status).toBe(202);
      expect(posted.body).toEqual({ id: expect.any(String), duplicate: false });
      const got = (await atAda) as ServiceNotification;
      expect(got).toEqual({
        id: posted.body.id,
        type: 'notification',
        title: 'build',
        body: 'green',
        data: { n: 1 },
        at: expect.any(Number),
        user: 'ada',
      });
      const atBob = next(bob, 'notification', 'bob to get his own');
      await post(a.url, { user: 'bob', title: 'yours' });
      expect(((await atBob) as ServiceNotification).title).toBe('yours');
      expect(toBob.map((n) => (n as ServiceNotification).title)).toEqual(['yours']);
    });

    it('sends nothing twice for one idempotency key, on the same or another instance', async () => {
      const [a, b] = await startServices(redis.url, 2, { adapter });
      if (a === undefined || b === undefined) throw new Error('two instances');
      const ada = await client(a.url, { auth: { token: 'token-ada' } });
      const got = inbox(ada, 'notification');
      const adaOnB = await client(b.url, { auth: { token: 'token-ada' } });
      const first = next(ada, 'notification', 'the first delivery');
      const onB = next(
        adaOnB,
        'notification',
        'the first delivery, on B (B stores before it pushes)',
      );
      const one = await post(a.url, { user: 'ada', title: 'paid', idempotencyKey: 'invoice-7' });
      await Promise.all([first, onB]);
      const again = await post(
        a.url,
        { user: 'ada', title: 'paid' },
        {
          headers: { 'idempotency-key': 'invoice-7' },
        },
      );
      expect(again).toEqual({ status: 202, body: { id: one.body.id, duplicate: true } });
      // instance B knows the key once the first notification reached it
      const page = await get(b.url, '/notifications?user=ada', 'ada');
      expect((page.body.notifications as ServiceNotification[]).map((n) => n.id)).toEqual([
        one.body.id,
      ]);
      const retryOnB = await post(b.url, {
        user: 'ada',
        title: 'paid',
        idempotencyKey: 'invoice-7',
      });
      expect(retryOnB.body).toEqual({ id: one.body.id, duplicate: true });
      const barrier = next(ada, 'notification', 'the barrier');
      await post(b.url, { user: 'ada', title: 'barrier' });
      await barrier;
      expect(got.map((n) => (n as ServiceNotification).title)).toEqual(['paid', 'barrier']);
      expect(a.stats()).toMatchObject({ accepted: 1, duplicates: 1 });
    });

    it('pushes a topic to the sockets that subscribed to it', async () => {
      const [a, b] = await startServices(redis.url, 2, { adapter });
      if (a === undefined || b === undefined) throw new Error('two instances');
      const ada = await client(b.url, { auth: { token: 'token-ada' } });
      expect(await ada.emitWithAck('subscribe', 'deploys')).toEqual({ ok: true, topic: 'deploys' });
      expect(await ada.emitWithAck('subscribe', 'no spaces')).toEqual({
        ok: false,
        error: 'INVALID_TOPIC',
      });
      const at = next(ada, 'notification', 'the topic’s notification');
      await post(a.url, { topic: 'deploys', title: 'v2 is out' });
      expect(await at).toMatchObject({ topic: 'deploys', title: 'v2 is out' });
    });
  },
);

describe.skipIf(redis.skip)('REST in: history, validation, auth', () => {
  beforeAll(() => redis.require());

  it('pages the history after an id, for the user’s own token only', async () => {
    const [a] = await startServices(redis.url, 1);
    if (a === undefined) throw new Error('one instance');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await post(a.url, { user: 'ada', title: `n${i}` })).body.id as string);
    const first = await get(a.url, '/notifications?user=ada&limit=2', 'ada');
    expect(first.status).toBe(200);
    expect((first.body.notifications as ServiceNotification[]).map((n) => n.id)).toEqual(
      ids.slice(0, 2),
    );
    expect(first.body.next).toBe(ids[1]);
    const rest = await get(a.url, `/notifications?user=ada&after=${ids[1]}`, 'ada');
    expect((rest.body.notifications as ServiceNotification[]).map((n) => n.title)).toEqual([
      'n2',
      'n3',
      'n4',
    ]);
    expect((await get(a.url, '/notifications?user=ada')).status).toBe(401);
    expect((await get(a.url, '/notifications?user=ada', 'bob')).body).toEqual({
      error: 'FORBIDDEN',
      message: expect.any(String),
    });
    for (const query of [
      '',
      'user=ada&topic=x',
      'user=ada&after=nope',
      'user=ada&limit=0',
      'user=ada&limit=101',
      'user=a%20b',
    ]) {
      const res = await get(a.url, `/notifications?${query}`, 'ada');
      expect(res, query).toEqual({
        status: 400,
        body: { error: 'INVALID_QUERY', message: expect.any(String) },
      });
    }
    expect((await get(a.url, '/health')).body).toMatchObject({ ok: true, socketIo: true });
  });

  it('lets only the tokens canPublish accepts post, and asks it for every post', async () => {
    const asked: (string | undefined)[] = [];
    const [a] = await startServices(redis.url, 1, {
      canPublish: async (token) => {
        asked.push(token);
        return token === 'publisher';
      },
    });
    if (a === undefined) throw new Error('one instance');
    const note = { user: 'ada', title: 'deploy' };
    expect(await post(a.url, note)).toEqual({
      status: 403,
      body: { error: 'FORBIDDEN', message: expect.any(String) },
    });
    const wrong = await post(a.url, note, { headers: { authorization: 'Bearer token-ada' } });
    expect(wrong.status).toBe(403);
    const right = await post(a.url, note, { headers: { authorization: 'Bearer publisher' } });
    expect(right).toEqual({ status: 202, body: { id: expect.any(String), duplicate: false } });
    expect(asked).toEqual([undefined, 'token-ada', 'publisher']);
    const history = await get(a.url, '/notifications?user=ada', 'ada');
    expect((history.body.notifications as ServiceNotification[]).map((n) => n.id)).toEqual([
      right.body.id,
    ]);
  });

  it('answers 503 when its store fails, tells onError, and serves the next request', async () => {
    const errors: unknown[] = [];
    const broken = new Error('the store is down');
    let failing = true;
    const inner = new MemoryNotificationStore();
    const [a] = await startServices(redis.url, 1, {
      onError: (error) => errors.push(error),
      store: {
        put: (key, notification, idempotencyKey) => inner.put(key, notification, idempotencyKey),
        list: (key, query) => {
          if (failing) throw broken;
          return inner.list(key, query);
        },
      },
    });
    if (a === undefined) throw new Error('one instance');
    expect(await get(a.url, '/notifications?user=ada', 'ada')).toEqual({
      status: 503,
      body: { error: 'UNAVAILABLE', message: expect.any(String) },
    });
    expect(errors).toEqual([broken]);
    failing = false;
    const ok = await get(a.url, '/notifications?user=ada', 'ada');
    expect(ok).toEqual({ status: 200, body: { notifications: [], next: null } });
  });

  it('refuses bad requests with a JSON error, and keeps serving', async () => {
    const [a] = await startServices(redis.url, 1, { maxBodyBytes: 1024 });
    if (a === undefined) throw new Error('one instance');
    const refused = async (status: number, error: string, body: unknown, init = {}) => {
      expect(await post(a.url, body, init), JSON.stringify(body)).toEqual({
        status,
        body: { error, message: expect.any(String) },
      });
    };
    await refused(400, 'INVALID_JSON', undefined, { raw: '{"user":' });
    await refused(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      { user: 'ada', title: 't' },
      { headers: { 'content-type': 'text/plain' } },
    );
    await refused(413, 'PAYLOAD_TOO_LARGE', { user: 'ada', title: 't', body: 'x'.repeat(2000) });
    for (const bad of [
      null,
      [],
      'ada',
      { title: 'no recipient' },
      { user: 'ada', topic: 'both', title: 't' },
      { user: 'a b', title: 't' },
      { user: 'ada' },
      { user: 'ada', title: '' },
      { user: 'ada', title: 7 },
      { user: 'ada', title: 't', extra: 1 },
      { user: 'ada', title: 't', idempotencyKey: '' },
      { user: 'ada', title: 't', data: JSON.parse(`${'['.repeat(20)}${']'.repeat(20)}`) },
    ]) {
      await refused(400, 'INVALID_NOTIFICATION', bad);
    }
    const raw = await rawRequest(a.url, 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(raw, 'a target that is not a URL').toMatch(/^HTTP\/1\.1 404 /);
    const res = await fetch(`${a.url}/nowhere`);
    expect(res.status).toBe(404);
    const put = await fetch(`${a.url}/notifications`, { method: 'PUT' });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, POST']);
    expect((await post(a.url, { user: 'ada', title: 'still here' })).status).toBe(202);
    expect(a.stats().rejected).toBe(12);
  });

  it('refuses a socket without a valid token', async () => {
    const [a] = await startServices(redis.url, 1);
    if (a === undefined) throw new Error('one instance');
    await expect(client(a.url, { auth: { token: 'nope' } })).rejects.toThrow(/unauthorized/);
    await expect(client(a.url)).rejects.toThrow(/unauthorized/);
  });

  it('takes requests on an emitter (no sockets) and pushes through the instances', async () => {
    const keyPrefix = uniquePrefix(redis.url);
    const [b] = await startServices(redis.url, 1, { keyPrefix });
    if (b === undefined) throw new Error('one instance');
    const emitter = await createScaledEmitter({
      redisUrl: redis.url,
      adapter: 'pubsub',
      keyPrefix,
    });
    onTestFinished(() => emitter.close());
    const front = await createNotificationService({ emitter, authenticate });
    onTestFinished(() => front.close());
    const url = `http://127.0.0.1:${await front.listen(0)}`;
    expect(front.io).toBeUndefined();
    const ada = await client(b.url, { auth: { token: 'token-ada' } });
    const at = next(ada, 'notification', 'ada, on an instance, to get what the emitter front took');
    const posted = await post(url, { user: 'ada', title: 'from the front' });
    expect(posted.status).toBe(202);
    expect(await at).toMatchObject({ id: posted.body.id, title: 'from the front' });
    const seen: string[] = [];
    front.onNotification((n) => seen.push(n.id));
    const atAda = next(ada, 'notification', 'the second one');
    const second = await post(url, { user: 'ada', title: 'two' });
    await atAda;
    expect(seen).toEqual([second.body.id]);
  });
});
