/**
 * The conflating feed over Socket.IO. Socket.IO gives the application no `writableNeedDrain`,
 * so "the consumer can take more" is its acknowledgement: each connection has at most one batch
 * in flight, and the next batch is taken from its buffer only when the client acks the last. A
 * client that stops acking (stalled, or too slow) costs one batch plus one value per key.
 * @see https://socket.io/docs/v4/emitting-events/#acknowledgements
 */
import type { Namespace, Server, Socket } from 'socket.io';
import type { ConflatingFeed, FeedSubscription } from './feed.ts';
import type { FeedUpdate } from './tcp-feed.ts';

/** Options of {@link serveConflatingFeedOverSocketIo}. */
export interface SocketIoFeedOptions {
  /** The event each batch is emitted as; its ack asks for the next. @default 'feed' */
  readonly event?: string;
  /** Updates per batch. @default 64 */
  readonly maxBatch?: number;
  /** Each connection's coalescing window in ms (ConflatingBuffer `minIntervalMs`). @default 0 */
  readonly minIntervalMs?: number;
}

/** What one Socket.IO connection of the feed holds now. */
export interface SocketIoFeedStats {
  /** The socket's id. */
  readonly id: string;
  /** Keys pending for it (one value each). */
  readonly pendingKeys: number;
  /** True while a batch waits for its ack. */
  readonly inFlight: boolean;
  /** Updates emitted to it. */
  readonly delivered: number;
  /** Updates it never saw because a newer value of the key replaced them first. */
  readonly conflated: number;
}

/** A running {@link serveConflatingFeedOverSocketIo}. */
export interface SocketIoFeed {
  /** One row per connected socket. */
  connections(): SocketIoFeedStats[];
  /** Stops serving new connections and forgets every subscription (sockets stay connected). */
  close(): void;
}

/**
 * Serves `feed` to every socket of a Socket.IO server or namespace: each gets the current value
 * of every key, then changes, as `event` batches of `{ key, value }`, one batch in flight until
 * the client's ack (`socket.on('feed', (batch, ack) => { …; ack(); })`).
 * @throws {RangeError} for a `maxBatch` that is not an integer ≥ 1.
 * @example
 * ```ts
 * const feed = new ConflatingFeed<string, number>();
 * serveConflatingFeedOverSocketIo(io, feed);
 * // in the client:
 * socket.on('feed', (batch, ack) => { for (const { key, value } of batch) show(key, value); ack(); });
 * ```
 */
export function serveConflatingFeedOverSocketIo<K, V>(
  target: Server | Namespace,
  feed: ConflatingFeed<K, V>,
  options: SocketIoFeedOptions = {},
): SocketIoFeed {
  const maxBatch = options.maxBatch ?? 64;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new RangeError(`maxBatch must be an integer >= 1, got ${String(maxBatch)}`);
  }
  const event = options.event ?? 'feed';
  const open = new Map<Socket, { sub: FeedSubscription<K, V>; inFlight: boolean }>();
  const onConnection = (socket: Socket): void => {
    const sub = feed.subscribe(
      options.minIntervalMs === undefined ? {} : { minIntervalMs: options.minIntervalMs },
    );
    const state = { sub, inFlight: false };
    open.set(socket, state);
    let timer: NodeJS.Timeout | undefined;
    let scheduled = false;
    const pump = (): void => {
      scheduled = false;
      if (state.inFlight || !socket.connected || !open.has(socket)) return;
      const batch = sub.buffer.take(maxBatch);
      if (batch.length === 0) {
        const wait = sub.buffer.nextReadyInMs();
        if (wait !== undefined && wait > 0 && timer === undefined) {
          timer = setTimeout(() => {
            timer = undefined;
            pump();
          }, Math.ceil(wait));
        }
        return;
      }
      state.inFlight = true;
      const updates: FeedUpdate<K, V>[] = batch.map(([key, value]) => ({ key, value }));
      // The ack's arguments are the client's and are ignored: only its arrival matters.
      socket.emit(event, updates, () => {
        state.inFlight = false;
        schedule();
      });
    };
    const schedule = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(pump);
    };
    sub.onPending = schedule;
    socket.on('disconnect', () => {
      clearTimeout(timer);
      sub.close();
      open.delete(socket);
    });
    schedule(); // the snapshot
  };
  target.on('connection', onConnection);
  return {
    connections() {
      return [...open].map(([socket, { sub, inFlight }]) => ({
        id: socket.id,
        pendingKeys: sub.buffer.size,
        inFlight,
        delivered: sub.buffer.stats.delivered,
        conflated: sub.buffer.stats.conflated,
      }));
    },
    close() {
      target.off('connection', onConnection);
      for (const { sub } of open.values()) sub.close();
      open.clear();
    },
  };
}
