import { assertThrowsOnly, fromHex, thrownBy } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/errors.ts';
import { fromNetascii, toNetascii } from '../../src/tftp/netascii.ts';
import { decodeTftpPacket, encodeTftpPacket, type TftpPacket } from '../../src/tftp/packet.ts';

/** Checks a decoded packet against the one expected; DATA compares its bytes, whatever the view type. */
function expectSamePacket(decoded: TftpPacket, expected: TftpPacket): void {
  if (decoded.op === 'data' && expected.op === 'data') {
    expect(decoded.block).toBe(expected.block);
    expect(Buffer.from(decoded.data).equals(Buffer.from(expected.data))).toBe(true);
  } else {
    expect(decoded).toEqual(expected);
  }
}

describe('the TFTP packet codec', () => {
  it.each<[string, TftpPacket, string]>([
    [
      'an RRQ',
      { op: 'rrq', filename: 'a.txt', mode: 'octet', options: [] },
      '0001 612e747874 00 6f63746574 00',
    ],
    [
      'an RRQ with blksize and tsize',
      {
        op: 'rrq',
        filename: 'f',
        mode: 'octet',
        options: [
          ['blksize', '1024'],
          ['tsize', '0'],
        ],
      },
      '0001 66 00 6f63746574 00 626c6b73697a65 00 31303234 00 7473697a65 00 30 00',
    ],
    [
      'a WRQ in netascii',
      { op: 'wrq', filename: 'x', mode: 'netascii', options: [] },
      '0002 78 00 6e65746173636969 00',
    ],
    ['a DATA block 1', { op: 'data', block: 1, data: Buffer.from('hi') }, '0003 0001 6869'],
    ['an empty last DATA', { op: 'data', block: 65535, data: Buffer.alloc(0) }, '0003 ffff'],
    ['an ACK 0', { op: 'ack', block: 0 }, '0004 0000'],
    [
      'an ERROR 1',
      { op: 'error', code: 1, message: 'File not found' },
      `0005 0001 ${Buffer.from('File not found').toString('hex')} 00`,
    ],
    ['an OACK', { op: 'oack', options: [['blksize', '8']] }, '0006 626c6b73697a65 00 38 00'],
  ])('encodes and decodes %s', (_, packet, bytes) => {
    expect(encodeTftpPacket(packet).toString('hex')).toBe(fromHex(bytes).toString('hex'));
    expectSamePacket(decodeTftpPacket(fromHex(bytes)), packet);
  });

  it('lower-cases the mode and option names, as RFC 1350 and RFC 2347 compare them', () => {
    const packet = decodeTftpPacket(fromHex('0001 61 00 4f43544554 00 424c4b53495a45 00 3531 00'));
    expect(packet).toEqual({
      op: 'rrq',
      filename: 'a',
      mode: 'octet',
      options: [['blksize', '51']],
    });
  });

  it('accepts an ERROR without its final NUL (some peers send it so)', () => {
    expect(decodeTftpPacket(fromHex('0005 0002 6e6f'))).toEqual({
      op: 'error',
      code: 2,
      message: 'no',
    });
  });

  it.each([
    ['nothing', '', 'TCPUDP_ERR_TRUNCATED'],
    ['one byte', '00', 'TCPUDP_ERR_TRUNCATED'],
    ['opcode 0', '0000 0001', 'TCPUDP_ERR_MALFORMED'],
    ['opcode 7', '0007', 'TCPUDP_ERR_MALFORMED'],
    ['opcode 0x0300', '0300 0001', 'TCPUDP_ERR_MALFORMED'],
    ['an RRQ with no NUL', '0001 612e747874', 'TCPUDP_ERR_TRUNCATED'],
    ['an RRQ with no mode', '0001 61 00', 'TCPUDP_ERR_TRUNCATED'],
    [
      'an RRQ with an option and no value',
      '0001 61 00 6f63746574 00 626c6b73697a65 00',
      'TCPUDP_ERR_MALFORMED',
    ],
    [
      'an RRQ with the same option twice',
      '0001 61 00 6f63746574 00 78 00 31 00 58 00 32 00',
      'TCPUDP_ERR_MALFORMED',
    ],
    ['an RRQ whose name is not UTF-8', '0001 ff fe 00 6f63746574 00', 'TCPUDP_ERR_MALFORMED'],
    ['a DATA of 3 bytes', '0003 00', 'TCPUDP_ERR_TRUNCATED'],
    ['an ACK of 3 bytes', '0004 00', 'TCPUDP_ERR_TRUNCATED'],
    ['an ERROR of 3 bytes', '0005 00', 'TCPUDP_ERR_TRUNCATED'],
  ])('rejects %s with %s', (_, bytes, code) => {
    const thrown = thrownBy(() => decodeTftpPacket(fromHex(bytes)), `decoding ${bytes}`);
    expect(thrown).toBeInstanceOf(ProtocolError);
    expect(thrown).toMatchObject({ code });
  });

  it('refuses to encode NUL inside a string or a block outside u16', () => {
    expect(() =>
      encodeTftpPacket({ op: 'rrq', filename: 'a\0b', mode: 'octet', options: [] }),
    ).toThrow(RangeError);
    expect(() => encodeTftpPacket({ op: 'ack', block: 65536 })).toThrow(RangeError);
    expect(() => encodeTftpPacket({ op: 'error', code: -1, message: '' })).toThrow(RangeError);
  });

  const name = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\0'));
  const lower = name.map((s) => s.toLowerCase()).filter((s) => !s.includes('\0') && s.length > 0);
  const options = fc.uniqueArray(
    fc.tuple(
      lower,
      name.map((s) => s),
    ),
    { maxLength: 4, selector: ([k]) => k },
  );
  const packet: fc.Arbitrary<TftpPacket> = fc.oneof(
    fc.record({
      op: fc.constantFrom('rrq' as const, 'wrq' as const),
      filename: name,
      mode: lower,
      options,
    }),
    fc.record({
      op: fc.constant('data' as const),
      block: fc.integer({ min: 0, max: 65535 }),
      data: fc.uint8Array({ maxLength: 600 }),
    }),
    fc.record({ op: fc.constant('ack' as const), block: fc.integer({ min: 0, max: 65535 }) }),
    fc.record({
      op: fc.constant('error' as const),
      code: fc.integer({ min: 0, max: 65535 }),
      message: name,
    }),
    fc.record({ op: fc.constant('oack' as const), options }),
  );

  it('round-trips any packet (property)', () => {
    fc.assert(
      fc.property(packet, (p) => {
        expectSamePacket(decodeTftpPacket(encodeTftpPacket(p)), p);
      }),
    );
  });

  it('never throws anything but a ProtocolError on random bytes (property)', () => {
    const opcodeFirst = fc
      .tuple(fc.integer({ min: 0, max: 8 }), fc.uint8Array({ maxLength: 80 }))
      .map(([op, rest]) => Buffer.concat([Buffer.from([0, op]), rest]));
    assertThrowsOnly(
      fc.oneof(fc.uint8Array({ maxLength: 80 }), opcodeFirst),
      decodeTftpPacket,
      [ProtocolError],
      { numRuns: 2000 },
    );
  });
});

describe('netascii (RFC 1350, RFC 764)', () => {
  it.each([
    ['a\nb', 'a\r\nb'],
    ['a\rb', 'a\r\0b'],
    ['\n\n', '\r\n\r\n'],
    ['no line end', 'no line end'],
  ])('sends %j as %j', (local, wire) => {
    expect(toNetascii(Buffer.from(local)).toString('latin1')).toBe(wire);
    expect(fromNetascii(Buffer.from(wire, 'latin1')).toString('latin1')).toBe(local);
  });

  it('round-trips any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(fromNetascii(toNetascii(bytes)).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });
});
