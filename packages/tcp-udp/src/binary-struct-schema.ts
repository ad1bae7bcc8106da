/**
 * The schema language of {@link defineStruct}: field types, their sizes on the wire, the value
 * TypeScript infers for each, and the checks run once when a schema is defined.
 */

/**
 * Every fixed-size field type and its size in bytes. Integers are two's complement, floats are
 * IEEE 754 binary32/binary64, `bool` is one byte that must be 0 or 1.
 */
export const STRUCT_SCALAR_BYTES = {
  u8: 1,
  i8: 1,
  bool: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  f32: 4,
  f64: 8,
  u64: 8,
  i64: 8,
} as const;

/** A fixed-size field type: `'u8'`, `'i32'`, `'f64'`, `'bool'`, `'u64'`, … */
export type StructScalarType = keyof typeof STRUCT_SCALAR_BYTES;

/** The largest `maxBytes` a string or bytes field may declare: its length prefix is a u16. */
export const STRUCT_MAX_VARIABLE_BYTES = 0xffff;

/** The longest fixed-size array a schema may declare. */
export const STRUCT_MAX_ARRAY_LENGTH = 4096;

/** A UTF-8 string: a u16 byte count, then the bytes. Decoding rejects invalid UTF-8. */
export interface StructStringField {
  readonly type: 'string';
  /** The most UTF-8 bytes the string may take (0 to 65,535). */
  readonly maxBytes: number;
}

/** Raw bytes: a u16 byte count, then the bytes. */
export interface StructBytesField {
  readonly type: 'bytes';
  /** The most bytes the field may hold (0 to 65,535). */
  readonly maxBytes: number;
}

/** Exactly `length` values of one fixed-size type, with no count on the wire. */
export interface StructArrayField {
  readonly type: 'array';
  readonly of: StructScalarType;
  /** How many values (1 to 4,096); encoding any other count is an error. */
  readonly length: number;
}

/** One field of a schema: a scalar type name or a string, bytes or array description. */
export type StructField =
  | StructScalarType
  | StructStringField
  | StructBytesField
  | StructArrayField;

/** A schema: field names in wire order, each with its type. */
export type StructSchema = { readonly [name: string]: StructField };

/** The JavaScript value of one scalar type: `bigint` for 64-bit integers, `boolean`, or `number`. */
export type StructScalarValue<T extends StructScalarType> = T extends 'bool'
  ? boolean
  : T extends 'u64' | 'i64'
    ? bigint
    : number;

/** The JavaScript value of one field. */
export type StructFieldValue<F extends StructField> = F extends StructScalarType
  ? StructScalarValue<F>
  : F extends StructStringField
    ? string
    : F extends StructBytesField
      ? Uint8Array
      : F extends StructArrayField
        ? StructScalarValue<F['of']>[]
        : never;

/**
 * The value a schema describes, inferred by TypeScript.
 *
 * @example
 * ```ts
 * const reading = { id: 'u32', ok: 'bool', name: { type: 'string', maxBytes: 32 } } as const;
 * type Reading = StructValue<typeof reading>; // { id: number; ok: boolean; name: string }
 * ```
 */
export type StructValue<S extends StructSchema> = {
  -readonly [K in keyof S]: StructFieldValue<S[K]>;
};

/** One field after checking, in the shape the codec runs on. */
export interface CompiledStructField {
  readonly name: string;
  readonly kind: 'scalar' | 'string' | 'bytes' | 'array';
  /** The scalar type, or the element type of an array. */
  readonly scalar: StructScalarType;
  /** For strings and bytes: the limit. */
  readonly maxBytes: number;
  /** For arrays: the element count. */
  readonly length: number;
  /** Bytes on the wire when fixed (scalar, array), or the 2-byte prefix alone (string, bytes). */
  readonly fixedBytes: number;
}

const isScalar = (type: unknown): type is StructScalarType =>
  typeof type === 'string' && Object.hasOwn(STRUCT_SCALAR_BYTES, type);

/**
 * Checks a schema once and turns it into the list of fields the codec runs on.
 *
 * @throws {TypeError} when the schema is not an object, a field type is unknown, or a field is
 *   named `__proto__`.
 * @throws {RangeError} when a `maxBytes` or array `length` is out of range, or there is no field.
 */
export function compileStructSchema(schema: StructSchema): CompiledStructField[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new TypeError('a struct schema must be an object of field names to field types');
  }
  const fields: CompiledStructField[] = [];
  for (const name of Object.keys(schema)) {
    if (name === '__proto__') throw new TypeError('a struct field cannot be named "__proto__"');
    fields.push(compileField(name, schema[name]));
  }
  if (fields.length === 0) throw new RangeError('a struct schema needs at least one field');
  return fields;
}

function compileField(name: string, field: StructField | undefined): CompiledStructField {
  if (isScalar(field)) {
    const size = STRUCT_SCALAR_BYTES[field];
    return { name, kind: 'scalar', scalar: field, maxBytes: 0, length: 1, fixedBytes: size };
  }
  if (typeof field !== 'object' || field === null) {
    throw new TypeError(
      `field "${name}": unknown type ${JSON.stringify(field)}; use one of ${Object.keys(STRUCT_SCALAR_BYTES).join(', ')}, or { type: 'string' | 'bytes' | 'array', … }`,
    );
  }
  if (field.type === 'string' || field.type === 'bytes') {
    const { maxBytes } = field;
    if (!Number.isInteger(maxBytes) || maxBytes < 0 || maxBytes > STRUCT_MAX_VARIABLE_BYTES) {
      throw new RangeError(
        `field "${name}": maxBytes must be an integer from 0 to ${STRUCT_MAX_VARIABLE_BYTES} (its length prefix is a u16), got ${String(maxBytes)}`,
      );
    }
    return { name, kind: field.type, scalar: 'u16', maxBytes, length: 1, fixedBytes: 2 };
  }
  if (field.type === 'array') {
    if (!isScalar(field.of)) {
      throw new TypeError(
        `field "${name}": array element type ${JSON.stringify(field.of)} is not a scalar type`,
      );
    }
    const { length } = field;
    if (!Number.isInteger(length) || length < 1 || length > STRUCT_MAX_ARRAY_LENGTH) {
      throw new RangeError(
        `field "${name}": array length must be an integer from 1 to ${STRUCT_MAX_ARRAY_LENGTH}, got ${String(length)}`,
      );
    }
    const fixedBytes = STRUCT_SCALAR_BYTES[field.of] * length;
    return { name, kind: 'array', scalar: field.of, maxBytes: 0, length, fixedBytes };
  }
  throw new TypeError(
    `field "${name}": unknown type ${JSON.stringify((field as { type?: unknown }).type)}`,
  );
}
