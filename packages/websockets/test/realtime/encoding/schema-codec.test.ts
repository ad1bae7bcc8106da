import { RealtimeError } from '@socketlab/websockets/realtime';
import { describe, expect, it } from 'vitest';
import { createSchemaCodec, listOf, SCHEMA_HEADER_BYTES } from '../../../src/realtime/index.ts';
import { CHAT, EVENTS, schemaCodec, snapshot } from './fixtures.ts';

function expectEncodingError(work: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    work();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(RealtimeError);
  expect((caught as RealtimeError).code).toBe('REALTIME_ERR_ENCODING');
  expect((caught as RealtimeError).message).toMatch(message);
}

describe('createSchemaCodec', () => {
  const codec = schemaCodec();

  it('writes the header (event id u16, version u8) then the fields with no names', () => {
    const bytes = codec.encode({ event: 'ack', args: [{ seq: 258, ok: true }] });
    expect(Buffer.from(bytes).toString('hex')).toBe('0004' + '01' + '00000102' + '01');
    expect(codec.decode(bytes)).toEqual({ event: 'ack', args: [{ seq: 258, ok: true }] });
  });

  it('writes a list as a u16 count then its items, in schema order around plain fields', () => {
    const value = { tick: 7, moved: [{ id: 1, x: 0.5, y: -2, hp: 9, flags: 1 }], left: [] };
    const bytes = codec.encode({ event: 'snapshot', args: [value] });
    expect(Buffer.from(bytes).toString('hex')).toBe(
      ['000203', '00000007', '0001', '0001', '3f000000', 'c0000000', '09', '01', '0000'].join(''),
    );
    expect(codec.decode(bytes).args[0]).toEqual(value);
  });

  it('round-trips a chat message, a 50-entity snapshot and bytes', () => {
    for (const message of [
      { event: 'chat', args: [CHAT] },
      { event: 'snapshot', args: [snapshot(50)] },
      { event: 'upload', args: [{ name: 'a.bin', data: new Uint8Array([0, 1, 255]) }] },
    ] as const) {
      expect(codec.decode(codec.encode(message))).toEqual(message);
    }
    expect(codec.encode({ event: 'snapshot', args: [snapshot(50)] }).byteLength).toBe(
      SCHEMA_HEADER_BYTES + 4 + 2 + 50 * 12 + 2 + 2 * 2,
    );
  });

  it('knows its events by name', () => {
    expect(codec.events).toEqual(['chat', 'snapshot', 'upload', 'ack']);
    expect(codec.hasEvent('chat')).toBe(true);
    expect(codec.hasEvent('toString')).toBe(false);
  });

  it('refuses to encode an unknown event, a wrong argument count or a value out of its schema', () => {
    expectEncodingError(
      () => codec.encode({ event: 'nope', args: [{}] } as never),
      /no schema for the event "nope"/,
    );
    expectEncodingError(
      () => codec.encode({ event: 'ack', args: [] } as never),
      /exactly one argument/,
    );
    expectEncodingError(
      () => codec.encode({ event: 'ack', args: [{ seq: -1, ok: true }] }),
      /event "ack".*field "seq"/,
    );
    const tooMany = { ...snapshot(0), left: Array.from({ length: 257 }, () => ({ id: 1 })) };
    expectEncodingError(
      () => codec.encode({ event: 'snapshot', args: [tooMany] }),
      /257 items, more than its maxItems 256/,
    );
  });

  it('refuses an unknown id, another version, a short header, trailing bytes', () => {
    expectEncodingError(() => codec.decode(Uint8Array.of(0, 99, 1, 0)), /no event has the id 99/);
    expectEncodingError(
      () => codec.decode(Uint8Array.of(0, 2, 2, 0, 0, 0, 1, 0, 0, 0, 0)),
      /"snapshot" arrived in version 2; this side knows version 3/,
    );
    expectEncodingError(() => codec.decode(Uint8Array.of(0, 4)), /shorter than the 3-byte header/);
    const ack = codec.encode({ event: 'ack', args: [{ seq: 1, ok: false }] });
    expectEncodingError(() => codec.decode(Buffer.concat([ack, Uint8Array.of(0)])), /trailing/);
  });

  it('refuses every truncation of a valid message', () => {
    const bytes = codec.encode({ event: 'snapshot', args: [snapshot(3)] });
    for (let length = 0; length < bytes.byteLength; length++) {
      expectEncodingError(() => codec.decode(bytes.subarray(0, length)), /./);
    }
  });

  it('refuses a list count past maxItems, or past what the bytes left can hold, before making the list', () => {
    // snapshot, tick 0, then a count of 0xffff
    const hostile = Uint8Array.of(0, 2, 3, 0, 0, 0, 0, 0xff, 0xff);
    expectEncodingError(() => codec.decode(hostile), /65535 items, more than its maxItems 256/);
    const short = Uint8Array.of(0, 2, 3, 0, 0, 0, 0, 0, 200, 1, 2, 3);
    expectEncodingError(
      () => codec.decode(short),
      /declares 200 items of at least 12 bytes, but only 3 bytes are left/,
    );
  });

  it('refuses a message larger than maxMessageBytes before reading it', () => {
    const small = createSchemaCodec(EVENTS, { maxMessageBytes: 64 });
    expectEncodingError(
      () => small.decode(new Uint8Array(65)),
      /65 bytes, more than maxMessageBytes 64/,
    );
    expectEncodingError(
      () => small.encode({ event: 'snapshot', args: [snapshot(10)] }),
      /more than maxMessageBytes 64/,
    );
  });

  it('keeps a string length prefix past maxBytes or invalid UTF-8 out, as stage 2 does', () => {
    // ack is fixed-size; chat: room length 0xffff > 64
    expectEncodingError(() => codec.decode(Uint8Array.of(0, 1, 1, 0xff, 0xff)), /maxBytes of 64/);
    expectEncodingError(
      () => codec.decode(Uint8Array.of(0, 1, 1, 0, 1, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
      /not valid UTF-8/,
    );
  });

  it('writes little-endian fields when asked, with the header still big-endian', () => {
    const le = createSchemaCodec({ ack: EVENTS.ack }, { littleEndian: true });
    const bytes = le.encode({ event: 'ack', args: [{ seq: 258, ok: true }] });
    expect(Buffer.from(bytes).toString('hex')).toBe('000401' + '02010000' + '01');
  });

  it('checks schemas when they are made', () => {
    expect(() => createSchemaCodec({})).toThrow(RangeError);
    expect(() =>
      createSchemaCodec({ a: { id: 1, fields: { x: 'u8' } }, b: { id: 1, fields: { y: 'u8' } } }),
    ).toThrow(/share the id 1/);
    expect(() => createSchemaCodec({ a: { id: 70_000, fields: { x: 'u8' } } })).toThrow(RangeError);
    expect(() => createSchemaCodec({ a: { id: 1, version: 256, fields: { x: 'u8' } } })).toThrow(
      RangeError,
    );
    expect(() =>
      createSchemaCodec({ a: { id: 1, fields: { l: listOf({ x: 'u8' }, { maxItems: 70_000 }) } } }),
    ).toThrow(RangeError);
    expect(() => createSchemaCodec({ a: { id: 1, fields: {} } })).toThrow(RangeError);
    expect(() => createSchemaCodec({ a: { id: 1, fields: { x: 'u12' as never } } })).toThrow(
      TypeError,
    );
  });

  it('infers each event value from its schema', () => {
    const typed = schemaCodec();
    const message = typed.decode(typed.encode({ event: 'ack', args: [{ seq: 1, ok: true }] }));
    if (message.event === 'ack') {
      const seq: number = message.args[0].seq;
      expect(seq).toBe(1);
    }
  });
});
