/**
 * Checking, writing and reading one fixed-size value for the struct codec. Internal: not
 * exported from the package.
 */

import type { StructScalarType } from './binary-struct-schema.ts';
import { quoteInput, SerializationError } from './errors.ts';

const INTEGER_RANGES = {
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
 * Throws a {@link SerializationError} naming `where` when `value` is not a valid `type` value:
 * the wrong JavaScript type, not an integer, out of the type's range, or a finite number too
 * large for a float32.
 */
export function checkScalar(type: StructScalarType, value: unknown, where: string): void {
  if (type === 'bool') {
    if (typeof value !== 'boolean') fail(where, type, 'true or false', value);
    return;
  }
  if (type === 'u64' || type === 'i64') {
    const [min, max] = BIGINT_RANGES[type];
    if (typeof value !== 'bigint' || value < min || value > max) {
      fail(where, type, `a bigint from ${min}n to ${max}n`, value);
    }
    return;
  }
  if (typeof value !== 'number') fail(where, type, 'a number', value);
  if (type === 'f64') return;
  if (type === 'f32') {
    if (Number.isFinite(value) && !Number.isFinite(Math.fround(value))) {
      fail(where, type, 'a number within ±3.4028234663852886e38 (or ±Infinity, NaN)', value);
    }
    return;
  }
  const [min, max] = INTEGER_RANGES[type];
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(where, type, `an integer from ${min} to ${max}`, value);
  }
}

function fail(where: string, type: string, expected: string, value: unknown): never {
  throw new SerializationError(
    `${where} (${type}): expected ${expected}, got ${describeValue(value)}`,
  );
}

/** Writes a checked value; returns the offset after it. */
export function writeScalar(
  view: DataView,
  offset: number,
  type: StructScalarType,
  value: unknown,
  littleEndian: boolean,
): number {
  switch (type) {
    case 'u8':
      view.setUint8(offset, value as number);
      return offset + 1;
    case 'i8':
      view.setInt8(offset, value as number);
      return offset + 1;
    case 'bool':
      view.setUint8(offset, value ? 1 : 0);
      return offset + 1;
    case 'u16':
      view.setUint16(offset, value as number, littleEndian);
      return offset + 2;
    case 'i16':
      view.setInt16(offset, value as number, littleEndian);
      return offset + 2;
    case 'u32':
      view.setUint32(offset, value as number, littleEndian);
      return offset + 4;
    case 'i32':
      view.setInt32(offset, value as number, littleEndian);
      return offset + 4;
    case 'f32':
      view.setFloat32(offset, value as number, littleEndian);
      return offset + 4;
    case 'f64':
      view.setFloat64(offset, value as number, littleEndian);
      return offset + 8;
    case 'u64':
      view.setBigUint64(offset, value as bigint, littleEndian);
      return offset + 8;
    case 'i64':
      view.setBigInt64(offset, value as bigint, littleEndian);
      return offset + 8;
  }
}

/** Reads one value; the caller has checked that its bytes are there. `bool` must be 0 or 1. */
export function readScalar(
  view: DataView,
  offset: number,
  type: StructScalarType,
  littleEndian: boolean,
  where: string,
): number | bigint | boolean {
  switch (type) {
    case 'u8':
      return view.getUint8(offset);
    case 'i8':
      return view.getInt8(offset);
    case 'bool': {
      const byte = view.getUint8(offset);
      if (byte > 1) {
        throw new SerializationError(
          `${where} (bool) at byte ${offset}: expected 0 or 1, got 0x${byte.toString(16).padStart(2, '0')}`,
        );
      }
      return byte === 1;
    }
    case 'u16':
      return view.getUint16(offset, littleEndian);
    case 'i16':
      return view.getInt16(offset, littleEndian);
    case 'u32':
      return view.getUint32(offset, littleEndian);
    case 'i32':
      return view.getInt32(offset, littleEndian);
    case 'f32':
      return view.getFloat32(offset, littleEndian);
    case 'f64':
      return view.getFloat64(offset, littleEndian);
    case 'u64':
      return view.getBigUint64(offset, littleEndian);
    case 'i64':
      return view.getBigInt64(offset, littleEndian);
  }
}
