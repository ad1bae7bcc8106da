/**
 * JSON as a {@link MessageCodec}: stage 2's bounded, checked JSON (`encodeJson`/`decodeJson`),
 * with byte arrays carried as `{"$binary":"<base64>"}` because JSON has no bytes.
 */
import { checkInteger } from '@socketlab/internal';
import { DEFAULT_JSON_MAX_DEPTH, decodeJson, encodeJson } from '@socketlab/tcp-udp';
import {
  asEncodingError,
  DEFAULT_CODEC_MAX_MESSAGE_BYTES,
  encodingError,
  type MessageCodec,
} from './codec.ts';

/** Options of {@link createJsonCodec}. */
export interface JsonCodecOptions {
  /** The largest message, in bytes, checked before parsing. @default 1_000_000 */
  readonly maxMessageBytes?: number;
  /** The deepest nesting of arrays and objects, checked before parsing. @default 64 */
  readonly maxDepth?: number;
}

const BINARY_KEY = '$binary';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Makes a JSON codec: UTF-8 JSON text (RFC 8259), self-describing and readable. A `Uint8Array`
 * (or `Buffer`, or `ArrayBuffer`) anywhere in a value travels as `{"$binary":"<base64>"}` and
 * decodes as a `Buffer`; an object of that exact shape in a value is refused on encode, so every
 * value that encodes decodes back the same.
 *
 * @param options - `maxMessageBytes` and `maxDepth`.
 * @throws {RangeError} when a limit is not a positive integer.
 * @example
 * ```ts
 * const json = createJsonCodec({ maxMessageBytes: 64 * 1024 });
 * json.decode(json.encode({ text: 'hi', file: Buffer.from([1, 2]) })); // { text: 'hi', file: <Buffer 01 02> }
 * json.decode(Buffer.from('{"a":')); // throws RealtimeError REALTIME_ERR_ENCODING
 * ```
 */
export function createJsonCodec(options: JsonCodecOptions = {}): MessageCodec<unknown> {
  const maxBytes = options.maxMessageBytes ?? DEFAULT_CODEC_MAX_MESSAGE_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  checkInteger('maxMessageBytes', maxBytes, 1, 2 ** 30);
  checkInteger('maxDepth', maxDepth, 1, 10_000);
  const limits = { maxBytes, maxDepth };
  return {
    name: 'json',
    encode(value) {
      return asEncodingError('json encode', () =>
        Buffer.from(encodeJson(toJsonSafe(value, 0, maxDepth), limits)),
      );
    },
    decode(bytes) {
      if (bytes.byteLength > maxBytes) {
        throw encodingError(
          `json decode: the message is ${bytes.byteLength} bytes, more than maxMessageBytes ${maxBytes}`,
        );
      }
      return asEncodingError('json decode', () => fromJson(decodeJson(bytes, limits)));
    },
  };
}

/** `value` with every byte array replaced by `{ $binary }`; parts without bytes are kept as they are. */
function toJsonSafe(value: unknown, depth: number, maxDepth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    const bytes = value instanceof ArrayBuffer ? Buffer.from(value) : value;
    return {
      [BINARY_KEY]: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(
        'base64',
      ),
    };
  }
  if (depth >= maxDepth) return value; // encodeJson refuses it with a clear message
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = toJsonSafe(value[i], depth + 1, maxDepth);
      if (item !== value[i]) out ??= value.slice();
      if (out) out[i] = item;
    }
    return out ?? value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === BINARY_KEY) {
    throw encodingError(
      `an object whose only key is "${BINARY_KEY}" cannot be sent as JSON here: that shape stands for bytes`,
    );
  }
  let out: Record<string, unknown> | undefined;
  for (const key of keys) {
    const before = (value as Record<string, unknown>)[key];
    const item = toJsonSafe(before, depth + 1, maxDepth);
    if (item !== before) out ??= { ...value };
    if (out) out[key] = item;
  }
  return out ?? value;
}

/** Turns `{ $binary }` objects back into Buffers; depth is already bounded by decodeJson. */
function fromJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromJson(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === BINARY_KEY) {
    const text = record[BINARY_KEY];
    if (typeof text !== 'string' || !BASE64.test(text)) {
      throw encodingError(`"${BINARY_KEY}" must hold base64 text`);
    }
    return Buffer.from(text, 'base64');
  }
  for (const key of keys) record[key] = fromJson(record[key]);
  return record;
}
