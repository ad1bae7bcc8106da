/**
 * The GraphQL face of the service: the same notify and history as REST, and a subscription fed
 * from the instance's {@link NotificationFeed}, over the `graphql-transport-ws` protocol
 * (graphql-ws on `ws`) at one path, and queries and mutations over `POST` too.
 * @see https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md
 * @see https://graphql.org/learn/subscriptions/
 */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { buildSchema, execute, GraphQLError, graphql, parse, subscribe, validate } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { NotificationFeed } from './feed.ts';
import { readJsonBody, requestUrl, sendJson } from './http.ts';
import type { ServiceNotification } from './notification.ts';

/** The schema, in SDL. `data` is the notification's JSON data, as JSON text. */
export const NOTIFICATION_SCHEMA_SDL = /* GraphQL */ `
  type Notification {
    id: ID!
    type: String!
    title: String!
    body: String
    data: String
    at: Float!
    user: String
    topic: String
  }
  type NotificationPage {
    notifications: [Notification!]!
    next: ID
  }
  type NotifyResult {
    id: ID!
    duplicate: Boolean!
  }
  type Query {
    notifications(user: String, topic: String, after: ID, limit: Int): NotificationPage!
  }
  type Mutation {
    notify(
      user: String
      topic: String
      type: String
      title: String!
      body: String
      data: String
      idempotencyKey: String
    ): NotifyResult!
  }
  type Subscription {
    notificationAdded(user: String!): Notification!
  }
`;

/** What the GraphQL layer needs of the service; each may throw a `GraphQLError` to refuse. */
export interface GraphqlBackend {
  readonly feed: NotificationFeed;
  /** The user a token names, or `undefined`. */
  authenticate(token: string | undefined): Promise<string | undefined>;
  /** A request body (the mutation's arguments) and the caller's token in, `{ id, duplicate }` out. */
  notify(
    body: Record<string, unknown>,
    token: string | undefined,
  ): Promise<{ id: string; duplicate: boolean }>;
  /** A page of history for `args` (`user` or `topic`, `after`, `limit`), read as `viewer`. */
  history(
    args: Record<string, unknown>,
    viewer: string | undefined,
  ): Promise<{ notifications: ServiceNotification[]; next: string | null }>;
  /** Queued notifications per subscription before it is ended. */
  readonly maxQueued: number;
}

interface Context {
  readonly user: string | undefined;
  /** The caller's token, for the publish check. */
  readonly token: string | undefined;
}

const toGraphql = (n: ServiceNotification) => ({
  ...n,
  data: n.data === undefined ? null : JSON.stringify(n.data),
});

function roots(backend: GraphqlBackend) {
  return {
    query: {
      notifications: async (args: Record<string, unknown>, context: Context) => {
        const page = await backend.history(args, context.user);
        return { ...page, notifications: page.notifications.map(toGraphql) };
      },
    },
    mutation: {
      notify: (args: Record<string, unknown>, context: Context) => {
        const { data, ...rest } = args;
        let parsed: unknown;
        if (typeof data === 'string') {
          try {
            parsed = JSON.parse(data);
          } catch {
            throw new GraphQLError('data is JSON text', {
              extensions: { code: 'INVALID_NOTIFICATION' },
            });
          }
        }
        const body = Object.fromEntries(Object.entries(rest).filter(([, v]) => v != null));
        return backend.notify(
          parsed === undefined ? body : { ...body, data: parsed },
          context.token,
        );
      },
    },
    subscription: {
      notificationAdded: (args: { user: string }, context: Context) => {
        if (context.user === undefined || context.user !== args.user) {
          throw new GraphQLError('a user may only subscribe to their own notifications', {
            extensions: { code: 'FORBIDDEN' },
          });
        }
        const source = backend.feed.iterate((n) => n.user === args.user, backend.maxQueued);
        const mapped: AsyncIterableIterator<{ notificationAdded: unknown }> = {
          next: async () => {
            const result = await source.next();
            return result.done
              ? { done: true, value: undefined }
              : { done: false, value: { notificationAdded: toGraphql(result.value) } };
          },
          return: async () => {
            await source.return?.();
            return { done: true, value: undefined };
          },
          [Symbol.asyncIterator]: () => mapped,
        };
        return mapped;
      },
    },
  };
}

/** What {@link attachGraphql} returns. */
export interface GraphqlEndpoint {
  /** Answers `POST <path>` (queries and mutations; `Authorization: Bearer` for reads). */
  handlePost(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<void>;
  /** Open graphql-ws connections. */
  readonly clients: number;
  close(): Promise<void>;
}

/**
 * Serves graphql-ws on `httpServer`'s upgrades to `path` (other upgrades are left to their
 * owners, e.g. Socket.IO). A connection authenticates with `connectionParams.token`; without a
 * user it is closed with 4403 (the protocol's Forbidden).
 */
export function attachGraphql(
  httpServer: HttpServer,
  path: string,
  backend: GraphqlBackend,
  maxPayloadBytes: number,
): GraphqlEndpoint {
  const schema = buildSchema(NOTIFICATION_SCHEMA_SDL);
  const rootValues = roots(backend);
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxPayloadBytes });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (requestUrl(req)?.pathname !== path) return;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  httpServer.on('upgrade', onUpgrade);
  const disposable = useServer<{ token?: unknown }, { user?: string; token?: string }>(
    {
      schema,
      roots: rootValues,
      // graphql-ws's own graphql import may be another copy (CJS vs ESM): use ours throughout
      parse,
      validate,
      execute,
      subscribe,
      onConnect: async (ctx) => {
        const token = ctx.connectionParams?.token;
        const user = await backend.authenticate(typeof token === 'string' ? token : undefined);
        if (user === undefined) return false;
        ctx.extra.user = user;
        ctx.extra.token = token as string;
        return true;
      },
      context: (ctx): Context => ({ user: ctx.extra.user, token: ctx.extra.token }),
    },
    wss,
  );
  return {
    async handlePost(req, res, maxBytes) {
      const body = (await readJsonBody(req, maxBytes)) as Record<string, unknown> | null;
      const query = body?.query;
      if (typeof query !== 'string') {
        sendJson(res, 400, { errors: [{ message: 'the body is { query, variables? }' }] });
        return;
      }
      const auth = req.headers.authorization?.match(/^Bearer +(\S{1,8192})$/i)?.[1];
      const user = await backend.authenticate(auth);
      const variables = body?.variables;
      const result = await graphql({
        schema,
        source: query,
        rootValue: { ...rootValues.query, ...rootValues.mutation },
        contextValue: { user, token: auth } satisfies Context,
        variableValues:
          typeof variables === 'object' && variables !== null
            ? (variables as Record<string, unknown>)
            : undefined,
        operationName: typeof body?.operationName === 'string' ? body.operationName : undefined,
      });
      sendJson(res, 200, result);
    },
    get clients() {
      return wss.clients.size;
    },
    async close() {
      httpServer.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.terminate();
      await disposable.dispose();
    },
  };
}
