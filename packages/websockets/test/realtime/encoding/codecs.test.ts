import { RealtimeError } from '@socketlab/websockets/realtime';
import { describe, expect, it } from 'vitest';
import {
  createJsonCodec,
  createMsgpackCodec,
  type MessageCodec,
} from '../../../src/realtime/index.ts';

function encodingErrorOf(work: () => unknown): RealtimeError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(RealtimeError);
    expect((error as RealtimeError).code).toBe('REALTIME_ERR_ENCODING');
    return error as RealtimeError;
  }
  throw new Error('expected a REALTIME_ERR_ENCODING error, nothing was thrown');
}

const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

describe.each<[string, () => MessageCodec]>([
  ['json', () => createJsonCodec()],
  ['msgpack', () => createMsgpackCodec()],
])('the %s codec', (name, make) => {
  const codec = make();

  it('is named', () => {
    expect(codec.name).toBe(name);
  });

  it('round-trips plain values, with bytes anywhere in them', () => {
    const value = {
      text: 'héllo',
      n: [0, -1, 1.5, 2 ** 40],
      ok: true,
      none: null,
      file: { name: 'a', bytes: new Uint8Array([0, 1, 2, 255]) },
    };
    const back = codec.decode(codec.encode(value)) as typeof value;
    expect({ ...back, file: { ...back.file, bytes: [...back.file.bytes] } }).toEqual({
      ...value,
      file: { ...value.file, bytes: [0, 1, 2, 255] },
    });
    expect(back.file.bytes).toBeInstanceOf(Uint8Array);
  });

  it('leaves undefined properties out, as JSON does', () => {
    expect(codec.decode(codec.encode({ a: 1, b: undefined }))).toEqual({ a: 1 });
  });

  it('refuses nesting deeper than maxDepth both ways', () => {
    const shallow =
      name === 'json' ? createJsonCodec({ maxDepth: 4 }) : createMsgpackCodec({ maxDepth: 4 });
    expect(shallow.decode(shallow.encode(nested(4)))).toEqual(nested(4));
    encodingErrorOf(() => shallow.encode(nested(5)));
    encodingErrorOf(() => shallow.decode(make().encode(nested(5))));
  });

  it('refuses a message larger than maxMessageBytes both ways', () => {
    const small =
      name === 'json'
        ? createJsonCodec({ maxMessageBytes: 16 })
        : createMsgpackCodec({ maxMessageBytes: 16 });
    const big = codec.encode({ text: 'x'.repeat(20) });
    expect(encodingErrorOf(() => small.decode(big)).message).toMatch(/maxMessageBytes 16/);
    encodingErrorOf(() => small.encode({ text: 'x'.repeat(20) }));
  });

  it('turns garbage into REALTIME_ERR_ENCODING with the cause kept', () => {
    const error = encodingErrorOf(() => codec.decode(Uint8Array.of(0xc1, 0x7b, 0x22)));
    expect(error.message).toMatch(new RegExp(`^${name} decode|^msgpack:`));
    encodingErrorOf(() => codec.decode(new Uint8Array(0)));
  });

  it('checks its options', () => {
    expect(() =>
      name === 'json' ? createJsonCodec({ maxDepth: 0 }) : createMsgpackCodec({ maxDepth: 0 }),
    ).toThrow(RangeError);
  });
});

describe('createJsonCodec', () => {
  const json = createJsonCodec();

  it('writes JSON text, bytes as {"$binary": base64}', () => {
    const bytes = json.encode({ a: Buffer.from('hi') });
    expect(Buffer.from(bytes).toString()).toBe('{"a":{"$binary":"aGk="}}');
  });

  it('refuses a value JSON would change (NaN, a Map, a bigint) and an object shaped like bytes', () => {
    encodingErrorOf(() => json.encode({ n: Number.NaN }));
    encodingErrorOf(() => json.encode({ m: new Map() }));
    encodingErrorOf(() => json.encode({ b: 1n }));
    expect(encodingErrorOf(() => json.encode({ $binary: 'aGk=' })).message).toMatch(
      /stands for bytes/,
    );
  });

  it('refuses $binary that is not base64', () => {
    encodingErrorOf(() => json.decode(Buffer.from('{"$binary":"a*=="}')));
    encodingErrorOf(() => json.decode(Buffer.from('{"$binary":1}')));
  });

  it('refuses invalid UTF-8', () => {
    encodingErrorOf(() => json.decode(Uint8Array.of(0x22, 0xff, 0x22)));
  });
});

describe('createMsgpackCodec', () => {
  const msgpack = createMsgpackCodec({ maxArrayLength: 1_000, maxStrLength: 100 });

  it('writes MessagePack', () => {
    expect([...msgpack.encode({ x: 1 })]).toEqual([0x81, 0xa1, 0x78, 0x01]);
  });

  it.each([
    [
      'an array32 claiming 4 GiB items',
      [0xdd, 0xff, 0xff, 0xff, 0xff],
      /more than maxArrayLength 1000/,
    ],
    ['a str32 claiming 4 GiB', [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61], /more than maxStrLength 100/],
    ['a bin32 claiming 4 GiB', [0xc6, 0xff, 0xff, 0xff, 0xff], /more than maxBinLength/],
    ['a map32 claiming 4 GiB', [0xdf, 0xff, 0xff, 0xff, 0xff], /more than maxMapLength/],
    [
      'an array claiming more items than the bytes',
      [0xdc, 0x03, 0xe8, 0x01],
      /more items than the message's 4 bytes/,
    ],
    ['a string longer than the bytes left', [0xa5, 0x61], /truncated/],
    ['the unused type byte 0xc1', [0xc1], /not a type MessagePack uses/],
    ['trailing bytes', [0x01, 0x02], /trailing/],
  ])('refuses %s before decoding', (_, bytes, message) => {
    expect(encodingErrorOf(() => msgpack.decode(Uint8Array.from(bytes))).message).toMatch(message);
  });

  it('refuses arrays nested so each claims what the bytes left could hold', () => {
    // [[[[…]]]]: each array16 claims 1000 items; together far more than the message's bytes.
    const bytes = Buffer.concat(Array.from({ length: 20 }, () => Buffer.from([0xdc, 0x03, 0xe8])));
    const big = createMsgpackCodec({ maxArrayLength: 1_000 });
    expect(
      encodingErrorOf(() => big.decode(Buffer.concat([bytes, Buffer.alloc(1000)]))).message,
    ).toMatch(/more items than the message/);
  });

  it('refuses the key __proto__ (the library does)', () => {
    const bytes = Uint8Array.of(0x81, 0xa9, ...Buffer.from('__proto__'), 0x01);
    encodingErrorOf(() => msgpack.decode(bytes));
  });
});
