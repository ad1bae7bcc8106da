/**
 * What the load generator needs from a connection, whatever carries it: send a message, read the
 * replies, optionally honour backpressure and batch writes. The TCP connector built from `target`
 * and `framing` is the default; another transport (WebSocket, Socket.IO, an in-memory pair) plugs
 * in through `LoadOptions.connect`.
 */
import { connectFramed, type FrameCodec, type FramedTarget } from '@socketlab/tcp-udp';

/**
 * One connection the load generator drives. Each message it sends carries its id as an
 * `@<id>;` token; a reply is matched to its message by the first such token it holds, so the
 * transport must deliver the bytes unchanged (an echo), or at least keep the token (a chat relay).
 */
export interface LoadConnection {
  /**
   * Sends one message. A failure is reported by throwing or by the returned promise rejecting;
   * either marks the connection dead for the rest of the run (its replies still count).
   */
  send(message: Uint8Array): void | Promise<void>;
  /** The replies, one message each, in arrival order; ends when the connection closes, throws on an error. */
  readonly replies: AsyncIterable<Uint8Array>;
  /** True while the transport's write buffer is full: no message is sent until `onceDrain` fires. @default never */
  needsDrain?(): boolean;
  /** Calls `callback` once, when the write buffer has room again (only asked after `needsDrain()` was true). */
  onceDrain?(callback: () => void): void;
  /** Holds writes back until `uncork`, so the messages of one tick leave together. @default none */
  cork?(): void;
  uncork?(): void;
  /**
   * Closes the connection at the end of the run; `replies` then ends. Called once. Should not
   * throw: if it does, the run still ends and reports the error as `firstError`.
   */
  close(): void;
}

/** What {@link createReplyQueue} returns: `replies` for a {@link LoadConnection}, fed by the rest. */
export interface ReplyQueue {
  /** The pushed replies in order; ends after `end()` once drained, throws `fail()`'s error once drained. */
  readonly replies: AsyncIterable<Uint8Array>;
  /** Adds a reply (ignored once `end()` was called). */
  push(reply: Uint8Array): void;
  /** Ends `replies` after what was pushed before it (a clean close). */
  end(): void;
  /** Makes `replies` throw `error` after what was pushed before it (a lost connection). */
  fail(error: Error): void;
}

/**
 * The `replies` of a {@link LoadConnection} for a transport that hands over replies by callback
 * (an event, an acknowledgement): push each as it comes, `end()` on a clean close, `fail(error)`
 * on a lost connection. One reader at a time; nothing is buffered past what was pushed.
 */
export function createReplyQueue(): ReplyQueue {
  const queued: Uint8Array[] = [];
  let head = 0;
  let waiting: (() => void) | undefined;
  let ended = false;
  let error: Error | undefined;
  const wakeReader = (): void => {
    waiting?.();
    waiting = undefined;
  };
  const replies: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (head < queued.length) {
          const next = queued[head++] as Uint8Array;
          // Drop what was read once it is half the array, so reading stays linear.
          if (head * 2 >= queued.length) {
            queued.splice(0, head);
            head = 0;
          }
          yield next;
        } else if (error !== undefined) throw error;
        else if (ended) return;
        else await new Promise<void>((resolve) => (waiting = resolve));
      }
    },
  };
  return {
    replies,
    push(reply) {
      if (ended) return;
      queued.push(reply);
      wakeReader();
    },
    end() {
      ended = true;
      wakeReader();
    },
    fail(err) {
      error ??= err;
      wakeReader();
    },
  };
}

/**
 * Opens one {@link LoadConnection}; called once per connection. A rejection (or not resolving
 * within `connectTimeoutMs`) fails the run with `MULTIPLEXING_ERR_CONNECTION`, the error as `cause`.
 */
export type LoadConnector = () => Promise<LoadConnection>;

/**
 * The default connector: a framed TCP (or Unix socket) connection to `target`, corked while a
 * tick writes, blocked while the socket's buffer is full.
 */
export function framedLoadConnector(
  target: FramedTarget,
  codec: FrameCodec,
  connectTimeoutMs: number,
): LoadConnector {
  return async () => {
    const framed = await connectFramed(target, { codec, connectTimeoutMs });
    const socket = framed.socket;
    return {
      send: (message) => framed.send(message),
      replies: framed,
      needsDrain: () => socket.writableNeedDrain,
      onceDrain: (callback) => {
        socket.once('drain', callback);
      },
      cork: () => socket.cork(),
      uncork: () => socket.uncork(),
      close: () => framed.destroy(),
    };
  };
}

/**
 * `connector` bounded by `timeoutMs`: rejects when it has not resolved by then, and closes the
 * connection should it open later, so nothing leaks.
 */
export function boundedLoadConnector(connector: LoadConnector, timeoutMs: number): LoadConnector {
  return () =>
    new Promise<LoadConnection>((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`the connector did not open a connection within ${timeoutMs} ms`));
      }, timeoutMs);
      let opening: Promise<LoadConnection>;
      try {
        opening = Promise.resolve(connector());
      } catch (err) {
        opening = Promise.reject(err);
      }
      opening.then(
        (connection) => {
          clearTimeout(timer);
          if (timedOut) closeConnection(connection);
          else resolve(connection);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
}

/** Closes `connection`, returning what its `close()` threw (a connector's bug) instead of throwing it. */
export function closeConnection(connection: LoadConnection): unknown {
  try {
    connection.close();
    return undefined;
  } catch (err) {
    return err ?? new Error('close() threw');
  }
}
