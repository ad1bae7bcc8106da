/**
 * The room chat's protocol, pure: stage 2's line chat (`@socketlab/tcp-udp`: `parseChatInput`,
 * `checkChatNick`) plus rooms. This file adds only what rooms need — `/join`, `/leave`, `/me`,
 * room names — and the exact text of the lines the server sends.
 */
import { type ChatInput, parseChatInput } from '@socketlab/tcp-udp';

/** The room every client starts in, and returns to on `/leave`. */
export const CHAT_LOBBY = 'lobby';

/** The longest room name, in characters. */
export const CHAT_ROOM_MAX_LENGTH = 32;

/** What a room name may contain: 1–32 ASCII letters, digits, `_` or `-` (a leading `#` is dropped). */
export const CHAT_ROOM_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** One received line, understood: stage 2's inputs plus the room commands. */
export type RoomChatInput =
  | ChatInput
  | { readonly kind: 'join'; readonly room: string }
  | { readonly kind: 'leave' }
  | { readonly kind: 'me'; readonly text: string }
  | { readonly kind: 'pong' };

/**
 * Tells a room command (`/join`, `/leave`, `/me`, and `/pong`, a heartbeat answer that does
 * nothing else) from the rest, which stage 2's `parseChatInput` reads (`/nick`, `/who`,
 * `/help`, `/quit`, messages, `//` escapes).
 * @param text - one decoded line, without its line ending.
 * @example
 * ```ts
 * parseRoomChatInput('/join #dev'); // { kind: 'join', room: 'dev' }
 * parseRoomChatInput('/me waves');  // { kind: 'me', text: 'waves' }
 * ```
 */
export function parseRoomChatInput(text: string): RoomChatInput {
  const command = /^\/(join|leave|me|pong)(?:\s+([\s\S]*))?$/i.exec(text.trimEnd());
  if (command === null) return parseChatInput(text);
  const word = (command[1] as string).toLowerCase();
  const rest = (command[2] ?? '').trim();
  if (word === 'join') return { kind: 'join', room: rest.startsWith('#') ? rest.slice(1) : rest };
  if (word === 'leave') return { kind: 'leave' };
  if (word === 'pong') return { kind: 'pong' };
  return { kind: 'me', text: rest };
}

/**
 * Checks a room name against {@link CHAT_ROOM_PATTERN}.
 * @returns `undefined` when it is fine, else the error text to send back.
 */
export function checkChatRoom(name: string): string | undefined {
  if (CHAT_ROOM_PATTERN.test(name)) return undefined;
  const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
  return `invalid room ${shown}: use 1 to ${CHAT_ROOM_MAX_LENGTH} letters, digits, _ or -`;
}

/** The exact lines the room chat sends (each ends in `\n`). */
export const roomChatLines = {
  welcome: (nick: string, room: string, here: number): string =>
    `* welcome, you are ${nick}, in #${room} (${here} here); type /help for commands\n`,
  joined: (nick: string, room: string): string => `* ${nick} joined #${room}\n`,
  left: (nick: string, room: string, why?: string): string =>
    `* ${nick} left #${room}${why ? ` (${why})` : ''}\n`,
  youAreIn: (room: string, nicks: readonly string[]): string =>
    `* you are in #${room} (${nicks.length} here): ${nicks.join(', ')}\n`,
  renamed: (from: string, to: string): string => `* ${from} is now ${to}\n`,
  youAreNow: (nick: string): string => `* you are now ${nick}\n`,
  who: (room: string, nicks: readonly string[]): string =>
    `* in #${room} (${nicks.length}): ${nicks.join(', ')}\n`,
  message: (nick: string, text: string): string => `<${nick}> ${text}\n`,
  action: (nick: string, text: string): string => `* ${nick} ${text}\n`,
  bye: (): string => '* bye\n',
  error: (text: string): string => `! ${text}\n`,
  /** The first line over the rate: dropped, and `left` more such lines close the connection. */
  tooFast: (rate: number, burst: number, left: number): string =>
    `! too fast: over ${rate} lines per second (burst ${burst}); lines are dropped, and after ${left} more you are disconnected\n`,
  /** The last line before a flooder is closed. */
  flooded: (maxFloodLines: number, rate: number): string =>
    `! MULTIPLEXING_ERR_LIMIT_EXCEEDED more than ${maxFloodLines} lines over ${rate} per second (maxFloodLines); closing your connection\n`,
  /** The last line before a client whose line passed `maxLineBytes` is closed. */
  lineTooLong: (maxLineBytes: number): string =>
    `! MULTIPLEXING_ERR_LIMIT_EXCEEDED line too long (over ${maxLineBytes} bytes, maxLineBytes); closing your connection\n`,
  /** What every client is told when the server shuts down. */
  shutdown: (): string =>
    '! MULTIPLEXING_ERR_SHUTDOWN the chat server is shutting down; reconnect later\n',
  ping: (silentMs: number): string =>
    `! ping: nothing heard from you for ${silentMs} ms; send any line (/pong will do) or be disconnected\n`,
  help: (): string =>
    [
      '* /join ROOM  move to ROOM (1-32 letters, digits, _ or -); /leave  back to #lobby',
      '* /me TEXT    an action: "* you TEXT"',
      '* /nick NAME  change your nickname (1-16 letters, digits, _ or -)',
      '* /who        who is in your room;  /quit  leave the chat',
      '* anything else goes to your room (start with // to send a /)',
      '',
    ].join('\n'),
} as const;
