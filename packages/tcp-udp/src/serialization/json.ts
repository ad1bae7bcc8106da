import { checkInteger } from '@socketlab/internal';
import { LimitExceededError, quoteInput, SerializationError } from '../errors.ts';
import { checkEncodable } from './json-encodable.ts';
import { findJsonDepthExcess, findJsonSyntaxError } from './json-syntax.ts';

/** The default limit on one JSON message, in bytes (1 MiB). */
export const DEFAULT_JSON_MAX_BYTES = 1024 * 1024;

/** The default limit on nesting: arrays and objects inside each other. */
export const DEFAULT_JSON_MAX_DEPTH = 64;

/** Limits shared by {@link encodeJson} and {@link decodeJson}. */
export interface JsonLimits {
  /** The longest message, in UTF-8 bytes. @default 1_048_576 (1 MiB) */
  readonly maxBytes?: number;
  /** The deepest nesting of arrays and objects; `1` allows `{"a":1}` but not `{"a":[]}`. @default 64 */
  readonly maxDepth?: number;
}

/** Options of {@link decodeJson}. */
export interface JsonDecodeOptions<T> extends JsonLimits {
  /**
   * Checks the parsed value's shape; the decoded value is returned only when it answers true.
   * A validator that throws has its error kept as `cause`.
   * @default no check: the value is returned as `unknown`
   */
  readonly validate?: (value: unknown) => value is T;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Encodes a value as JSON text, refusing what `JSON.stringify` would silently change: `NaN` and
 * `±Infinity` (written as `null`), `Map`/`Set` and other class instances without `toJSON`
 * (written as `{}`), functions, symbols and `undefined` inside arrays (written as `null`) or at
 * the top, `bigint` (a `TypeError`), and cycles.
 *
 * @param value - Plain data: objects, arrays, strings, finite numbers, booleans, null.
 * @param limits - `maxBytes` and `maxDepth`.
 * @returns The JSON text, at most `maxBytes` UTF-8 bytes.
 * @throws {SerializationError} `TCPUDP_ERR_SERIALIZATION` naming the path of the value that
 *   cannot be JSON (e.g. `$.readings[2]`).
 * @throws {LimitExceededError} `TCPUDP_ERR_LIMIT_EXCEEDED` when nesting is deeper than
 *   `maxDepth` (a cycle ends here too); `TCPUDP_ERR_FRAME_TOO_LARGE` when the text is longer
 *   than `maxBytes`.
 * @throws {RangeError} when a limit is not a positive integer.
 * @see RFC 8259 §6: "Numeric values that cannot be represented … (such as Infinity and NaN)
 *   are not permitted."
 * @example
 * ```ts
 * encodeJson({ id: 7, temp: 21.5 }); // '{"id":7,"temp":21.5}'
 * encodeJson({ temp: Number.NaN }); // throws SerializationError: $.temp is NaN …
 * ```
 */
export function encodeJson(value: unknown, limits: JsonLimits = {}): string {
  const { maxBytes, maxDepth } = checkLimits(limits);
  checkEncodable(value, '$', 0, maxDepth);
  const text = JSON.stringify(value);
  checkSize(text, maxBytes, 'encoded JSON');
  return text;
}

/**
 * Decodes one JSON message, bounded: the size is checked first, then the nesting depth (before
 * parsing, so a hostile `[[[[…` costs one scan), then the syntax, then the shape.
 *
 * @param input - JSON text, or its UTF-8 bytes (a leading BOM is ignored, invalid UTF-8 is an error).
 * @param options - `maxBytes`, `maxDepth` and an optional `validate` type guard.
 * @returns The parsed value, typed by `validate` when given.
 * @throws {LimitExceededError} `TCPUDP_ERR_FRAME_TOO_LARGE` when the input is longer than
 *   `maxBytes`; `TCPUDP_ERR_LIMIT_EXCEEDED` when nesting is deeper than `maxDepth`.
 * @throws {SerializationError} `TCPUDP_ERR_SERIALIZATION` for invalid UTF-8, a syntax error
 *   (the message gives the character position, line and column, and shows the text around
 *   it), or a value that `validate` refuses.
 * @throws {RangeError} when a limit is not a positive integer.
 * @see RFC 8259 §9: "An implementation may set limits on the size of texts that it accepts …
 *   on the maximum depth of nesting."
 * @example
 * ```ts
 * const isReading = (v: unknown): v is { id: number } =>
 *   typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'number';
 * decodeJson('{"id":7}', { validate: isReading }).id; // 7
 * decodeJson('{"id":}'); // throws SerializationError: invalid JSON at character 6 …
 * ```
 */
export function decodeJson<T = unknown>(
  input: string | Uint8Array,
  options: JsonDecodeOptions<T> = {},
): T {
  const { maxBytes, maxDepth } = checkLimits(options);
  let text: string;
  if (typeof input === 'string') {
    checkSize(input, maxBytes, 'JSON input');
    text = input;
  } else {
    if (input.byteLength > maxBytes) throw tooLarge('JSON input', input.byteLength, maxBytes);
    try {
      text = strictUtf8.decode(input);
    } catch (cause) {
      throw new SerializationError('JSON input is not valid UTF-8 (RFC 8259 §8.1)', { cause });
    }
  }
  const deep = findJsonDepthExcess(text, maxDepth);
  if (deep >= 0) {
    throw new LimitExceededError(
      'TCPUDP_ERR_LIMIT_EXCEEDED',
      `JSON nesting is deeper than maxDepth ${maxDepth} at character ${deep}`,
      maxDepth,
      maxDepth + 1,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw syntaxError(text, cause);
  }
  if (options.validate !== undefined) {
    let ok: boolean;
    try {
      ok = options.validate(value);
    } catch (cause) {
      throw new SerializationError(`JSON value refused by validate: ${String(cause)}`, { cause });
    }
    if (!ok) {
      throw new SerializationError(
        `JSON value does not have the expected shape: ${quoteInput(text, 80)}`,
      );
    }
  }
  return value as T;
}

function checkLimits(limits: JsonLimits): { maxBytes: number; maxDepth: number } {
  return {
    maxBytes: checkInteger('maxBytes', limits.maxBytes ?? DEFAULT_JSON_MAX_BYTES, 1),
    maxDepth: checkInteger('maxDepth', limits.maxDepth ?? DEFAULT_JSON_MAX_DEPTH, 1, 10_000),
  };
}

function checkSize(text: string, maxBytes: number, what: string): void {
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: count exactly only when the quick bounds disagree.
  if (text.length <= maxBytes / 3) return;
  const bytes = text.length > maxBytes ? text.length : Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw tooLarge(what, bytes, maxBytes);
}

function tooLarge(what: string, actual: number, maxBytes: number): LimitExceededError {
  return new LimitExceededError(
    'TCPUDP_ERR_FRAME_TOO_LARGE',
    `${what} is ${actual} bytes or more, over maxBytes ${maxBytes}`,
    maxBytes,
    actual,
  );
}

function syntaxError(text: string, cause: unknown): SerializationError {
  const found = findJsonSyntaxError(text);
  const at = found >= 0 ? found : text.length;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  const from = Math.max(0, at - 30);
  // One visible character per input character, so the caret lands under the offending one.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const snippet = text.slice(from, at + 30).replace(/[\u0000-\u001f\u007f]/g, '\u00b7');
  const where = at >= text.length ? 'the end of the input' : `character ${at}`;
  return new SerializationError(
    `invalid JSON at ${where} (line ${line}, column ${column}):\n  ${snippet}\n  ${' '.repeat(at - from)}^`,
    { cause },
  );
}
