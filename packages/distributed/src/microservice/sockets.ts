/**
 * The Socket.IO face of the service: a socket authenticates once with `auth: { token }`, joins
 * its user's room, and may join and leave topics; notifications reach it from the instance's feed.
 * @see https://socket.io/docs/v4/middlewares/
 */
import type { Server } from 'socket.io';
import { RECIPIENT_PATTERN, recipientKey } from './notification.ts';

/** The event a Socket.IO client receives, and the server-side event between instances. */
export const NOTIFICATION_EVENTS = Object.freeze({
  /** To clients: `(notification: ServiceNotification)`, stage 4's `receiveNotifications` reads it. */
  notification: 'notification',
  /** From a client: `(topic, ack)` joins `topic:<topic>`; the ack is `{ ok }` or `{ ok: false, error }`. */
  subscribe: 'subscribe',
  /** From a client: `(topic, ack)` leaves it. */
  unsubscribe: 'unsubscribe',
  /** Between instances: `(notification, idempotencyKey?)`. */
  published: 'socketlab:notification',
});

/**
 * Adds the service's middleware and handlers to `io`: a socket whose token names no user is
 * refused (`connect_error`), the others join `user:<id>` and answer `subscribe`/`unsubscribe`.
 */
export function attachSocketClients(
  io: Server,
  authenticate: (token: string | undefined) => Promise<string | undefined>,
): void {
  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    void authenticate(typeof token === 'string' ? token : undefined).then((user) => {
      if (user === undefined) {
        next(new Error('unauthorized: connect with auth: { token }'));
        return;
      }
      socket.data = { user };
      next();
    });
  });
  io.on('connection', (socket) => {
    const user = (socket.data as { user: string }).user;
    void socket.join(recipientKey({ user }));
    for (const [event, join] of [
      [NOTIFICATION_EVENTS.subscribe, true],
      [NOTIFICATION_EVENTS.unsubscribe, false],
    ] as const) {
      socket.on(event, (...args: unknown[]) => {
        const ack = args.at(-1);
        if (typeof ack !== 'function') return;
        const topic = args[0];
        if (args.length !== 2 || typeof topic !== 'string' || !RECIPIENT_PATTERN.test(topic)) {
          ack({ ok: false, error: 'INVALID_TOPIC' });
          return;
        }
        const room = recipientKey({ topic });
        void (join ? socket.join(room) : socket.leave(room));
        ack({ ok: true, topic });
      });
    }
  });
}
