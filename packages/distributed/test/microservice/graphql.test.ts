import { probeService, withTimeout } from '@socketlab/testkit';
import type { Client } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { NotificationFeed } from '../../src/microservice/index.ts';
import { graphqlClient, post, startServices } from './helpers.ts';

const redis = await probeService('redis');

type Result = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};

/** Runs a query or mutation over the WebSocket; resolves with its one result. */
function once(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<Result> {
  return withTimeout(
    new Promise<Result>((resolve, reject) => {
      let result: Result | undefined;
      client.subscribe<Record<string, unknown>>(
        { query, variables },
        {
          next: (value) => {
            result = value as Result;
          },
          error: reject,
          complete: () => (result === undefined ? reject(new Error('no result')) : resolve(result)),
        },
      );
    }),
    `the answer to ${query.slice(0, 60)}`,
  );
}

/** A subscription to `notificationAdded(user)`: its results, and the first one as a promise. */
function subscribe(client: Client, user: string) {
  const results: Result[] = [];
  let first: (value: Result) => void = () => {};
  let failed: (error: unknown) => void = () => {};
  const next = new Promise<Result>((resolve, reject) => {
    first = resolve;
    failed = reject;
  });
  const stop = client.subscribe(
    {
      query: `subscription ($user: String!) { notificationAdded(user: $user) { id title data user } }`,
      variables: { user },
    },
    {
      next: (value) => {
        results.push(value as Result);
        first(value as Result);
      },
      error: failed,
      complete: () => failed(new Error('completed')),
    },
  );
  return { results, next: withTimeout(next, `a notificationAdded for ${user}`), stop };
}

describe.skipIf(redis.skip)('GraphQL in, graphql-ws subscriptions out', () => {
  beforeAll(() => redis.require());

  it('feeds a subscription on instance B from a REST post on instance A', async () => {
    const [a, b] = await startServices(redis.url, 2);
    if (a === undefined || b === undefined) throw new Error('two instances');
    const ada = graphqlClient(b.url, 'ada');
    const sub = subscribe(ada, 'ada');
    // the subscription is registered once a query on the same socket has been answered after it
    await once(ada, '{ notifications(user: "ada") { next } }');
    const posted = await post(a.url, { user: 'ada', title: 'over REST', data: { k: [1] } });
    expect((await sub.next).data).toEqual({
      notificationAdded: { id: posted.body.id, title: 'over REST', data: '{"k":[1]}', user: 'ada' },
    });
    expect(b.stats().subscriptions).toBe(1);
  });

  it('takes the notify mutation, and answers the history query, over WebSocket and POST', async () => {
    const [a, b] = await startServices(redis.url, 2);
    if (a === undefined || b === undefined) throw new Error('two instances');
    const ada = graphqlClient(a.url, 'ada');
    const sub = subscribe(ada, 'ada');
    await once(ada, '{ notifications(user: "ada") { next } }');
    const mutation = `mutation ($key: String) { notify(user: "ada", title: "via GraphQL", data: "[1,2]", idempotencyKey: $key) { id duplicate } }`;
    const sent = await once(graphqlClient(b.url, 'svc'), mutation, { key: 'k1' });
    const id = (sent.data?.notify as { id?: string } | undefined)?.id ?? '';
    expect(sent.data).toEqual({ notify: { id, duplicate: false } });
    expect((await sub.next).data?.notificationAdded).toMatchObject({ id, data: '[1,2]' });
    const res = await fetch(`${b.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer token-ada' },
      body: JSON.stringify({ query: mutation, variables: { key: 'k1' } }),
    });
    expect(await res.json()).toEqual({ data: { notify: { id, duplicate: true } } });
    const page = await fetch(`${b.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer token-ada' },
      body: JSON.stringify({
        query: '{ notifications(user: "ada") { notifications { id title } next } }',
      }),
    });
    expect(await page.json()).toEqual({
      data: { notifications: { notifications: [{ id, title: 'via GraphQL' }], next: id } },
    });
    expect(sub.results).toHaveLength(1);
  });

  it('refuses a subscription to another user’s notifications, and a connection without a token', async () => {
    const [a] = await startServices(redis.url, 1);
    if (a === undefined) throw new Error('one instance');
    const bob = graphqlClient(a.url, 'bob');
    const refused = await subscribe(bob, 'ada').next;
    expect(refused.data ?? null, 'no data for another user').toBeNull();
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const nobody = graphqlClient(a.url, undefined);
    await expect(once(nobody, '{ notifications(user: "ada") { next } }')).rejects.toMatchObject({
      code: 4403,
    });
    for (const query of [
      '{'.repeat(30_000),
      `{ notifications(user: "ada") ${'{ next '.repeat(5_000)} }`,
    ]) {
      const res = await fetch(`${a.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const body = (await res.json()) as Result;
      expect(
        body.errors?.length,
        'a query nested too deep is an error, not a crash',
      ).toBeGreaterThan(0);
    }
    const bad = await once(bob, 'mutation { notify(user: "a b", title: "x") { id } }');
    expect(bad.errors?.[0]?.extensions?.code).toBe('INVALID_NOTIFICATION');
  });

  it('ends a subscription that falls behind by more than its queue, and counts it', () => {
    const feed = new NotificationFeed();
    const slow = feed.iterate(() => true, 2);
    const other = feed.iterate((n) => n.user === 'bob', 2);
    for (let i = 0; i < 3; i++) {
      feed.publish({ id: `n${i}`, type: 't', title: 't', at: 0, user: 'ada' });
    }
    expect(feed.overflows).toBe(1);
    expect(feed.size).toBe(1); // the slow one is gone; the filtered one stays
    return Promise.all([
      expect(slow.next()).resolves.toEqual({ done: true, value: undefined }),
      (async () => {
        feed.close();
        expect(await other.next()).toEqual({ done: true, value: undefined });
      })(),
    ]);
  });
});
