/**
 * Socket.IO instances that share rooms and broadcasts through Redis: stage 4's
 * `createRealtimeServer` with the Redis adapter (pub/sub) or the Redis Streams adapter, and the
 * Redis clients they need, owned here so `close()` quits every one of them.
 * @see https://socket.io/docs/v4/adapter/
 * @see https://socket.io/docs/v4/redis-adapter/
 * @see https://socket.io/docs/v4/redis-streams-adapter/
 */
import { randomUUID } from 'node:crypto';
import { createAdapter as createPubSubAdapter } from '@socket.io/redis-adapter';
import {
  createAdapter as createStreamsAdapter,
  type RedisStreamsAdapterOptions,
} from '@socket.io/redis-streams-adapter';
import {
  createRealtimeServer,
  type RealtimeEventsMap,
  type RealtimeServerOptions,
} from '@socketlab/websockets/realtime';
import { Redis } from 'ioredis';
import type { DefaultEventsMap, Server } from 'socket.io';
import { DistributedError } from '../errors.ts';

/**
 * How instances talk through Redis:
 * - `'pubsub'`: `@socket.io/redis-adapter`, every packet on Redis Pub/Sub channels (fire and
 *   forget: an instance that is not subscribed at that moment never sees it; no connection state
 *   recovery);
 * - `'streams'`: `@socket.io/redis-streams-adapter`, broadcasts appended to a Redis stream that
 *   every instance reads, so a client that reconnects to any instance gets the events it missed
 *   (connection state recovery across instances).
 */
export type ScalingAdapter = 'pubsub' | 'streams';

/** The defaults {@link createScaledServer} applies. */
export const SCALING_DEFAULTS = {
  /** The prefix of every Redis key and channel the adapter uses. */
  keyPrefix: 'socket.io',
  /** How long to wait for Redis to answer before giving up with `DISTRIBUTED_ERR_UNAVAILABLE`. */
  connectTimeoutMs: 5_000,
  /** pub/sub: how long a request to the other instances (`fetchSockets`, `serverSideEmitWithAck`) waits. */
  requestsTimeoutMs: 5_000,
} as const;

/** Options of {@link createScaledServer}: stage 4's realtime options, plus Redis. */
export interface ScaledServerOptions extends Omit<RealtimeServerOptions, 'adapter'> {
  /** The Redis server, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** Which adapter; no default, because only `'streams'` keeps connection state recovery. */
  adapter: ScalingAdapter;
  /**
   * The prefix of every Redis key and channel (pub/sub: the channels `<prefix>#/#…`; streams: the
   * stream `<prefix>`, its channels and the session keys `<prefix>:session:<pid>`). Instances
   * that must share rooms use the same prefix; tests use a unique one each.
   * @default 'socket.io'
   */
  keyPrefix?: string;
  /** @default 5000 */
  connectTimeoutMs?: number;
  /**
   * pub/sub only: how long `fetchSockets()` and `serverSideEmitWithAck()` wait for the other
   * instances (the streams adapter waits a fixed 5 s). @default 5000
   */
  requestsTimeoutMs?: number;
  /** streams only: the stream's bounds (`maxLen` 10,000 entries, `blockTimeInMs` 5 s, `readCount` 100). */
  streams?: Pick<RedisStreamsAdapterOptions, 'maxLen' | 'blockTimeInMs' | 'readCount'>;
  /**
   * Called with each error of a Redis connection once the server runs: while Redis is down or
   * restarting, ioredis reconnects (and subscribes again) on its own, failing each attempt with an
   * error. Log or count them here; `redis.status` says where the main connection is.
   * @default ignore them (ioredis would print each as an "Unhandled error event")
   */
  onRedisError?: (error: Error) => void;
}

/** What {@link createScaledServer} resolves with. */
export interface ScaledServer<
  ClientToServer extends RealtimeEventsMap = DefaultEventsMap,
  ServerToClient extends RealtimeEventsMap = DefaultEventsMap,
  SocketData = unknown,
> {
  /** The Socket.IO server (stage 4's defaults); listen on `io.httpServer`. */
  readonly io: Server<ClientToServer, ServerToClient, DefaultEventsMap, SocketData>;
  readonly adapter: ScalingAdapter;
  readonly keyPrefix: string;
  /** The Redis client the adapter publishes with (also usable for your own commands). */
  readonly redis: Redis;
  /**
   * Closes the server (its clients are disconnected), then quits every Redis client it made and
   * resolves once Redis no longer lists them (so other instances stop waiting for this one).
   * When Redis does not answer, its connections are dropped after `connectTimeoutMs` instead of
   * waiting for it. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/** Resolves once `client` is ready, or rejects with `DISTRIBUTED_ERR_UNAVAILABLE`. */
/**
 * The commands both Socket.IO Redis adapters send without waiting for or handling the answer
 * (a broadcast's PUBLISH, the unsubscribes on close). With Redis down they wait in ioredis's
 * offline queue, and when close() drops the connections they all reject: unhandled rejections
 * that fail a test run or, with --unhandled-rejections=strict, stop the process.
 */
const FIRE_AND_FORGET = [
  'publish',
  'spublish',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
] as const;

/**
 * Marks the promise of each {@link FIRE_AND_FORGET} command of `client` as handled; a caller
 * that awaits one still sees its failure (the same promise is returned).
 */
function handledFireAndForget(client: Redis): Redis {
  for (const method of FIRE_AND_FORGET) {
    const original = (client[method] as (...args: unknown[]) => Promise<unknown>).bind(client);
    (client as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const pending = original(...args);
      pending.catch(() => {});
      return pending;
    };
  }
  return client;
}

async function connected(client: Redis, url: string, timeoutMs: number): Promise<void> {
  let lastError: unknown;
  const onError = (error: unknown): void => {
    lastError = error;
  };
  client.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        reject(
          new DistributedError(
            'DISTRIBUTED_ERR_UNAVAILABLE',
            `Redis at ${url} did not answer within ${timeoutMs} ms: start it (redis-server) or check the URL`,
            { cause: lastError },
          ),
        );
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      client.once('ready', onReady);
    });
  } finally {
    client.off('error', onError);
  }
}

const CLIENT_LINE = /(?:^| )name=(\S*) .*? sub=(\d+) /;

/** The server-side event of the marker {@link streamsReady} appends to the stream. */
const READY_EVENT = 'socketlab:scaling-ready';

/** Options of {@link waitForStreamsAdapter}. */
export interface StreamsAdapterReadyOptions {
  /** A connected client of the Redis the adapter uses (it appends the marker and lists clients). */
  readonly redis: Redis;
  // biome-ignore lint/suspicious/noExplicitAny: any server, whatever its event maps
  readonly io: Server<any, any, any, any>;
  /** The adapter's `streamName`. */
  readonly streamName: string;
  /**
   * The `connectionName` of the adapter's Redis clients: when given, it also waits until their
   * subscriber has its two channels (seen in `CLIENT LIST`).
   */
  readonly connectionName?: string;
  /** The adapter's `maxLen`, kept when the marker is appended. @default 10000 */
  readonly maxLen?: number;
  /** @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * Resolves once the Redis Streams adapter of `io` has read an entry of its stream (and, with
 * `connectionName`, its subscriber has both its channels). The read matters: the adapter's
 * reader starts from `$` (only new entries) and keeps `$` until it reads one, so an entry
 * appended while it is between two blocking XREADs would be missed
 * (`@socket.io/redis-streams-adapter` 0.3.1). This appends a marker, a server-side event from the
 * uid the adapter reserves for emitters, until it reads it back; from then on the reader
 * continues from a real id and misses nothing. `createScaledServer` calls it; call it yourself
 * when you make the adapter.
 * @throws {DistributedError} `DISTRIBUTED_ERR_TIMEOUT` when the adapter does not read within `timeoutMs`.
 */
export function waitForStreamsAdapter(options: StreamsAdapterReadyOptions): Promise<void> {
  return streamsReady(
    options.redis,
    options.io,
    options.connectionName,
    options.streamName,
    options.maxLen ?? 10_000,
    options.timeoutMs ?? 5_000,
  );
}

async function streamsReady(
  redis: Redis,
  // biome-ignore lint/suspicious/noExplicitAny: any server, whatever its event maps
  io: Server<any, any, any, any>,
  name: string | undefined,
  streamName: string,
  maxLen: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const token = randomUUID();
  let read = false;
  const onReady = (value: unknown): void => {
    if (value === token) read = true;
  };
  io.on(READY_EVENT, onReady);
  try {
    let subscribed = name === undefined;
    for (let i = 0; i < 1_000 && Date.now() < deadline && !(read && subscribed); i++) {
      if (!subscribed) {
        const list = String(await redis.call('CLIENT', 'LIST'));
        subscribed = list.split('\n').some((line) => {
          const match = CLIENT_LINE.exec(line);
          return match !== null && match[1] === name && Number(match[2]) >= 2;
        });
      }
      if (!read) {
        const data = JSON.stringify({ packet: [READY_EVENT, token] });
        await redis.xadd(
          streamName,
          'MAXLEN',
          '~',
          maxLen,
          '*',
          'uid',
          'emitter',
          'nsp',
          '/',
          'type',
          '9',
          'data',
          data,
        );
        // the reader is blocked in XREAD and gets the entry at once, unless it is between two
        // reads; then the next round appends another
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  } finally {
    io.off(READY_EVENT, onReady);
  }
  if (!read) {
    throw new DistributedError(
      'DISTRIBUTED_ERR_TIMEOUT',
      `the Redis Streams adapter did not start reading the stream ${streamName} within ${timeoutMs} ms`,
    );
  }
}

/**
 * A Socket.IO server (stage 4's `createRealtimeServer`, with its limits and defaults) whose
 * rooms and broadcasts span every instance that uses the same Redis and `keyPrefix`. It resolves
 * once the adapter listens on Redis, so a broadcast from another instance made after that
 * reaches this one's clients.
 *
 * What crosses instances: `io.to(room).emit`, `socketsJoin`/`socketsLeave`/`disconnectSockets`,
 * `fetchSockets()` (copies of remote sockets, not the objects) and `serverSideEmit`. What does
 * not: socket objects, their listeners, and anything kept in the process's memory.
 * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when Redis does not answer within
 *   `connectTimeoutMs`; `DISTRIBUTED_ERR_TIMEOUT` when the streams adapter does not start reading.
 * @throws {RangeError} for a bad stage 4 limit (see `createRealtimeServer`).
 * @example
 * const a = await createScaledServer({ redisUrl: 'redis://127.0.0.1:6379', adapter: 'streams' });
 * a.io.on('connection', (socket) => socket.join('lobby'));
 * a.io.httpServer.listen(3001, '127.0.0.1');
 * // in another process, the same on port 3002: a.io.to('lobby').emit('news', 1) reaches both
 */
export async function createScaledServer<
  ClientToServer extends RealtimeEventsMap = DefaultEventsMap,
  ServerToClient extends RealtimeEventsMap = DefaultEventsMap,
  SocketData = unknown,
>(options: ScaledServerOptions): Promise<ScaledServer<ClientToServer, ServerToClient, SocketData>> {
  const {
    redisUrl,
    adapter,
    keyPrefix = SCALING_DEFAULTS.keyPrefix,
    connectTimeoutMs = SCALING_DEFAULTS.connectTimeoutMs,
    requestsTimeoutMs = SCALING_DEFAULTS.requestsTimeoutMs,
    streams = {},
    onRedisError = () => {},
    ...realtime
  } = options;
  if (adapter !== 'pubsub' && adapter !== 'streams') {
    throw new TypeError(`adapter must be 'pubsub' or 'streams', got ${String(adapter)}`);
  }
  if (typeof keyPrefix !== 'string' || keyPrefix === '') {
    throw new TypeError('keyPrefix must be a non-empty string');
  }
  // Every client this server makes carries one name, so the streams adapter's own clients
  // (which it duplicates from ours) can be found in CLIENT LIST and quit on close.
  const connectionName = `socketlab-scaling-${randomUUID().slice(0, 8)}`;
  const redis = handledFireAndForget(
    new Redis(redisUrl, { connectionName, maxRetriesPerRequest: null }),
  );
  const clients: Redis[] = [redis];
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (override) => {
    const copy = handledFireAndForget(duplicate(override));
    clients.push(copy);
    return copy;
  };
  // Disconnects the adapter's clients, then waits (bounded) until Redis no longer lists them, so
  // the other instances stop counting this one (PUBSUB NUMSUB) for their requests once close()
  // has resolved; then quits the main client.
  const quitAll = async (): Promise<void> => {
    for (const client of clients.slice(1)) client.disconnect();
    if (redis.status !== 'ready') {
      redis.disconnect();
      return;
    }
    // Bounded: Redis may have gone between the status check and an answer (a command would
    // then wait for it to come back), so the whole wait is at most connectTimeoutMs.
    const deadline = Date.now() + connectTimeoutMs;
    const answered = async <T>(command: Promise<T>): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Redis did not answer')), deadline - Date.now());
      });
      command.catch(() => {}); // when it loses the race, its failure is of no interest
      try {
        return await Promise.race([command, late]);
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      for (let i = 0; i < 100; i++) {
        const list = String(await answered(redis.call('CLIENT', 'LIST')));
        const ours = list.split('\n').filter((line) => line.includes(` name=${connectionName} `));
        if (ours.length <= 1) break; // only the main client is left
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await answered(redis.quit());
    } catch {
      redis.disconnect();
    }
  };
  try {
    await connected(redis, redisUrl, connectTimeoutMs);
    let factory: RealtimeServerOptions['adapter'];
    if (adapter === 'pubsub') {
      const sub = redis.duplicate();
      await connected(sub, redisUrl, connectTimeoutMs);
      factory = createPubSubAdapter(redis, sub, {
        key: keyPrefix,
        requestsTimeout: requestsTimeoutMs,
      });
    } else {
      factory = createStreamsAdapter(redis, {
        ...streams,
        streamName: keyPrefix,
        channelPrefix: keyPrefix,
        sessionKeyPrefix: `${keyPrefix}:session:`,
      });
    }
    const io = createRealtimeServer<ClientToServer, ServerToClient, SocketData>({
      ...realtime,
      adapter: factory,
    });
    if (adapter === 'pubsub') {
      // The adapter subscribed when the main namespace was made; a PING on the same connection
      // answers after those SUBSCRIBEs, so the channels are live once it does.
      await (clients[1] as Redis).ping();
    } else {
      await streamsReady(
        redis,
        io,
        connectionName,
        keyPrefix,
        streams.maxLen ?? 10_000,
        connectTimeoutMs,
      );
    }
    // From here on ioredis owns reconnection; its errors go to the caller, not to the console.
    for (const client of clients) client.on('error', onRedisError);
    redis.duplicate = (override) => {
      const copy = duplicate(override);
      clients.push(copy);
      copy.on('error', onRedisError);
      return copy;
    };
    let closing: Promise<void> | undefined;
    return {
      io,
      adapter,
      keyPrefix,
      redis,
      close() {
        closing ??= (async () => {
          // Closing the server closes the adapter first (it stops its read loop, unsubscribes),
          // then the clients. With Redis down the adapter's last commands would wait for it
          // forever: after connectTimeoutMs the connections are dropped instead.
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((resolve) => {
            timer = setTimeout(() => resolve('late'), connectTimeoutMs);
          });
          const closed = io.close().catch(() => {});
          if ((await Promise.race([closed, late])) === 'late') {
            for (const client of clients) client.disconnect();
          }
          clearTimeout(timer);
          await quitAll();
        })();
        return closing;
      },
    };
  } catch (error) {
    await quitAll();
    throw error;
  }
}
