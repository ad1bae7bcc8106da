/**
 * The edge of the conflating feed: a TCP server that gives each connection a subscription and
 * writes to it only while its socket can take more (`writableNeedDrain` false), so a consumer
 * that stops reading costs at most one socket buffer plus one value per key, never a queue of
 * every update. Frames are stage 2's (`FramedSocket`, a length prefix by default).
 */
import net from 'node:net';
import { type FrameCodec, FramedSocket, lengthPrefixCodec } from '@socketlab/tcp-udp';
import type { ConflatingBuffer } from './conflating-buffer.ts';
import type { ConflatingFeed, FeedSubscription } from './feed.ts';

/** One update on the wire as the default encoding writes it: JSON `{ key, value }`. */
export interface FeedUpdate<K = string, V = unknown> {
  readonly key: K;
  readonly value: V;
}

/** Options of {@link serveConflatingFeed}. */
export interface ConflatingFeedServerOptions<K, V> {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** How frames are cut. @default lengthPrefixCodec({ maxFrameBytes: 65536 }) */
  readonly codec?: FrameCodec;
  /** One update as a frame's payload. @default JSON of `{ key, value }` */
  readonly encode?: (key: K, value: V) => Uint8Array;
  /** Updates written per turn before checking the socket again. @default 64 */
  readonly maxBatch?: number;
  /** Each connection's coalescing window in ms (ConflatingBuffer `minIntervalMs`). @default 0 */
  readonly minIntervalMs?: number;
}

/** What one connection of a {@link ConflatingFeedServer} holds now. */
export interface FeedConnectionStats {
  /** `address:port` of the consumer. */
  readonly remote: string;
  /** Bytes written to the socket and not yet handed to the kernel (`writableLength`). */
  readonly bufferedBytes: number;
  /** Keys pending for this consumer (one value each). */
  readonly pendingKeys: number;
  /** Updates written to it. */
  readonly delivered: number;
  /** Updates it never saw because a newer value of the key replaced them first. */
  readonly conflated: number;
  /**
   * Updates skipped because `encode` threw or the frame was over the codec's limit (a
   * producer's bug: the update is skipped for this consumer, the connection carries on).
   */
  readonly skipped: number;
}

/** A running {@link serveConflatingFeed}. */
export interface ConflatingFeedServer {
  /** Where it listens. */
  readonly address: net.AddressInfo;
  /** One row per open connection. */
  connections(): FeedConnectionStats[];
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Where {@link writeConflated} writes: a socket-like thing that says when it is full. */
export interface ConflatedSink {
  /** True once the sink holds more than it wants (Node's `writable.writableNeedDrain`). */
  readonly writableNeedDrain: boolean;
  /** Writes one encoded update. */
  send(payload: Uint8Array): unknown;
}

/**
 * Moves pending updates from `buffer` (a {@link ConflatingBuffer}, or anything with its `take`) to `sink` while the sink can take more: batches of up to
 * `maxBatch`, checking `writableNeedDrain` before each batch. Call it again on `'drain'` and
 * whenever the buffer gets something new. A stalled sink stops it at once; what it would have
 * written stays in the buffer, conflating.
 * @returns how many updates were written.
 * @example
 * ```ts
 * socket.on('drain', () => writeConflated(buffer, sink, encode));
 * ```
 */
export function writeConflated<K, V>(
  buffer: { take(max: number): Array<[K, V]> },
  sink: ConflatedSink,
  encode: (key: K, value: V) => Uint8Array,
  maxBatch = 64,
): number {
  let written = 0;
  while (!sink.writableNeedDrain) {
    const batch = buffer.take(maxBatch);
    if (batch.length === 0) break;
    for (const [key, value] of batch) sink.send(encode(key, value));
    written += batch.length;
  }
  return written;
}

const EMPTY = new Uint8Array(0);

const encodeJson = (key: unknown, value: unknown): Uint8Array =>
  Buffer.from(JSON.stringify({ key, value }));

/** Decodes one frame written with the default encoding. */
export function decodeFeedUpdate<K = string, V = unknown>(frame: Uint8Array): FeedUpdate<K, V> {
  return JSON.parse(Buffer.from(frame).toString('utf8')) as FeedUpdate<K, V>;
}

/**
 * Serves `feed` over TCP: each connection first receives the current value of every key, then
 * every change, conflated per key whenever it reads slower than the feed changes. Nothing the
 * client sends is needed; a bad frame from it closes that connection alone.
 * @throws {RangeError} for a `maxBatch` that is not an integer ≥ 1.
 * @example
 * ```ts
 * const feed = new ConflatingFeed<string, number>();
 * const server = await serveConflatingFeed(feed);
 * const client = await connectFramed({ host: '127.0.0.1', port: server.address.port });
 * feed.publish('EURUSD', 1.0842);
 * decodeFeedUpdate(await client.read()); // { key: 'EURUSD', value: 1.0842 }
 * ```
 */
export async function serveConflatingFeed<K, V>(
  feed: ConflatingFeed<K, V>,
  options: ConflatingFeedServerOptions<K, V> = {},
): Promise<ConflatingFeedServer> {
  const maxBatch = options.maxBatch ?? 64;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new RangeError(`maxBatch must be an integer >= 1, got ${String(maxBatch)}`);
  }
  const encode = options.encode ?? encodeJson;
  const open = new Map<
    net.Socket,
    { sub: FeedSubscription<K, V>; remote: string; skipped: { count: number } }
  >();
  const server = net.createServer((socket) => {
    const framed = new FramedSocket(socket, {
      codec: options.codec ?? lengthPrefixCodec({ maxFrameBytes: 65_536 }),
    });
    const sub = feed.subscribe(
      options.minIntervalMs === undefined ? {} : { minIntervalMs: options.minIntervalMs },
    );
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const skipped = { count: 0 };
    const sink: ConflatedSink = {
      get writableNeedDrain() {
        return socket.writableNeedDrain;
      },
      send: (payload) =>
        framed.send(payload).catch((err: { code?: string }) => {
          // A closed socket ends below; a frame over the codec's limit is skipped and counted.
          if (err.code === 'TCPUDP_ERR_FRAME_TOO_LARGE') skipped.count++;
        }),
    };
    const safeEncode = (key: K, value: V): Uint8Array => {
      try {
        return encode(key, value);
      } catch {
        skipped.count++;
        return EMPTY; // sent as nothing: see send below
      }
    };
    open.set(socket, { sub, remote, skipped });
    const filtered: ConflatedSink = {
      get writableNeedDrain() {
        return socket.writableNeedDrain;
      },
      send: (payload) => (payload === EMPTY ? undefined : sink.send(payload)),
    };
    let scheduled = false;
    let timer: NodeJS.Timeout | undefined;
    const pump = (): void => {
      scheduled = false;
      if (socket.destroyed) return;
      writeConflated(sub.buffer, filtered, safeEncode, maxBatch);
      if (socket.writableNeedDrain || timer !== undefined) return; // 'drain' pumps again
      const wait = sub.buffer.nextReadyInMs();
      if (wait !== undefined && wait > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          pump();
        }, Math.ceil(wait));
      }
    };
    const schedule = (): void => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(pump); // many publishes in one turn become one batch
    };
    sub.onPending = schedule;
    socket.on('drain', schedule);
    socket.setNoDelay(true);
    schedule(); // the snapshot
    // The consumer sends nothing we need: read and discard, so its frames never pile up.
    (async () => {
      try {
        for await (const _ of framed) {
          // ignored
        }
      } catch {
        // a bad frame or a reset: FramedSocket has closed this connection alone
      }
    })();
    void framed.closed.then(() => {
      clearTimeout(timer);
      sub.close();
      open.delete(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as net.AddressInfo,
    connections() {
      return [...open].map(([socket, { sub, remote, skipped }]) => ({
        remote,
        bufferedBytes: socket.writableLength,
        pendingKeys: sub.buffer.size,
        delivered: sub.buffer.stats.delivered,
        conflated: sub.buffer.stats.conflated,
        skipped: skipped.count,
      }));
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const socket of open.keys()) socket.destroy();
        server.close(() => resolve());
      });
    },
  };
}
