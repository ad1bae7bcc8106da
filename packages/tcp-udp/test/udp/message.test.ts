import { assertThrowsOnly, everySplit, fromHex } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.ts';
import {
  decodeUdpMessage,
  encodeUdpMessage,
  receiveDatagram,
  type UdpMessage,
} from '../../src/udp/message.ts';

describe('the UDP request/response envelope', () => {
  it.each<[string, UdpMessage, string]>([
    ['an empty request', { type: 'request', id: 0, payload: Buffer.alloc(0) }, '01 00000000'],
    [
      'a request with a payload',
      { type: 'request', id: 7, payload: Buffer.from('ping') },
      '01 00000007 70696e67',
    ],
    [
      'a response with the largest id',
      { type: 'response', id: 0xffffffff, payload: Buffer.from('ok') },
      '02 ffffffff 6f6b',
    ],
    [
      'an error response',
      { type: 'error', id: 258, payload: Buffer.from('no') },
      '03 00000102 6e6f',
    ],
  ])('encodes and decodes %s', (_, message, bytes) => {
    expect(encodeUdpMessage(message).toString('hex')).toBe(fromHex(bytes).toString('hex'));
    const decoded = decodeUdpMessage(fromHex(bytes));
    expect(decoded.type).toBe(message.type);
    expect(decoded.id).toBe(message.id);
    expect(Buffer.from(decoded.payload).equals(Buffer.from(message.payload))).toBe(true);
  });

  it.each([
    ['nothing', '', 'TCPUDP_ERR_TRUNCATED'],
    ['a header cut at 4 bytes', '01000000', 'TCPUDP_ERR_TRUNCATED'],
    ['type 0', '00 00000001', 'TCPUDP_ERR_MALFORMED'],
    ['type 0xff', 'ff 00000001 41', 'TCPUDP_ERR_MALFORMED'],
  ])('rejects %s with a typed error', (_, bytes, code) => {
    expect(() => decodeUdpMessage(fromHex(bytes))).toThrow(expect.objectContaining({ code }));
  });

  it('treats every prefix of a datagram as truncated, never as a smaller message', () => {
    const whole = fromHex('02 00000009 68656c6c6f');
    for (const [head] of everySplit(whole)) {
      if (!head || head.length >= 5) continue;
      expect(() => decodeUdpMessage(head)).toThrow(ProtocolError);
    }
  });

  it('rejects ids outside u32 and unknown types when encoding', () => {
    expect(() => encodeUdpMessage({ type: 'request', id: -1, payload: Buffer.alloc(0) })).toThrow(
      RangeError,
    );
    expect(() =>
      encodeUdpMessage({ type: 'request', id: 2 ** 32, payload: Buffer.alloc(0) }),
    ).toThrow(RangeError);
    expect(() =>
      encodeUdpMessage({ type: 'bogus' as 'request', id: 1, payload: Buffer.alloc(0) }),
    ).toThrow(RangeError);
  });

  it('round-trips any message (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('request', 'response', 'error' as const),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 300 }),
        (type, id, payload) => {
          const decoded = decodeUdpMessage(encodeUdpMessage({ type, id, payload }));
          expect(decoded).toEqual({ type, id, payload: expect.anything() });
          expect(Buffer.from(decoded.payload).equals(Buffer.from(payload))).toBe(true);
        },
      ),
    );
  });

  it('never throws anything but a ProtocolError on random bytes (property)', () => {
    assertThrowsOnly(fc.uint8Array({ maxLength: 64 }), decodeUdpMessage, [ProtocolError]);
  });
});

describe('receiveDatagram, the receiving edge shared by client and server', () => {
  it('hands over a message that fits and decodes', () => {
    expect(receiveDatagram(fromHex('02 00000007 6f6b'), 7)).toEqual({
      message: { type: 'response', id: 7, payload: Buffer.from('ok') },
    });
  });

  it('drops a datagram over the limit before decoding it, and garbage without throwing', () => {
    expect(receiveDatagram(fromHex('02 00000007 6f6b'), 6)).toEqual({ dropped: 'oversized' });
    expect(receiveDatagram(fromHex('09 00000007'), 64)).toEqual({ dropped: 'malformed' });
    expect(receiveDatagram(fromHex('01 0000'), 64)).toEqual({ dropped: 'malformed' });
  });
});
