/**
 * The client's half of at-least-once notifications: acknowledge every delivery (a duplicate
 * too: its first acknowledgement may be the one that was lost), and hand each id to the
 * application once.
 */

import { type Notification, type NotificationLimits, readNotification } from './notification.ts';

/** What {@link receiveNotifications} needs of a socket.io-client `Socket`. */
export interface NotificationSocket {
  on(event: 'notification', listener: (...args: unknown[]) => void): unknown;
  off(event: 'notification', listener: (...args: unknown[]) => void): unknown;
}

/** Options of {@link receiveNotifications}. */
export interface ReceiveNotificationsOptions {
  /** How many delivered ids are remembered for deduplication (the oldest are forgotten). @default 1000 */
  remember?: number;
  /** Limits a delivery must respect to be accepted. @default NOTIFICATION_LIMITS */
  limits?: Partial<NotificationLimits>;
}

/** What {@link receiveNotifications} returns. */
export interface NotificationReceiver {
  /** Stops listening. */
  off(): void;
  /** How many deliveries were dropped as duplicates so far. */
  readonly duplicates: number;
}

/**
 * Listens for notifications on a socket.io-client socket: each new id goes to `handler` once,
 * and is acknowledged once `handler` has returned (or its promise resolved); a handler that
 * throws leaves the notification unacknowledged, so the server delivers it again. A duplicate is
 * acknowledged at once and not handed over. A delivery that is not a notification is ignored.
 * @throws {RangeError} when `remember` is not an integer >= 1.
 * @example
 * const socket = io(url, { auth: { token } });
 * receiveNotifications(socket, (n) => showToast(n.title, n.body));
 */
export function receiveNotifications(
  socket: NotificationSocket,
  handler: (notification: Notification) => void | Promise<void>,
  { remember = 1000, limits = {} }: ReceiveNotificationsOptions = {},
): NotificationReceiver {
  if (!Number.isInteger(remember) || remember < 1) {
    throw new RangeError(`remember must be an integer >= 1, got ${remember}`);
  }
  const seen = new Set<string>();
  const inFlight = new Set<string>();
  let duplicates = 0;
  const listener = (...args: unknown[]): void => {
    const ack = typeof args.at(-1) === 'function' ? (args.at(-1) as (id: string) => void) : null;
    const notification = readNotification(args[0], limits);
    if (notification === undefined) return;
    const { id } = notification;
    if (seen.has(id) || inFlight.has(id)) {
      duplicates++;
      if (seen.has(id)) ack?.(id);
      return;
    }
    inFlight.add(id);
    Promise.resolve()
      .then(() => handler(notification))
      .then(
        () => {
          inFlight.delete(id);
          seen.add(id);
          if (seen.size > remember) seen.delete(seen.values().next().value as string);
          ack?.(id);
        },
        () => {
          inFlight.delete(id); // not acknowledged: delivered again later
        },
      );
  };
  socket.on('notification', listener);
  return {
    off: () => {
      socket.off('notification', listener);
    },
    get duplicates() {
      return duplicates;
    },
  };
}
