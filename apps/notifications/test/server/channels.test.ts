import { type SseParsed, SseParser } from '@socketlab/distributed';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { createClient } from 'graphql-ws';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import type { OPENAPI_DOCUMENT } from '../../src/server/openapi.ts';
import { API_KEY, call, notify, openInbox, startTestApp } from '../helpers/app.ts';

type SseEvent = Extract<SseParsed, { type: 'event' }>;

/** Reads an SSE response's events into `events` until the test ends. */
function readSse(res: Response): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser();
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  onTestFinished(() => {
    void reader.cancel().catch(() => {});
  });
  void (async () => {
    for (let i = 0; i < 10_000; i++) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      for (const e of parser.feed(value as Uint8Array)) if (e.type === 'event') events.push(e);
    }
  })();
  return events;
}

async function openSse(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  onTestFinished(() => controller.abort());
  const res = await fetch(url, { headers, signal: controller.signal });
  return { res, events: res.ok ? readSse(res) : [], abort: () => controller.abort() };
}

describe('Server-Sent Events', () => {
  it('streams the user’s notifications, and a topic’s, to clients without Socket.IO', async () => {
    const app = await startTestApp();
    const token = app.issueToken('ada').token;
    const mine = await openSse(`${app.url}/events?token=${token}`);
    expect(mine.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const topic = await openSse(`${app.url}/events?topic=deploys`, {
      authorization: `Bearer ${token}`,
    });
    await notify(app, { user: 'ada', title: 'over sse' });
    await notify(app, { topic: 'deploys', title: 'v2' });
    await pollUntil(
      () => mine.events.some((e) => e.event === 'notification') || undefined,
      'the user’s event',
    );
    await pollUntil(
      () => topic.events.some((e) => e.event === 'notification') || undefined,
      'the topic’s event',
    );
    const data = (events: SseEvent[]) =>
      events.filter((e) => e.event === 'notification').map((e) => JSON.parse(e.data).title);
    expect(data(mine.events)).toEqual(['over sse']);
    expect(data(topic.events)).toEqual(['v2']);
  });

  it('resumes a reconnecting client from Last-Event-ID with what it missed', async () => {
    const app = await startTestApp();
    const token = app.issueToken('ada').token;
    const first = await openSse(`${app.url}/events?token=${token}`);
    await notify(app, { user: 'ada', title: 'one' });
    const seen = await pollUntil(() => first.events.find((e) => e.event === 'notification'), 'one');
    first.abort();
    await notify(app, { user: 'ada', title: 'two' });
    const again = await openSse(`${app.url}/events?token=${token}`, {
      'last-event-id': seen.lastEventId,
    });
    const two = await pollUntil(() => again.events.find((e) => e.event === 'notification'), 'two');
    expect(JSON.parse(two.data).title).toBe('two');
    expect(again.events.filter((e) => e.event === 'notification')).toHaveLength(1);
  });

  it('refuses a stream without a valid token with 401', async () => {
    const app = await startTestApp();
    const res = await fetch(`${app.url}/events?token=forged`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('UNAUTHORIZED');
  });
});

describe('GET /metrics', () => {
  it('serves Prometheus text with the app’s counters and stage 5’s socket metrics', async () => {
    const app = await startTestApp();
    await openInbox(app, 'ada');
    await notify(app, { user: 'ada', title: 'counted' });
    await call(app, 'POST', '/notify', { key: null, body: {} });
    const res = await fetch(`${app.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(
      /socketlab_notify_requests_total\{instance="[^"]+",outcome="accepted"\} 1/,
    );
    expect(text).toMatch(/socketlab_notify_requests_total\{instance="[^"]+",outcome="401"\} 1/);
    expect(text).toMatch(/socketlab_notify_connections\{[^}]*\} 1/);
    expect(text).toContain('socketlab_notify_sse_clients');
  });
});

describe('GET /openapi.json', () => {
  it('describes every route the server has, and no other', async () => {
    // with every optional route on (the webhook URL is never called: nothing is posted)
    const app = await startTestApp({
      webhooks: { urls: ['http://127.0.0.1:9/hook'], secret: 'whsec-0123456789abcdef0123456789ab' },
    });
    const served = (await (
      await fetch(`${app.url}/openapi.json`)
    ).json()) as typeof OPENAPI_DOCUMENT;
    expect(served.openapi).toBe('3.1.0');
    const documented = Object.entries(served.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const page = new Set(['/', '/app.js', '/app.js.map', '/app.css', '/app.css.map']);
    const routes = [
      ...app.routes.filter((r) => !page.has(r.path)).map((r) => `${r.method} ${r.path}`),
      'GET /health', // stage 5's own
      'POST /graphql',
    ].sort();
    expect(documented).toEqual([...new Set(routes)].sort());
    // and each documented operation is answered (not 404 or 405)
    for (const op of documented) {
      const [method, path] = op.split(' ') as [string, string];
      const res = await fetch(`${app.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{}' } : {}),
        signal: AbortSignal.timeout(5000),
      });
      expect([404, 405], op).not.toContain(res.status);
      await res.body?.cancel();
    }
  });
});

describe('GraphQL', () => {
  it('takes the notify mutation with an API key and pushes it to the user’s subscription', async () => {
    const app = await startTestApp();
    const client = createClient({
      url: `${app.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { token: app.issueToken('ada').token },
    });
    onTestFinished(() => client.dispose());
    const got: unknown[] = [];
    const subscribed = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const done = new Promise<void>((resolve, reject) =>
      client.subscribe(
        { query: 'subscription { notificationAdded(user: "ada") { id title } }' },
        { next: (v) => got.push(v.data), error: reject, complete: resolve },
      ),
    );
    done.catch(() => {});
    await withTimeout(subscribed, 'the graphql-ws connection');
    const post = (authorization?: string) =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({
          query: 'mutation { notify(user: "ada", title: "via graphql") { id } }',
        }),
      }).then((r) => r.json() as Promise<{ errors?: { extensions: { code: string } }[] }>);
    expect((await post()).errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    // the subscription is registered once the server has it: post until it sees one
    await pollUntil(
      async () => {
        await post(`Bearer ${API_KEY}`);
        return got.length > 0 || undefined;
      },
      'the subscription to get a notification',
      { intervalMs: 50 },
    );
    expect(got[0]).toMatchObject({ notificationAdded: { title: 'via graphql' } });
  });
});
