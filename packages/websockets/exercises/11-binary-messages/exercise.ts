// biome-ignore-all lint/correctness/noUnusedFunctionParameters: starter stubs; your code will use every parameter

/** The `code` of every error your encoder and decoder throw (the library's code for bad encodings). */
export const ENCODING_ERROR = 'REALTIME_ERR_ENCODING';

/** The version byte this format writes, and the only one it reads. */
export const VERSION = 1;

/** The event ids on the wire (a u16, big-endian, after the version byte). */
export const EVENT_IDS = { chat: 0x0001, move: 0x0002, roster: 0x0003 } as const;

/** A chat line: `u32 id`, `string room`, `string text`. */
export interface ChatMessage {
  event: 'chat';
  id: number;
  room: string;
  text: string;
}

/** A position: `u32 id`, `f64 x`, `f64 y`. */
export interface MoveMessage {
  event: 'move';
  id: number;
  x: number;
  y: number;
}

/** One player of a roster: `u32 id`, `string name`, `i32 score`. */
export interface Player {
  id: number;
  name: string;
  score: number;
}

/** The players at a tick: `u32 tick`, then a list (`u16 count`, then each player). */
export interface RosterMessage {
  event: 'roster';
  tick: number;
  players: Player[];
}

/** Every message of the format. */
export type Message = ChatMessage | MoveMessage | RosterMessage;

/** The limits a decoder (and an encoder) enforces; both are checked before allocating anything. */
export interface Limits {
  /** The most UTF-8 bytes in one string. @default 1024 */
  readonly maxStringBytes?: number;
  /** The most items in one list. @default 256 */
  readonly maxItems?: number;
}

/** The defaults of {@link Limits}. */
export const DEFAULT_LIMITS = { maxStringBytes: 1024, maxItems: 256 } as const;

/**
 * The one error of this exercise: `code` is always {@link ENCODING_ERROR}, `offset` the byte
 * where the problem is (README: "Refusing bytes"), and the message says both.
 * @example throw new EncodingError('version 2, expected 1', 0);
 */
export class EncodingError extends Error {
  override name = 'EncodingError';
  readonly code = ENCODING_ERROR;
  constructor(
    what: string,
    readonly offset: number,
  ) {
    super(`${what} (at byte ${offset})`);
  }
}

/**
 * The bytes of `message` (README: "The format, byte by byte"). Throws an {@link EncodingError}
 * (offset 0) for a value the format cannot carry: a string or list over `limits`, a number out
 * of its field's range.
 */
export function encode(message: Message, limits: Limits = {}): Uint8Array {
  // TODO: the header (version, event id), then each field in order, big-endian.
  // TODO: a string is a u16 byte length, then its UTF-8 bytes; a list a u16 count, then its items.
  throw new Error('not implemented yet: read exercises/11-binary-messages/README.md');
}

/**
 * The message in `bytes`, or an {@link EncodingError} saying what is wrong and at which byte:
 * truncated input, a wrong version, an unknown event id, a length or count over `limits` or
 * over what remains (refused before allocating), a string that is not UTF-8, trailing bytes.
 */
export function decode(bytes: Uint8Array, limits: Limits = {}): Message {
  // TODO: read with a cursor (an offset that moves on); check there is room before each read.
  // TODO: check every length and count against the limit AND the bytes left before using it.
  throw new Error('not implemented yet: read exercises/11-binary-messages/README.md');
}

/** The size of `message` in this format and as JSON text (UTF-8 bytes of `JSON.stringify`). */
export function sizes(message: Message): { binary: number; json: number } {
  // TODO: encode(message).length, and the UTF-8 byte length of JSON.stringify(message).
  throw new Error('not implemented yet: read exercises/11-binary-messages/README.md');
}
