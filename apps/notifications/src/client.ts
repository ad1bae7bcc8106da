/**
 * A client of the app over Socket.IO, for the dashboard, the tests and the benchmark: on every
 * (re)connection it asks for what it missed after the newest id it has (`resume`), holds live
 * notifications until that answer is in, and hands each notification to `onNotification` once,
 * in id order within each catch-up — at-least-once from the server, exactly once to the page.
 * Delivery acks go back on their own. Browser-safe: no Node module.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  type AppNotification,
  type ClientToServerEvents,
  NOTIFY_EVENTS,
  type ServerToClientEvents,
  type SocketAck,
} from './contract.ts';

/** Ids remembered to drop a second copy. */
const REMEMBER_IDS = 5_000;
/** Bound of each acknowledged request. */
const ACK_TIMEOUT_MS = 10_000;
/**
 * Delivery receipts are batched over this long: one `delivered` event per 100 ms at most, however
 * fast notifications come, so a busy inbox stays far inside the server's per-socket event budget
 * (60 a second) and a burst from several senders never gets it cut off.
 */
const ACK_BATCH_MS = 100;

/** Options of {@link connectInbox}. */
export interface InboxOptions {
  /** The user's token (`POST /tokens`). */
  readonly token: string;
  /** Each notification, once. */
  readonly onNotification: (n: AppNotification) => void;
  /** Topics to follow from the start. */
  readonly topics?: readonly string[];
  /** The newest id the page already has (from storage); `null`: everything kept. */
  readonly after?: string | null;
  /** Told when a catch-up finished (with how many it brought) or failed. */
  readonly onResumed?: (count: number, error?: string) => void;
  /** socket.io-client's own options (transports, reconnection …). */
  readonly socket?: Partial<ManagerOptions & SocketOptions>;
}

/** A connected inbox. */
export interface Inbox {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  /** The newest id seen, the cursor of the next catch-up. */
  readonly lastId: string | null;
  subscribe(topic: string): Promise<SocketAck<{ topic: string }>>;
  unsubscribe(topic: string): Promise<SocketAck<{ topic: string }>>;
  /** Sends a read receipt. */
  read(id: string): Promise<SocketAck>;
  close(): void;
}

/** Connects to the app at `url` as the user of `options.token`. */
export function connectInbox(url: string, options: InboxOptions): Inbox {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
    auth: { token: options.token },
    ...options.socket,
  });
  const topics = new Set(options.topics ?? []);
  const seen = new Set<string>();
  let lastId: string | null = options.after ?? null;
  let held: AppNotification[] | undefined; // live notifications while a catch-up runs
  let pendingAcks: string[] = [];
  let ackTimer: ReturnType<typeof setTimeout> | undefined;

  const flushAcks = () => {
    clearTimeout(ackTimer);
    ackTimer = undefined;
    if (pendingAcks.length === 0 || !socket.connected) return;
    const ids = pendingAcks;
    pendingAcks = [];
    socket.timeout(ACK_TIMEOUT_MS).emit(NOTIFY_EVENTS.delivered, ids, () => {});
  };

  const accept = (n: AppNotification) => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    if (seen.size > REMEMBER_IDS) seen.delete(seen.values().next().value as string);
    if (lastId === null || n.id > lastId) lastId = n.id;
    pendingAcks.push(n.id);
    options.onNotification(n);
  };

  const catchUp = async (): Promise<number> => {
    let count = 0;
    for (let round = 0; round < 100; round++) {
      const reply = await socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck(NOTIFY_EVENTS.resume, { after: lastId, topics: [...topics] });
      if (!reply.ok) throw new Error(reply.message ?? reply.error);
      for (const n of reply.notifications) accept(n);
      count += reply.notifications.length;
      if (!reply.more) break;
    }
    return count;
  };

  socket.on('connect', () => {
    held = [];
    catchUp().then(
      (count) => {
        const live = (held ?? []).sort((a, b) => (a.id < b.id ? -1 : 1));
        held = undefined;
        for (const n of live) accept(n);
        flushAcks();
        options.onResumed?.(count);
      },
      (error: unknown) => {
        const live = held ?? [];
        held = undefined;
        for (const n of live) accept(n);
        options.onResumed?.(0, error instanceof Error ? error.message : String(error));
      },
    );
  });
  socket.on(NOTIFY_EVENTS.notification, (n) => {
    if (typeof n !== 'object' || n === null || typeof n.id !== 'string') return;
    if (held !== undefined) {
      held.push(n);
      return;
    }
    accept(n);
    ackTimer ??= setTimeout(flushAcks, ACK_BATCH_MS);
  });

  const follow = async (event: 'subscribe' | 'unsubscribe', topic: string) => {
    const reply = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, topic);
    if (reply.ok) {
      if (event === 'subscribe') topics.add(topic);
      else topics.delete(topic);
    }
    return reply;
  };

  return {
    socket,
    get lastId() {
      return lastId;
    },
    subscribe: (topic) => follow('subscribe', topic),
    unsubscribe: (topic) => follow('unsubscribe', topic),
    read: (id) => socket.timeout(ACK_TIMEOUT_MS).emitWithAck(NOTIFY_EVENTS.read, id),
    close: () => {
      flushAcks(); // the receipts still batched go before the disconnect, in order
      socket.disconnect();
    },
  };
}
