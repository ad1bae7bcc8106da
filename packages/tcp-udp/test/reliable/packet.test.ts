import { assertThrowsOnly, everySplit, fromHex } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LimitExceededError, ProtocolError } from '../../src/errors.ts';
import {
  decodeReliablePacket,
  encodeReliablePacket,
  RELIABLE_HEADER_BYTES,
  type ReliablePacket,
  seqAdd,
  seqBefore,
  seqDistance,
} from '../../src/reliable/packet.ts';

const empty = new Uint8Array(0);
const base = {
  flags: 0,
  connectionId: 0x01020304,
  seq: 5,
  ack: 9,
  window: 64,
  sack: [],
  payload: empty,
};

const fixtures: [string, ReliablePacket, string][] = [
  ['a SYN', { ...base, type: 'SYN', ack: 0 }, '01 01 00 00 01020304 00000005 00000000 00000040'],
  [
    'an ACK with a ping flag and two SACK blocks',
    {
      ...base,
      type: 'ACK',
      flags: 1,
      sack: [
        { start: 11, end: 13 },
        { start: 0xffffffff, end: 2 },
      ],
    },
    '01 04 01 02 01020304 00000005 00000009 00000040 0000000b 0000000d ffffffff 00000002',
  ],
  [
    'a DATA packet with 3 payload bytes',
    { ...base, type: 'DATA', payload: Uint8Array.from([0x61, 0x62, 0x63]) },
    '01 03 00 00 01020304 00000005 00000009 00000040 616263',
  ],
  [
    'an RST',
    { ...base, type: 'RST', window: 0 },
    '01 06 00 00 01020304 00000005 00000009 00000000',
  ],
  [
    'a COOKIE',
    {
      ...base,
      type: 'COOKIE',
      ack: 0,
      window: 0,
      payload: fromHex('00112233445566778899aabbccddeeff'),
    },
    '01 09 00 00 01020304 00000005 00000000 00000000 00112233445566778899aabbccddeeff',
  ],
  [
    'a SYN that echoes a cookie',
    { ...base, type: 'SYN', ack: 0, payload: fromHex('ffeeddccbbaa99887766554433221100') },
    '01 01 00 00 01020304 00000005 00000000 00000040 ffeeddccbbaa99887766554433221100',
  ],
];

describe('reliable packet codec', () => {
  it.each(fixtures)('encodes and decodes %s', (_name, packet, wire) => {
    expect(encodeReliablePacket(packet).toString('hex')).toBe(fromHex(wire).toString('hex'));
    const decoded = decodeReliablePacket(fromHex(wire));
    expect({ ...decoded, payload: Buffer.from(decoded.payload) }).toEqual({
      ...packet,
      payload: Buffer.from(packet.payload),
    });
  });

  it.each(fixtures)(
    'refuses every cut of %s that ends inside its header or SACK blocks',
    (_n, packet) => {
      const wire = encodeReliablePacket(packet);
      const headerEnd = RELIABLE_HEADER_BYTES + packet.sack.length * 8;
      for (const [head] of everySplit(wire)) {
        if (!head || head.length === wire.length) continue;
        if (head.length < headerEnd) {
          expect(() => decodeReliablePacket(head), `cut at ${head.length}`).toThrow(
            expect.objectContaining({ code: 'TCPUDP_ERR_TRUNCATED' }),
          );
        } else if (packet.type === 'COOKIE' || packet.type === 'SYN') {
          // a cookie has one size: a SYN without one is a plain SYN, a cut cookie is malformed
          if (packet.type === 'SYN' && head.length === headerEnd) {
            expect(decodeReliablePacket(head).payload.length).toBe(0);
          } else {
            expect(() => decodeReliablePacket(head), `cut at ${head.length}`).toThrow(
              expect.objectContaining({ code: 'TCPUDP_ERR_MALFORMED' }),
            );
          }
        } else {
          // a datagram's end is the payload's end: a shorter DATA datagram is a shorter payload
          expect(decodeReliablePacket(head).payload.length).toBe(head.length - headerEnd);
        }
      }
    },
  );

  it.each([
    [
      'version 2',
      '02 04 00 00 00000001 00000000 00000000 00000000',
      'TCPUDP_ERR_MALFORMED',
      /version 2/,
    ],
    ['type 0', '01 00 00 00 00000001 00000000 00000000 00000000', 'TCPUDP_ERR_MALFORMED', /type 0/],
    [
      'type 10',
      '01 0a 00 00 00000001 00000000 00000000 00000000',
      'TCPUDP_ERR_MALFORMED',
      /type 10/,
    ],
    [
      'a COOKIE without a cookie',
      '01 09 00 00 00000001 00000000 00000000 00000000',
      'TCPUDP_ERR_MALFORMED',
      /COOKIE packet carries a 0-byte payload; a cookie is 16 bytes/,
    ],
    [
      'a SYN whose payload is not a cookie',
      '01 01 00 00 00000001 00000000 00000000 00000000 616263',
      'TCPUDP_ERR_MALFORMED',
      /SYN packet carries a 3-byte payload/,
    ],
    [
      'unknown flags',
      '01 04 80 00 00000001 00000000 00000000 00000000',
      'TCPUDP_ERR_MALFORMED',
      /flag/,
    ],
    [
      'a payload on an ACK',
      '01 04 00 00 00000001 00000000 00000000 00000000 ff',
      'TCPUDP_ERR_MALFORMED',
      /payload/,
    ],
    [
      'SACK on a SYN',
      '01 01 00 01 00000001 00000000 00000000 00000000 00000001 00000002',
      'TCPUDP_ERR_MALFORMED',
      /SACK/,
    ],
    [
      'an empty SACK block',
      '01 04 00 01 00000001 00000000 00000000 00000000 00000005 00000005',
      'TCPUDP_ERR_MALFORMED',
      /empty or reversed/,
    ],
    [
      'a reversed SACK block',
      '01 04 00 01 00000001 00000000 00000000 00000000 00000009 00000005',
      'TCPUDP_ERR_MALFORMED',
      /reversed/,
    ],
    [
      'missing SACK bytes',
      '01 04 00 02 00000001 00000000 00000000 00000000 00000001 00000002',
      'TCPUDP_ERR_TRUNCATED',
      /2 SACK blocks/,
    ],
    [
      '5 SACK blocks',
      `01 04 00 05 00000001 00000000 00000000 00000000 ${'00000001 00000002 '.repeat(5)}`,
      'TCPUDP_ERR_LIMIT_EXCEEDED',
      /5 SACK blocks, more than the limit of 4/,
    ],
  ])('refuses %s with %s', (_name, wire, code, message) => {
    const thrown = (() => {
      try {
        decodeReliablePacket(fromHex(wire));
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(
      code === 'TCPUDP_ERR_LIMIT_EXCEEDED' ? LimitExceededError : ProtocolError,
    );
    expect(thrown).toMatchObject({ code });
    expect((thrown as Error).message).toMatch(message);
  });

  it('refuses a payload over maxPayloadBytes with TCPUDP_ERR_FRAME_TOO_LARGE', () => {
    const wire = encodeReliablePacket({ ...base, type: 'DATA', payload: new Uint8Array(101) });
    expect(() => decodeReliablePacket(wire, { maxPayloadBytes: 100 })).toThrow(
      expect.objectContaining({ code: 'TCPUDP_ERR_FRAME_TOO_LARGE', limit: 100, actual: 101 }),
    );
    expect(decodeReliablePacket(wire, { maxPayloadBytes: 101 }).payload.length).toBe(101);
  });

  it('round-trips any packet (property)', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const packet = fc
      .record({
        type: fc.constantFrom(
          'SYN',
          'SYN_ACK',
          'DATA',
          'ACK',
          'FIN',
          'RST',
          'PROBE',
          'PROBE_ACK',
          'COOKIE' as const,
        ),
        flags: fc.constantFrom(0, 1),
        connectionId: u32,
        seq: u32,
        ack: u32,
        window: u32,
        sackStarts: fc.array(u32, { maxLength: 4 }),
        payload: fc.uint8Array({ maxLength: 1200 }),
        cookie: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 })),
      })
      .map(({ sackStarts, payload, cookie, ...rest }) => ({
        ...rest,
        sack: ['ACK', 'DATA', 'FIN'].includes(rest.type)
          ? sackStarts.map((start) => ({ start, end: seqAdd(start, 3) }))
          : [],
        payload:
          rest.type === 'DATA' || rest.type === 'PROBE'
            ? payload
            : rest.type === 'COOKIE'
              ? (cookie ?? new Uint8Array(16))
              : rest.type === 'SYN'
                ? (cookie ?? empty)
                : empty,
      }));
    fc.assert(
      fc.property(packet, (p) => {
        const decoded = decodeReliablePacket(encodeReliablePacket(p));
        expect({ ...decoded, payload: Buffer.from(decoded.payload) }).toEqual({
          ...p,
          payload: Buffer.from(p.payload),
        });
      }),
    );
  });

  it('never throws anything but a typed error on arbitrary bytes (property)', () => {
    assertThrowsOnly(fc.uint8Array({ maxLength: 80 }), decodeReliablePacket, [
      ProtocolError,
      LimitExceededError,
    ]);
  });
});

describe('sequence arithmetic', () => {
  it.each([
    [1, 2, true],
    [2, 1, false],
    [5, 5, false],
    [0xffffffff, 0, true],
    [0xfffffff0, 0x10, true],
    [0x10, 0xfffffff0, false],
    [0, 0x7fffffff, true],
  ])('seqBefore(%i, %i) is %s across wrap-around', (a, b, before) => {
    expect(seqBefore(a, b)).toBe(before);
  });

  it('measures distance and adds across wrap-around', () => {
    expect(seqDistance(0xfffffffe, 1)).toBe(3);
    expect(seqDistance(1, 0xfffffffe)).toBe(-3);
    expect(seqAdd(0xffffffff, 2)).toBe(1);
  });
});
