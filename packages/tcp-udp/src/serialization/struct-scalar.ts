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

/**
 * The DataView accessor of each type, after `get`/`set` (`setUint16`, `getUint16`); a bool is
 * stored as its u8 byte. Shared with the compiled fast path, which writes the same calls as text.
 */
export const DATA_VIEW_ACCESSOR = {
  u8: 'Uint8',
  i8: 'Int8',
  bool: 'Uint8',
  u16: 'Uint16',
  i16: 'Int16',
  u32: 'Uint32',
  i32: 'Int32',
  f32: 'Float32',
  f64: 'Float64',
  u64: 'BigUint64',
  i64: 'BigInt64',
} as const satisfies Record<StructScalarType, string>;

type Setter = (this: DataView, offset: number, value: unknown, littleEndian: boolean) => void;
type Getter = (this: DataView, offset: number, littleEndian: boolean) => unknown;

/**
 * The operations of `type` in the given byte order: the type's own DataView accessors (the
 * one-byte ones ignore the byte order), with a bool written as 0 or 1 and read strictly.
 */
export function scalarOps(type: StructScalarType, littleEndian: boolean): ScalarOps {
  const check = scalarCheck(type);
  if (type === 'bool') {
    return { check, write: (v, o, x) => v.setUint8(o, x ? 1 : 0), read: readBool };
  }
  const accessor = DATA_VIEW_ACCESSOR[type];
  const set = DataView.prototype[`set${accessor}`] as Setter;
  const get = DataView.prototype[`get${accessor}`] as Getter;
  return {
    check,
    write: (v, o, x) => set.call(v, o, x, littleEndian),
    read: (v, o) => get.call(v, o, littleEndian),
  };
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
