/**
 * The typed view of a `key=value` text record: each field read as a string, a strict integer,
 * a float or a boolean.
 */
import { quoteInput, SerializationError } from '../errors.ts';
import { parseTextRecord, type TextRecordOptions } from './text.ts';

/** How {@link decodeTextRecord} reads one value: kept as text, or parsed strictly. */
export type TextFieldKind = 'string' | 'int' | 'float' | 'bool';

/** Keys to kinds: the typed view of a text record. */
export type TextSchema = { readonly [key: string]: TextFieldKind };

/** The value a {@link TextSchema} describes. */
export type TextValue<S extends TextSchema> = {
  -readonly [K in keyof S]: S[K] extends 'bool' ? boolean : S[K] extends 'string' ? string : number;
};

const INT = /^-?(?:0|[1-9]\d*)$/;
const FLOAT = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?Infinity)$/;

/**
 * Parses one record and reads the fields of `schema` from it, strictly typed: `int` is a safe
 * integer in decimal with no sign `+`, no leading zero and no spaces; `float` is a JSON-style
 * decimal, `NaN` or `±Infinity`; `bool` is `true` or `false`. Keys not in the schema are
 * ignored, so a newer sender may add fields.
 *
 * @param line - One record, with or without its `\n`.
 * @param schema - The keys to read and how: `'string'`, `'int'`, `'float'` or `'bool'`.
 * @param options - `maxLineLength` and `maxFields`, as for {@link parseTextRecord}.
 * @returns An object with exactly the schema's keys, typed by {@link TextValue}.
 * @throws {SerializationError} `TCPUDP_ERR_SERIALIZATION` naming the field that is missing or
 *   not of its kind, and everything {@link parseTextRecord} throws.
 * @example
 * ```ts
 * decodeTextRecord('id=7 ok=true\n', { id: 'int', ok: 'bool' }); // { id: 7, ok: true }
 * ```
 */
export function decodeTextRecord<const S extends TextSchema>(
  line: string,
  schema: S,
  options: TextRecordOptions = {},
): TextValue<S> {
  const fields = parseTextRecord(line, options);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema)) {
    const kind = schema[key];
    const text = fields.get(key);
    if (text === undefined) throw new SerializationError(`text record has no field "${key}"`);
    let value: unknown;
    if (kind === 'string') value = text;
    else if (kind === 'bool') value = text === 'true' ? true : text === 'false' ? false : undefined;
    else if (kind === 'int') value = INT.test(text) ? Number(text) : undefined;
    else if (kind === 'float') value = FLOAT.test(text) ? Number(text) : undefined;
    if (value === undefined || (kind === 'int' && !Number.isSafeInteger(value))) {
      throw new SerializationError(
        `text field "${key}" is not a valid ${kind}: ${quoteInput(text, 40)}`,
      );
    }
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out as TextValue<S>;
}
