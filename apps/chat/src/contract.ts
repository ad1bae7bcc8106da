/**
 * The chat's Socket.IO event contract, in one place: every event's name, payload, acknowledgement
 * and refusal. The server, the browser page and the `nc` gateway all type their sockets with these
 * maps, and the README's "Event contract" table is this file in prose, so another client (a bot, a
 * mobile app) can be written against it.
 *
 * Conventions:
 * - a client sends every request with an acknowledgement and gets exactly one answer:
 *   `{ ok: true, …answer }` or {@link ChatRefusal} (`{ ok: false, error: { code, reason } }`);
 * - the server checks every payload (types, lengths, room names) before anything is stored or
 *   sent on; a request that fails a check is refused, and the connection stays up;
 * - connecting needs a token (`auth: { token }`), from `POST /api/session` (a guest login) or, with
 *   `--jwt-secret`, any HS256 JWT signed with that secret carrying `sub` and `name`. A refused
 *   handshake is a `connect_error` whose `data` is `{ code, reason }`.
 */

import type { RealtimeErrorCode } from '@socketlab/websockets/realtime';

/** The path the Socket.IO server answers on (the default, said once). */
export const CHAT_SOCKET_PATH = '/socket.io/';

/**
 * The room a client joins first: the page stays in it; an `nc` user starts there and, as in stage 3's
 * room chat, is in one room at a time (`/join` moves them, `/leave` brings them back).
 */
export const LOBBY = 'lobby';

/** What a room name may be: 1–32 ASCII letters, digits, `_` or `-` (the `nc` side's rule too). */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** What a nickname may be: 1–16 ASCII letters, digits, `_` or `-` (stage 2's `/nick` rule). */
export const NICK_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;

/** The limits a client is held to, and the server's defaults for them. */
export const CHAT_APP_LIMITS = Object.freeze({
  /** The longest message text, in UTF-16 code units. */
  maxTextLength: 2000,
  /** The most rooms one user may be in at once (the lobby counts). */
  maxRoomsPerUser: 20,
  /** Messages of a room sent on join, and the most a `history` request returns. */
  historyPerRoom: 50,
  /** The largest Socket.IO packet the server reads, in bytes (`maxHttpBufferSize`). */
  maxPacketBytes: 16 * 1024,
  /** Messages per second one socket may send, on average, and back to back. */
  messagesPerSecond: 5,
  messageBurst: 10,
});

/** The limits one server holds its clients to (its own values, or {@link CHAT_APP_LIMITS}'). */
export type ChatLimits = { readonly [K in keyof typeof CHAT_APP_LIMITS]: number };

/** Who someone is, as every other client sees them. */
export interface ChatUser {
  /** Stable for the life of the token: `guest:<random>` for a guest, the JWT's `sub` otherwise. */
  readonly id: string;
  readonly nick: string;
  /** Where they are connected from. */
  readonly via: 'web' | 'tcp';
}

/** One message as stored and delivered: every field but `text` is set by the server. */
export interface ChatMessage {
  /** The server's id for it (unique across instances). */
  readonly id: string;
  readonly room: string;
  /** Its place in the room: 1, 2, 3 … with no gaps, across instances; the resume cursor. */
  readonly seq: number;
  readonly from: ChatUser;
  /** `action` is `/me waves`, shown as "* nick waves". */
  readonly kind: 'text' | 'action';
  readonly text: string;
  /** When the server accepted it, in ms since the epoch. */
  readonly at: number;
}

/** A room as the room list shows it. */
export interface ChatRoomSummary {
  readonly name: string;
  /** Users in it now (a user with several tabs counts once). */
  readonly members: number;
  /** The `seq` of its newest message (0 when it has none): with the client's cursor, its unread count. */
  readonly lastSeq: number;
}

/** Why a request was refused: a stable code (see the README's table) and words for a person. */
export interface ChatRefusal {
  readonly ok: false;
  readonly error: { readonly code: ChatErrorCode; readonly reason: string };
}

/** Every acknowledgement: the answer with `ok: true`, or a {@link ChatRefusal}. */
export type ChatAnswer<T extends object = object> = ({ readonly ok: true } & T) | ChatRefusal;

/**
 * The codes a refusal, a `connect_error` or a `notice` may carry: stage 4's, plus the app's own:
 * `CHAT_ERR_SHUTDOWN` (the server is closing) and `CHAT_ERR_UNAVAILABLE` (its store failed: retry).
 */
export type ChatErrorCode = RealtimeErrorCode | 'CHAT_ERR_SHUTDOWN' | 'CHAT_ERR_UNAVAILABLE';

/** What `join` asks: the room, and the newest `seq` the client already has (to be filled in). */
export interface JoinRequest {
  readonly room: string;
  /** Send the messages after this `seq` rather than the last `historyPerRoom` (resume). */
  readonly after?: number;
}

/** What `join` answers. */
export interface Joined {
  readonly room: string;
  /** Who is in it now, the joining user included. */
  readonly members: ChatUser[];
  /** The last messages (or those after `after`), oldest first. */
  readonly messages: ChatMessage[];
  /** True when more were missed than one answer holds: the oldest of them are not in `messages`. */
  readonly truncated: boolean;
}

/** The events a client emits; each is answered through its acknowledgement (`typing` is not). */
export interface ChatClientEvents {
  /** The rooms that exist now (any room someone is in, or that has history), by name. */
  rooms(ack: (answer: ChatAnswer<{ readonly rooms: ChatRoomSummary[] }>) => void): void;
  /** Join (and so create) a room; joining one you are in answers the same, harmlessly. */
  join(request: JoinRequest, ack: (answer: ChatAnswer<Joined>) => void): void;
  leave(
    request: { readonly room: string },
    ack: (answer: ChatAnswer<{ readonly room: string }>) => void,
  ): void;
  send(
    message: { readonly room: string; readonly text: string; readonly kind?: 'text' | 'action' },
    ack: (
      answer: ChatAnswer<{ readonly id: string; readonly seq: number; readonly at: number }>,
    ) => void,
  ): void;
  /** Older messages of a room you are in: those before `before` (a `seq`), at most `limit`. */
  history(
    request: { readonly room: string; readonly before?: number; readonly limit?: number },
    ack: (answer: ChatAnswer<{ readonly room: string; readonly messages: ChatMessage[] }>) => void,
  ): void;
  /** Start or stop showing "nick is typing…" to a room you are in. Expires by itself after 5 s. */
  typing(state: { readonly room: string; readonly typing: boolean }): void;
}

/** The events the server emits. */
export interface ChatServerEvents {
  /** Who this connection is, sent once it is accepted. */
  welcome(hello: { readonly user: ChatUser; readonly limits: ChatLimits }): void;
  /** A message in one of your rooms (your own too, so every tab shows it). */
  message(message: ChatMessage): void;
  /** Someone joined or left one of your rooms (a user's first tab in, last tab out). */
  presence(change: {
    readonly room: string;
    readonly user: ChatUser;
    readonly present: boolean;
  }): void;
  typing(change: {
    readonly room: string;
    readonly user: ChatUser;
    readonly typing: boolean;
  }): void;
  /** The room list changed (a room was created or emptied). */
  rooms(rooms: ChatRoomSummary[]): void;
  /** Something the person should read: a rate-limit warning, the server shutting down. */
  notice(notice: { readonly code: ChatErrorCode; readonly reason: string }): void;
}

/** What `POST /api/session` takes (JSON) and answers. */
export interface SessionRequest {
  readonly nick: string;
}
export interface SessionResponse {
  readonly token: string;
  readonly user: ChatUser;
  /** When the token stops being accepted, in ms since the epoch. */
  readonly expiresAt: number;
}
/** What the HTTP API answers on a refusal (with a 4xx status). */
export interface HttpRefusal {
  readonly error: { readonly code: ChatErrorCode; readonly reason: string };
}
