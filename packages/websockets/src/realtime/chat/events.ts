/**
 * The chat's typed event maps (socket.io's `Server<ListenEvents, EmitEvents>` style): what a client
 * may emit and what the server emits back. A client types its socket with them:
 * `const socket: Socket<ChatServerToClientEvents, ChatClientToServerEvents> = io(url)`.
 */

import type { RealtimeErrorCode } from '../errors.ts';
import type { ChatMessage } from './history.ts';
import type { PresenceChange } from './presence.ts';
import type { TypingChange } from './typing.ts';

/**
 * A refusal, as an acknowledgement carries it: the error's stable code and what went wrong — the
 * entry's one refusal shape (`AckRefusal`, which `emitWithAckTimeout` turns into a
 * `RealtimeError`), with `ok: false` beside it.
 */
export interface ChatAckError {
  readonly ok: false;
  readonly error: { readonly code: RealtimeErrorCode; readonly reason: string };
}

/** Every acknowledgement: `{ ok: true, … }` with the answer, or a {@link ChatAckError}. */
export type ChatAck<T> = ({ readonly ok: true } & T) | ChatAckError;

/** What `join` acknowledges: the room's members (user ids) and its recent history. */
export interface ChatJoined {
  readonly room: string;
  readonly members: string[];
  readonly history: ChatMessage[];
}

/** What `message` acknowledges: the server's id, order and time for the message. */
export interface ChatSent {
  readonly id: string;
  readonly seq: number;
  readonly at: number;
}

/** What a client may ask for with `history`: messages before `before` (a `seq`), at most `limit`. */
export interface ChatHistoryRequest {
  readonly room: string;
  readonly before?: number;
  readonly limit?: number;
}

/** The events a chat client emits (each answered through its acknowledgement). */
export interface ChatClientToServerEvents {
  join(room: string, ack: (answer: ChatAck<ChatJoined>) => void): void;
  leave(room: string, ack: (answer: ChatAck<{ readonly room: string }>) => void): void;
  message(
    message: { readonly room: string; readonly text: string },
    ack: (answer: ChatAck<ChatSent>) => void,
  ): void;
  typing(payload: { readonly room: string; readonly typing: boolean }): void;
  history(
    request: ChatHistoryRequest,
    ack: (answer: ChatAck<{ readonly room: string; readonly messages: ChatMessage[] }>) => void,
  ): void;
}

/** The events the chat server emits to a room's members. */
export interface ChatServerToClientEvents {
  message(message: ChatMessage): void;
  presence(change: PresenceChange): void;
  typing(change: TypingChange): void;
}
