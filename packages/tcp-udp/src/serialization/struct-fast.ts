/**
 * The fast path of the struct codec for schemas whose size is fixed (scalars and arrays only):
 * `encodeInto` and `decodeFrom` compiled once per schema into straight-line code (each field at
 * a constant offset, read by its own name, checked inline), over a DataView that is reused while
 * the target stays the same typed array. Internal: not exported from the package.
 *
 * The fast code decides only whether everything is fine; the moment anything is not (a value of
 * the wrong type or range, no room, too few bytes, a bool byte past 1), it hands the call to the
 * general codec, which throws exactly the error it always has. Behaviour is the general codec's
 * by construction; only the speed differs.
 */
import type { CompiledStructField } from './struct-compile.ts';
import { INTEGER_RANGES } from './struct-scalar.ts';
import { STRUCT_SCALAR_BYTES, type StructScalarType } from './struct-schema.ts';

/** The two calls the fast path replaces, with the general codec's signatures. */
export interface FixedStructPath {
  readonly encodeInto: (value: unknown, target: Uint8Array, offset?: number) => number;
  readonly decodeFrom: (
    bytes: Uint8Array,
    offset?: number,
  ) => { value: Record<string, unknown>; bytesRead: number };
}

// The DataView of the last array a fast call used, kept for the next call on the same one (the
// common case: records written or read in turn into one frame). Keyed by the array itself:
// reading `.buffer` costs more than the writes. A typed array never changes its buffer or
// byteOffset, and the view has no fixed length (it runs to the end of the buffer, and follows a
// resizable one), so it is never stale; bounds are checked against the array's length, read
// afresh on every call. Shared by every codec: the module keeps at most one array alive, until a
// call on another.
let cachedArray: unknown;
let cachedView: DataView | undefined;

/**
 * A DataView starting at `array`'s first byte, or undefined when `array` is not a Uint8Array
 * (then its `length` is not its size in bytes, and the general code takes the call).
 */
function viewOf(array: Uint8Array): DataView | undefined {
  if (array !== cachedArray) {
    if (!(array instanceof Uint8Array)) return undefined;
    cachedView = new DataView(array.buffer, array.byteOffset);
    cachedArray = array;
  }
  return cachedView;
}

const SETTER: Record<StructScalarType, string> = {
  u8: 'setUint8',
  i8: 'setInt8',
  bool: 'setUint8',
  u16: 'setUint16',
  i16: 'setInt16',
  u32: 'setUint32',
  i32: 'setInt32',
  f32: 'setFloat32',
  f64: 'setFloat64',
  u64: 'setBigUint64',
  i64: 'setBigInt64',
};

/** An expression that is true when `x` fits `type`: the same test as `scalarCheck`'s. */
function fits(type: StructScalarType, x: string): string {
  switch (type) {
    case 'bool':
      return `(typeof ${x} === 'boolean')`;
    case 'f64':
      return `(typeof ${x} === 'number')`;
    case 'f32':
      // Finite numbers from F32_ROUNDS_TO_INFINITY up round to ±Infinity: the same test as
      // `Number.isFinite(x) && !Number.isFinite(Math.fround(x))`, without the rounding.
      return `(typeof ${x} === 'number' && !(Math.abs(${x}) >= ${F32_ROUNDS_TO_INFINITY} && Math.abs(${x}) !== Infinity))`;
    case 'u64':
      return `(typeof ${x} === 'bigint' && ${x} >= 0n && ${x} <= 0xffffffffffffffffn)`;
    case 'i64':
      return `(typeof ${x} === 'bigint' && ${x} >= -0x8000000000000000n && ${x} <= 0x7fffffffffffffffn)`;
    default: {
      const [min, max] = INTEGER_RANGES[type];
      return `(typeof ${x} === 'number' && Number.isInteger(${x}) && ${x} >= ${min} && ${x} <= ${max})`;
    }
  }
}

/** 2^128 − 2^103: halfway between the largest float32 and 2^128, where rounding reaches Infinity. */
const F32_ROUNDS_TO_INFINITY = 2 ** 128 - 2 ** 103;

/** A statement writing `x` of `type` at byte `at` of `dv`. */
function write(type: StructScalarType, at: string, x: string, le: boolean): string {
  if (type === 'bool') return `dv.setUint8(${at}, ${x} ? 1 : 0);`;
  if (STRUCT_SCALAR_BYTES[type] === 1) return `dv.${SETTER[type]}(${at}, ${x});`;
  return `dv.${SETTER[type]}(${at}, ${x}, ${le});`;
}

/** An expression reading `type` at byte `at` of `dv` (a bool as its raw byte, checked apart). */
function read(type: StructScalarType, at: string, le: boolean): string {
  const getter = SETTER[type].replace('set', 'get');
  if (type === 'bool' || STRUCT_SCALAR_BYTES[type] === 1) return `dv.${getter}(${at})`;
  return `dv.${getter}(${at}, ${le})`;
}

/**
 * Compiles the fast path of a fixed-size schema, or returns undefined when the schema has a
 * string or bytes field, or when the runtime refuses to compile code (a Content Security Policy
 * without 'unsafe-eval'): the general codec then does everything, as before.
 *
 * @param fields - The checked schema (field names are quoted with JSON.stringify, never spliced).
 * @param general - The general codec's `encodeInto` and `decodeFrom`, called whenever the fast
 *   path sees anything wrong, so that they throw their usual errors.
 */
export function compileFixedStruct(
  fields: readonly CompiledStructField[],
  littleEndian: boolean,
  general: FixedStructPath,
): FixedStructPath | undefined {
  if (fields.some((f) => f.kind === 'string' || f.kind === 'bytes')) return undefined;
  let size = 0;
  const check: string[] = [];
  const writes: string[] = [];
  const reads: string[] = [];
  const props: string[] = [];
  fields.forEach((field, i) => {
    const key = JSON.stringify(field.name);
    const step = STRUCT_SCALAR_BYTES[field.scalar];
    check.push(`const v${i} = value[${key}];`);
    if (field.kind === 'scalar') {
      check.push(`if (!${fits(field.scalar, `v${i}`)}) return slowEncode(value, target, offset);`);
      writes.push(write(field.scalar, `p + ${size}`, `v${i}`, littleEndian));
      reads.push(`const r${i} = ${read(field.scalar, `p + ${size}`, littleEndian)};`);
      if (field.scalar === 'bool') reads.push(`if (r${i} > 1) return slowDecode(bytes, offset);`);
      props.push(`${key}: ${field.scalar === 'bool' ? `r${i} === 1` : `r${i}`}`);
    } else {
      check.push(
        `if (!Array.isArray(v${i}) || v${i}.length !== ${field.length}) return slowEncode(value, target, offset);`,
        `for (let k = 0; k < ${field.length}; k++) { const x = v${i}[k]; if (!${fits(field.scalar, 'x')}) return slowEncode(value, target, offset); }`,
      );
      writes.push(
        `for (let k = 0; k < ${field.length}; k++) ${write(field.scalar, `p + ${size} + k * ${step}`, `v${i}[k]`, littleEndian)}`,
      );
      reads.push(
        `const r${i} = [];`,
        `for (let k = 0; k < ${field.length}; k++) {`,
        `  const x = ${read(field.scalar, `p + ${size} + k * ${step}`, littleEndian)};`,
        field.scalar === 'bool' ? '  if (x > 1) return slowDecode(bytes, offset);' : '',
        `  r${i}.push(${field.scalar === 'bool' ? 'x === 1' : 'x'});`,
        '}',
      );
      props.push(`${key}: r${i}`);
    }
    size += field.fixedBytes;
  });
  const source = `
"use strict";
return {
  encodeInto(value, target, offset = 0) {
    if (typeof value !== 'object' || value === null) return slowEncode(value, target, offset);
    ${check.join('\n    ')}
    // length, not byteLength: the same for a Uint8Array (viewOf makes sure), and V8 reads it
    // inline where byteLength costs a call.
    if (!Number.isInteger(offset) || offset < 0 || offset + ${size} > target.length) {
      return slowEncode(value, target, offset);
    }
    const dv = viewOf(target);
    if (dv === undefined) return slowEncode(value, target, offset);
    const p = offset;
    ${writes.join('\n    ')}
    return ${size};
  },
  decodeFrom(bytes, offset = 0) {
    // The general code checks the offset and the length again, and throws, when these fail.
    if (!Number.isInteger(offset) || offset < 0 || offset + ${size} > bytes.length) {
      return slowDecode(bytes, offset);
    }
    const dv = viewOf(bytes);
    if (dv === undefined) return slowDecode(bytes, offset);
    const p = offset;
    ${reads.join('\n    ')}
    return { value: { ${props.join(', ')} }, bytesRead: ${size} };
  },
};`;
  try {
    const factory = new Function('slowEncode', 'slowDecode', 'viewOf', source);
    return factory(general.encodeInto, general.decodeFrom, viewOf) as FixedStructPath;
  } catch {
    return undefined;
  }
}
