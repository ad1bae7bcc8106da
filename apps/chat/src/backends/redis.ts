/**
 * The Redis backend: history and presence in Redis (see `../store/redis.ts`), and the Socket.IO
 * Redis Streams adapter, so `io.to(room).emit(…)` on one instance reaches the room's sockets on
 * every instance, and a client that reconnects to another instance can recover what it missed.
 * @see https://socket.io/docs/v4/redis-streams-adapter/
 */
import { randomUUID } from 'node:crypto';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { waitForStreamsAdapter } from '@socketlab/distributed';
import { Redis } from 'ioredis';
import {
  createRedisStores,
  REDIS_STORE_DEFAULTS,
  type RedisStoresOptions,
} from '../store/redis.ts';
import { type ChatBackend, type ChatFanout, socketRoom } from '../store/types.ts';

/** The defaults of {@link createRedisBackend} beyond the stores'. */
export const REDIS_BACKEND_DEFAULTS = Object.freeze({
  /** How long `attach` waits for Redis to answer. */
  connectTimeoutMs: 5_000,
  /** Entries the adapter's stream keeps (what a reconnecting client can recover from). */
  adapterMaxLen: 10_000,
});

/** Options of {@link createRedisBackend}: the stores', plus the adapter's. */
export interface RedisBackendOptions extends RedisStoresOptions {
  /** @default 5000 */
  connectTimeoutMs?: number;
  /** @default 10000 */
  adapterMaxLen?: number;
  /**
   * How long the adapter's reader blocks in one `XREAD`. Until it has read its first entry it
   * reads from `$`, and an entry appended between two of these reads is missed (the adapter's
   * 0.3.1 behaviour; stage 5's createScaledServer works around it with a marker): a longer block
   * makes that gap rarer. `close()` disconnects the reader, so it does not wait for the block.
   * @default 5000
   */
  adapterBlockTimeMs?: number;
}

/** Resolves when `redis` answers a PING, or rejects after `timeoutMs` saying what to start. */
async function answering(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `Redis at ${url} did not answer within ${timeoutMs} ms: start it (redis-server) or check --redis`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([redis.ping(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * N instances of the chat sharing rooms, history and presence through one Redis. Returns at once;
 * the clients connect in the background and `attach` (called by the server with its Socket.IO
 * server) rejects when Redis does not answer within `connectTimeoutMs`. Instances that share
 * rooms use the same `url` and `keyPrefix`; the adapter's stream and channels are
 * `<keyPrefix>:adapter…`.
 * @throws {RangeError} for a limit that is not a positive integer.
 * @example
 * const app = await startChatApp({ backend: createRedisBackend({ url: 'redis://127.0.0.1:6379' }) });
 */
export function createRedisBackend(options: RedisBackendOptions): ChatBackend {
  const keyPrefix = options.keyPrefix ?? REDIS_STORE_DEFAULTS.keyPrefix;
  const connectTimeoutMs = options.connectTimeoutMs ?? REDIS_BACKEND_DEFAULTS.connectTimeoutMs;
  const stores = createRedisStores(options);
  // The adapter publishes with its own client and duplicates it for its reader and subscriber;
  // all of them are kept so close() disconnects each.
  // One connection name for the adapter's clients, so the readiness wait finds its subscriber.
  const connectionName = `socketlab-chat-${randomUUID().slice(0, 8)}`;
  const adapterClient = new Redis(options.url, { connectionName, maxRetriesPerRequest: null });
  const clients: Redis[] = [adapterClient];
  const duplicate = adapterClient.duplicate.bind(adapterClient);
  adapterClient.duplicate = (override) => {
    const copy = duplicate(override);
    copy.on('error', () => {});
    clients.push(copy);
    return copy;
  };
  adapterClient.on('error', () => {}); // ioredis reconnects on its own
  const streamName = `${keyPrefix}:adapter`;
  const maxLen = options.adapterMaxLen ?? REDIS_BACKEND_DEFAULTS.adapterMaxLen;
  const adapter = createAdapter(adapterClient, {
    streamName,
    channelPrefix: `${keyPrefix}:adapter`,
    sessionKeyPrefix: `${keyPrefix}:adapter:session:`,
    maxLen,
    ...(options.adapterBlockTimeMs === undefined
      ? {}
      : { blockTimeInMs: options.adapterBlockTimeMs }),
  });
  let closing: Promise<void> | undefined;
  return {
    kind: 'redis',
    stores,
    serverOptions: { adapter },
    async attach(io): Promise<ChatFanout> {
      await answering(stores.redis, options.url, connectTimeoutMs);
      await answering(adapterClient, options.url, connectTimeoutMs);
      // The adapter reads from `$` until its first entry: wait until it has read one, or an
      // event another instance sends before then could be lost to this one (stage 5's wait).
      await waitForStreamsAdapter({
        redis: stores.redis,
        io,
        streamName,
        connectionName,
        maxLen,
        timeoutMs: connectTimeoutMs,
      });
      return {
        toRoom(room, event, payload) {
          io.to(socketRoom(room)).emit(event, payload);
        },
        toAll(event, payload) {
          io.emit(event, payload);
        },
      };
    },
    close() {
      // The server closes first (which stops the adapter's reader); then the clients go.
      closing ??= (async () => {
        await stores.close();
        for (const client of clients.slice(1)) client.disconnect();
        await adapterClient.quit().catch(() => undefined);
        adapterClient.disconnect();
      })();
      return closing;
    },
  };
}
