/**
 * The chat's contract for what a client may send, pure: room names and messages are checked and
 * copied into new values, so nothing a client sent is ever relayed as it came (a deeply nested
 * value would make socket.io-parser's binary walk overflow the stack: TOOLCHAIN.md pitfall 12).
 */

import { RealtimeError } from '../errors.ts';

/** What a room name may contain: ASCII letters, digits, `_` and `-` (stage 3's chat rooms too). */
export const CHAT_ROOM_PATTERN = /^[A-Za-z0-9_-]+$/;

/** The limits of the chat's validators, each with its default in {@link CHAT_LIMITS}. */
export interface ChatLimits {
  /** The longest room name, in characters. @default 32 */
  maxRoomNameLength: number;
  /** The longest message text, in UTF-16 code units (what `string.length` counts). @default 2000 */
  maxTextLength: number;
  /** The deepest a JSON value may nest before {@link jsonDepthWithin} refuses it. @default 8 */
  maxDepth: number;
}

/** The default {@link ChatLimits}. */
export const CHAT_LIMITS: Readonly<ChatLimits> = Object.freeze({
  maxRoomNameLength: 32,
  maxTextLength: 2000,
  maxDepth: 8,
});

/** A message as a client sends it, once checked: a copy holding only these two strings. */
export interface ChatMessageInput {
  readonly room: string;
  readonly text: string;
}

/** Shows at most 40 characters of a value a client sent, for an error message. */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value === null || typeof value !== 'object') text = String(value);
  else text = Array.isArray(value) ? 'an array' : 'an object';
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Checks a room name: a string of 1 to `maxRoomNameLength` characters matching
 * {@link CHAT_ROOM_PATTERN}. `:` is not allowed, so no room can name a notification channel
 * (`user:<id>`).
 * @returns the name.
 * @throws {RealtimeError} `REALTIME_ERR_PAYLOAD` otherwise.
 * @example validateRoomName('general'); // 'general'
 */
export function validateRoomName(
  name: unknown,
  maxLength: number = CHAT_LIMITS.maxRoomNameLength,
): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > maxLength) {
    throw new RealtimeError(
      'REALTIME_ERR_PAYLOAD',
      `a room name is a string of 1 to ${maxLength} characters, got ${describeValue(name)}`,
    );
  }
  if (!CHAT_ROOM_PATTERN.test(name)) {
    throw new RealtimeError(
      'REALTIME_ERR_PAYLOAD',
      `a room name holds only letters, digits, "_" and "-", got ${describeValue(name)}`,
    );
  }
  return name;
}

/**
 * Checks a chat message, `{ room, text }`: a plain object (not an array), a valid room name and a
 * text of 1 to `maxTextLength` characters that is not only white space. Other keys are ignored.
 * @returns a new object holding only `room` and `text`.
 * @throws {RealtimeError} `REALTIME_ERR_PAYLOAD` for any other value.
 * @example validateChatMessage({ room: 'general', text: 'hi' }); // { room: 'general', text: 'hi' }
 */
export function validateChatMessage(
  payload: unknown,
  limits: Partial<ChatLimits> = {},
): ChatMessageInput {
  const { maxRoomNameLength, maxTextLength } = { ...CHAT_LIMITS, ...limits };
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new RealtimeError(
      'REALTIME_ERR_PAYLOAD',
      `a message is an object { room, text }, got ${describeValue(payload)}`,
    );
  }
  const { room, text } = payload as { room?: unknown; text?: unknown };
  const checkedRoom = validateRoomName(room, maxRoomNameLength);
  if (typeof text !== 'string' || text.trim().length === 0 || text.length > maxTextLength) {
    throw new RealtimeError(
      'REALTIME_ERR_PAYLOAD',
      `a message's text is a string of 1 to ${maxTextLength} characters (not only spaces), got ${describeValue(text)}`,
    );
  }
  return { room: checkedRoom, text };
}

/**
 * Whether a value nests at most `maxDepth` levels of objects and arrays (a scalar is depth 0,
 * `{}` and `[]` depth 1). Iterative, and it stops at the first level too deep, so a hostile value
 * costs at most the nodes it has up to that level, never the stack.
 * @example jsonDepthWithin({ a: [1] }, 1); // false
 */
export function jsonDepthWithin(value: unknown, maxDepth: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { value: item, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof item !== 'object' || item === null) continue;
    if (depth + 1 > maxDepth || seen.has(item)) return false;
    seen.add(item);
    for (const child of Object.values(item)) stack.push({ value: child, depth: depth + 1 });
  }
  return true;
}
