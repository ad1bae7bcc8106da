import { describePieces, everySplit, fromHex, thrownBy } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { WebSocketError } from '../../src/errors.ts';
import { MessageAssembler, type MessageAssemblerOptions } from '../../src/frame/assembler.ts';
import { OPCODES } from '../../src/frame/constants.ts';
import type { Frame } from '../../src/frame/parser.ts';
import { assemblePieces, type ShownEvent } from './feed.ts';

const HELLO = '48656c6c6f';

interface Fixture {
  name: string;
  options?: MessageAssemblerOptions;
  /** Frames a server sends (unmasked), read by a client. */
  wire: string;
  events: ShownEvent[];
  error?: { code: string; closeCode: number; decidedAt: number };
}

const protocolError = (decidedAt: number) => ({
  code: 'WEBSOCKET_ERR_PROTOCOL',
  closeCode: 1002,
  decidedAt,
});
const utf8Error = (decidedAt: number) => ({
  code: 'WEBSOCKET_ERR_INVALID_UTF8',
  closeCode: 1007,
  decidedAt,
});
const badClose = (code: number): Fixture => ({
  name: `a close frame with code ${code}, which may not be sent`,
  wire: `8802 ${code.toString(16).padStart(4, '0')}`,
  events: [],
  error: protocolError(4),
});

const fixtures: Fixture[] = [
  { name: 'a text message', wire: `8105 ${HELLO}`, events: [{ type: 'text', data: 'Hello' }] },
  { name: 'an empty text message', wire: '8100', events: [{ type: 'text', data: '' }] },
  {
    name: 'a text message in two fragments (RFC 6455 §5.7)',
    wire: '0103 48656c 8002 6c6f',
    events: [{ type: 'text', data: 'Hello' }],
  },
  {
    name: 'a ping between the fragments, delivered first',
    wire: '0103 48656c 8901 78 8002 6c6f',
    events: [
      { type: 'ping', hex: '78' },
      { type: 'text', data: 'Hello' },
    ],
  },
  {
    name: 'a pong and a close between the fragments',
    wire: '0101 61 8a00 8802 03e8 8001 62',
    events: [
      { type: 'pong', hex: '' },
      { type: 'close', code: 1000, reason: '' },
      { type: 'text', data: 'ab' },
    ],
  },
  {
    name: 'a binary message in three fragments, the middle one empty',
    wire: '0201 61 0000 8001 62',
    events: [{ type: 'binary', hex: '6162' }],
  },
  {
    name: 'a "€" split across three fragments',
    wire: '0101 e2 0001 82 8001 ac',
    events: [{ type: 'text', data: '€' }],
  },
  {
    name: 'two messages in a row',
    wire: '8101 61 8201 ff',
    events: [
      { type: 'text', data: 'a' },
      { type: 'binary', hex: 'ff' },
    ],
  },
  {
    name: 'a message of exactly maxMessageBytes across fragments',
    options: { maxMessageBytes: 4 },
    wire: '0202 6162 8002 6364',
    events: [{ type: 'binary', hex: '61626364' }],
  },
  {
    name: 'an empty close frame',
    wire: '8800',
    events: [{ type: 'close', code: 1005, reason: '' }],
  },
  {
    name: 'a close frame with a code and a reason',
    wire: '8805 03e8 627965',
    events: [{ type: 'close', code: 1000, reason: 'bye' }],
  },
  {
    name: 'a close frame with code 3000',
    wire: '8802 0bb8',
    events: [{ type: 'close', code: 3000, reason: '' }],
  },
  {
    name: 'a close frame with code 4999 and a UTF-8 reason',
    wire: '8804 1387 c3a9',
    events: [{ type: 'close', code: 4999, reason: 'é' }],
  },
  // Errors.
  {
    name: 'a continuation frame with no message started',
    wire: '8001 61',
    events: [],
    error: protocolError(3),
  },
  {
    name: 'a new text frame while a message is in progress',
    wire: '0101 61 8101 62',
    events: [],
    error: protocolError(6),
  },
  {
    name: 'a new binary frame while a text message is in progress',
    wire: '0101 61 0201 62',
    events: [],
    error: protocolError(6),
  },
  {
    name: 'a text message that is not UTF-8',
    wire: '8102 c0af',
    events: [],
    error: utf8Error(3),
  },
  {
    name: 'a text message ending in the middle of a sequence',
    wire: '8101 e2',
    events: [],
    error: utf8Error(3),
  },
  {
    name: 'a text message whose last fragment leaves a sequence incomplete',
    wire: '0101 e2 8000',
    events: [],
    error: utf8Error(5),
  },
  {
    name: 'a surrogate across fragments, before the message ends (fail fast)',
    wire: '0101 ed 0001 a0',
    events: [],
    error: utf8Error(6),
  },
  {
    name: 'a message over maxMessageBytes across fragments, before it ends',
    options: { maxMessageBytes: 4 },
    wire: '0203 616263 0002 6465',
    events: [],
    error: { code: 'WEBSOCKET_ERR_MESSAGE_TOO_BIG', closeCode: 1009, decidedAt: 9 },
  },
  {
    name: 'a surrogate inside one frame, before the frame ends (fail fast)',
    wire: '810a 61eda080 616161616161',
    events: [],
    error: utf8Error(5),
  },
  {
    name: 'a message over maxMessageBytes inside one frame, before the frame ends',
    options: { maxMessageBytes: 4 },
    wire: '8206 616263646566',
    events: [],
    error: { code: 'WEBSOCKET_ERR_MESSAGE_TOO_BIG', closeCode: 1009, decidedAt: 7 },
  },
  { name: 'a 1-byte close payload', wire: '8801 03', events: [], error: protocolError(3) },
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map(badClose),
  {
    name: 'a close reason that is not UTF-8',
    wire: '8804 03e8 fffe',
    events: [],
    error: utf8Error(6),
  },
  {
    name: 'a close reason cut in the middle of a sequence',
    wire: '8803 03e8 e2',
    events: [],
    error: utf8Error(5),
  },
];

describe('MessageAssembler', () => {
  it.each(fixtures)(
    'reads $name in one chunk, at every split and byte by byte, with and without pushPiece()',
    ({ options, wire, events, error }) => {
      const bytes = fromHex(wire);
      for (const pieces of everySplit(bytes))
        for (const wired of [true, false]) {
          const outcome = assemblePieces({ role: 'client' }, options ?? {}, pieces, wired);
          const how = `${wired ? 'wired' : 'frames only'}\n${describePieces(pieces)}`;
          expect(outcome.items, how).toEqual(events);
          expect(outcome.error, how).toEqual(
            error && { code: error.code, closeCode: error.closeCode },
          );
        }
    },
  );

  it.each(fixtures.filter((f) => f.error !== undefined))(
    'fails on $name as soon as the byte that decides it arrives',
    ({ options, wire, error }) => {
      const bytes = fromHex(wire);
      const byByte = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
      expect(assemblePieces({ role: 'client' }, options ?? {}, byByte).errorAfter).toBe(
        error?.decidedAt,
      );
    },
  );

  it('reports whether a fragmented message is in progress', () => {
    const frame = (opcode: number, fin: boolean): Frame => ({
      fin,
      opcode,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      masked: false,
      payload: Buffer.from('x'),
    });
    const assembler = new MessageAssembler();
    expect(assembler.push(frame(2, false))).toEqual([]);
    expect(assembler.inMessage).toBe(true);
    expect(assembler.push(frame(0, true))).toEqual([{ type: 'binary', data: Buffer.from('xx') }]);
    expect(assembler.inMessage).toBe(false);
    const first = thrownBy(() => assembler.push(frame(0, true)));
    expect(first).toBeInstanceOf(WebSocketError);
    expect(thrownBy(() => assembler.push(frame(2, true)))).toBe(first);
  });

  it('without pushPiece(), fails on UTF-8 inside a frame only once the frame is complete', () => {
    const bytes = fromHex('810a 61eda080 616161616161');
    const byByte = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    expect(assemblePieces({ role: 'client' }, {}, byByte, false).errorAfter).toBe(12);
  });

  it('ignores pieces of control frames and checks each data byte once', () => {
    const assembler = new MessageAssembler({ maxMessageBytes: 3 });
    assembler.pushPiece(OPCODES.PING, Buffer.from('ignored'));
    assembler.pushPiece(OPCODES.TEXT, Buffer.from('ab'));
    const frame: Frame = {
      fin: true,
      opcode: OPCODES.TEXT,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      masked: false,
      payload: Buffer.from('abc'),
    };
    // 'ab' counted once: 3 bytes in all, not 5.
    expect(assembler.push(frame)).toEqual([{ type: 'text', data: 'abc' }]);
  });

  it('refuses a bad maxMessageBytes synchronously', () => {
    expect(() => new MessageAssembler({ maxMessageBytes: -1 })).toThrow(RangeError);
  });
});
