/**
 * Checking a {@link StructSchema} once, when it is defined, and turning it into the list of
 * fields the codec runs on. Internal: not exported from the package.
 */
import { checkInteger } from '@socketlab/internal';
import {
  STRUCT_MAX_ARRAY_LENGTH,
  STRUCT_MAX_VARIABLE_BYTES,
  STRUCT_SCALAR_BYTES,
  type StructField,
  type StructScalarType,
  type StructSchema,
} from './struct-schema.ts';

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
    checkInteger(`${name}.maxBytes`, maxBytes, 0, STRUCT_MAX_VARIABLE_BYTES);
    return { name, kind: field.type, scalar: 'u16', maxBytes, length: 1, fixedBytes: 2 };
  }
  if (field.type === 'array') {
    if (!isScalar(field.of)) {
      throw new TypeError(
        `field "${name}": array element type ${JSON.stringify(field.of)} is not a scalar type`,
      );
    }
    const { length } = field;
    checkInteger(`${name}.length`, length, 1, STRUCT_MAX_ARRAY_LENGTH);
    const fixedBytes = STRUCT_SCALAR_BYTES[field.of] * length;
    return { name, kind: 'array', scalar: field.of, maxBytes: 0, length, fixedBytes };
  }
  throw new TypeError(
    `field "${name}": unknown type ${JSON.stringify((field as { type?: unknown }).type)}`,
  );
}
