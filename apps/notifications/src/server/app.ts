/**
 * The notifications app: stage 5's notification service (REST, Socket.IO, GraphQL, one feed) with
 * the app's own routes, user tokens, API keys, receipts and catch-up on top. One process with
 * everything in memory by default.
 */
import { fileURLToPath } from 'node:url';
import {
  createNotificationService,
  MemoryNotificationStore,
  type NotificationCluster,
  type NotificationRoute,
  type NotificationService,
  type NotificationStore,
} from '@socketlab/distributed';
import { generateApiKey } from '@socketlab/websockets/realtime';
import type { Server } from 'socket.io';
import { NOTIFY_LIMITS, type NotifyLimits, type TokenResponse } from '../contract.ts';
import { createApiKeys, createUserTokens } from './auth.ts';
import { type AppMetrics, createAppMetrics } from './metrics.ts';
import { openApiRoute } from './openapi.ts';
import { createPageRoutes } from './page.ts';
import type { Prices } from './prices.ts';
import { createRestRoutes } from './rest.ts';
import { MemorySentLog, recordWhenStored, type SentLog } from './sent-log.ts';
import { createSocketGuard, guardNamespaces } from './socket-limits.ts';
import { attachReceipts } from './sockets.ts';
import { attachSse, type SseEndpoint } from './sse.ts';
import type { Telemetry } from './telemetry.ts';
import { attachWebhookEvents, pushWebhookView } from './webhook-events.ts';
import { createWebhooks, type Webhooks, type WebhooksOptions } from './webhooks.ts';

/** Where `pnpm build` and `pnpm start` put the dashboard. */
export const DEFAULT_WEB_DIR = fileURLToPath(
  // from src/server/ (pnpm start) or from the bundle in dist/ (the built socketlab-notify)
  new URL(import.meta.url.includes('/src/server/') ? '../../dist/web/' : './web/', import.meta.url),
);

/** Options of {@link startNotifyApp}. */
export interface NotifyAppOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (the system chooses) */
  readonly port?: number;
  /** The API keys senders use (16+ characters each). @default one random key, in `app.apiKeys` */
  readonly apiKeys?: readonly string[];
  /** Signs user tokens (32+ bytes); instances behind one balancer share it. @default random per process */
  readonly jwtSecret?: string | undefined;
  /** @default {@link NOTIFY_LIMITS} */
  readonly limits?: Partial<NotifyLimits>;
  /** The built dashboard. @default dist/web */
  readonly webDir?: string;
  /**
   * Share everything through Redis: Socket.IO fan-out across instances (stage 5's adapter), the
   * history in Redis Streams and the sender's history in Redis (see `../store/redis-sent-log.ts`).
   * `keyPrefix` separates apps on one Redis. @default in memory, one process
   */
  readonly redis?: { readonly url: string; readonly keyPrefix?: string };
  /**
   * Share everything through NATS with JetStream instead (not with `redis`): notifications
   * across instances on a core NATS subject (see `nats-cluster.ts`), the history in JetStream
   * (see `../store/nats.ts`), the sender's history in a KV bucket (`../store/nats-sent-log.ts`).
   * `prefix` (letters, digits, `_`, `-`) names the stream, the buckets and the subjects, and separates apps on one server. @default in memory, one process
   */
  readonly nats?: { readonly url: string; readonly prefix?: string };
  /** Outbound webhooks: each notification posted here, signed with `secret`, to every URL. @default none */
  readonly webhooks?: Omit<WebhooksOptions, 'authorize' | 'onChange'>;
  /** IoT telemetry from an MQTT broker on `/telemetry`, conflated per topic. @default none */
  readonly mqtt?: { readonly url: string; readonly filter?: string };
  /** A gRPC price feed (stage 5's `PriceFeed` at `address`) on `/prices`, conflated per symbol. @default none */
  readonly grpc?: { readonly address: string; readonly symbols: readonly string[] };
  /** The `instance` label of the metrics. @default `notify-<pid>` */
  readonly instance?: string;
  /** The clock of TTLs and tokens. @default Date.now */
  readonly now?: () => number;
}

/** A running app. */
export interface NotifyApp {
  readonly port: number;
  /** `http://host:port`, with a wildcard host shown as the loopback. */
  readonly url: string;
  readonly apiKeys: readonly string[];
  readonly service: NotificationService;
  readonly io: Server;
  /** The app's own routes (stage 5's service adds `POST /graphql` and `GET /health`). */
  readonly routes: readonly { readonly method: string; readonly path: string }[];
  /** The telemetry feed, with `mqtt`. */
  readonly telemetry: Telemetry | undefined;
  /** The price feed, with `grpc`. */
  readonly prices: Prices | undefined;
  /** A token for `user`, as `POST /tokens` issues. */
  issueToken(user: string): TokenResponse;
  /** Stops: the service, its sockets and its server. */
  close(): Promise<void>;
}

/** What the instances share, and how the service reaches the others. */
interface Shared {
  readonly store: NotificationStore;
  /** The sender's history, in the same backend: a receipt is recorded on whichever instance gets it. */
  readonly sentLog: SentLog;
  /** Redis: the service's own adapter; NATS: a cluster of ours. */
  readonly reach:
    | { readonly redisUrl: string; readonly keyPrefix: string }
    | { readonly cluster: NotificationCluster };
  /** Closes the connection, once the service has closed. */
  close(): Promise<void>;
}

/** The Redis history, on a connection of its own (ioredis loaded only then). */
async function redisShared(
  redis: { url: string; keyPrefix?: string },
  limits: NotifyLimits,
): Promise<Shared> {
  const { Redis } = await import('ioredis');
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  client.on('error', () => {}); // ioredis reconnects; a failing command rejects and is answered 503
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis is not answering at ${redis.url}: ${(error as Error).message}`);
  }
  const { RedisStreamStore } = await import('../store/redis.ts');
  const { RedisSentLog } = await import('../store/redis-sent-log.ts');
  const prefix = redis.keyPrefix ?? 'socketlab-notify';
  const store = new RedisStreamStore({
    redis: client,
    prefix,
    maxPerRecipient: limits.historyPerRecipient,
  });
  return {
    store,
    sentLog: new RedisSentLog({ redis: client, prefix, perKey: limits.sentPerKey }),
    reach: { redisUrl: redis.url, keyPrefix: `${prefix}:io` },
    close: () =>
      client.quit().then(
        () => undefined,
        () => client.disconnect(),
      ),
  };
}

/**
 * The JetStream history and the core NATS cluster, on one connection (the NATS client loaded only
 * then). `noEcho`: the cluster's messages are not delivered back to the instance that sent them;
 * JetStream's replies come from the server, so the store is not affected.
 */
async function natsShared(
  nats: { url: string; prefix?: string },
  limits: NotifyLimits,
): Promise<Shared> {
  const { connect } = await import('@nats-io/transport-node');
  let nc: import('@nats-io/transport-node').NatsConnection;
  try {
    nc = await connect({
      servers: nats.url,
      noEcho: true,
      name: `socketlab-notify-${process.pid}`,
      maxReconnectAttempts: -1, // a server keeps trying; a publish meanwhile is buffered
      timeout: 5_000,
    });
  } catch (error) {
    throw new Error(`NATS is not answering at ${nats.url}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const prefix = nats.prefix ?? 'socketlab-notify';
  try {
    const { openJetStreamStore } = await import('../store/nats.ts');
    const store = await openJetStreamStore({
      nc,
      prefix,
      maxPerRecipient: limits.historyPerRecipient,
    });
    const { openJetStreamSentLog } = await import('../store/nats-sent-log.ts');
    const sentLog = await openJetStreamSentLog({ nc, prefix, perKey: limits.sentPerKey });
    const { natsCluster } = await import('./nats-cluster.ts');
    const cluster = await natsCluster(nc, `${prefix}.cluster`);
    return {
      store,
      sentLog,
      reach: { cluster },
      close: () => nc.drain().catch(() => nc.close()),
    };
  } catch (error) {
    await nc.close().catch(() => {});
    throw new Error(
      `NATS at ${nats.url} could not keep the history (${(error as Error).message}): start it with JetStream, nats-server -js`,
      { cause: error },
    );
  }
}

/** Starts the app and resolves once it listens. */
export async function startNotifyApp(options: NotifyAppOptions = {}): Promise<NotifyApp> {
  const limits: NotifyLimits = { ...NOTIFY_LIMITS, ...options.limits };
  const socketGuard = createSocketGuard(limits);
  const apiKeys = options.apiKeys ?? [generateApiKey()];
  const keys = createApiKeys(apiKeys);
  const now = options.now ?? Date.now;
  const tokens = createUserTokens({ secret: options.jwtSecret, now });
  if (options.redis !== undefined && options.nats !== undefined) {
    throw new TypeError('share through redis or nats, not both');
  }
  const shared =
    options.redis !== undefined
      ? await redisShared(options.redis, limits)
      : options.nats !== undefined
        ? await natsShared(options.nats, limits)
        : undefined;
  const sentLog = shared?.sentLog ?? new MemorySentLog({ perKey: limits.sentPerKey });
  const recording = recordWhenStored(
    shared?.store ?? new MemoryNotificationStore({ maxPerRecipient: limits.historyPerRecipient }),
    sentLog,
  );
  const { store } = recording;

  let service: NotificationService | undefined;
  // made once the service is (they read its feed and its Socket.IO server); routes are looked up late
  let sse: SseEndpoint | undefined;
  let metrics: AppMetrics | undefined;
  const late = (path: string, get: () => NotificationRoute | undefined): NotificationRoute => ({
    method: 'GET',
    path,
    handle: (req, res, url) => (get() as NotificationRoute).handle(req, res, url),
  });
  let webhooks: Webhooks | undefined;
  let usersIo: Server | undefined; // the service's, once it is made: webhook changes go to users' rooms
  const rest = createRestRoutes({
    service: () => service as NotificationService,
    store,
    sentLog,
    asSender: recording.asSender,
    apiKeys: keys,
    tokens,
    limits,
    now,
    onOutcome: (outcome) => metrics?.outcome(outcome),
    onAccepted: (n) => webhooks?.deliver(n),
  });
  if (options.webhooks !== undefined) {
    webhooks = createWebhooks({
      ...options.webhooks,
      authorize: rest.authorize,
      onChange: (user, view) => {
        if (usersIo !== undefined) pushWebhookView(usersIo, user, view);
      },
    });
  }
  const routes: NotificationRoute[] = [
    ...rest.routes,
    ...(webhooks === undefined ? [] : [webhooks.route]),
    late('/events', () => sse?.route),
    late('/metrics', () => metrics?.route),
    openApiRoute,
    ...createPageRoutes(options.webDir ?? DEFAULT_WEB_DIR),
  ];
  try {
    service = await createNotificationService({
      ...shared?.reach,
      authenticate: tokens.authenticate,
      canPublish: async (token) => (await keys.check(token)) !== undefined,
      store,
      maxBodyBytes: limits.maxBodyBytes,
      routes,
    });
  } catch (error) {
    await shared?.close();
    throw error;
  }
  const io = service.io as Server;
  usersIo = io;
  // before any socket can connect, and on the feeds' namespaces as they are made
  guardNamespaces(io, socketGuard);
  sse = attachSse({ service, tokens, now });
  const endpoint = sse;
  metrics = createAppMetrics({
    instance: options.instance ?? `notify-${process.pid}`,
    io,
    sse: () => endpoint.stats(),
  });
  attachReceipts(io, {
    store,
    sentLog,
    maxResume: limits.maxResume,
    maxTopicsPerSocket: limits.maxTopicsPerSocket,
    now,
    onReceipt: (kind) => metrics?.receipt(kind),
  });
  attachWebhookEvents(io, webhooks);
  let telemetry: Telemetry | undefined;
  let prices: Prices | undefined;
  const close = async () => {
    prices?.close();
    await telemetry?.close();
    webhooks?.close();
    endpoint.close();
    metrics?.close();
    await (service as NotificationService).close();
    await shared?.close();
  };
  const host = options.host ?? '127.0.0.1';
  let port: number;
  try {
    if (options.mqtt !== undefined) {
      const { attachTelemetry } = await import('./telemetry.ts');
      telemetry = await attachTelemetry({
        io,
        authenticate: tokens.authenticate,
        url: options.mqtt.url,
        ...(options.mqtt.filter === undefined ? {} : { filter: options.mqtt.filter }),
      });
    }
    if (options.grpc !== undefined) {
      const { attachPrices } = await import('./prices.ts');
      prices = await attachPrices({ io, authenticate: tokens.authenticate, ...options.grpc });
    }
    port = await service.listen(options.port ?? 0, host);
  } catch (error) {
    await close();
    throw error;
  }
  const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return {
    port,
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`,
    apiKeys,
    service,
    io,
    issueToken: (user) => tokens.issue(user),
    telemetry,
    prices,
    routes: routes.map(({ method, path }) => ({ method, path })),
    close,
  };
}
