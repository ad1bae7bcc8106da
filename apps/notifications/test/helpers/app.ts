/**
 * What the app's tests share: an app on 127.0.0.1 port 0 closed when the test ends, REST calls
 * with or without the key, and inboxes (the app's own client) whose waits are bounded.
 */
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { io } from 'socket.io-client';
import { onTestFinished } from 'vitest';
import { connectInbox, type Inbox } from '../../src/client.ts';
import type { AppNotification } from '../../src/contract.ts';
import { type NotifyApp, type NotifyAppOptions, startNotifyApp } from '../../src/server/app.ts';

/** The key every test app accepts. */
export const API_KEY = 'test-key-0123456789abcdef';

/** Starts an app, closed when the test ends. */
export async function startTestApp(options: NotifyAppOptions = {}): Promise<NotifyApp> {
  const app = await startNotifyApp({ apiKeys: [API_KEY], ...options });
  onTestFinished(() => app.close());
  return app;
}

/** A REST call; `key: null` sends none. */
export async function call(
  app: NotifyApp,
  method: 'GET' | 'POST',
  path: string,
  init: {
    body?: unknown;
    raw?: string;
    key?: string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const key = init.key === undefined ? API_KEY : init.key;
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      ...(key === null ? {} : { 'x-api-key': key }),
      ...init.headers,
    },
    ...(method === 'POST' ? { body: init.raw ?? JSON.stringify(init.body ?? {}) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: JSON.parse(text) as Record<string, unknown>,
  };
}

/** `POST /notify` of `body`, expected 202; resolves with the ids. */
export async function notify(app: NotifyApp, body: Record<string, unknown>): Promise<string[]> {
  const res = await call(app, 'POST', '/notify', { body });
  if (res.status !== 202)
    throw new Error(`POST /notify: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.notifications as { id: string }[]).map((n) => n.id);
}

/** An inbox for `user` that records what it gets, connected (and caught up) before it resolves. */
export async function openInbox(
  app: NotifyApp,
  user: string,
  options: { topics?: string[]; after?: string | null } = {},
): Promise<{ inbox: Inbox; got: AppNotification[]; resumes: number[] }> {
  const got: AppNotification[] = [];
  const resumes: number[] = [];
  const inbox = connectInbox(app.url, {
    token: app.issueToken(user).token,
    onNotification: (n) => got.push(n),
    onResumed: (count) => resumes.push(count),
    ...(options.topics === undefined ? {} : { topics: options.topics }),
    ...(options.after === undefined ? {} : { after: options.after }),
    socket: { transports: ['websocket'] },
  });
  onTestFinished(() => inbox.close());
  await pollUntil(() => resumes.length > 0 || undefined, `${user}'s inbox to connect and catch up`);
  return { inbox, got, resumes };
}

/** Waits until `got` holds `count` notifications. */
export function waitFor(
  got: readonly unknown[],
  count: number,
  what: string,
  ms?: number,
): Promise<true> {
  return pollUntil(() => got.length >= count || undefined, what, ms === undefined ? {} : { ms });
}

/** Connects to `url` with `auth` and resolves with the `connect_error` the server answers with. */
export function refusalOf(url: string, auth: Record<string, unknown>): Promise<Error> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, auth });
  onTestFinished(() => {
    socket.disconnect();
  });
  return withTimeout(
    new Promise<Error>((resolve) => socket.once('connect_error', resolve)),
    `the refusal of ${url}`,
  );
}

/**
 * A subscriber of a conflated feed (`TELEMETRY` or `PRICES`) that records the latest value per key
 * and acks each batch unless `stalled`; connected before it resolves.
 */
export async function feedSubscriber(
  app: NotifyApp,
  feed: { readonly namespace: string; readonly event: string },
  options: { stalled?: boolean; user?: string } = {},
) {
  const latest = new Map<string, unknown>();
  let batches = 0;
  const socket = io(`${app.url}${feed.namespace}`, {
    transports: ['websocket'],
    reconnection: false,
    auth: { token: app.issueToken(options.user ?? 'ada').token },
  });
  onTestFinished(() => {
    socket.disconnect();
  });
  socket.on(feed.event, (batch: { key: string; value: unknown }[], ack: () => void) => {
    batches++;
    for (const { key, value } of batch) latest.set(key, value);
    if (options.stalled !== true) ack();
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }),
    `a ${feed.namespace} subscriber to connect`,
  );
  return { socket, latest, batches: () => batches };
}
