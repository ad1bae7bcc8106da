/**
 * What the app adds to stage 5's Socket.IO face (which authenticates, joins `user:<id>` and answers
 * `subscribe`/`unsubscribe`): `resume` (catch up after an absence, from the client's own cursor),
 * and the delivery acks and read receipts that go into the sender's history (shared by the
 * instances when they share Redis or NATS, so each records the receipts it gets). Every payload is
 * checked before use; a bad one gets `{ ok: false, error }`, never an exception.
 */
import {
  NOTIFICATION_ID_PATTERN,
  type NotificationStore,
  RECIPIENT_PATTERN,
  recipientKey,
} from '@socketlab/distributed';
import type { Server, Socket } from 'socket.io';
import {
  type AppNotification,
  NOTIFY_EVENTS,
  type ResumeRequest,
  type SocketAck,
} from '../contract.ts';
import { isExpired } from './request.ts';
import type { SentLog } from './sent-log.ts';

/** What {@link attachReceipts} needs. */
export interface ReceiptsOptions {
  readonly store: NotificationStore;
  readonly sentLog: SentLog;
  readonly maxResume: number;
  readonly maxTopicsPerSocket: number;
  readonly now?: () => number;
  /** Told when a receipt was recorded (for metrics). */
  readonly onReceipt?: (kind: 'delivered' | 'read') => void;
}

/** The largest `delivered` batch. */
const MAX_ACK_IDS = 500;

export type Ack = (reply: SocketAck<Record<string, unknown>>) => void;

const refuse = (ack: Ack, message: string) => ack({ ok: false, error: 'INVALID_REQUEST', message });

/** The answer when Redis or NATS failed under a receipt (the client may send it again). */
const unavailable = (ack: Ack) => refuse(ack, 'the sender’s history is unavailable');

/** The ack function a handler was given as its last argument, if it was one. */
export function lastAck(args: unknown[]): Ack | undefined {
  const ack = args.at(-1);
  return typeof ack === 'function' ? (ack as Ack) : undefined;
}

function readResume(value: unknown, maxTopics: number): ResumeRequest | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'resume takes { after?, topics? }';
  }
  const { after, topics } = value as Record<string, unknown>;
  if (after != null && (typeof after !== 'string' || !NOTIFICATION_ID_PATTERN.test(after))) {
    return 'after is a notification id';
  }
  if (
    topics !== undefined &&
    (!Array.isArray(topics) ||
      topics.length > maxTopics ||
      !topics.every((t) => typeof t === 'string' && RECIPIENT_PATTERN.test(t)))
  ) {
    return `topics is a list of at most ${maxTopics} topic names`;
  }
  return {
    after: (after as string | null | undefined) ?? null,
    topics: (topics ?? []) as string[],
  };
}

/** Adds `resume`, `delivered` and `read` to every socket of `io` (after stage 5's own handlers). */
export function attachReceipts(io: Server, options: ReceiptsOptions): void {
  const { store, sentLog, maxResume, maxTopicsPerSocket, onReceipt } = options;
  const now = options.now ?? Date.now;

  const catchUp = async (socket: Socket, user: string, request: ResumeRequest) => {
    const topics = [...new Set(request.topics ?? [])];
    // joined first: a notification published while the history is read arrives live
    await Promise.all(topics.map((topic) => socket.join(recipientKey({ topic }))));
    const keys = [recipientKey({ user }), ...topics.map((topic) => recipientKey({ topic }))];
    const after = request.after ?? undefined;
    const pages = await Promise.all(
      keys.map((key) => store.list(key, { after, limit: maxResume })),
    );
    const at = now();
    const byId = new Map<string, AppNotification>();
    for (const n of pages.flat() as AppNotification[]) {
      if (!isExpired(n, at)) byId.set(n.id, n);
    }
    const sorted = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { notifications: sorted.slice(0, maxResume), more: sorted.length > maxResume };
  };

  io.on('connection', (socket) => {
    const user = (socket.data as { user: string }).user;

    socket.on(NOTIFY_EVENTS.resume, (...args: unknown[]) => {
      const ack = lastAck(args);
      if (ack === undefined) return;
      const request = readResume(args[0], maxTopicsPerSocket);
      if (typeof request === 'string' || args.length !== 2) {
        refuse(ack, typeof request === 'string' ? request : 'resume takes (request, ack)');
        return;
      }
      catchUp(socket, user, request).then(
        (page) => ack({ ok: true, ...page }),
        () => refuse(ack, 'the history is unavailable'),
      );
    });

    socket.on(NOTIFY_EVENTS.delivered, (...args: unknown[]) => {
      const ack = lastAck(args) ?? (() => {});
      const ids = args[0];
      if (
        !Array.isArray(ids) ||
        ids.length > MAX_ACK_IDS ||
        !ids.every((id) => typeof id === 'string' && NOTIFICATION_ID_PATTERN.test(id))
      ) {
        refuse(ack, `delivered takes a list of at most ${MAX_ACK_IDS} notification ids`);
        return;
      }
      Promise.all([...new Set(ids as string[])].map((id) => sentLog.delivered(id, user))).then(
        (results) => {
          const recorded = results.filter(Boolean).length;
          for (let i = 0; i < recorded; i++) onReceipt?.('delivered');
          ack({ ok: true, recorded });
        },
        () => unavailable(ack),
      );
    });

    socket.on(NOTIFY_EVENTS.read, (...args: unknown[]) => {
      const ack = lastAck(args) ?? (() => {});
      const id = args[0];
      if (typeof id !== 'string' || !NOTIFICATION_ID_PATTERN.test(id)) {
        refuse(ack, 'read takes a notification id');
        return;
      }
      sentLog.read(id, user).then(
        (recorded) => {
          if (!recorded) {
            ack({
              ok: false,
              error: 'UNKNOWN_NOTIFICATION',
              message: `no notification ${id} for you`,
            });
            return;
          }
          onReceipt?.('read');
          ack({ ok: true });
        },
        () => unavailable(ack),
      );
    });
  });
}
