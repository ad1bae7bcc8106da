/**
 * Checking, writing and reading one fixed-size value for the struct codec. Internal: not
 * exported from the package.
 */

import { quoteInput, SerializationError } from '../errors.ts';
import type { StructScalarType } from './struct-schema.ts';

/** The range of each integer type that a JavaScript number holds; the fast path checks the same. */
export const INTEGER_RANGES = {
  u8: [0, 0xff],
  i8: [-0x80, 0x7f],
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  u32: [0, 0xffff_ffff],
  i32: [-0x8000_0000, 0x7fff_ffff],
} as const;

const BIGINT_RANGES = {
  u64: [0n, 0xffff_ffff_ffff_ffffn],
  i64: [-0x8000_0000_0000_0000n, 0x7fff_ffff_ffff_ffffn],
} as const;

/** A value as an error message shows it: numbers as written, strings quoted and cut. */
export function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `the string ${quoteInput(value, 40)}`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined (missing)';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  return `a ${typeof value}`;
}

/**
 * Returns a check for `type` that throws a {@link SerializationError} naming `where` when a value
 * does not fit: the wrong JavaScript type, not an integer, out of the type's range, or a finite
 * number too large for a float32.
 */
export function scalarCheck(type: StructScalarType): (value: unknown, where: string) => void {
  if (type === 'bool') {
    return (value, where) => {
      if (typeof value !== 'boolean') fail(where, type, 'true or false', value);
    };
  }
  if (type === 'u64' || type === 'i64') {
    const [min, max] = BIGINT_RANGES[type];
    return (value, where) => {
      if (typeof value !== 'bigint' || value < min || value > max) {
        fail(where, type, `a bigint from ${min}n to ${max}n`, value);
      }
    };
  }
  if (type === 'f64') {
    return (value, where) => {
      if (typeof value !== 'number') fail(where, type, 'a number', value);
    };
  }
  if (type === 'f32') {
    return (value, where) => {
      if (typeof value !== 'number') fail(where, type, 'a number', value);
      if (Number.isFinite(value) && !Number.isFinite(Math.fround(value))) {
        fail(where, type, 'a number within ±3.4028234663852886e38 (or ±Infinity, NaN)', value);
      }
    };
  }
  const [min, max] = INTEGER_RANGES[type];
  return (value, where) => {
    if (typeof value !== 'number') fail(where, type, 'a number', value);
    if (!Number.isInteger(value) || value < min || value > max) {
      fail(where, type, `an integer from ${min} to ${max}`, value);
    }
  };
}

function fail(where: string, type: string, expected: string, value: unknown): never {
  throw new SerializationError(
    `${where} (${type}): expected ${expected}, got ${describeValue(value)}`,
  );
}

/** Writing, reading and checking one scalar type in one byte order, chosen once per field. */
export interface ScalarOps {
  /** Throws a {@link SerializationError} naming `where` when `value` does not fit the type. */
  readonly check: (value: unknown, where: string) => void;
  /** Writes a checked value at `offset`. */
  readonly write: (view: DataView, offset: number, value: unknown) => void;
  /** Reads the value at `offset`; the caller has checked that its bytes are there. */
  readonly read: (view: DataView, offset: number, where: string) => unknown;
}

/** The operations of `type` in the given byte order. */
export function scalarOps(type: StructScalarType, littleEndian: boolean): ScalarOps {
  const check = scalarCheck(type);
  const le = littleEndian;
  switch (type) {
    case 'u8':
      return {
        check,
        write: (v, o, x) => v.setUint8(o, x as number),
        read: (v, o) => v.getUint8(o),
      };
    case 'i8':
      return { check, write: (v, o, x) => v.setInt8(o, x as number), read: (v, o) => v.getInt8(o) };
    case 'bool':
      return { check, write: (v, o, x) => v.setUint8(o, x ? 1 : 0), read: readBool };
    case 'u16':
      return {
        check,
        write: (v, o, x) => v.setUint16(o, x as number, le),
        read: (v, o) => v.getUint16(o, le),
      };
    case 'i16':
      return {
        check,
        write: (v, o, x) => v.setInt16(o, x as number, le),
        read: (v, o) => v.getInt16(o, le),
      };
    case 'u32':
      return {
        check,
        write: (v, o, x) => v.setUint32(o, x as number, le),
        read: (v, o) => v.getUint32(o, le),
      };
    case 'i32':
      return {
        check,
        write: (v, o, x) => v.setInt32(o, x as number, le),
        read: (v, o) => v.getInt32(o, le),
      };
    case 'f32':
      return {
        check,
        write: (v, o, x) => v.setFloat32(o, x as number, le),
        read: (v, o) => v.getFloat32(o, le),
      };
    case 'f64':
      return {
        check,
        write: (v, o, x) => v.setFloat64(o, x as number, le),
        read: (v, o) => v.getFloat64(o, le),
      };
    case 'u64':
      return {
        check,
        write: (v, o, x) => v.setBigUint64(o, x as bigint, le),
        read: (v, o) => v.getBigUint64(o, le),
      };
    case 'i64':
      return {
        check,
        write: (v, o, x) => v.setBigInt64(o, x as bigint, le),
        read: (v, o) => v.getBigInt64(o, le),
      };
  }
}

function readBool(view: DataView, offset: number, where: string): boolean {
  const byte = view.getUint8(offset);
  if (byte > 1) {
    throw new SerializationError(
      `${where} (bool) at byte ${offset}: expected 0 or 1, got 0x${byte.toString(16).padStart(2, '0')}`,
    );
  }
  return byte === 1;
}
