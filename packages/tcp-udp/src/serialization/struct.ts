import { checkInteger } from '@socketlab/internal';
import { SerializationError } from '../errors.ts';
import { type CompiledStructField, compileStructSchema } from './struct-compile.ts';
import { compileFixedStruct, type FixedStructPath } from './struct-fast.ts';
import { describeValue, type ScalarOps, scalarOps } from './struct-scalar.ts';
import type { StructSchema, StructValue } from './struct-schema.ts';
import { readUtf8, utf8ByteLength, writeUtf8 } from './struct-utf8.ts';

/** Options of {@link defineStruct}. */
export interface StructOptions {
  /**
   * Write multi-byte numbers and length prefixes least significant byte first (x86 and ARM's
   * native order) instead of network byte order.
   * @default false (big-endian, network byte order)
   */
  readonly littleEndian?: boolean;
}

/** What {@link StructCodec.decodeFrom} returns: the value and how many bytes it took. */
export interface StructDecodeResult<S extends StructSchema> {
  readonly value: StructValue<S>;
  readonly bytesRead: number;
}

/** A codec for one schema, made by {@link defineStruct}. Pure: no I/O, no shared state. */
export interface StructCodec<S extends StructSchema> {
  /** The schema, as given. */
  readonly schema: S;
  /** True when the codec writes little-endian. */
  readonly littleEndian: boolean;
  /** The size of the smallest message (every string and bytes field empty). */
  readonly minByteLength: number;
  /** The size of the largest message (every string and bytes field full). */
  readonly maxByteLength: number;
  /**
   * The exact size `value` encodes to.
   * @throws {SerializationError} `TCPUDP_ERR_SERIALIZATION` when a string or bytes field is
   *   missing, of the wrong type, or longer than its `maxBytes`.
   */
  byteLength(value: StructValue<S>): number;
  /**
   * Encodes `value` into a new buffer of exactly {@link byteLength} bytes (a `Buffer` carved
   * from Node's shared pool, as `Buffer.from(string)` gives: copy it before keeping many).
   * @throws {SerializationError} `TCPUDP_ERR_SERIALIZATION` naming the field when a value is
   *   missing, of the wrong type, out of its type's range, or too long.
   */
  encode(value: StructValue<S>): Uint8Array;
  /**
   * Encodes `value` into `target` at `offset` and returns the bytes written; nothing is written
   * when `value` is invalid.
   * @throws {SerializationError} as {@link encode}, or when `target` has too little room.
   */
  encodeInto(value: StructValue<S>, target: Uint8Array, offset?: number): number;
  /**
   * Decodes one whole message: every byte must belong to it.
   * @throws {SerializationError} `TCPUDP_ERR_SERIALIZATION` when the bytes end early, a length
   *   is past its field's `maxBytes` or past the end, a string is not valid UTF-8, a bool is not
   *   0 or 1, or bytes are left over.
   */
  decode(bytes: Uint8Array): StructValue<S>;
  /**
   * Decodes one message at `offset` and says how many bytes it took; bytes after it are left
   * alone (for several structs in one frame).
   * @throws {SerializationError} as {@link decode}, except for trailing bytes.
   */
  decodeFrom(bytes: Uint8Array, offset?: number): StructDecodeResult<S>;
}

/**
 * Defines a binary message format from a typed schema, and returns its codec. Fields go on the
 * wire in schema order with no padding and no names: integers and floats at their size, `bool`
 * as one byte, strings (UTF-8) and bytes as a u16 length then the bytes, arrays as `length`
 * values. Multi-byte values are big-endian unless `littleEndian` is set.
 *
 * @param schema - Field names in wire order, each with a type (see {@link StructField}).
 * @param options - Byte order.
 * @returns A codec whose values TypeScript infers from the schema ({@link StructValue}).
 * @throws {TypeError} for an unknown field type, a field named `__proto__`, a non-boolean
 *   `littleEndian`, or a `maxBytes` or array `length` that is not an integer.
 * @throws {RangeError} for a `maxBytes` outside 0–65,535, an array `length` outside 1–4,096, or
 *   an empty schema.
 * @see RFC 1700 (Assigned Numbers, "Data Notations"): network byte order is big-endian, the
 *   most significant octet first, as in the IP header of RFC 791 Appendix B.
 * @see RFC 3629 for UTF-8.
 * @example
 * ```ts
 * const reading = defineStruct({
 *   id: 'u32',
 *   temp: 'f64',
 *   ok: 'bool',
 *   name: { type: 'string', maxBytes: 32 },
 * });
 * const bytes = reading.encode({ id: 7, temp: 21.5, ok: true, name: 'kitchen' }); // 22 bytes
 * reading.decode(bytes); // { id: 7, temp: 21.5, ok: true, name: 'kitchen' }
 * ```
 */
export function defineStruct<const S extends StructSchema>(
  schema: S,
  options: StructOptions = {},
): StructCodec<S> {
  const littleEndian = options.littleEndian ?? false;
  if (typeof littleEndian !== 'boolean') {
    throw new TypeError(`littleEndian must be a boolean, got ${typeof littleEndian}`);
  }
  const plan: Step[] = compileStructSchema(schema).map((field) => ({
    ...field,
    label: `field "${field.name}"`,
    ops: scalarOps(field.scalar, littleEndian),
    step: field.kind === 'array' ? field.fixedBytes / field.length : field.fixedBytes,
  }));
  let minByteLength = 0;
  let maxByteLength = 0;
  for (const field of plan) {
    minByteLength += field.fixedBytes;
    maxByteLength += field.fixedBytes + field.maxBytes;
  }
  // Sizes of string and bytes fields found by `measure`, reused by `write` (one slot per field).
  const sizes = new Array<number>(plan.length).fill(0);

  const measure = (value: StructValue<S>): number => {
    if (typeof value !== 'object' || value === null) {
      throw new SerializationError(`a struct value must be an object, got ${describeValue(value)}`);
    }
    const record = value as Record<string, unknown>;
    let total = minByteLength;
    for (let i = 0; i < plan.length; i++) {
      const field = plan[i] as Step;
      if (field.kind === 'string' || field.kind === 'bytes') {
        const size = variableSize(field, record[field.name]);
        sizes[i] = size;
        total += size;
      }
    }
    return total;
  };

  /** Writes a measured value; checks each fixed-size field just before writing it when `check`. */
  const write = (
    record: Record<string, unknown>,
    target: Uint8Array,
    offset: number,
    check: boolean,
  ): void => {
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    let at = offset;
    for (let i = 0; i < plan.length; i++) {
      const field = plan[i] as Step;
      const value = record[field.name];
      if (field.kind === 'scalar') {
        if (check) field.ops.check(value, field.label);
        field.ops.write(view, at, value);
        at += field.step;
      } else if (field.kind === 'array') {
        if (check) checkArray(field, value);
        for (const item of value as unknown[]) {
          field.ops.write(view, at, item);
          at += field.step;
        }
      } else {
        const size = sizes[i] as number;
        view.setUint16(at, size, littleEndian);
        at += 2;
        if (field.kind === 'string') writeUtf8(value as string, target, at);
        else target.set(value as Uint8Array, at);
        at += size;
      }
    }
  };

  const generalDecodeFrom = (bytes: Uint8Array, offset = 0): StructDecodeResult<S> => {
    const end = bytes.byteLength;
    checkInteger('offset', offset, 0, end);
    const view = new DataView(bytes.buffer, bytes.byteOffset, end);
    const out: Record<string, unknown> = {};
    let at = offset;
    for (const field of plan) {
      if (at + field.fixedBytes > end) truncated(field, at, field.fixedBytes, end);
      if (field.kind === 'scalar') {
        out[field.name] = field.ops.read(view, at, field.label);
        at += field.step;
      } else if (field.kind === 'array') {
        const items: unknown[] = [];
        for (let k = 0; k < field.length; k++, at += field.step) {
          items.push(field.ops.read(view, at, `${field.label}[${k}]`));
        }
        out[field.name] = items;
      } else {
        const length = view.getUint16(at, littleEndian);
        if (length > field.maxBytes) {
          throw new SerializationError(
            `${field.label} (${field.kind}) at byte ${at}: declares ${length} bytes, more than its maxBytes of ${field.maxBytes}`,
          );
        }
        at += 2;
        if (at + length > end) truncated(field, at, length, end);
        out[field.name] =
          field.kind === 'bytes'
            ? new Uint8Array(bytes.subarray(at, at + length)) // a copy, even when `bytes` is a Buffer
            : text(bytes, at, length, field.label);
        at += length;
      }
    }
    return { value: out as StructValue<S>, bytesRead: at - offset };
  };

  const generalEncodeInto = (value: StructValue<S>, target: Uint8Array, offset = 0): number => {
    const size = measure(value);
    for (const field of plan) {
      const item = (value as Record<string, unknown>)[field.name];
      if (field.kind === 'scalar') field.ops.check(item, field.label);
      else if (field.kind === 'array') checkArray(field, item);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset + size > target.byteLength) {
      throw new SerializationError(
        `no room: the value needs ${size} bytes at offset ${offset}, the target has ${target.byteLength}`,
      );
    }
    write(value as Record<string, unknown>, target, offset, false);
    return size;
  };

  // Fixed-size schemas get compiled code for the per-record calls; it falls back to the general
  // code above for anything wrong, so errors and results are the same either way.
  const fast = compileFixedStruct(plan, littleEndian, {
    encodeInto: generalEncodeInto as FixedStructPath['encodeInto'],
    decodeFrom: generalDecodeFrom as FixedStructPath['decodeFrom'],
  }) as
    | {
        encodeInto: typeof generalEncodeInto;
        decodeFrom: typeof generalDecodeFrom;
      }
    | undefined;
  const encodeInto = fast?.encodeInto ?? generalEncodeInto;
  const decodeFrom = fast?.decodeFrom ?? generalDecodeFrom;

  return {
    schema,
    littleEndian,
    minByteLength,
    maxByteLength,
    byteLength: measure,
    encode:
      fast === undefined
        ? (value) => {
            // From Node's shared pool, as Buffer.from(string) does: a fresh ArrayBuffer per
            // message costs more than the encoding. `write` sets every byte, so nothing old
            // shows through.
            const out = Buffer.allocUnsafe(measure(value));
            write(value as Record<string, unknown>, out, 0, true);
            return out;
          }
        : (value) => {
            // The size is fixed: no measuring. A bad value throws before anything is returned.
            const out = Buffer.allocUnsafe(minByteLength);
            fast.encodeInto(value, out, 0);
            return out;
          },
    encodeInto,
    decode(bytes) {
      const { value, bytesRead } = decodeFrom(bytes, 0);
      if (bytesRead !== bytes.byteLength) {
        throw new SerializationError(
          `${bytes.byteLength - bytesRead} trailing byte(s) after the last field "${plan.at(-1)?.name}": the message is ${bytes.byteLength} bytes, the schema read ${bytesRead}`,
        );
      }
      return value;
    },
    decodeFrom,
  };
}

/** A field with everything the codec needs at hand. */
interface Step extends CompiledStructField {
  /** `field "name"`, built once for error messages. */
  readonly label: string;
  readonly ops: ScalarOps;
  /** Bytes per value (an array's element size). */
  readonly step: number;
}

function variableSize(field: Step, value: unknown): number {
  let size: number;
  if (field.kind === 'string') {
    if (typeof value !== 'string') fail(field, `expected a string, got ${describeValue(value)}`);
    size = utf8ByteLength(value);
    if (size < 0) fail(field, 'holds a lone UTF-16 surrogate, which UTF-8 cannot encode');
  } else {
    if (!(value instanceof Uint8Array)) {
      fail(field, `expected a Uint8Array, got ${describeValue(value)}`);
    }
    size = value.byteLength;
  }
  if (size > field.maxBytes)
    fail(field, `${size} bytes is more than its maxBytes of ${field.maxBytes}`);
  return size;
}

function checkArray(field: Step, value: unknown): void {
  if (!Array.isArray(value) || value.length !== field.length) {
    fail(field, `expected an array of exactly ${field.length}, got ${describeValue(value)}`);
  }
  for (let k = 0; k < value.length; k++) field.ops.check(value[k], `${field.label}[${k}]`);
}

function truncated(field: Step, at: number, count: number, end: number): never {
  throw new SerializationError(
    `truncated: ${field.label} needs ${count} byte(s) at byte ${at}, but the message ends at byte ${end}`,
  );
}

function text(bytes: Uint8Array, at: number, length: number, label: string): string {
  try {
    return readUtf8(bytes, at, at + length);
  } catch (cause) {
    throw new SerializationError(`${label} (string) at byte ${at}: not valid UTF-8`, { cause });
  }
}

function fail(field: Step, what: string): never {
  throw new SerializationError(`${field.label} (${field.kind}): ${what}`);
}
