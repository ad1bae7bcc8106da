/**
 * A notification microservice: REST and GraphQL in, live push out. Each accepted notification is
 * stored (idempotency), handed to this instance's push channels, and published once to the other
 * instances through the Socket.IO adapter (`serverSideEmit` over Redis), or through a `cluster` the
 * caller gives (core NATS, say), which hand it to theirs:
 * one source feeds Socket.IO rooms, GraphQL subscriptions and any channel an app adds.
 * @see https://socket.io/docs/v4/server-api/#serverserversideemiteventname-args
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotificationLimits } from '@socketlab/websockets/realtime';
import { createRealtimeServer } from '@socketlab/websockets/realtime';
import { GraphQLError } from 'graphql';
import type { Server } from 'socket.io';
import { DistributedError } from '../errors.ts';
import type { ScaledEmitter } from '../scaling/index.ts';
import { createScaledServer, type ScaledServer, type ScalingAdapter } from '../scaling/index.ts';
import { NotificationFeed, type NotificationListener } from './feed.ts';
import { attachGraphql, type GraphqlBackend } from './graphql.ts';
import {
  bearerToken,
  HttpRefusal,
  type Route,
  readJsonBody,
  routeRequests,
  sendJson,
} from './http.ts';
import {
  createNotificationId,
  IDEMPOTENCY_KEY_PATTERN,
  NOTIFICATION_ID_PATTERN,
  type NotificationRecipient,
  parseNotificationRequest,
  RECIPIENT_PATTERN,
  readServiceNotification,
  recipientKey,
  type ServiceNotification,
  toServiceNotification,
} from './notification.ts';
import { attachSocketClients, NOTIFICATION_EVENTS } from './sockets.ts';
import { MemoryNotificationStore, type NotificationStore } from './store.ts';

/** The defaults of {@link NotificationServiceOptions}. */
export const NOTIFICATION_SERVICE_DEFAULTS = Object.freeze({
  adapter: 'pubsub' as ScalingAdapter,
  keyPrefix: 'socketlab-notifications',
  maxBodyBytes: 64 * 1024,
  pageSize: 50,
  maxPageSize: 100,
  graphqlPath: '/graphql',
  maxQueuedPerSubscription: 100,
  rememberIds: 10_000,
});

/** Turns a token (a Socket.IO `auth.token`, a `Bearer` token, graphql-ws `connectionParams.token`) into a user id. */
export type NotificationAuthenticate = (
  token: string,
) => string | undefined | Promise<string | undefined>;

interface CommonOptions {
  /** The token → user check; a user reads only their own notifications. */
  authenticate: NotificationAuthenticate;
  /** Who may post (`POST /notifications`, the `notify` mutation), by their `Bearer` token. @default everyone: keep the service behind your network */
  canPublish?: (token: string | undefined) => boolean | Promise<boolean>;
  /** @default a {@link MemoryNotificationStore} (per instance) */
  store?: NotificationStore;
  /** Limits on title, body, type and data (stage 4's). */
  limits?: Partial<NotificationLimits>;
  /** @default 65536 */
  maxBodyBytes?: number;
  /** @default 50 */
  pageSize?: number;
  /** @default 100 */
  maxPageSize?: number;
  /** @default '/graphql' */
  graphqlPath?: string;
  /** @default 100 */
  maxQueuedPerSubscription?: number;
  /** Ids remembered to drop a second delivery from the broker. @default 10000 */
  rememberIds?: number;
  /** Told of errors the service answered with 503 (a store or broker failure). */
  onError?: (error: unknown) => void;
  /**
   * An app's own routes on the same server (SSE, metrics, a page), matched before the service's:
   * for a method and path both have, the app's route answers. A handler may throw an
   * {@link HttpRefusal}, answered as JSON like the service's own.
   * @default none
   */
  routes?: readonly Route[];
}

/**
 * How instances tell each other about notifications when Socket.IO's adapter does not (a core
 * NATS subject, say): the server-side-event part of a Socket.IO server. `serverSideEmit` reaches
 * every other instance (not this one), and `on` hears what the others emit.
 */
export interface NotificationCluster {
  serverSideEmit(event: string, ...args: unknown[]): unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Options of {@link createNotificationService}: a Redis URL (an instance with sockets, one of
 * many), an emitter (REST only), or neither (a single instance with sockets, sharing
 * notifications through `cluster` if given).
 */
export type NotificationServiceOptions = CommonOptions &
  (
    | {
        /** Neither: Socket.IO on the in-memory adapter, one instance on its own or one of `cluster`. */
        redisUrl?: undefined;
        emitter?: undefined;
        /**
         * The other instances, reached without a Socket.IO adapter: each delivers what another
         * publishes to its own sockets, feed and subscriptions. Closing it is the caller's.
         * @default none: one instance on its own
         */
        cluster?: NotificationCluster;
      }
    | {
        /** Redis, for the Socket.IO adapter; this instance accepts Socket.IO clients. */
        redisUrl: string;
        /** @default 'pubsub' */
        adapter?: ScalingAdapter;
        /** Instances with the same prefix share rooms. @default 'socketlab-notifications' */
        keyPrefix?: string;
        emitter?: never;
        cluster?: never;
      }
    | {
        /** A member of the cluster without sockets ({@link createScaledEmitter}): this instance takes requests only. */
        emitter: ScaledEmitter;
        redisUrl?: never;
        cluster?: never;
      }
  );

/** Counters of a service instance. */
export interface NotificationServiceStats {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** Notifications received from other instances. */
  readonly received: number;
  /** Notifications from other instances dropped as malformed or seen already. */
  readonly dropped: number;
  readonly subscriptions: number;
  readonly overflows: number;
}

/** What {@link createNotificationService} resolves with. */
export interface NotificationService {
  /** Serves REST, GraphQL (POST and WebSocket) and, with `redisUrl`, Socket.IO. */
  readonly httpServer: HttpServer;
  /** The Socket.IO server with `redisUrl` or on its own; `undefined` with an emitter. */
  readonly io: Server | undefined;
  /** Listens; resolves with the port. @default port 0, host '127.0.0.1' */
  listen(port?: number, host?: string): Promise<number>;
  /**
   * What `POST /notifications` does: checks, stores and publishes.
   * @throws {DistributedError} `DISTRIBUTED_ERR_PAYLOAD` for a bad request.
   */
  notify(body: unknown): Promise<{ notification: ServiceNotification; duplicate: boolean }>;
  /**
   * Every notification this instance pushes (its own and the other instances'), once each: hook
   * SSE or webhooks here. @returns a function that removes the listener.
   */
  onNotification(listener: NotificationListener): () => void;
  stats(): NotificationServiceStats;
  /** Stops serving; with `redisUrl`, closes its Socket.IO server and Redis clients (an emitter stays open). */
  close(): Promise<void>;
}

const refuse = (status: 'UNAUTHORIZED' | 'FORBIDDEN', message: string) =>
  new HttpRefusal(status, message);

type Listener = (...args: unknown[]) => void;

/**
 * A notification microservice instance. Run several on one Redis and key prefix: a notification
 * posted to any instance reaches the recipient's Socket.IO clients and GraphQL subscriptions on
 * every instance.
 *
 * REST: `POST /notifications` (`{ user | topic, title, body?, type?, data?, idempotencyKey? }` or
 * an `Idempotency-Key` header) → 202 `{ id, duplicate }`; `GET /notifications?user=…|topic=…&after=…&limit=…`
 * (with the user's `Bearer` token) → `{ notifications, next }`; `GET /health`. Refusals are JSON
 * `{ error, message }` (400, 401, 403, 404, 405, 413, 415, 503).
 * Socket.IO: connect with `auth: { token }`; the socket joins `user:<id>`; `subscribe(topic)` joins a topic.
 * GraphQL at `graphqlPath`: `notifications`, `notify`, `notificationAdded(user)` over graphql-ws.
 * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when Redis does not answer.
 * @example
 * const service = await createNotificationService({ redisUrl, authenticate: (t) => users.get(t) });
 * await service.listen(3000);
 * // curl -X POST localhost:3000/notifications -H 'content-type: application/json' -d '{"user":"ada","title":"hi"}'
 */
export async function createNotificationService(
  options: NotificationServiceOptions,
): Promise<NotificationService> {
  const d = NOTIFICATION_SERVICE_DEFAULTS;
  const {
    authenticate: authenticateToken,
    canPublish = () => true,
    store = new MemoryNotificationStore(),
    limits = {},
    maxBodyBytes = d.maxBodyBytes,
    pageSize = d.pageSize,
    maxPageSize = d.maxPageSize,
    graphqlPath = d.graphqlPath,
    maxQueuedPerSubscription = d.maxQueuedPerSubscription,
    rememberIds = d.rememberIds,
    onError = () => {},
  } = options;
  if (typeof authenticateToken !== 'function') throw new TypeError('authenticate is a function');
  for (const [name, value] of Object.entries({
    maxBodyBytes,
    pageSize,
    maxPageSize,
    maxQueuedPerSubscription,
    rememberIds,
  })) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
  }
  const feed = new NotificationFeed();
  const seen = new Set<string>();
  const counts = { accepted: 0, duplicates: 0, rejected: 0, received: 0, dropped: 0 };

  const authenticate = async (token: string | undefined): Promise<string | undefined> => {
    if (token === undefined) return undefined;
    try {
      const user = await authenticateToken(token);
      return typeof user === 'string' && RECIPIENT_PATTERN.test(user) ? user : undefined;
    } catch {
      return undefined;
    }
  };

  const httpServer = createServer({ headersTimeout: 5_000, requestTimeout: 10_000 });
  // The routes listen before Socket.IO attaches: engine.io then hands them every request that is
  // not its own (a listener added after it would also see, and answer, the long-polling requests).
  let answer: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  httpServer.on('request', (req, res) => answer(req, res));
  let scaled: ScaledServer | undefined;
  let cluster: NotificationCluster;
  let standalone: Server | undefined;
  if (options.redisUrl !== undefined) {
    scaled = await createScaledServer({
      redisUrl: options.redisUrl,
      adapter: options.adapter ?? d.adapter,
      keyPrefix: options.keyPrefix ?? d.keyPrefix,
      httpServer,
      destroyUpgrade: false, // graphql-ws answers its own upgrades
    });
    cluster = scaled.io as unknown as NotificationCluster;
  } else if (options.emitter !== undefined) {
    // createScaledEmitter's io is a Socket.IO server that never listens: it receives server-side events
    cluster = options.emitter.io as unknown as NotificationCluster;
    if (typeof cluster.on !== 'function')
      throw new TypeError('emitter must come from createScaledEmitter');
  } else {
    const local = createRealtimeServer({ httpServer, destroyUpgrade: false });
    standalone = local;
    // alone, there is no one to tell: publishing to the cluster is a no-op
    cluster = options.cluster ?? { serverSideEmit: () => {}, on: () => {}, off: () => {} };
  }
  const io = (scaled?.io ?? standalone) as Server | undefined;

  /** Pushes to this instance's channels, once per id. */
  const deliverLocally = (n: ServiceNotification): boolean => {
    if (seen.has(n.id)) return false;
    seen.add(n.id);
    if (seen.size > rememberIds) seen.delete(seen.values().next().value as string);
    io?.local
      .to(recipientKey(n.user !== undefined ? { user: n.user } : { topic: n.topic as string }))
      .emit(NOTIFICATION_EVENTS.notification, { ...n });
    feed.publish(n);
    return true;
  };

  const onPublished: Listener = (value, key) => {
    const n = readServiceNotification(value);
    if (n === undefined || seen.has(n.id)) {
      counts.dropped++;
      return;
    }
    counts.received++;
    const idempotencyKey =
      typeof key === 'string' && IDEMPOTENCY_KEY_PATTERN.test(key) ? key : undefined;
    const recipient: NotificationRecipient =
      n.user !== undefined ? { user: n.user } : { topic: n.topic as string };
    // record it here too (the memory store is per instance), then push: a failing store costs history, not the push
    Promise.resolve()
      .then(() => store.put(recipientKey(recipient), n, idempotencyKey))
      .catch(onError)
      .finally(() => deliverLocally(n));
  };
  cluster.on(NOTIFICATION_EVENTS.published, onPublished);

  const notify = async (body: unknown, headerKey?: string) => {
    const request = parseNotificationRequest(body, limits);
    if (
      headerKey !== undefined &&
      request.idempotencyKey !== undefined &&
      headerKey !== request.idempotencyKey
    ) {
      throw new DistributedError(
        'DISTRIBUTED_ERR_PAYLOAD',
        'the Idempotency-Key header and idempotencyKey differ',
      );
    }
    const idempotencyKey = request.idempotencyKey ?? headerKey;
    const fresh = toServiceNotification(request, createNotificationId(), Date.now());
    const { notification, duplicate } = await store.put(
      recipientKey(request.recipient),
      fresh,
      idempotencyKey,
    );
    if (duplicate) {
      counts.duplicates++;
      return { notification, duplicate };
    }
    counts.accepted++;
    deliverLocally(notification);
    cluster.serverSideEmit(NOTIFICATION_EVENTS.published, notification, idempotencyKey);
    return { notification, duplicate };
  };

  /** A page for `user` or `topic`, read as `viewer`. */
  const history = async (query: Record<string, unknown>, viewer: string | undefined) => {
    const { user, topic, after, limit } = query;
    const bad = (message: string) => new HttpRefusal('INVALID_QUERY', message);
    if ((user == null) === (topic == null)) throw bad('exactly one of user and topic');
    const name = user ?? topic;
    if (typeof name !== 'string' || !RECIPIENT_PATTERN.test(name))
      throw bad('user or topic is 1 to 64 of A-Z a-z 0-9 _ . : @ -');
    if (after != null && (typeof after !== 'string' || !NOTIFICATION_ID_PATTERN.test(after)))
      throw bad('after is a notification id');
    const count = limit == null ? pageSize : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > maxPageSize)
      throw bad(`limit is 1 to ${maxPageSize}`);
    if (viewer === undefined)
      throw refuse('UNAUTHORIZED', 'send the user’s token: Authorization: Bearer <token>');
    if (user != null && viewer !== user)
      throw refuse('FORBIDDEN', 'a user reads only their own notifications');
    const recipient: NotificationRecipient = user != null ? { user: name } : { topic: name };
    const notifications = await store.list(recipientKey(recipient), {
      after: (after ?? undefined) as string | undefined,
      limit: count,
    });
    return { notifications, next: notifications.at(-1)?.id ?? null };
  };

  const publishAllowed = async (token: string | undefined) => {
    if (!(await canPublish(token))) throw refuse('FORBIDDEN', 'this token may not publish');
  };

  const routes: Route[] = [
    {
      method: 'POST',
      path: '/notifications',
      async handle(req, res) {
        await publishAllowed(bearerToken(req));
        const header = req.headers['idempotency-key'];
        if (
          header !== undefined &&
          (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header))
        ) {
          throw new HttpRefusal(
            'INVALID_NOTIFICATION',
            'Idempotency-Key is 1 to 128 printable ASCII characters',
          );
        }
        const body = await readJsonBody(req, maxBodyBytes);
        try {
          const { notification, duplicate } = await notify(body, header);
          sendJson(res, 202, { id: notification.id, duplicate });
        } catch (error) {
          if (error instanceof DistributedError && error.code === 'DISTRIBUTED_ERR_PAYLOAD') {
            counts.rejected++;
            throw new HttpRefusal('INVALID_NOTIFICATION', error.message);
          }
          throw error;
        }
      },
    },
    {
      method: 'GET',
      path: '/notifications',
      async handle(req, res, url) {
        const viewer = await authenticate(bearerToken(req));
        const query = Object.fromEntries(url.searchParams);
        sendJson(res, 200, await history(query, viewer));
      },
    },
    {
      method: 'GET',
      path: '/health',
      handle(_req, res) {
        sendJson(res, 200, { ok: true, socketIo: io !== undefined, subscriptions: feed.size });
      },
    },
    {
      method: 'POST',
      path: graphqlPath,
      handle: (req, res) => graphqlEndpoint.handlePost(req, res, maxBodyBytes),
    },
  ];

  const graphqlError = (error: unknown): GraphQLError => {
    if (error instanceof HttpRefusal)
      return new GraphQLError(error.message, { extensions: { code: error.code } });
    if (error instanceof DistributedError && error.code === 'DISTRIBUTED_ERR_PAYLOAD') {
      return new GraphQLError(error.message, { extensions: { code: 'INVALID_NOTIFICATION' } });
    }
    onError(error);
    return new GraphQLError('the service could not handle this now', {
      extensions: { code: 'UNAVAILABLE' },
    });
  };
  const backend: GraphqlBackend = {
    feed,
    authenticate,
    maxQueued: maxQueuedPerSubscription,
    notify: async (body, token) => {
      try {
        await publishAllowed(token);
        const { notification, duplicate } = await notify(body);
        return { id: notification.id, duplicate };
      } catch (error) {
        throw graphqlError(error);
      }
    },
    history: async (args, viewer) => {
      try {
        return await history(args, viewer);
      } catch (error) {
        throw graphqlError(error);
      }
    },
  };
  const graphqlEndpoint = attachGraphql(httpServer, graphqlPath, backend, maxBodyBytes);
  answer = routeRequests([...(options.routes ?? []), ...routes], onError);

  if (io !== undefined) attachSocketClients(io, authenticate);

  let closing: Promise<void> | undefined;
  const service: NotificationService = {
    httpServer,
    io,
    listen: (port = 0, host = '127.0.0.1') =>
      new Promise<number>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve((httpServer.address() as AddressInfo).port);
        });
      }),
    onNotification: (listener) => feed.listen(listener),
    notify: (body) => notify(body),
    stats: () => ({ ...counts, subscriptions: feed.size, overflows: feed.overflows }),
    close() {
      closing ??= (async () => {
        cluster.off(NOTIFICATION_EVENTS.published, onPublished);
        feed.close();
        await graphqlEndpoint.close();
        if (scaled !== undefined) await scaled.close();
        if (standalone !== undefined) {
          // io.close() waits for the HTTP server, which waits for open requests (an SSE stream)
          const closed = standalone.close();
          httpServer.closeAllConnections();
          await closed;
        }
        httpServer.closeAllConnections();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      })();
      return closing;
    },
  };
  return service;
}
