/**
 * Socket.IO clients for the stage 3 load generator (`runLoad` from `@socketlab/multiplexing`):
 * each connection is a socket.io-client socket that emits every message as a binary event with an
 * acknowledgement, and the acknowledgement's argument is the reply.
 */
import { createReplyQueue, type LoadConnection, type LoadConnector } from '@socketlab/multiplexing';
import type { Socket } from 'socket.io-client';
import { connectRealtimeClient, type RealtimeClientOptions } from './client.ts';

/** Options of {@link socketIoLoadConnector}: the event, and socket.io-client's own options. */
export interface SocketIoLoadOptions extends RealtimeClientOptions {
  /** The event each message is emitted as, with an ack the server answers with the message. @default 'echo' */
  event?: string;
}

/** The client options {@link socketIoLoadConnector} applies before yours. */
export const SOCKET_IO_LOAD_DEFAULTS = Object.freeze({
  event: 'echo',
  /** One Engine.IO connection per load connection, not one shared by all (socket.io-client's multiplexing). */
  forceNew: true,
  /** A lost connection stays lost: the load generator counts it as a disconnect. */
  reconnection: false,
  transports: ['websocket'] as string[],
});

/** Names socket.io-client refuses to emit. */
const RESERVED_EVENTS = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);

/** An ack's reply as bytes: binary as it came, a string as UTF-8, anything else empty (unmatched). */
function replyBytes(reply: unknown): Uint8Array {
  if (reply instanceof Uint8Array) return reply;
  if (reply instanceof ArrayBuffer) return new Uint8Array(reply);
  if (ArrayBuffer.isView(reply)) {
    return new Uint8Array(reply.buffer, reply.byteOffset, reply.byteLength);
  }
  if (typeof reply === 'string') return new TextEncoder().encode(reply);
  return new Uint8Array(0);
}

/** The replies of one socket, as an async iterable: ends on a client-side close, throws on another disconnect. */
function ackReplies(socket: Socket, url: string) {
  const queue = createReplyQueue();
  socket.once('disconnect', (reason) => {
    if (reason === 'io client disconnect') queue.end();
    else queue.fail(new Error(`the Socket.IO connection to ${url} was lost: ${reason}`));
  });
  return { replies: queue.replies, push: (reply: unknown) => queue.push(replyBytes(reply)) };
}

/**
 * A `LoadConnector` for `runLoad` that opens Socket.IO clients to `url` (a namespace is its path).
 * Each message goes out as one `event` (default `'echo'`) whose single argument is the message
 * as binary (a Socket.IO binary attachment) and which asks for an acknowledgement; the server
 * answers the ack with the bytes it got, and that answer is the reply:
 * `socket.on('echo', (data, ack) => ack(data))`. A lost ack counts as unanswered.
 *
 * Each connection is its own Engine.IO connection over WebSocket, without reconnection
 * (`SOCKET_IO_LOAD_DEFAULTS`; your `options` override them and add any socket.io-client option,
 * `auth` for instance). Opening uses {@link connectRealtimeClient}: a refused or failed
 * connection fails the run with `MULTIPLEXING_ERR_CONNECTION`, socket.io-client's error (or the
 * middleware's `RealtimeError`) as the `cause`. Socket.IO exposes no write buffer, so there is no
 * backpressure hook: messages are buffered by socket.io-client if the transport is slow, and
 * their latency still counts from their intended send time.
 * @throws {TypeError} when `url` is not a string, or `event` is empty or reserved by Socket.IO.
 * @example
 * ```ts
 * import { runLoad } from '@socketlab/multiplexing';
 * const report = await runLoad({
 *   connect: socketIoLoadConnector('http://127.0.0.1:3000'),
 *   targetName: 'http://127.0.0.1:3000 (Socket.IO)',
 *   connections: 10,
 *   messagesPerSecond: 1_000,
 *   durationMs: 5_000,
 * });
 * console.log(report.latencyMs.p99);
 * ```
 */
export function socketIoLoadConnector(
  url: string,
  options: SocketIoLoadOptions = {},
): LoadConnector {
  if (typeof url !== 'string' || url === '') throw new TypeError('url must be a non-empty string');
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object');
  }
  const { event = SOCKET_IO_LOAD_DEFAULTS.event, ...clientOptions } = options;
  if (typeof event !== 'string' || event === '' || RESERVED_EVENTS.has(event)) {
    throw new TypeError(
      `event must be a non-empty event name not reserved by Socket.IO, got ${JSON.stringify(event)}`,
    );
  }
  const { event: _event, ...defaults } = SOCKET_IO_LOAD_DEFAULTS;
  return async (): Promise<LoadConnection> => {
    const socket: Socket = await connectRealtimeClient(url, { ...defaults, ...clientOptions });
    const { replies, push } = ackReplies(socket, url);
    return {
      send(message) {
        socket.emit(event, message, push);
      },
      replies,
      close() {
        socket.disconnect();
      },
    };
  };
}
