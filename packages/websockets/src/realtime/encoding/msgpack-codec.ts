/**
 * MessagePack as a {@link MessageCodec}, on `@msgpack/msgpack` with its limits set, after a
 * scan ({@link scanMsgpack}) that refuses hostile lengths before the decoder allocates.
 */

import { Decoder, Encoder } from '@msgpack/msgpack';
import { checkInteger } from '@socketlab/internal';
import {
  asEncodingError,
  DEFAULT_CODEC_MAX_MESSAGE_BYTES,
  encodingError,
  type MessageCodec,
} from './codec.ts';
import { scanMsgpack } from './msgpack-scan.ts';

/** Options of {@link createMsgpackCodec}; every limit is checked before decoding allocates. */
export interface MsgpackCodecOptions {
  /** The largest message, in bytes. @default 1_000_000 */
  readonly maxMessageBytes?: number;
  /** The deepest nesting of arrays and maps (a top-level array is 1). @default 64 */
  readonly maxDepth?: number;
  /** The longest string, in UTF-8 bytes. @default maxMessageBytes */
  readonly maxStrLength?: number;
  /** The longest byte array. @default maxMessageBytes */
  readonly maxBinLength?: number;
  /** The most items in one array. @default 100_000 */
  readonly maxArrayLength?: number;
  /** The most entries in one map. @default 10_000 */
  readonly maxMapLength?: number;
  /** The longest extension payload (timestamps, which `Date` values use, take up to 12). @default 16 */
  readonly maxExtLength?: number;
}

/**
 * Makes a MessagePack codec: self-describing like JSON, but binary, so numbers, short strings
 * and byte arrays take fewer bytes and bytes need no base64. `undefined` object properties are
 * left out (as JSON does); byte arrays decode as `Uint8Array` views of the input.
 *
 * @param options - Limits, all checked by a scan of the bytes before `@msgpack/msgpack` decodes
 *   them (the library has no depth limit of its own) and passed to it as well.
 * @throws {RangeError} when a limit is out of range.
 * @see https://github.com/msgpack/msgpack/blob/master/spec.md
 * @example
 * ```ts
 * const msgpack = createMsgpackCodec({ maxArrayLength: 1_000 });
 * msgpack.encode({ x: 1 }); // Uint8Array [0x81, 0xa1, 0x78, 0x01]
 * msgpack.decode(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff)); // throws REALTIME_ERR_ENCODING: 4294967295 items
 * ```
 */
export function createMsgpackCodec(options: MsgpackCodecOptions = {}): MessageCodec<unknown> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_CODEC_MAX_MESSAGE_BYTES;
  checkInteger('maxMessageBytes', maxMessageBytes, 1, 2 ** 30);
  const limits = {
    maxDepth: checkInteger('maxDepth', options.maxDepth ?? 64, 1, 10_000),
    maxStrLength: checkInteger('maxStrLength', options.maxStrLength ?? maxMessageBytes, 0, 2 ** 30),
    maxBinLength: checkInteger('maxBinLength', options.maxBinLength ?? maxMessageBytes, 0, 2 ** 30),
    maxArrayLength: checkInteger('maxArrayLength', options.maxArrayLength ?? 100_000, 0, 2 ** 30),
    maxMapLength: checkInteger('maxMapLength', options.maxMapLength ?? 10_000, 0, 2 ** 30),
    maxExtLength: checkInteger('maxExtLength', options.maxExtLength ?? 16, 0, 2 ** 30),
  };
  // The library counts the innermost scalar as a level too: containers nested maxDepth deep need one more.
  const encoder = new Encoder({ ignoreUndefined: true, maxDepth: limits.maxDepth + 1 });
  const decoder = new Decoder(limits);
  return {
    name: 'msgpack',
    encode(value) {
      const bytes = asEncodingError('msgpack encode', () => encoder.encode(value));
      if (bytes.byteLength > maxMessageBytes) {
        throw encodingError(
          `msgpack encode: the message is ${bytes.byteLength} bytes, more than maxMessageBytes ${maxMessageBytes}`,
        );
      }
      return bytes;
    },
    decode(bytes) {
      if (bytes.byteLength > maxMessageBytes) {
        throw encodingError(
          `msgpack decode: the message is ${bytes.byteLength} bytes, more than maxMessageBytes ${maxMessageBytes}`,
        );
      }
      scanMsgpack(bytes, limits);
      return asEncodingError('msgpack decode', () => decoder.decode(bytes));
    },
  };
}
