/**
 * Where the chat keeps what outlives one connection: each room's messages (history) and who is in
 * which room (presence). One process keeps them in memory; several instances share them through
 * Redis or NATS, so a user sees the same rooms, history and members whichever instance serves them.
 * The Socket.IO adapter carries the live events between instances; these stores carry the state.
 */

import type { ChatMessage, ChatRoomSummary, ChatUser } from '../contract.ts';

/** A message before the store gave it its place in the room. */
export type NewChatMessage = Omit<ChatMessage, 'seq'>;

/** What a read of history returns. */
export interface HistoryPage {
  /** Oldest first. */
  readonly messages: ChatMessage[];
  /** True when the range asked for held more than `limit` messages (the oldest were left out). */
  readonly truncated: boolean;
}

/** Each room's messages, in order, with a per-room `seq` (1, 2, 3 … with no gaps). */
export interface HistoryStore {
  /**
   * Stores a message as the room's next one: its `seq` is one more than the room's last, even when
   * several instances append to the same room at once.
   */
  append(message: NewChatMessage): Promise<ChatMessage>;
  /**
   * At most `limit` messages of `room`, oldest first: the newest ones, or those with `seq` after
   * `after`, or before `before`. A room never written to gives an empty page.
   */
  read(
    room: string,
    range: { readonly after?: number; readonly before?: number; readonly limit: number },
  ): Promise<HistoryPage>;
  /** The `seq` of the room's newest message, 0 when it has none. */
  lastSeq(room: string): Promise<number>;
  /** Every room that has history (bounded by the store's own limit on rooms kept). */
  rooms(): Promise<string[]>;
  close(): Promise<void>;
}

/** The outcome of a presence change, for the `presence` event: only a user's first and last connection count. */
export interface PresenceOutcome {
  /** True when this connection made the user present in the room (its first) or absent (its last). */
  readonly changed: boolean;
}

/**
 * Who is in which room: a user is present in a room while at least one of their connections, on
 * any instance, is in it. An instance that dies stops counting within the store's expiry.
 */
export interface PresenceStore {
  join(room: string, user: ChatUser, connectionId: string): Promise<PresenceOutcome>;
  leave(room: string, user: ChatUser, connectionId: string): Promise<PresenceOutcome>;
  /** The users present in `room`, each once. */
  members(room: string): Promise<ChatUser[]>;
  /** Every room with someone in it, with its member count. */
  occupied(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Both stores, as the server takes them. */
export interface ChatStores {
  readonly history: HistoryStore;
  readonly presence: PresenceStore;
}

/** A room list from the two stores' views (what `rooms` answers). */
export type RoomList = ChatRoomSummary[];

/** The events the server sends to a room or to everyone, as {@link ChatFanout} carries them. */
export type FanoutEvent = 'message' | 'presence' | 'typing' | 'rooms' | 'notice';

/**
 * How the server's events reach sockets on every instance. One process emits to its own Socket.IO
 * rooms; over Redis the Socket.IO adapter does the same across instances; over NATS each instance
 * publishes on a subject and every instance emits what it receives to its local sockets.
 */
export interface ChatFanout {
  /** Sends `event` to every socket in `room`, on every instance. */
  toRoom(room: string, event: FanoutEvent, payload: unknown): void;
  /** Sends `event` to every socket, on every instance. */
  toAll(event: FanoutEvent, payload: unknown): void;
}

/**
 * What a scaling backend (Redis, NATS) gives the server: the shared stores, the Socket.IO server
 * options it needs (an adapter), and, once the server exists, its fan-out. The in-memory default
 * has the memory stores and fans out through the server's own rooms.
 */
export interface ChatBackend {
  /** `memory`, `redis` or `nats`: shown at start-up and in `/health`. */
  readonly kind: string;
  readonly stores: ChatStores;
  /** Options merged into the Socket.IO server's (e.g. `{ adapter }`). */
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's adapter option is typed loosely itself
  readonly serverOptions?: Record<string, any>;
  /**
   * Called once with the server: returns how room events are sent. The socket rooms are named
   * `room:<name>` (see {@link socketRoom}).
   */
  // biome-ignore lint/suspicious/noExplicitAny: any Socket.IO server, whatever its event maps
  attach(io: import('socket.io').Server<any, any, any, any>): Promise<ChatFanout>;
  /** Closes the stores and any connection to the broker. */
  close(): Promise<void>;
}

/** The Socket.IO room a chat room's sockets are in. */
export const socketRoom = (room: string): string => `room:${room}`;
