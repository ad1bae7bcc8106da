import { fromHex, seededBytes, toHex } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { OPCODES } from '../../src/frame/constants.ts';
import { encodeClose, encodeClosePayload, encodeFrame } from '../../src/frame/encoder.ts';
import { type Frame, FrameParser } from '../../src/frame/parser.ts';
import { randomPieces, seededRandom } from './feed.ts';

const wire = (buffers: Buffer[]) => toHex(Buffer.concat(buffers));
const KEY = fromHex('37fa213d');

describe('encodeFrame', () => {
  it.each([
    {
      name: 'an unmasked text frame',
      options: { opcode: 1, payload: Buffer.from('Hello') },
      hex: '810548656c6c6f',
    },
    {
      name: 'a masked text frame',
      options: { opcode: 1, payload: Buffer.from('Hello'), mask: KEY },
      hex: '818537fa213d7f9f4d5158',
    },
    {
      name: 'a first fragment',
      options: { opcode: 1, fin: false, payload: Buffer.from('Hel') },
      hex: '010348656c',
    },
    {
      name: 'a last fragment',
      options: { opcode: 0, payload: Buffer.from('lo') },
      hex: '80026c6f',
    },
    {
      name: 'an unmasked ping',
      options: { opcode: 9, payload: Buffer.from('Hello') },
      hex: '890548656c6c6f',
    },
    {
      name: 'a masked pong',
      options: { opcode: 10, payload: Buffer.from('Hello'), mask: KEY },
      hex: '8a8537fa213d7f9f4d5158',
    },
    { name: 'an empty binary frame', options: { opcode: 2 }, hex: '8200' },
    {
      name: 'rsv1 set',
      options: { opcode: 1, rsv1: true, payload: Buffer.from('a') },
      hex: 'c10161',
    },
  ])('encodes $name as RFC 6455 §5.7 shows', ({ options, hex }) => {
    expect(wire(encodeFrame(options))).toBe(hex);
  });

  it('returns an unmasked payload itself, after its header, without copying it', () => {
    const payload = Buffer.alloc(70_000, 0x61);
    const [header, body] = encodeFrame({ opcode: OPCODES.BINARY, payload });
    expect(toHex(header as Buffer)).toBe('827f0000000000011170');
    expect(body).toBe(payload);
  });

  it('masks a copy, leaving the caller payload as it was, with a fresh random key by default', () => {
    const payload = Buffer.from('unchanged');
    const [a] = encodeFrame({ opcode: OPCODES.TEXT, payload, mask: true });
    const [b] = encodeFrame({ opcode: OPCODES.TEXT, payload, mask: true });
    expect(payload.toString()).toBe('unchanged');
    expect(a?.subarray(2, 6).equals(b?.subarray(2, 6) as Buffer)).toBe(false);
    const [frame] = new FrameParser({ role: 'server' }).push(a as Buffer);
    expect(frame?.payload.toString()).toBe('unchanged');
  });

  it('refuses what it must never send', () => {
    expect(() => encodeFrame({ opcode: 3 })).toThrow(TypeError);
    expect(() => encodeFrame({ opcode: 9, fin: false })).toThrow(RangeError);
    expect(() => encodeFrame({ opcode: 8, payload: Buffer.alloc(126) })).toThrow(RangeError);
    expect(() => encodeFrame({ opcode: 1, mask: Uint8Array.of(1, 2, 3) })).toThrow(RangeError);
  });

  it.each([0, 1, 125, 126, 127, 65_535, 65_536, 1024 * 1024])(
    'round-trips %i-byte frames, masked and not, in seeded random chunks, with the minimal length',
    (size) => {
      const seed = 1000 + size;
      const random = seededRandom(seed);
      const payload = seededBytes(seed, size);
      const headerBytes = size < 126 ? 2 : size < 65_536 ? 4 : 10;
      for (const masked of [false, true]) {
        const fin = random() < 0.5;
        const opcode = fin && random() < 0.5 ? OPCODES.BINARY : OPCODES.CONTINUATION;
        const buffers = encodeFrame(
          masked ? { opcode, fin, payload, mask: true } : { opcode, fin, payload },
        );
        const bytes = Buffer.concat(buffers);
        const where = `seed ${seed}, masked ${masked}`;
        expect(bytes.length, where).toBe(headerBytes + (masked ? 4 : 0) + size);
        const parser = new FrameParser({
          role: masked ? 'server' : 'client',
          maxPayloadBytes: size,
        });
        const frames: Frame[] = [];
        for (const piece of randomPieces(bytes, random, size < 1000 ? 7 : 70_000)) {
          parser.push(piece, frames);
        }
        expect(frames.length, where).toBe(1);
        const [frame] = frames;
        expect({ fin: frame?.fin, opcode: frame?.opcode, masked: frame?.masked }, where).toEqual({
          fin,
          opcode,
          masked,
        });
        expect(frame?.payload.equals(payload), where).toBe(true);
      }
    },
  );
});

describe('encodeClose', () => {
  it('encodes a code and a reason, a code alone, or nothing', () => {
    expect(toHex(encodeClosePayload(1000, 'bye'))).toBe('03e8627965');
    expect(wire(encodeClose(1000))).toBe('880203e8');
    expect(wire(encodeClose())).toBe('8800');
    expect(wire(encodeClose(4000, 'é', { mask: fromHex('00000000') }))).toBe(
      '8884000000000fa0c3a9',
    );
  });

  it('accepts a 123-byte reason and refuses a 124-byte one', () => {
    expect(encodeClosePayload(1000, `${'é'.repeat(61)}a`).length).toBe(125);
    expect(() => encodeClosePayload(1000, 'é'.repeat(62))).toThrow(RangeError);
  });

  it('refuses codes that may not be sent, a reason without a code, and a lone surrogate', () => {
    for (const code of [999, 1004, 1005, 1006, 1015, 2999, 5000]) {
      expect(() => encodeClosePayload(code), `code ${code}`).toThrow(RangeError);
    }
    expect(() => encodeClosePayload(undefined, 'why')).toThrow(TypeError);
    expect(() => encodeClosePayload(1000, '\ud800')).toThrow(TypeError);
    expect(toHex(encodeClosePayload(1000, '😀'))).toBe('03e8f09f9880');
  });
});
