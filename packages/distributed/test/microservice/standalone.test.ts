/**
 * One instance on its own (no Redis, no emitter), and an app's routes on the service's server:
 * what an app needs to start with nothing installed and to add its own endpoints.
 */
import { withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createNotificationService,
  HttpRefusal,
  type NotificationCluster,
  type NotificationRoute,
  type NotificationServiceOptions,
  readJsonBody,
  sendJson,
} from '../../src/microservice/index.ts';
import { client, next } from '../scaling/helpers.ts';
import { authenticate, post } from './helpers.ts';

async function startAlone(options: Partial<NotificationServiceOptions> = {}): Promise<string> {
  const service = await createNotificationService({
    authenticate,
    ...options,
  } as NotificationServiceOptions);
  onTestFinished(() => service.close());
  const port = await service.listen(0);
  return `http://127.0.0.1:${port}`;
}

describe('a notification service on its own', () => {
  it('pushes a posted notification to the user’s socket without Redis', async () => {
    const url = await startAlone();
    const ada = await client(url, { auth: { token: 'token-ada' } });
    const got = next(ada, 'notification', 'ada’s notification');
    expect((await post(url, { user: 'ada', title: 'hello' })).status).toBe(202);
    expect(await got).toMatchObject({ user: 'ada', title: 'hello' });
  });

  it('serves long-polling clients: the routes do not answer engine.io’s requests', async () => {
    const url = await startAlone();
    const ada = await client(url, { auth: { token: 'token-ada' }, transports: ['polling'] });
    expect(ada.io.engine.transport.name).toBe('polling');
    const got = next(ada, 'notification', 'ada’s notification over polling');
    expect((await post(url, { user: 'ada', title: 'polled' })).status).toBe(202);
    expect(await got).toMatchObject({ title: 'polled' });
  });
});

/** Members of one in-process cluster: what one emits reaches every other member's listeners. */
function inProcessCluster() {
  const members: Map<string, Set<(...args: unknown[]) => void>>[] = [];
  return (): NotificationCluster => {
    const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
    members.push(listeners);
    return {
      serverSideEmit(event, ...args) {
        for (const other of members) {
          if (other === listeners) continue;
          for (const listener of other.get(event) ?? []) queueMicrotask(() => listener(...args));
        }
      },
      on(event, listener) {
        listeners.set(event, new Set([...(listeners.get(event) ?? []), listener]));
      },
      off(event, listener) {
        listeners.get(event)?.delete(listener);
      },
    };
  };
}

describe('instances joined by a cluster of their own', () => {
  it('pushes a notification posted to one to the user’s socket on the other, and records it there', async () => {
    const member = inProcessCluster();
    const a = await startAlone({ cluster: member() });
    const b = await startAlone({ cluster: member() });
    const ada = await client(b, { auth: { token: 'token-ada' } });
    const got = next(ada, 'notification', 'ada’s notification on the other instance');
    expect((await post(a, { user: 'ada', title: 'across' })).status).toBe(202);
    const n = (await got) as { id: string };
    expect(n).toMatchObject({ user: 'ada', title: 'across' });
    const page = await fetch(`${b}/notifications?user=ada`, {
      headers: { authorization: 'Bearer token-ada' },
    });
    expect(((await page.json()) as { notifications: { id: string }[] }).notifications).toEqual([
      expect.objectContaining({ id: n.id }),
    ]);
  });
});

describe('an app’s own routes', () => {
  const routes: NotificationRoute[] = [
    {
      method: 'GET',
      path: '/extra',
      handle: (_req, res) => sendJson(res, 200, { extra: true }),
    },
    {
      method: 'POST',
      path: '/echo',
      async handle(req, res) {
        sendJson(res, 200, { got: await readJsonBody(req, 64) });
      },
    },
    {
      method: 'GET',
      path: '/notifications',
      handle() {
        throw new HttpRefusal('TOO_MANY_REQUESTS', 'slow down', { 'retry-after': '3' });
      },
    },
  ];

  it('answers on the service’s server, before the service’s own routes for the same method and path', async () => {
    const url = await startAlone({ routes });
    const extra = await fetch(`${url}/extra`);
    expect(await extra.json()).toEqual({ extra: true });
    const limited = await fetch(`${url}/notifications?user=ada`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(await limited.json()).toEqual({ error: 'TOO_MANY_REQUESTS', message: 'slow down' });
    // the service's POST on the same path is still there
    expect((await post(url, { user: 'ada', title: 'still here' })).status).toBe(202);
  });

  it('refuses a body over the limit and malformed JSON with the service’s refusals', async () => {
    const url = await startAlone({ routes });
    const send = (body: string) =>
      fetch(`${url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const big = await send(JSON.stringify({ text: 'x'.repeat(100) }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toBe('PAYLOAD_TOO_LARGE');
    const bad = await send('{"a":');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('INVALID_JSON');
    expect(await (await send('{"a":1}')).json()).toEqual({ got: { a: 1 } });
  });
});

describe('the GraphQL notify mutation', () => {
  it('asks canPublish with the caller’s token, as POST /notifications does', async () => {
    const url = await startAlone({ canPublish: (token) => token === 'publisher' });
    const mutate = async (token?: string) => {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify({ query: 'mutation { notify(user: "ada", title: "hi") { id } }' }),
      });
      return (await res.json()) as {
        data?: { notify?: { id: string } } | null;
        errors?: { extensions?: { code?: string } }[];
      };
    };
    expect((await mutate()).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await mutate('token-ada')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await mutate('publisher')).data?.notify?.id).toMatch(/-/);
  });
});

describe('closing a service on its own', () => {
  it('ends requests still open (a stream) instead of waiting for them', async () => {
    let opened: () => void = () => {};
    const open = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const routes: NotificationRoute[] = [
      {
        method: 'GET',
        path: '/stream',
        handle(_req, res) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(': open\n\n');
          opened(); // and never ends
        },
      },
    ];
    const service = await createNotificationService({ authenticate, routes });
    const port = await service.listen(0);
    const res = fetch(`http://127.0.0.1:${port}/stream`).then((r) => r.text());
    res.catch(() => {});
    await withTimeout(open, 'the stream to open');
    await withTimeout(service.close(), 'close() with a stream open', 3_000);
  });
});
