/**
 * The compiled path of fixed-size schemas (struct-fast.ts) against the general one: same bytes,
 * same values, same errors, wherever the target sits in its buffer, and never through a stale
 * cached DataView. A fixed schema plus an empty string field at the end takes the general path
 * and writes the same bytes followed by a zero length, which is how the two are compared.
 */
import { toHex } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineStruct, SerializationError, type StructScalarType } from '../../src/index.ts';

const point = defineStruct({ id: 'u32', seq: 'u16', x: 'f32', y: 'f32' });
const value = { id: 0x01020304, seq: 0x0506, x: 1.5, y: -2.25 };
const bytes = '01020304 0506 3fc00000 c0100000'.replaceAll(' ', '');

/** The outcome of a call: its result, or the error's class and message. */
function outcome(fn: () => unknown): unknown {
  try {
    return { ok: fn() };
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  }
}

describe('defineStruct: fixed-size schemas', () => {
  it('writes records at offsets in one shared buffer, each equal to encode', () => {
    const out = new Uint8Array(14 * 3 + 1);
    let at = 1;
    for (let i = 0; i < 3; i++) at += point.encodeInto({ ...value, seq: i }, out, at);
    expect(at).toBe(out.byteLength);
    for (let i = 0; i < 3; i++) {
      const one = point.encode({ ...value, seq: i });
      expect(toHex(out.subarray(1 + 14 * i, 15 + 14 * i))).toBe(toHex(one));
      expect(point.decodeFrom(out, 1 + 14 * i)).toEqual({
        value: { ...value, seq: i },
        bytesRead: 14,
      });
    }
    expect(toHex(point.encode(value)).replaceAll(' ', '')).toBe(bytes);
  });

  it('writes into different buffers in turn, each to its own bytes', () => {
    const a = new Uint8Array(14);
    const b = new Uint8Array(28);
    for (let i = 0; i < 4; i++) {
      point.encodeInto({ ...value, seq: i }, a, 0);
      point.encodeInto({ ...value, seq: 100 + i }, b, 14);
      point.encodeInto({ ...value, seq: 200 + i }, a, 0);
      expect(point.decode(a).seq).toBe(200 + i);
      expect(point.decodeFrom(b, 14).value.seq).toBe(100 + i);
      expect(b.subarray(0, 14).every((x) => x === 0)).toBe(true);
    }
  });

  it('writes into views of one buffer at different byteOffsets without mixing them up', () => {
    const whole = new Uint8Array(64);
    const first = whole.subarray(3, 17);
    const second = whole.subarray(20, 34);
    const pooled = Buffer.from(whole.buffer, 40, 14); // a Buffer with a non-zero byteOffset
    point.encodeInto({ ...value, seq: 1 }, first);
    point.encodeInto({ ...value, seq: 2 }, second, 0);
    point.encodeInto({ ...value, seq: 3 }, pooled);
    expect(point.decodeFrom(whole, 3).value.seq).toBe(1);
    expect(point.decodeFrom(whole, 20).value.seq).toBe(2);
    expect(point.decode(pooled).seq).toBe(3);
    expect(point.decode(second).seq).toBe(2);
    expect(whole.subarray(0, 3).every((x) => x === 0)).toBe(true);
    expect(whole.subarray(17, 20).every((x) => x === 0)).toBe(true);
    expect(whole.subarray(54).every((x) => x === 0)).toBe(true);
    // A view that ends before the record would: no room, nothing written.
    const short = whole.subarray(50, 60);
    expect(() => point.encodeInto(value, short)).toThrow(SerializationError);
    expect(whole.subarray(54).every((x) => x === 0)).toBe(true);
  });

  it('writes into other typed arrays by their bytes, as the general path does', () => {
    const wide = new Uint16Array(8); // 16 bytes: room for one record by byteLength, not by length
    expect(point.encodeInto(value, wide as unknown as Uint8Array, 1)).toBe(14);
    expect(toHex(new Uint8Array(wide.buffer, 1, 14)).replaceAll(' ', '')).toBe(bytes);
    expect(point.decodeFrom(wide as unknown as Uint8Array, 1).value).toEqual(value);
    const clamped = new Uint8ClampedArray(14);
    point.encodeInto(value, clamped as unknown as Uint8Array);
    expect(point.decode(clamped as unknown as Uint8Array)).toEqual(value);
  });

  it('follows a resizable buffer, and refuses a detached one', () => {
    // ES2024 resizable buffers (Node 20 has them; the compiler's lib here does not yet).
    const Resizable = ArrayBuffer as unknown as new (
      length: number,
      options: { maxByteLength: number },
    ) => ArrayBuffer & { resize(length: number): void };
    const buffer = new Resizable(14, { maxByteLength: 28 });
    const tracking = new Uint8Array(buffer);
    point.encodeInto(value, tracking, 0);
    expect(() => point.encodeInto(value, tracking, 14)).toThrow(/no room/);
    buffer.resize(28);
    expect(point.encodeInto({ ...value, seq: 9 }, tracking, 14)).toBe(14);
    expect(point.decodeFrom(tracking, 14).value.seq).toBe(9);
    buffer.resize(14);
    expect(() => point.decodeFrom(tracking, 14)).toThrow(SerializationError);
    const detached = new Uint8Array(14);
    point.encodeInto(value, detached);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => point.encodeInto(value, detached)).toThrow(/no room/);
    // As before the fast path: the general decoder's DataView refuses the detached buffer.
    expect(() => point.decode(detached)).toThrow(TypeError);
  });

  const scalars: StructScalarType[] = [
    'u8',
    'i8',
    'bool',
    'u16',
    'i16',
    'u32',
    'i32',
    'f32',
    'f64',
    'u64',
    'i64',
  ];
  const schemaArb = fc
    .array(
      fc.oneof(
        fc.constantFrom(...scalars),
        fc.record({
          type: fc.constant('array' as const),
          of: fc.constantFrom(...scalars),
          length: fc.integer({ min: 1, max: 3 }),
        }),
      ),
      { minLength: 1, maxLength: 5 },
    )
    .map((fields) => Object.fromEntries(fields.map((f, i) => [`f${i}`, f])));
  const anything = fc.oneof(
    fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
    fc.double(),
    fc.float(),
    fc.boolean(),
    fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }),
    fc.constantFrom(undefined, null, 'x', 0, 1, 255, 256, -1, 2 ** 32, 3.5e38, Number.NaN),
    // Around the float32 limit: the largest float32, the last double that rounds to it, and
    // the first that rounds to Infinity.
    fc.constantFrom(3.4028234663852886e38, 3.4028235677973362e38, -3.4028235677973366e38),
  );

  it('behaves as the general path for any values, offsets and bytes (property)', () => {
    fc.assert(
      fc.property(
        schemaArb,
        fc.boolean(),
        fc.array(fc.oneof(anything, fc.array(anything, { maxLength: 4 })), {
          minLength: 5,
          maxLength: 5,
        }),
        fc.uint8Array({ maxLength: 60 }),
        fc.integer({ min: -1, max: 50 }),
        (schema, littleEndian, items, raw, offset) => {
          const fast = defineStruct(schema, { littleEndian });
          const general = defineStruct(
            { ...schema, tail: { type: 'string', maxBytes: 0 } },
            { littleEndian },
          );
          const record = Object.fromEntries(Object.keys(schema).map((k, i) => [k, items[i]]));
          const size = fast.minByteLength;
          const strip = (r: unknown) => {
            const o = r as { ok?: Uint8Array };
            return o.ok === undefined ? r : { ok: toHex(o.ok.subarray(0, size)) };
          };
          expect(strip(outcome(() => fast.encode(record as never)))).toEqual(
            strip(outcome(() => general.encode({ ...record, tail: '' } as never))),
          );
          const a = new Uint8Array(raw);
          const b = new Uint8Array(raw.byteLength + 2);
          b.set(raw);
          const wroteA = outcome(() => fast.encodeInto(record as never, a, offset));
          const wroteB = outcome(() =>
            general.encodeInto({ ...record, tail: '' } as never, b, offset),
          );
          if ('ok' in (wroteA as object)) {
            expect(wroteA).toEqual({ ok: size });
            expect(toHex(a.subarray(offset, offset + size))).toBe(
              toHex(b.subarray(offset, offset + size)),
            );
            a.set(raw.subarray(offset, offset + size), offset);
            expect(toHex(a)).toBe(toHex(raw)); // nothing written around the record
          } else {
            expect(toHex(a)).toBe(toHex(raw)); // nothing written
            const error = wroteA as { message: string };
            // "no room" names the target's length, which differs by the tail's two bytes.
            if (!error.message.startsWith('no room')) expect(wroteA).toEqual(wroteB);
          }
          // Decoding: where the fields fit, the general codec gets the same bytes with an empty
          // tail spliced in after them; where they do not, the very same bytes.
          let c = raw;
          if (offset >= 0 && offset + size <= raw.byteLength) {
            c = new Uint8Array(raw.byteLength + 2);
            c.set(raw.subarray(0, offset + size));
            c.set(raw.subarray(offset + size), offset + size + 2);
          }
          const readA = outcome(() => fast.decodeFrom(raw, offset));
          const readB = outcome(() => general.decodeFrom(c, offset));
          if ('ok' in (readA as object)) {
            const { tail, ...rest } = (readB as { ok: { value: { tail: string } } }).ok.value;
            expect(tail).toBe('');
            expect(readA).toEqual({ ok: { value: rest, bytesRead: size } });
          } else {
            expect(readA).toEqual(readB);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
