import { fromHex, toHex } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  defineStruct,
  SerializationError,
  STRUCT_SCALAR_BYTES,
  type StructScalarType,
  type StructValue,
} from '../../src/index.ts';

/** Calls `fn`, expects a SerializationError, returns its message. */
function serializationMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as SerializationError).code).toBe('TCPUDP_ERR_SERIALIZATION');
    return (err as Error).message;
  }
  throw new Error('expected a SerializationError, but the call returned');
}

const reading = {
  id: 'u32',
  temp: 'f64',
  ok: 'bool',
  name: { type: 'string', maxBytes: 8 },
} as const;

describe('defineStruct: wire format', () => {
  const codec = defineStruct(reading);
  const value = { id: 7, temp: 21.5, ok: true, name: 'kitchen' };
  // id 00000007 | temp 4035800000000000 | ok 01 | name length 0007 'kitchen'
  const fixture = '00000007 4035800000000000 01 0007 6b69746368656e';

  it('writes fields in schema order, big-endian, with no padding', () => {
    expect(toHex(codec.encode(value))).toBe(fixture.replace(/ /g, ''));
    expect(codec.decode(fromHex(fixture))).toEqual(value);
  });

  it('writes little-endian when asked, length prefixes included', () => {
    const le = defineStruct(reading, { littleEndian: true });
    expect(le.littleEndian).toBe(true);
    expect(toHex(le.encode(value))).toBe(
      '07000000' + '0000000000803540' + '01' + '0700' + '6b69746368656e',
    );
    expect(le.decode(le.encode(value))).toEqual(value);
  });

  it('knows its size bounds and each value’s exact size', () => {
    expect(codec.minByteLength).toBe(4 + 8 + 1 + 2);
    expect(codec.maxByteLength).toBe(4 + 8 + 1 + 2 + 8);
    expect(codec.byteLength(value)).toBe(22);
    expect(codec.byteLength({ ...value, name: 'é' })).toBe(17);
  });

  it('infers the value type from the schema', () => {
    expectTypeOf<StructValue<typeof reading>>().toEqualTypeOf<{
      id: number;
      temp: number;
      ok: boolean;
      name: string;
    }>();
    const wide = defineStruct({
      big: 'u64',
      raw: { type: 'bytes', maxBytes: 4 },
      xs: { type: 'array', of: 'i64', length: 2 },
    });
    expectTypeOf(wide.decode).returns.toEqualTypeOf<{
      big: bigint;
      raw: Uint8Array;
      xs: bigint[];
    }>();
  });

  it('reads several structs from one buffer with decodeFrom', () => {
    const one = codec.encode(value);
    const two = codec.encode({ ...value, id: 8, name: '' });
    const both = new Uint8Array([...one, ...two]);
    const first = codec.decodeFrom(both);
    expect(first).toEqual({ value, bytesRead: one.length });
    expect(codec.decodeFrom(both, first.bytesRead).value).toEqual({ ...value, id: 8, name: '' });
    expect(() => codec.decodeFrom(both, -1)).toThrow(RangeError);
    expect(() => codec.decodeFrom(both, both.length + 1)).toThrow(RangeError);
  });

  it('encodes into a caller’s buffer at an offset, and writes nothing when the value is bad', () => {
    const target = new Uint8Array(30).fill(0xaa);
    expect(codec.encodeInto(value, target, 3)).toBe(22);
    expect(toHex(target.subarray(3, 25))).toBe(fixture.replace(/ /g, ''));
    expect(target[2]).toBe(0xaa);
    expect(target[25]).toBe(0xaa);
    const clean = new Uint8Array(30);
    serializationMessage(() => codec.encodeInto({ ...value, ok: 1 as unknown as boolean }, clean));
    expect(clean.every((b) => b === 0)).toBe(true);
    expect(serializationMessage(() => codec.encodeInto(value, new Uint8Array(21)))).toMatch(
      /no room/,
    );
  });
});

type Limit = { type: StructScalarType; value: number | bigint | boolean; be: string; le: string };

describe('defineStruct: every scalar type at its limits', () => {
  it.each<Limit>([
    { type: 'u8', value: 0, be: '00', le: '00' },
    { type: 'u8', value: 255, be: 'ff', le: 'ff' },
    { type: 'i8', value: -128, be: '80', le: '80' },
    { type: 'i8', value: 127, be: '7f', le: '7f' },
    { type: 'u16', value: 65535, be: 'ffff', le: 'ffff' },
    { type: 'u16', value: 258, be: '0102', le: '0201' },
    { type: 'i16', value: -32768, be: '8000', le: '0080' },
    { type: 'i16', value: 32767, be: '7fff', le: 'ff7f' },
    { type: 'u32', value: 4294967295, be: 'ffffffff', le: 'ffffffff' },
    { type: 'u32', value: 0x01020304, be: '01020304', le: '04030201' },
    { type: 'i32', value: -2147483648, be: '80000000', le: '00000080' },
    { type: 'i32', value: 2147483647, be: '7fffffff', le: 'ffffff7f' },
    { type: 'u64', value: 0xffff_ffff_ffff_ffffn, be: 'ffffffffffffffff', le: 'ffffffffffffffff' },
    { type: 'u64', value: 0x0102030405060708n, be: '0102030405060708', le: '0807060504030201' },
    { type: 'i64', value: -(2n ** 63n), be: '8000000000000000', le: '0000000000000080' },
    { type: 'i64', value: 2n ** 63n - 1n, be: '7fffffffffffffff', le: 'ffffffffffffff7f' },
    { type: 'f32', value: 1.5, be: '3fc00000', le: '0000c03f' },
    { type: 'f32', value: 3.4028234663852886e38, be: '7f7fffff', le: 'ffff7f7f' },
    { type: 'f32', value: -0, be: '80000000', le: '00000080' },
    { type: 'f32', value: Number.POSITIVE_INFINITY, be: '7f800000', le: '0000807f' },
    { type: 'f64', value: -2.5, be: 'c004000000000000', le: '00000000000004c0' },
    { type: 'f64', value: Number.MIN_VALUE, be: '0000000000000001', le: '0100000000000000' },
    { type: 'f64', value: Number.NaN, be: '7ff8000000000000', le: '000000000000f87f' },
    { type: 'bool', value: false, be: '00', le: '00' },
    { type: 'bool', value: true, be: '01', le: '01' },
  ])('$type $value is $be big-endian, $le little-endian', ({ type, value, be, le }) => {
    const big = defineStruct({ v: type });
    const little = defineStruct({ v: type }, { littleEndian: true });
    expect(toHex(big.encode({ v: value } as never))).toBe(be);
    expect(toHex(little.encode({ v: value } as never))).toBe(le);
    expect(big.decode(fromHex(be)).v).toEqual(value);
    expect(little.decode(fromHex(le)).v).toEqual(value);
    expect(be.length / 2).toBe(STRUCT_SCALAR_BYTES[type]);
  });

  it.each<{ type: StructScalarType; value: unknown; expected: RegExp }>([
    { type: 'u8', value: 256, expected: /from 0 to 255, got 256/ },
    { type: 'u8', value: 300, expected: /from 0 to 255, got 300/ },
    { type: 'u8', value: -1, expected: /got -1/ },
    { type: 'u8', value: 1.5, expected: /integer .* got 1\.5/ },
    { type: 'u8', value: Number.NaN, expected: /got NaN/ },
    { type: 'i8', value: 128, expected: /-128 to 127/ },
    { type: 'i8', value: -129, expected: /-128 to 127/ },
    { type: 'u16', value: 65536, expected: /0 to 65535/ },
    { type: 'i16', value: -32769, expected: /-32768 to 32767/ },
    { type: 'u32', value: 2 ** 32, expected: /0 to 4294967295/ },
    { type: 'i32', value: 2 ** 31, expected: /-2147483648 to 2147483647/ },
    { type: 'u32', value: '7', expected: /a number, got the string "7"/ },
    { type: 'u32', value: 7n, expected: /a number, got 7n/ },
    { type: 'f64', value: '1.5', expected: /a number/ },
    { type: 'f32', value: 1e39, expected: /3\.4028234663852886e38/ },
    { type: 'f32', value: -1e39, expected: /got -1e\+39/ },
    { type: 'u64', value: 2n ** 64n, expected: /0n to 18446744073709551615n/ },
    { type: 'u64', value: -1n, expected: /got -1n/ },
    { type: 'u64', value: 1, expected: /a bigint .* got 1$/ },
    { type: 'i64', value: 2n ** 63n, expected: /-9223372036854775808n to 9223372036854775807n/ },
    { type: 'bool', value: 1, expected: /true or false, got 1/ },
    { type: 'bool', value: undefined, expected: /got undefined \(missing\)/ },
    { type: 'u8', value: null, expected: /got null/ },
  ])('refuses $type = $value, naming the field', ({ type, value, expected }) => {
    const codec = defineStruct({ level: type });
    const message = serializationMessage(() => codec.encode({ level: value } as never));
    expect(message).toMatch(new RegExp(`^field "level" \\(${type}\\)`));
    expect(message).toMatch(expected);
  });

  it('refuses a value that is not an object', () => {
    const codec = defineStruct({ a: 'u8' });
    expect(serializationMessage(() => codec.encode(null as never))).toMatch(
      /must be an object, got null/,
    );
    expect(serializationMessage(() => codec.encode(5 as never))).toMatch(/got 5/);
  });
});

describe('defineStruct: strings, bytes and arrays', () => {
  const codec = defineStruct({
    s: { type: 'string', maxBytes: 4 },
    b: { type: 'bytes', maxBytes: 3 },
    xs: { type: 'array', of: 'i16', length: 2 },
  });
  const base = { s: '', b: new Uint8Array(0), xs: [0, 0] };

  it.each([
    { s: '', bytes: 0 },
    { s: 'abcd', bytes: 4 },
    { s: 'éé', bytes: 4 },
    { s: '€a', bytes: 4 },
    { s: '😀', bytes: 4 },
    { s: '\u0000\n', bytes: 2 },
  ])('round-trips the string $s ($bytes UTF-8 bytes)', ({ s, bytes }) => {
    const encoded = codec.encode({ ...base, s });
    expect(encoded.length).toBe(2 + bytes + 2 + 4);
    expect(codec.decode(encoded).s).toBe(s);
  });

  it('keeps a leading byte order mark', () => {
    const bom = defineStruct({ s: { type: 'string', maxBytes: 8 } });
    expect(toHex(bom.encode({ s: '\uFEFFab' }))).toBe('0005efbbbf6162');
    expect(bom.decode(fromHex('0005efbbbf6162')).s).toBe('\uFEFFab');
  });

  it.each([
    { s: 'abcde', message: /5 bytes is more than its maxBytes of 4/ },
    { s: 'ééa', message: /5 bytes/ },
    { s: 'a\uD800', message: /lone UTF-16 surrogate/ },
    { s: '\uDC00', message: /lone UTF-16 surrogate/ },
    { s: 5, message: /expected a string, got 5/ },
  ])('refuses the string $s', ({ s, message }) => {
    const text = serializationMessage(() => codec.encode({ ...base, s } as never));
    expect(text).toMatch(/^field "s" \(string\)/);
    expect(text).toMatch(message);
  });

  it('round-trips bytes up to maxBytes, copying them out of the input', () => {
    const encoded = codec.encode({ ...base, b: new Uint8Array([1, 2, 3]) });
    const decoded = codec.decode(encoded);
    expect(Array.from(decoded.b)).toEqual([1, 2, 3]);
    encoded.fill(0);
    expect(Array.from(decoded.b)).toEqual([1, 2, 3]);
    expect(codec.decode(codec.encode({ ...base, b: Buffer.from([9]) })).b).toEqual(
      new Uint8Array([9]),
    );
  });

  it.each([
    { b: new Uint8Array(4), message: /4 bytes is more than its maxBytes of 3/ },
    { b: [1, 2], message: /expected a Uint8Array, got an array of 2/ },
    { b: 'abc', message: /expected a Uint8Array/ },
  ])('refuses bytes $b', ({ b, message }) => {
    expect(serializationMessage(() => codec.encode({ ...base, b } as never))).toMatch(message);
  });

  it.each([
    {
      xs: [1],
      message: /^field "xs" \(array\): expected an array of exactly 2, got an array of 1/,
    },
    { xs: [1, 2, 3], message: /exactly 2/ },
    { xs: 'ab', message: /exactly 2/ },
    { xs: [1, 40000], message: /^field "xs"\[1\] \(i16\)/ },
  ])('refuses the array $xs', ({ xs, message }) => {
    expect(serializationMessage(() => codec.encode({ ...base, xs } as never))).toMatch(message);
  });

  it('accepts a string of exactly 65,535 bytes when the schema allows it', () => {
    const big = defineStruct({ s: { type: 'string', maxBytes: 65535 } });
    const s = 'x'.repeat(65535);
    expect(big.decode(big.encode({ s })).s).toBe(s);
  });
});

describe('defineStruct: hostile bytes', () => {
  const codec = defineStruct({
    id: 'u16',
    flag: 'bool',
    name: { type: 'string', maxBytes: 6 },
    raw: { type: 'bytes', maxBytes: 2 },
    xs: { type: 'array', of: 'u8', length: 2 },
  });
  const good = codec.encode({
    id: 1,
    flag: true,
    name: 'héllo',
    raw: new Uint8Array([7]),
    xs: [1, 2],
  });

  it('refuses every truncation of a good message, naming the field that ran out', () => {
    for (let length = 0; length < good.length; length++) {
      const message = serializationMessage(() => codec.decode(good.subarray(0, length)));
      expect(message, `cut at ${length} bytes`).toMatch(
        /^truncated: field "\w+" needs \d+ byte\(s\) at byte \d+/,
      );
      expect(message).toContain(`ends at byte ${length}`);
    }
  });

  it('refuses trailing bytes in decode, and leaves them to the caller in decodeFrom', () => {
    const longer = new Uint8Array([...good, 0]);
    expect(serializationMessage(() => codec.decode(longer))).toMatch(
      /^1 trailing byte\(s\) after the last field "xs"/,
    );
    expect(codec.decodeFrom(longer).bytesRead).toBe(good.length);
  });

  it.each([
    {
      name: 'a string length past maxBytes',
      bytes: '0001 01 0007 68656c6c6f2121 0000 0102',
      message: /field "name" \(string\) at byte 3: declares 7 bytes, more than its maxBytes of 6/,
    },
    {
      name: 'a string length past the end',
      bytes: '0001 01 0006 6869',
      message: /truncated: field "name" needs 6 byte\(s\) at byte 5/,
    },
    {
      name: 'a bytes length of 65535',
      bytes: '0001 01 0000 ffff',
      message: /field "raw" \(bytes\) at byte 5: declares 65535 bytes/,
    },
    {
      name: 'a bool of 2',
      bytes: '0001 02 0000 0000 0102',
      message: /field "flag" \(bool\) at byte 2: expected 0 or 1, got 0x02/,
    },
    {
      name: 'a stray continuation byte',
      bytes: '0001 01 0001 80 0000 0102',
      message: /field "name" \(string\) at byte 5: not valid UTF-8/,
    },
    { name: 'an overlong NUL', bytes: '0001 01 0002 c080 0000 0102', message: /not valid UTF-8/ },
    {
      name: 'an encoded surrogate',
      bytes: '0001 01 0003 eda080 0000 0102',
      message: /not valid UTF-8/,
    },
    {
      name: 'a cut multi-byte sequence',
      bytes: '0001 01 0001 c3 0000 0102',
      message: /not valid UTF-8/,
    },
    { name: '0xff', bytes: '0001 01 0001 ff 0000 0102', message: /not valid UTF-8/ },
    {
      name: 'a code point past U+10FFFF',
      bytes: '0001 01 0004 f4908080 0000 0102',
      message: /not valid UTF-8/,
    },
  ])('refuses $name', ({ bytes, message }) => {
    expect(serializationMessage(() => codec.decode(fromHex(bytes)))).toMatch(message);
  });

  it('throws only SerializationError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        try {
          const value = codec.decode(bytes);
          expect(toHex(codec.encode(value))).toBe(toHex(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(SerializationError);
        }
      }),
    );
  });
});

describe('defineStruct: schema checks', () => {
  it.each([
    { schema: { a: 'u128' }, error: TypeError, message: /field "a": unknown type "u128"/ },
    { schema: { a: { type: 'map' } }, error: TypeError, message: /unknown type "map"/ },
    { schema: { a: null }, error: TypeError, message: /unknown type null/ },
    {
      schema: { a: { type: 'string', maxBytes: 65536 } },
      error: RangeError,
      message: /0 to 65535/,
    },
    { schema: { a: { type: 'bytes', maxBytes: -1 } }, error: RangeError, message: /got -1/ },
    { schema: { a: { type: 'string', maxBytes: 1.5 } }, error: TypeError, message: /got 1\.5/ },
    {
      schema: { a: { type: 'array', of: 'u8', length: 0 } },
      error: RangeError,
      message: /1 to 4096/,
    },
    {
      schema: { a: { type: 'array', of: 'string', length: 2 } },
      error: TypeError,
      message: /not a scalar/,
    },
    { schema: JSON.parse('{"__proto__":"u8"}'), error: TypeError, message: /__proto__/ },
    { schema: {}, error: RangeError, message: /at least one field/ },
    { schema: [], error: TypeError, message: /must be an object/ },
  ])('refuses $schema', ({ schema, error, message }) => {
    expect(() => defineStruct(schema as never)).toThrow(error);
    expect(() => defineStruct(schema as never)).toThrow(message);
  });

  it('refuses a littleEndian that is not a boolean', () => {
    expect(() => defineStruct({ a: 'u8' }, { littleEndian: 'yes' as never })).toThrow(TypeError);
  });
});

describe('defineStruct: round trips (property)', () => {
  const schema = {
    a: 'u8',
    b: 'i8',
    c: 'u16',
    d: 'i16',
    e: 'u32',
    f: 'i32',
    g: 'f32',
    h: 'f64',
    i: 'bool',
    j: 'u64',
    k: 'i64',
    s: { type: 'string', maxBytes: 40 },
    raw: { type: 'bytes', maxBytes: 16 },
    xs: { type: 'array', of: 'f32', length: 3 },
  } as const;
  const f32 = fc.float();
  const arbitrary: fc.Arbitrary<StructValue<typeof schema>> = fc.record({
    a: fc.integer({ min: 0, max: 255 }),
    b: fc.integer({ min: -128, max: 127 }),
    c: fc.integer({ min: 0, max: 65535 }),
    d: fc.integer({ min: -32768, max: 32767 }),
    e: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    f: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    g: f32,
    h: fc.double(),
    i: fc.boolean(),
    j: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    k: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    s: fc.string({ unit: 'grapheme', maxLength: 10 }).filter((s) => Buffer.byteLength(s) <= 40),
    raw: fc.uint8Array({ maxLength: 16 }),
    xs: fc.array(f32, { minLength: 3, maxLength: 3 }),
  });

  it.each([false, true])(
    'decode(encode(v)) equals v for every value (littleEndian %s)',
    (littleEndian) => {
      const codec = defineStruct(schema, { littleEndian });
      fc.assert(
        fc.property(arbitrary, (value) => {
          const bytes = codec.encode(value);
          expect(bytes.length).toBe(codec.byteLength(value));
          expect(bytes.length).toBeLessThanOrEqual(codec.maxByteLength);
          expect(codec.decode(bytes)).toEqual(value);
        }),
        { numRuns: 300 },
      );
    },
  );

  it('keeps -0 and NaN in floats', () => {
    const codec = defineStruct({ x: 'f64', y: 'f32' });
    const back = codec.decode(codec.encode({ x: -0, y: Number.NaN }));
    expect(Object.is(back.x, -0)).toBe(true);
    expect(back.y).toBeNaN();
  });
});
