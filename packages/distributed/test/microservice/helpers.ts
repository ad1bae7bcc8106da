/**
 * What the microservice tests share: service instances on one Redis and a prefix of their own,
 * each listening on 127.0.0.1 port 0, closed when the test ends; clients of each kind.
 */
import { createClient, type Client as GraphqlClient } from 'graphql-ws';
import { onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import {
  createNotificationService,
  type NotificationService,
  type NotificationServiceOptions,
} from '../../src/microservice/index.ts';
import { uniquePrefix } from '../scaling/helpers.ts';

/** Tokens of the tests: `token-<user>` is `<user>`. */
export const authenticate = (token: string): string | undefined =>
  token.startsWith('token-') ? token.slice('token-'.length) : undefined;

export type Running = NotificationService & { url: string };

/** Starts `count` instances on one prefix. */
export async function startServices(
  redisUrl: string,
  count: number,
  options: Partial<NotificationServiceOptions> = {},
): Promise<Running[]> {
  const keyPrefix = (options as { keyPrefix?: string }).keyPrefix ?? uniquePrefix(redisUrl);
  const out: Running[] = [];
  for (let i = 0; i < count; i++) {
    const service = await createNotificationService({
      redisUrl,
      keyPrefix,
      authenticate,
      ...options,
    } as NotificationServiceOptions);
    onTestFinished(() => service.close());
    const port = await service.listen(0);
    out.push(Object.assign(service, { url: `http://127.0.0.1:${port}` }));
  }
  return out;
}

/** A POST of `body` as JSON (or as given, with `init`). */
export async function post(
  url: string,
  body: unknown,
  init: { headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.raw ?? JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A GET of `path` as `user` (no token when undefined). */
export async function get(
  url: string,
  path: string,
  user?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    headers: user === undefined ? {} : { authorization: `Bearer token-${user}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A graphql-ws client as `user`, disposed when the test ends. */
export function graphqlClient(url: string, user: string | undefined): GraphqlClient {
  const client = createClient({
    url: `${url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    lazy: false,
    onNonLazyError: () => {}, // the tests see the failure on the operation; do not print it
    retryAttempts: 0,
    connectionParams: user === undefined ? {} : { token: `token-${user}` },
    on: { error: () => {} },
  });
  onTestFinished(() => client.dispose());
  return client;
}
