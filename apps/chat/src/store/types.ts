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
