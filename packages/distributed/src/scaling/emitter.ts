/**
 * Broadcasting into scaled Socket.IO instances from a process that has no sockets of its own (a
 * worker, a cron job, a REST handler): a Socket.IO server on the same Redis adapter that never
 * listens. `@socket.io/redis-emitter` does this for the pub/sub adapter only; this works with both.
 * @see https://socket.io/docs/v4/redis-adapter/#emitter
 */
import type { RealtimeEventsMap } from '@socketlab/websockets/realtime';
import type { DefaultEventsMap, Server } from 'socket.io';
import { createScaledServer, type ScaledServerOptions } from './server.ts';

/** Options of {@link createScaledEmitter}: the Redis part of {@link ScaledServerOptions}. */
export type ScaledEmitterOptions = Pick<
  ScaledServerOptions,
  | 'redisUrl'
  | 'adapter'
  | 'keyPrefix'
  | 'connectTimeoutMs'
  | 'requestsTimeoutMs'
  | 'streams'
  | 'onRedisError'
>;

/** The methods of a Socket.IO server that act on every instance. */
export type ClusterOperations<ServerToClient extends RealtimeEventsMap = DefaultEventsMap> = Pick<
  Server<DefaultEventsMap, ServerToClient>,
  | 'to'
  | 'in'
  | 'except'
  | 'emit'
  | 'serverSideEmit'
  | 'serverSideEmitWithAck'
  | 'fetchSockets'
  | 'socketsJoin'
  | 'socketsLeave'
  | 'disconnectSockets'
>;

/** What {@link createScaledEmitter} resolves with. */
export interface ScaledEmitter<ServerToClient extends RealtimeEventsMap = DefaultEventsMap> {
  /** Emits to rooms on every instance; asks the instances (`fetchSockets`, `serverSideEmit`). */
  readonly io: ClusterOperations<ServerToClient>;
  /** Quits its Redis clients. */
  close(): Promise<void>;
}

/**
 * A sender for processes without sockets: `io.to(room).emit(…)` reaches the room's clients on
 * every instance that shares Redis and `keyPrefix`. It is a Socket.IO server that never listens,
 * so, unlike `@socket.io/redis-emitter` (publish only), it is a member of the cluster: it
 * subscribes to the adapter's traffic, counts in `serverSideEmitWithAck` (it must answer the
 * events the others ask with an ack, or they time out) and answers `fetchSockets` with none.
 * Connection state recovery is off on it (it has no clients); the streams adapter still records
 * its broadcasts in the stream, so clients of other instances recover them.
 * @throws {DistributedError} `DISTRIBUTED_ERR_UNAVAILABLE` when Redis does not answer.
 * @example
 * const emitter = await createScaledEmitter({ redisUrl, adapter: 'pubsub' });
 * emitter.io.to('lobby').emit('news', 'the build is green');
 * await emitter.close();
 */
export async function createScaledEmitter<
  ServerToClient extends RealtimeEventsMap = DefaultEventsMap,
>(options: ScaledEmitterOptions): Promise<ScaledEmitter<ServerToClient>> {
  const scaled = await createScaledServer<DefaultEventsMap, ServerToClient>({
    ...options,
    connectionStateRecovery: false,
  });
  return { io: scaled.io, close: () => scaled.close() };
}
