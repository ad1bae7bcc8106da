/**
 * What an `nc` user reads, pure: the server's events (contract.ts) rendered as stage 3's room chat
 * lines (`roomChatLines` of `@socketlab/multiplexing`), plus the few lines only a gateway needs
 * (the chat server lost and found again, missed messages filled in). Text from the server is
 * cleaned as stage 2 cleans a line from `nc`: control characters become U+FFFD, so nobody can send
 * terminal escapes (or a fake line) to an `nc` user through the page.
 */
import { roomChatLines } from '@socketlab/multiplexing';
import { decodeChatLine } from '@socketlab/tcp-udp';
import type { ChatErrorCode, ChatMessage, ChatRefusal, ChatUser } from '../contract.ts';

/**
 * `text` as an `nc` user may see it: stage 2's `decodeChatLine` applied to its UTF-8 bytes
 * (control characters, newlines included, replaced by U+FFFD; tab kept).
 */
export function cleanText(text: string): string {
  const decoded = decodeChatLine(Buffer.from(text, 'utf8'));
  return decoded.ok ? decoded.text : '\ufffd';
}

/** A message as stage 3 shows it: `<nick> text`, or `* nick text` for an action (`/me`). */
export function renderMessage(message: ChatMessage): string {
  const nick = cleanText(message.from.nick);
  const text = cleanText(message.text);
  return message.kind === 'action'
    ? roomChatLines.action(nick, text)
    : roomChatLines.message(nick, text);
}

/** A `presence` change as stage 3's `* nick joined #room` or `* nick left #room`. */
export function renderPresence(change: {
  readonly room: string;
  readonly user: ChatUser;
  readonly present: boolean;
}): string {
  const nick = cleanText(change.user.nick);
  return change.present
    ? roomChatLines.joined(nick, change.room)
    : roomChatLines.left(nick, change.room);
}

/** A `notice` (a rate-limit warning, the server shutting down) as `! CODE reason`. */
export function renderNotice(notice: {
  readonly code: ChatErrorCode;
  readonly reason: string;
}): string {
  return roomChatLines.error(`${notice.code} ${cleanText(notice.reason)}`);
}

/** A refused request (an acknowledgement with `ok: false`) as `! reason`. */
export function renderRefusal(refusal: ChatRefusal): string {
  return roomChatLines.error(cleanText(refusal.error.reason));
}

/** The nicks of `members` in the order given, cleaned, for `/who` and the join lines. */
export function nicksOf(members: Iterable<ChatUser>): string[] {
  return [...members].map((user) => cleanText(user.nick));
}

/**
 * Who came and went between two member lists of one room (by user id): what an `nc` user is told
 * after its gateway got back to the server, as joined/left lines.
 */
export function diffMembers(
  before: readonly ChatUser[],
  after: readonly ChatUser[],
): { readonly joined: ChatUser[]; readonly left: ChatUser[] } {
  const beforeIds = new Set(before.map((user) => user.id));
  const afterIds = new Set(after.map((user) => user.id));
  return {
    joined: after.filter((user) => !beforeIds.has(user.id)),
    left: before.filter((user) => !afterIds.has(user.id)),
  };
}

/** The lines only the gateway sends (each ends in `\n`); the rest are stage 3's. */
export const gatewayLines = {
  /** The Socket.IO side dropped: the user is told once, and the gateway reconnects. */
  lost: (why: string): string => `! lost the chat server (${why}); reconnecting…\n`,
  /** Back after a drop: `missed` messages (printed next) were sent meanwhile. */
  resumed: (room: string, missed: number): string =>
    `* reconnected, back in #${room}; ${missed} missed message${missed === 1 ? '' : 's'}${missed > 0 ? ':' : ''}\n`,
  /** A room's recent history, printed on joining it. */
  history: (room: string, count: number): string =>
    `* the last ${count} message${count === 1 ? '' : 's'} in #${room}:\n`,
  /** More was missed than the server answers with: the oldest are not shown. */
  truncated: (): string =>
    '! more messages were missed than the server sends back; the oldest are not shown\n',
  /** The room's history restarted (the server lost it): what the server has now follows. */
  historyReset: (room: string): string =>
    `! the server's history of #${room} started over; showing what it has\n`,
  /** The gateway gives up: said just before the `nc` connection is closed. */
  unreachable: (why: string): string =>
    `! the chat server is unreachable (${why}); closing your connection\n`,
  /** The server refused this user (its handshake, a limit): said just before the close. */
  refused: (code: string, reason: string): string =>
    `! ${code} ${cleanText(reason)}; closing your connection\n`,
} as const;
