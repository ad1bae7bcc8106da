/**
 * Properties of every codec, under fast-check with a fixed seed (change SEED, or read the one a
 * failure prints, to replay): decoding any bytes fails only with REALTIME_ERR_ENCODING, valid
 * values round-trip, and a hostile length is refused before anything its size is allocated.
 */
import { Decoder } from '@msgpack/msgpack';
import { RealtimeError } from '@socketlab/websockets/realtime';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  createJsonCodec,
  createMsgpackCodec,
  createSocketIoParser,
  type MessageCodec,
} from '../../../src/realtime/index.ts';
import { schemaCodec } from './fixtures.ts';

const SEED = 20_261_204;
const RUNS = 400;

const CODECS: [string, () => MessageCodec<unknown>][] = [
  ['json', () => createJsonCodec({ maxMessageBytes: 4096 })],
  ['msgpack', () => createMsgpackCodec({ maxMessageBytes: 4096, maxArrayLength: 256 })],
  ['schema', () => schemaCodec() as MessageCodec<unknown>],
];

/** Runs `decode` and fails the property if it throws anything but REALTIME_ERR_ENCODING. */
function decodesOrRefuses(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof RealtimeError) || error.code !== 'REALTIME_ERR_ENCODING') {
      throw new Error(`threw something other than REALTIME_ERR_ENCODING: ${String(error)}`, {
        cause: error,
      });
    }
  }
}

/** Bytes that start like real messages of each codec, so the fuzzer gets past the first check. */
const PREFIXES: Record<string, fc.Arbitrary<Uint8Array>> = {
  json: fc.constantFrom(
    ...['{"a":', '[', '{"$binary":"', '"\\u', '[[[[', '1e'].map((t) => Buffer.from(t)),
  ),
  msgpack: fc.constantFrom(
    ...[
      [0x81],
      [0xdd, 0, 0, 0],
      [0xdb, 0xff],
      [0xc6, 0, 0],
      [0xde, 0],
      [0xc7, 4, 0xff],
      [0xd6, 0xff],
    ].map((b) => Uint8Array.from(b)),
  ),
  schema: fc.constantFrom(
    ...[
      [0, 1, 1],
      [0, 2, 3],
      [0, 3, 1],
      [0, 4, 1],
      [0, 2, 3, 0, 0, 0, 0],
    ].map((b) => Uint8Array.from(b)),
  ),
};

const anyBytes = (name: string): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc
      .tuple(PREFIXES[name] as fc.Arbitrary<Uint8Array>, fc.uint8Array({ maxLength: 300 }))
      .map(([head, tail]) => Buffer.concat([head, tail])),
  );

describe.each(CODECS)('the %s codec under fuzzing (seed 20261204)', (name, make) => {
  it('throws nothing but REALTIME_ERR_ENCODING when decoding any bytes', () => {
    const codec = make();
    fc.assert(
      fc.property(anyBytes(name), (bytes) => decodesOrRefuses(() => codec.decode(bytes))),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('throws nothing but REALTIME_ERR_ENCODING as a Socket.IO Decoder', () => {
    const { Decoder: PacketDecoder } = createSocketIoParser(make() as never);
    fc.assert(
      fc.property(anyBytes(name), fc.boolean(), (bytes, tagged) => {
        const decoder = new PacketDecoder();
        decoder.on('decoded', () => {});
        const input =
          tagged && name === 'schema' ? Buffer.concat([Uint8Array.of(0), bytes]) : bytes;
        decodesOrRefuses(() => decoder.add(input));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('round trips (seed 20261204)', () => {
  const noProtoKey = (value: unknown): boolean => !JSON.stringify(value).includes('"__proto__"');

  it.each([
    ['json', createJsonCodec()],
    ['msgpack', createMsgpackCodec()],
  ] as const)('the %s codec decodes every JSON value it encodes to an equal value', (_, codec) => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        fc.pre(noProtoKey(value));
        expect(codec.decode(codec.encode(value))).toEqual(value);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the schema codec decodes every valid chat, snapshot and upload it encodes', () => {
    const codec = schemaCodec();
    const text = (maxBytes: number) =>
      fc
        .string({ unit: 'grapheme', maxLength: 40 })
        .filter((s) => Buffer.byteLength(s) <= maxBytes);
    const f32 = fc.float({ noNaN: true });
    const message = fc.oneof(
      fc
        .record({
          room: text(64),
          from: text(32),
          text: text(2000),
          sentAt: fc.double({ noNaN: true }),
        })
        .map((v) => ({ event: 'chat' as const, args: [v] as const })),
      fc
        .record({
          tick: fc.nat({ max: 0xffff_ffff }),
          moved: fc.array(
            fc.record({
              id: fc.nat({ max: 0xffff }),
              x: f32,
              y: f32,
              hp: fc.nat({ max: 255 }),
              flags: fc.nat({ max: 255 }),
            }),
            { maxLength: 256 },
          ),
          left: fc.array(fc.record({ id: fc.nat({ max: 0xffff }) }), { maxLength: 256 }),
        })
        .map((v) => ({ event: 'snapshot' as const, args: [v] as const })),
      fc
        .record({ name: text(100), data: fc.uint8Array({ maxLength: 4096 }) })
        .map((v) => ({ event: 'upload' as const, args: [v] as const })),
    );
    fc.assert(
      fc.property(message, (m) => {
        const back = codec.decode(codec.encode(m));
        expect(back.event).toBe(m.event);
        expect(back.args[0]).toEqual(m.args[0]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe('hostile lengths are refused before allocation (seed 20261204)', () => {
  /**
   * Spies on Buffer's allocators for the rest of the test; `measure(work)` returns the largest
   * size asked while `work` ran.
   */
  function allocationMeter(): (work: () => void) => number {
    let largest = 0;
    for (const method of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
      const original = Buffer[method].bind(Buffer) as (size: number, ...rest: never[]) => Buffer;
      const spy = vi.spyOn(Buffer, method).mockImplementation(((size: number, ...rest: never[]) => {
        largest = Math.max(largest, size);
        return original(size, ...rest);
      }) as never);
      onTestFinished(() => spy.mockRestore());
    }
    return (work) => {
      largest = 0;
      work();
      return largest;
    };
  }

  it('msgpack: a str, bin, array or map claiming up to 4 GiB is refused by the scan, before the library decodes', () => {
    const codec = createMsgpackCodec({ maxArrayLength: 1_000, maxMapLength: 1_000 });
    const decode = vi.spyOn(Decoder.prototype, 'decode');
    onTestFinished(() => decode.mockRestore());
    const hostile = fc
      .tuple(
        fc.constantFrom(0xdb, 0xc6, 0xdd, 0xdf, 0xc9),
        fc.integer({ min: 1_001, max: 0xffff_ffff }),
        fc.uint8Array({ maxLength: 64 }),
      )
      .map(([head, length, tail]) => {
        const bytes = Buffer.alloc(5 + (head === 0xc9 ? 1 : 0) + tail.byteLength);
        bytes[0] = head;
        bytes.writeUInt32BE(length, 1);
        bytes.set(tail, bytes.byteLength - tail.byteLength);
        return Uint8Array.from(bytes);
      });
    const largestAllocation = allocationMeter();
    fc.assert(
      fc.property(hostile, (bytes) => {
        let error: unknown;
        const largest = largestAllocation(() => {
          try {
            codec.decode(bytes);
          } catch (e) {
            error = e;
          }
        });
        expect(error).toBeInstanceOf(RealtimeError);
        expect((error as RealtimeError).message).toMatch(/more than max\w+|truncated|more items/);
        expect(largest).toBeLessThanOrEqual(bytes.byteLength);
      }),
      { seed: SEED, numRuns: 200 },
    );
    expect(decode).not.toHaveBeenCalled();
  });

  it('schema: a list count or a string length past its limit is refused, allocating nothing near its size', () => {
    const codec = schemaCodec();
    const hostile = fc
      .tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 64 }), fc.boolean())
      .map(([count, tail, list]) => {
        // snapshot: header, tick, then the `moved` count; or chat: header, then the `room` length
        const head = list ? [0, 2, 3, 0, 0, 0, 1] : [0, 1, 1];
        return Buffer.concat([
          Uint8Array.from(head),
          Uint8Array.of(count >> 8, count & 0xff),
          tail,
        ]);
      });
    const largestAllocation = allocationMeter();
    expect(
      largestAllocation(() => Buffer.allocUnsafe(10)),
      'the meter sees allocations',
    ).toBe(10);
    fc.assert(
      fc.property(hostile, (bytes) => {
        const largest = largestAllocation(() => decodesOrRefuses(() => codec.decode(bytes)));
        expect(largest).toBeLessThanOrEqual(bytes.byteLength);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
