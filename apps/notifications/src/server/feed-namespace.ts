/**
 * A conflated feed on a Socket.IO namespace of its own, behind the users' tokens: stage 5's
 * `serveConflatingFeedOverSocketIo` (one batch in flight per subscriber until it acks; a slow
 * subscriber holds the latest value per key). Telemetry and prices are both served this way.
 */
import {
  type ConflatingFeed,
  type NotificationAuthenticate,
  type SocketIoFeed,
  serveConflatingFeedOverSocketIo,
} from '@socketlab/distributed';
import type { Server } from 'socket.io';

/** Serves `feed` on `namespace` as `event` batches, to sockets whose `auth.token` names a user. */
export function serveFeedNamespace<V>(
  io: Server,
  options: {
    namespace: string;
    event: string;
    authenticate: NotificationAuthenticate;
    feed: ConflatingFeed<string, V>;
  },
): SocketIoFeed {
  const namespace = io.of(options.namespace);
  const refused = () => new Error('unauthorized: connect with auth: { token }');
  namespace.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    Promise.resolve(typeof token === 'string' ? options.authenticate(token) : undefined).then(
      (user) => next(user === undefined ? refused() : undefined),
      () => next(refused()),
    );
  });
  return serveConflatingFeedOverSocketIo(namespace, options.feed, { event: options.event });
}
