import { describePieces, everySplit, fromHex, thrownBy } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { WebSocketError } from '../../src/errors.ts';
import { FrameParser, type FrameParserOptions } from '../../src/frame/parser.ts';
import { parsePieces, type ShownFrame } from './feed.ts';

const CLIENT: FrameParserOptions = { role: 'client' };
const SERVER: FrameParserOptions = { role: 'server' };
const KEY = '37fa213d';
const HELLO = '48656c6c6f';
/** "Hello" masked with KEY (RFC 6455 §5.7). */
const HELLO_MASKED = '7f9f4d5158';
const x256 = '61'.repeat(256);
const x126 = '00'.repeat(126);

const text = (payload: string, more: Partial<ShownFrame> = {}): ShownFrame => ({
  fin: true,
  opcode: 1,
  masked: false,
  payload,
  ...more,
});

interface Fixture {
  name: string;
  options: FrameParserOptions;
  wire: string;
  frames: ShownFrame[];
  /** The error the stream ends in, and after how many bytes it can be known (fail fast). */
  error?: { code: string; closeCode: number; decidedAt: number };
}

const protocolError = (decidedAt: number) => ({
  code: 'WEBSOCKET_ERR_PROTOCOL',
  closeCode: 1002,
  decidedAt,
});

const fixtures: Fixture[] = [
  // RFC 6455 §5.7's examples.
  { name: 'an unmasked text frame', options: CLIENT, wire: `8105 ${HELLO}`, frames: [text(HELLO)] },
  {
    name: 'a masked text frame',
    options: SERVER,
    wire: `8185 ${KEY} ${HELLO_MASKED}`,
    frames: [text(HELLO, { masked: true })],
  },
  {
    name: 'a fragmented unmasked text message',
    options: CLIENT,
    wire: '0103 48656c 8002 6c6f',
    frames: [text('48656c', { fin: false }), text('6c6f', { opcode: 0 })],
  },
  {
    name: 'an unmasked ping',
    options: CLIENT,
    wire: `8905 ${HELLO}`,
    frames: [text(HELLO, { opcode: 9 })],
  },
  {
    name: 'a masked pong',
    options: SERVER,
    wire: `8a85 ${KEY} ${HELLO_MASKED}`,
    frames: [text(HELLO, { opcode: 10, masked: true })],
  },
  {
    name: 'a 256-byte binary frame (16-bit length)',
    options: CLIENT,
    wire: `827e 0100 ${x256}`,
    frames: [text(x256, { opcode: 2 })],
  },
  // Edges.
  { name: 'an empty frame', options: CLIENT, wire: '8200', frames: [text('', { opcode: 2 })] },
  {
    name: 'an empty masked frame',
    options: SERVER,
    wire: `8280 ${KEY}`,
    frames: [text('', { opcode: 2, masked: true })],
  },
  {
    name: 'a 125-byte ping, the longest control frame',
    options: CLIENT,
    wire: `897d ${'00'.repeat(125)}`,
    frames: [text('00'.repeat(125), { opcode: 9 })],
  },
  {
    name: 'a close frame',
    options: CLIENT,
    wire: '8802 03e8',
    frames: [text('03e8', { opcode: 8 })],
  },
  {
    name: 'three frames back to back',
    options: CLIENT,
    wire: '8101 61 8900 8201 62',
    frames: [text('61'), text('', { opcode: 9 }), text('62', { opcode: 2 })],
  },
  {
    name: 'a non-minimal 16-bit length (accepted, see FrameParser)',
    options: CLIENT,
    wire: '827e 0003 616263',
    frames: [text('616263', { opcode: 2 })],
  },
  {
    name: 'a non-minimal 64-bit length (accepted)',
    options: CLIENT,
    wire: '827f 0000000000000003 616263',
    frames: [text('616263', { opcode: 2 })],
  },
  {
    name: 'rsv1 when an extension allows it',
    options: { role: 'client', allowedReservedBits: ['rsv1'] },
    wire: 'c101 61',
    frames: [text('61', { rsv: 'rsv1' })],
  },
  {
    name: 'all reserved bits when extensions allow them',
    options: { role: 'client', allowedReservedBits: ['rsv1', 'rsv2', 'rsv3'] },
    wire: 'f101 61',
    frames: [text('61', { rsv: 'rsv1 rsv2 rsv3' })],
  },
  {
    name: 'a payload of exactly maxPayloadBytes',
    options: { role: 'client', maxPayloadBytes: 3 },
    wire: '8203 616263',
    frames: [text('616263', { opcode: 2 })],
  },
  // Errors: each is known as soon as the byte that decides it arrives.
  {
    name: 'an unmasked frame from a client',
    options: SERVER,
    wire: `8105 ${HELLO}`,
    frames: [],
    error: protocolError(2),
  },
  {
    name: 'a masked frame from a server',
    options: CLIENT,
    wire: `8185 ${KEY} ${HELLO_MASKED}`,
    frames: [],
    error: protocolError(2),
  },
  {
    name: 'rsv1 with no extension',
    options: CLIENT,
    wire: 'c101 61',
    frames: [],
    error: protocolError(2),
  },
  {
    name: 'rsv2 with no extension',
    options: CLIENT,
    wire: 'a101 61',
    frames: [],
    error: protocolError(2),
  },
  {
    name: 'rsv3 with no extension',
    options: CLIENT,
    wire: '9101 61',
    frames: [],
    error: protocolError(2),
  },
  {
    name: 'rsv2 when only rsv1 is allowed',
    options: { role: 'client', allowedReservedBits: ['rsv1'] },
    wire: 'e101 61',
    frames: [],
    error: protocolError(2),
  },
  ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map(
    (opcode): Fixture => ({
      name: `reserved opcode ${opcode}`,
      options: CLIENT,
      wire: `8101 61 ${(0x80 | opcode).toString(16)}00`,
      frames: [text('61')],
      error: protocolError(5),
    }),
  ),
  { name: 'a fragmented ping', options: CLIENT, wire: '0900', frames: [], error: protocolError(2) },
  {
    name: 'a fragmented close',
    options: CLIENT,
    wire: '0800',
    frames: [],
    error: protocolError(2),
  },
  {
    name: 'a ping declaring 126 bytes',
    options: CLIENT,
    wire: `897e 007e ${x126}`,
    frames: [],
    error: protocolError(2),
  },
  {
    name: 'a close declaring 126 bytes (64-bit length)',
    options: CLIENT,
    wire: '887f 000000000000007e',
    frames: [],
    error: protocolError(2),
  },
  {
    name: 'a 64-bit length with its most significant bit set',
    options: CLIENT,
    wire: '827f 8000000000000001 61',
    frames: [],
    error: protocolError(10),
  },
  {
    name: 'a payload over maxPayloadBytes (7-bit length)',
    options: { role: 'client', maxPayloadBytes: 3 },
    wire: '8204 61626364',
    frames: [],
    error: { code: 'WEBSOCKET_ERR_MESSAGE_TOO_BIG', closeCode: 1009, decidedAt: 2 },
  },
  {
    name: 'a payload over maxPayloadBytes (16-bit length), before its payload',
    options: { role: 'client', maxPayloadBytes: 255 },
    wire: '827e 0100',
    frames: [],
    error: { code: 'WEBSOCKET_ERR_MESSAGE_TOO_BIG', closeCode: 1009, decidedAt: 4 },
  },
  {
    name: 'a 2^53-byte payload (64-bit length)',
    options: CLIENT,
    wire: '827f 0020000000000000',
    frames: [],
    error: { code: 'WEBSOCKET_ERR_MESSAGE_TOO_BIG', closeCode: 1009, decidedAt: 10 },
  },
];

describe('FrameParser', () => {
  it.each(fixtures)(
    'reads $name in one chunk, at every split and byte by byte',
    ({ options, wire, frames, error }) => {
      const bytes = fromHex(wire);
      for (const pieces of everySplit(bytes)) {
        const outcome = parsePieces(options, pieces);
        const how = describePieces(pieces);
        expect(outcome.items, how).toEqual(frames);
        expect(outcome.error, how).toEqual(
          error && { code: error.code, closeCode: error.closeCode },
        );
      }
    },
  );

  it.each(fixtures.filter((f) => f.error !== undefined))(
    'fails on $name as soon as the deciding byte arrives',
    ({ options, wire, error }) => {
      const bytes = fromHex(wire);
      const byByte = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
      expect(parsePieces(options, byByte).errorAfter).toBe(error?.decidedAt);
    },
  );

  it('returns a payload that lies within one chunk as a view of that chunk', () => {
    const chunk = fromHex(`8105 ${HELLO} 8185 ${KEY} ${HELLO_MASKED}`);
    const parser = new FrameParser({ role: 'client' });
    const [frame] = parser.push(chunk.subarray(0, 7));
    expect(frame?.payload.buffer).toBe(chunk.buffer);
    const server = new FrameParser({ role: 'server' });
    const [masked] = server.push(chunk.subarray(7));
    expect(masked?.payload.toString()).toBe('Hello');
    expect(masked?.payload.buffer).toBe(chunk.buffer);
  });

  it('joins a payload that spans chunks, unmasking each piece at its offset', () => {
    const parser = new FrameParser({ role: 'server' });
    const wire = fromHex(`8185 ${KEY} ${HELLO_MASKED}`);
    expect(parser.push(wire.subarray(0, 7))).toEqual([]);
    expect(parser.bufferedBytes).toBe(7);
    expect(parser.push(wire.subarray(7, 9))).toEqual([]);
    const [frame] = parser.push(wire.subarray(9));
    expect(frame?.payload.toString()).toBe('Hello');
    expect(parser.bufferedBytes).toBe(0);
  });

  it('keeps failing with the same error after one', () => {
    const parser = new FrameParser({ role: 'server' });
    const first = thrownBy(() => parser.push(fromHex('8100')));
    expect(first).toBeInstanceOf(WebSocketError);
    expect(thrownBy(() => parser.push(fromHex(`8180 ${KEY}`)))).toBe(first);
  });

  it('refuses bad options synchronously', () => {
    expect(() => new FrameParser({ role: 'peer' as 'server' })).toThrow(TypeError);
    expect(() => new FrameParser({ role: 'server', maxPayloadBytes: -1 })).toThrow(RangeError);
    expect(() => new FrameParser({ role: 'server', maxPayloadBytes: 1.5 })).toThrow(TypeError);
    expect(
      () => new FrameParser({ role: 'server', allowedReservedBits: ['rsv4' as 'rsv1'] }),
    ).toThrow(TypeError);
  });
});
