/**
 * The one interface every message encoding here implements, and the error every decoder throws.
 */
import { RealtimeError } from '../errors.ts';

/** The default largest message a codec here encodes or decodes: 1 MB, Socket.IO's own `maxHttpBufferSize`. */
export const DEFAULT_CODEC_MAX_MESSAGE_BYTES = 1_000_000;

/**
 * A message encoding: values to bytes and back. JSON ({@link createJsonCodec}), MessagePack
 * ({@link createMsgpackCodec}) and a schema ({@link createSchemaCodec}) are interchangeable
 * behind it, and each becomes a Socket.IO parser with {@link createSocketIoParser}.
 *
 * A decoder is pure and bounded: every limit is checked before the memory it guards is
 * allocated, and anything wrong with the bytes is a {@link RealtimeError} with code
 * `REALTIME_ERR_ENCODING`, never another kind of error.
 */
export interface MessageCodec<T = unknown> {
  /** A short name for tables and logs: `'json'`, `'msgpack'`, `'schema'`. */
  readonly name: string;
  /**
   * Encodes one value into a new byte array.
   * @throws {RealtimeError} `REALTIME_ERR_ENCODING` when the value cannot be encoded (a type the
   *   encoding cannot carry, a field out of range, past a limit).
   */
  encode(value: T): Uint8Array;
  /**
   * Decodes one whole message: every byte must belong to it.
   * @throws {RealtimeError} `REALTIME_ERR_ENCODING` when the bytes are not a valid encoding or
   *   pass a limit; `cause` keeps the underlying error.
   */
  decode(bytes: Uint8Array): T;
}

/** Runs `work`, turning any error that is not already a RealtimeError into one with `what` as context. */
export function asEncodingError<T>(what: string, work: () => T): T {
  try {
    return work();
  } catch (cause) {
    throw toEncodingError(what, cause);
  }
}

/** `cause` as a `REALTIME_ERR_ENCODING` error (unchanged if it already is one). */
export function toEncodingError(what: string, cause: unknown): RealtimeError {
  if (cause instanceof RealtimeError && cause.code === 'REALTIME_ERR_ENCODING') return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new RealtimeError('REALTIME_ERR_ENCODING', `${what}: ${detail}`, { cause });
}

/** A `REALTIME_ERR_ENCODING` error with this message. */
export function encodingError(message: string): RealtimeError {
  return new RealtimeError('REALTIME_ERR_ENCODING', message);
}
