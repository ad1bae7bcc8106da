import { checkInteger } from '@socketlab/internal';
import { LimitExceededError, quoteInput, SerializationError } from '../errors.ts';

/** The default limit on one text record, in UTF-16 units, not counting its `\n`. */
export const DEFAULT_TEXT_MAX_LINE_LENGTH = 8 * 1024;

/** The default limit on fields in one text record. */
export const DEFAULT_TEXT_MAX_FIELDS = 64;

/** What a key may be: 1 to 64 ASCII letters, digits, `_`, `.` or `-` (no escaping needed). */
export const TEXT_KEY_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** A value {@link encodeTextRecord} writes. */
export type TextRecordValue = string | number | bigint | boolean;

/** Limits of {@link parseTextRecord} (and of `decodeTextRecord`, which calls it). */
export interface TextRecordOptions {
  /** The longest record, in UTF-16 units, not counting its `\n`. @default 8192 */
  readonly maxLineLength?: number;
  /** The most fields in one record. @default 64 */
  readonly maxFields?: number;
}

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  ' ': '\\s',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};
const UNESCAPES: Record<string, string> = { '\\': '\\', s: ' ', n: '\n', r: '\r', t: '\t' };
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const NEEDS_ESCAPE = /[\\ \u0000-\u001f\u007f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const HAS_ESCAPE = /[\\ \u0000-\u001f\u007f]/;

/**
 * Writes one record as a line of `key=value` fields separated by single spaces, ended by `\n`:
 * `id=7 temp=21.5 ok=true name=kitchen\ssensor\n`. In values, `\` is `\\`, space is `\s`, LF,
 * CR and TAB are `\n`, `\r`, `\t`, and other control characters are `\xHH`; everything else,
 * UTF-8 included, is written as is. Numbers are written in JavaScript's shortest round-trip
 * form, with `-0`, `NaN` and `Infinity` spelled out.
 *
 * @param record - Keys matching {@link TEXT_KEY_PATTERN}, values string, number, bigint or boolean.
 * @returns The line, with its `\n`.
 * @throws {SerializationError} `TCPUDP_ERR_SERIALIZATION` for a key that does not match the
 *   pattern, a value of another type, or a record with no fields.
 * @example
 * ```ts
 * encodeTextRecord({ id: 7, name: 'a b' }); // 'id=7 name=a\\sb\n'
 * ```
 */
export function encodeTextRecord(record: Readonly<Record<string, TextRecordValue>>): string {
  const parts: string[] = [];
  for (const key of Object.keys(record)) {
    if (!TEXT_KEY_PATTERN.test(key)) {
      throw new SerializationError(
        `text key ${quoteInput(key, 40)} must match ${TEXT_KEY_PATTERN}`,
      );
    }
    parts.push(`${key}=${formatValue(key, record[key])}`);
  }
  if (parts.length === 0) throw new SerializationError('a text record needs at least one field');
  return `${parts.join(' ')}\n`;
}

function formatValue(key: string, value: unknown): string {
  switch (typeof value) {
    case 'string':
      return HAS_ESCAPE.test(value) ? value.replace(NEEDS_ESCAPE, escapeChar) : value;
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      throw new SerializationError(
        `text field "${key}" must be a string, number, bigint or boolean, got ${value === null ? 'null' : typeof value}`,
      );
  }
}

function escapeChar(char: string): string {
  return ESCAPES[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/**
 * Parses one record written by {@link encodeTextRecord} (with or without its `\n` or `\r\n`)
 * into a map of keys to unescaped values. Strict: one space between fields, every field
 * `key=value`, no repeated key, no raw control character, only the known escapes.
 *
 * @param line - One record.
 * @param options - `maxLineLength` and `maxFields`.
 * @returns Keys to values, in line order (a `Map`, so a key such as `__proto__` is only data).
 * @throws {LimitExceededError} `TCPUDP_ERR_FRAME_TOO_LARGE` for a line over `maxLineLength`;
 *   `TCPUDP_ERR_LIMIT_EXCEEDED` for more than `maxFields` fields.
 * @throws {SerializationError} `TCPUDP_ERR_SERIALIZATION` naming the column of the first
 *   malformed field, escape or character.
 * @throws {RangeError} when a limit is not a positive integer.
 * @example
 * ```ts
 * parseTextRecord('id=7 name=a\\sb\n'); // Map { 'id' => '7', 'name' => 'a b' }
 * ```
 */
export function parseTextRecord(
  line: string,
  options: TextRecordOptions = {},
): Map<string, string> {
  const maxLineLength = limit(options.maxLineLength, DEFAULT_TEXT_MAX_LINE_LENGTH, 'maxLineLength');
  const maxFields = limit(options.maxFields, DEFAULT_TEXT_MAX_FIELDS, 'maxFields');
  let end = line.length;
  if (line.endsWith('\n')) end -= line.endsWith('\r\n') ? 2 : 1;
  if (end > maxLineLength) {
    throw new LimitExceededError(
      'TCPUDP_ERR_FRAME_TOO_LARGE',
      `text record is ${end} characters, over maxLineLength ${maxLineLength}`,
      maxLineLength,
      end,
    );
  }
  const fields = new Map<string, string>();
  let at = 0;
  while (at <= end) {
    const space = line.indexOf(' ', at);
    const stop = space < 0 || space > end ? end : space;
    const equals = line.indexOf('=', at);
    if (equals < 0 || equals > stop) bad(line, at, 'expected key=value');
    const key = line.slice(at, equals);
    if (!TEXT_KEY_PATTERN.test(key)) bad(line, at, `key must match ${TEXT_KEY_PATTERN}`);
    if (fields.has(key)) bad(line, at, `repeated key "${key}"`);
    if (fields.size === maxFields) {
      throw new LimitExceededError(
        'TCPUDP_ERR_LIMIT_EXCEEDED',
        `text record has more than maxFields ${maxFields} fields`,
        maxFields,
        maxFields + 1,
      );
    }
    fields.set(key, unescapeValue(line, equals + 1, stop));
    at = stop + 1;
  }
  return fields;
}

function unescapeValue(line: string, from: number, to: number): string {
  let plain = true;
  for (let i = from; i < to && plain; i++) {
    const code = line.charCodeAt(i);
    plain = code >= 0x20 && code !== 0x7f && code !== 0x5c;
  }
  if (plain) return line.slice(from, to);
  let out = '';
  for (let i = from; i < to; i++) {
    const char = line[i] as string;
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) bad(line, i, 'raw control character (escape it)');
    if (char !== '\\') {
      out += char;
      continue;
    }
    const next = line[++i];
    if (next === 'x') {
      const hex = line.slice(i + 1, i + 3);
      if (i + 3 > to || !/^[0-9a-fA-F]{2}$/.test(hex))
        bad(line, i - 1, 'expected two hex digits after \\x');
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 2;
    } else if (next !== undefined && i < to && Object.hasOwn(UNESCAPES, next)) {
      out += UNESCAPES[next];
    } else bad(line, i - 1, `unknown escape ${i < to ? `\\${next}` : 'at the end of a value'}`);
  }
  return out;
}

function limit(value: number | undefined, fallback: number, name: string): number {
  return checkInteger(name, value ?? fallback, 1);
}

function bad(line: string, at: number, what: string): never {
  throw new SerializationError(
    `bad text record at column ${at + 1}: ${what}, near ${quoteInput(line.slice(at, at + 30), 30)}`,
  );
}
