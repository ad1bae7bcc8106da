/**
 * Notifications' edge: each user's sockets join the channel `user:<id>`; `notify()` emits to it
 * and waits for an acknowledgement (`timeout().emit(…, ack)`); what no socket acknowledged stays
 * pending and is delivered again when a socket of that user connects (or on `redeliver`). At
 * least once, with an id the client deduplicates by.
 */

import { randomUUID } from 'node:crypto';
import type { Namespace, Server, Socket } from 'socket.io';
import {
  createNotification,
  type Notification,
  type NotificationInput,
  type NotificationLimits,
} from './notification.ts';
import { type PendingClock, PendingStore } from './pending.ts';

/** The event the hub emits; the client acknowledges it with the notification's id. */
export interface NotificationServerToClientEvents {
  notification(notification: Notification, ack: (id: string) => void): void;
}

/** Options of {@link attachNotifications}. */
export interface NotificationHubOptions {
  /**
   * The user a socket belongs to; `undefined` leaves the socket out of every channel.
   * @default `socket.data.userId` when it is a non-empty string
   */
  userIdOf?: (socket: Socket) => string | undefined;
  /** The prefix of each user's channel (a Socket.IO room). @default 'user:' */
  channelPrefix?: string;
  /** How long a delivery waits for an acknowledgement, in ms. @default 10000 */
  ackTimeoutMs?: number;
  /** Unacknowledged notifications kept per user. @default 100 */
  maxPendingPerUser?: number;
  /** Users with unacknowledged notifications kept. @default 10000 */
  maxPendingUsers?: number;
  /** How long an unacknowledged notification is kept, in ms. @default 86400000 (a day) */
  pendingTtlMs?: number;
  /** Limits on what `notify` accepts. @default NOTIFICATION_LIMITS */
  limits?: Partial<NotificationLimits>;
  /** The time stamped on notifications and used for expiry, in ms since the epoch. @default Date.now */
  now?: () => number;
  /** The id given to each notification. @default crypto.randomUUID */
  newId?: () => string;
  /** Told of every notification dropped unacknowledged (a full store, too many users, expiry). */
  onDrop?: (
    userId: string,
    notification: Notification,
    reason: 'full' | 'users' | 'expired',
  ) => void;
}

/** What `notify` resolves with. */
export interface NotifyResult {
  readonly notification: Notification;
  /** Whether a socket of the user acknowledged it in time (else it stays pending). */
  readonly delivered: boolean;
}

/** What {@link attachNotifications} returns. */
export interface NotificationHub {
  /**
   * Sends `input` to every socket of `userId`, and keeps it pending until one acknowledges it.
   * @throws {RealtimeError} `REALTIME_ERR_PAYLOAD` (synchronously) for an input that breaks the limits.
   * @throws {TypeError} for a `userId` that is not a non-empty string.
   */
  notify(userId: string, input: NotificationInput): Promise<NotifyResult>;
  /** Delivers `userId`'s pending notifications again, to every socket of theirs. @returns how many. */
  redeliver(userId: string): number;
  /** `userId`'s unacknowledged notifications, oldest first. */
  pending(userId: string): Notification[];
  /** Stops: removes its listeners (pending notifications are forgotten). */
  close(): void;
}

// biome-ignore lint/suspicious/noExplicitAny: any server or namespace, whatever its event maps
type AnyNamespace = Namespace<any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: any server or namespace, whatever its event maps
type AnyServer = Server<any, any, any, any>;

/**
 * Attaches per-user notification channels to a Socket.IO server (its main namespace) or a
 * namespace. Pair it with {@link receiveNotifications} on the client.
 * @throws {RangeError} for an option that is not a valid count or duration.
 * @example
 * const hub = attachNotifications(io);
 * app.post('/notify/:user', async (req, res) => res.json(await hub.notify(req.params.user, req.body)));
 */
export function attachNotifications(
  target: AnyServer | AnyNamespace,
  options: NotificationHubOptions = {},
): NotificationHub {
  const nsp = ('of' in target ? target.of('/') : target) as Namespace;
  const {
    userIdOf = (socket: Socket) => {
      const id: unknown = socket.data?.userId;
      return typeof id === 'string' && id.length > 0 ? id : undefined;
    },
    channelPrefix = 'user:',
    ackTimeoutMs = 10_000,
    maxPendingPerUser = 100,
    maxPendingUsers = 10_000,
    pendingTtlMs = 86_400_000,
    limits = {},
    now = Date.now,
    newId = randomUUID,
    onDrop = () => {},
  } = options;
  if (!Number.isFinite(ackTimeoutMs) || ackTimeoutMs <= 0) {
    throw new RangeError(`ackTimeoutMs must be a finite number > 0, got ${ackTimeoutMs}`);
  }
  const clock: PendingClock = { now };
  const store = new PendingStore<Notification>({
    maxPerUser: maxPendingPerUser,
    maxUsers: maxPendingUsers,
    ttlMs: pendingTtlMs,
    clock,
    onDrop: (userId, item, reason) => onDrop(userId, item as Notification, reason),
  });
  const channel = (userId: string): string => `${channelPrefix}${userId}`;
  const isAck = (answer: unknown, id: string): boolean => answer === id;

  /** Emits to a channel or one socket; resolves whether any acknowledgement names the id. */
  const deliver = (
    to: { timeout(ms: number): { emit(ev: string, ...args: unknown[]): unknown } },
    userId: string,
    notification: Notification,
    single: boolean,
  ): Promise<boolean> =>
    new Promise((resolve) => {
      to.timeout(ackTimeoutMs).emit(
        'notification',
        { ...notification },
        (_error: unknown, answers: unknown) => {
          const list = single ? [answers] : Array.isArray(answers) ? answers : [];
          const acked = list.some((answer) => isAck(answer, notification.id));
          if (acked) store.ack(userId, notification.id);
          resolve(acked);
        },
      );
    });

  const onConnection = (socket: Socket): void => {
    let userId: string | undefined;
    try {
      userId = userIdOf(socket);
    } catch {
      userId = undefined;
    }
    if (typeof userId !== 'string' || userId.length === 0) return;
    socket.join(channel(userId));
    for (const notification of store.list(userId)) void deliver(socket, userId, notification, true);
  };
  nsp.on('connection', onConnection);

  return {
    notify(userId, input) {
      if (typeof userId !== 'string' || userId.length === 0) {
        throw new TypeError(`userId must be a non-empty string, got ${String(userId)}`);
      }
      const notification = createNotification(input, newId(), now(), limits);
      store.add(userId, notification);
      return deliver(nsp.to(channel(userId)), userId, notification, false).then((delivered) => ({
        notification,
        delivered,
      }));
    },
    redeliver(userId) {
      const pending = store.list(userId);
      for (const notification of pending) {
        void deliver(nsp.to(channel(userId)), userId, notification, false);
      }
      return pending.length;
    },
    pending: (userId) => store.list(userId),
    close() {
      nsp.off('connection', onConnection);
      store.clear();
    },
  };
}
