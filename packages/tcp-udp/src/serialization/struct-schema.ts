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
