import { everySplit, fromHex, hexdump, thrownBy } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LimitExceededError, ProtocolError } from '../../src/errors.ts';
import {
  decodeFileTransferMessage,
  encodeFileTransferMessage,
  fitMessage,
} from '../../src/file-transfer/codec.ts';
import {
  FILE_TRANSFER_MAX_PAYLOAD_BYTES,
  FILE_TRANSFER_REASONS,
  FILE_TRANSFER_STATUSES,
  type FileTransferMessage,
  type FileTransferReason,
  type FileTransferStatus,
} from '../../src/file-transfer/protocol.ts';

const SHA = 'ab'.repeat(32);

/** Each message with its exact bytes, as documented in the diagram of the protocol module. */
const FIXTURES: [string, FileTransferMessage, string][] = [
  ['hello', { type: 'hello', version: 1 }, '01 00000006 534c4654 01 00'],
  ['hello with flags', { type: 'hello', version: 1, flags: 1 }, '01 00000006 534c4654 01 01'],
  ['hello with digestAfter', { type: 'hello', version: 1, flags: 3 }, '01 00000006 534c4654 01 03'],
  [
    'file header',
    { type: 'file', name: 'a.txt', size: 5, mode: 0o644, sha256: SHA },
    `02 00000031 0000000000000005 01a4 ${SHA} 0005 612e747874`,
  ],
  [
    'file header, its hash after the body',
    { type: 'file', name: 'a.txt', size: 5, mode: 0o644 },
    `02 00000031 0000000000000005 01a4 ${'00'.repeat(32)} 0005 612e747874`,
  ],
  ['digest', { type: 'digest', sha256: SHA }, `09 00000020 ${SHA}`],
  [
    'refuse, digest needed',
    { type: 'refuse', reason: 'digest-needed', message: '' },
    '05 00000003 0e 0000',
  ],
  ['accept from 0', { type: 'accept', offset: 0 }, '03 00000008 0000000000000000'],
  ['accept from 2^40', { type: 'accept', offset: 2 ** 40 }, '03 00000008 0000010000000000'],
  ['skip', { type: 'skip' }, '04 00000000'],
  ['refuse', { type: 'refuse', reason: 'exists', message: 'no' }, '05 00000005 05 0002 6e6f'],
  [
    'result',
    { type: 'result', status: 'integrity', sha256: SHA, message: '' },
    `06 00000023 01 ${SHA} 0000`,
  ],
  ['end', { type: 'end' }, '07 00000000'],
  ['error', { type: 'error', reason: 'busy', message: 'é' }, '08 00000005 07 0002 c3a9'],
];

/** Decodes every whole message at the start of `wire`, as a reader does: the messages and what is left. */
function decodeAll(wire: Buffer): { messages: FileTransferMessage[]; rest: Buffer } {
  const messages: FileTransferMessage[] = [];
  let rest = wire;
  for (
    let decoded = decodeFileTransferMessage(rest);
    decoded;
    decoded = decodeFileTransferMessage(rest)
  ) {
    messages.push(decoded.message);
    rest = rest.subarray(decoded.bytesRead);
  }
  return { messages, rest };
}

describe('file-transfer protocol codec', () => {
  it.each(FIXTURES)('encodes a %s to its documented bytes', (_, message, bytes) => {
    expect(encodeFileTransferMessage(message).toString('hex')).toBe(fromHex(bytes).toString('hex'));
  });

  it.each(FIXTURES)('decodes a %s fed at every split and byte by byte', (_, message, bytes) => {
    const wire = Buffer.concat([fromHex(bytes), fromHex('07 00000000')]);
    for (const pieces of everySplit(wire)) {
      let pending: Buffer = Buffer.alloc(0);
      const out: FileTransferMessage[] = [];
      for (const piece of pieces) {
        const decoded = decodeAll(Buffer.concat([pending, piece]));
        out.push(...decoded.messages);
        pending = decoded.rest;
      }
      expect(out, `pieces of ${pieces.map((p) => p.length).join('+')} bytes`).toEqual([
        message,
        { type: 'end' },
      ]);
    }
  });

  it('needs more bytes, without an error, for every prefix of a header', () => {
    const wire = encodeFileTransferMessage({
      type: 'file',
      name: 'x',
      size: 1,
      mode: 0,
      sha256: SHA,
    });
    for (let at = 0; at < wire.length; at++)
      expect(decodeFileTransferMessage(wire.subarray(0, at))).toBeUndefined();
  });

  it.each([
    ['an unknown type, from its first byte', '0a', 'unknown message type 0x0a'],
    ['a hello with a bad magic', '01 00000006 48545450 01 00', 'must start with SLFT'],
    ['a hello of the wrong length', '01 00000005 534c4654 01', 'needs 6 payload bytes'],
    [
      'a header whose name runs past the payload',
      `02 0000002d 0000000000000005 01a4 ${SHA} 0005 6174`,
      'does not fit',
    ],
    ['a header cut short', `02 00000004 00000000`, 'cut short'],
    [
      'a name that is not UTF-8',
      `02 0000002e 0000000000000005 01a4 ${SHA} 0002 c328`,
      'not valid UTF-8',
    ],
    ['a mode past 0o7777', `02 0000002d 0000000000000005 ffff ${SHA} 0001 61`, 'mode'],
    ['an unknown reason code', '05 00000003 63 0000', 'unknown reason code 99'],
    ['an unknown status', `06 00000023 09 ${SHA} 0000`, 'unknown result status 9'],
    ['a skip with a payload', '04 00000001 00', 'needs 0 payload bytes'],
    ['a digest cut short', `09 0000001f ${SHA.slice(2)}`, 'needs 32 payload bytes'],
    ['a digest of zeros', `09 00000020 ${'00'.repeat(32)}`, 'a digest of 32 zero bytes'],
    [
      'an HTTP request',
      Buffer.from('GET / HTTP/1.1\r\n').toString('hex'),
      'unknown message type 0x47',
    ],
  ])('rejects %s as malformed', (_, bytes, why) => {
    const what = `decoding\n${hexdump(fromHex(bytes))}`;
    const thrown = thrownBy(() => decodeFileTransferMessage(fromHex(bytes)), what);
    expect(thrown, what).toBeInstanceOf(ProtocolError);
    expect(thrown).toMatchObject({ code: 'TCPUDP_ERR_MALFORMED' });
    expect(thrown.message).toContain(why);
  });

  it('rejects a declared payload over the limit as soon as the 5-byte header is in', () => {
    const head = Buffer.from([0x02, 0, 0, 0x20, 0x01]);
    expect(() => decodeFileTransferMessage(head)).toThrow(
      expect.objectContaining({
        code: 'TCPUDP_ERR_FRAME_TOO_LARGE',
        limit: FILE_TRANSFER_MAX_PAYLOAD_BYTES,
      }),
    );
  });

  it('rejects a size past 2^53-1 as a limit, not a rounding', () => {
    const wire = fromHex(`02 0000002d ffffffffffffffff 01a4 ${SHA} 0001 61`);
    expect(() => decodeFileTransferMessage(wire)).toThrow(LimitExceededError);
    expect(() => decodeFileTransferMessage(wire)).toThrow(
      expect.objectContaining({ code: 'TCPUDP_ERR_LIMIT_EXCEEDED' }),
    );
  });

  it.each([
    [
      'a name over 4096 bytes',
      { type: 'file', name: 'a'.repeat(4097), size: 1, mode: 0, sha256: SHA },
      RangeError,
    ],
    ['a negative size', { type: 'file', name: 'a', size: -1, mode: 0, sha256: SHA }, RangeError],
    ['a fractional offset', { type: 'accept', offset: 1.5 }, TypeError],
    [
      'a mode past 0o7777',
      { type: 'file', name: 'a', size: 1, mode: 0o10000, sha256: SHA },
      RangeError,
    ],
    [
      'an uppercase hash',
      { type: 'file', name: 'a', size: 1, mode: 0, sha256: SHA.toUpperCase() },
      TypeError,
    ],
    // all zeros on the wire means "the hash follows the body": no real hash may be sent as that
    [
      'an all-zero hash',
      { type: 'file', name: 'a', size: 1, mode: 0, sha256: '0'.repeat(64) },
      RangeError,
    ],
    ['an all-zero digest', { type: 'digest', sha256: '0'.repeat(64) }, RangeError],
  ] as [string, FileTransferMessage, ErrorConstructor][])(
    'refuses to encode %s',
    (_, message, type) => {
      expect(() => encodeFileTransferMessage(message)).toThrow(type);
    },
  );

  it('round-trips any message (fast-check)', () => {
    const text = (max: number) => fc.string({ unit: 'grapheme', maxLength: max });
    const sha = fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((b) => Buffer.from(b).toString('hex'))
      .filter((hex) => hex !== '0'.repeat(64));
    const size = fc.maxSafeNat();
    const reason = fc.constantFrom(...(Object.keys(FILE_TRANSFER_REASONS) as FileTransferReason[]));
    const status = fc.constantFrom(
      ...(Object.keys(FILE_TRANSFER_STATUSES) as FileTransferStatus[]),
    );
    const message: fc.Arbitrary<FileTransferMessage> = fc.oneof(
      fc.integer({ min: 0, max: 255 }).map((version) => ({ type: 'hello' as const, version })),
      fc.record({
        type: fc.constant('file' as const),
        name: text(200),
        size,
        mode: fc.integer({ min: 0, max: 0o7777 }),
        sha256: sha,
      }),
      fc.record({
        type: fc.constant('file' as const),
        name: text(200),
        size,
        mode: fc.integer({ min: 0, max: 0o7777 }),
      }),
      sha.map((sha256) => ({ type: 'digest' as const, sha256 })),
      size.map((offset) => ({ type: 'accept' as const, offset })),
      fc.constant({ type: 'skip' as const }),
      fc.constant({ type: 'end' as const }),
      fc.record({ type: fc.constant('refuse' as const), reason, message: text(100) }),
      fc.record({ type: fc.constant('error' as const), reason, message: text(100) }),
      fc.record({ type: fc.constant('result' as const), status, sha256: sha, message: text(100) }),
    );
    fc.assert(
      fc.property(fc.array(message, { maxLength: 5 }), (messages) => {
        const { messages: out, rest } = decodeAll(
          Buffer.concat(messages.map(encodeFileTransferMessage)),
        );
        expect(out).toEqual(messages);
        expect(rest.length).toBe(0);
      }),
      { seed: 20261122, numRuns: 300 },
    );
  });

  it.each([
    ['ASCII', 'x'],
    ['2-byte characters', 'é'],
    ['4-byte characters', '😀'],
  ])('cuts a message over 1,024 bytes of %s at a character boundary, marked with …', (_, unit) => {
    const long = unit.repeat(2000);
    for (const type of ['refuse', 'error'] as const) {
      const wire = encodeFileTransferMessage({ type, reason: 'exists', message: long });
      const decoded = decodeFileTransferMessage(wire)?.message as { message: string };
      expect(Buffer.byteLength(decoded.message)).toBeLessThanOrEqual(1024);
      expect(decoded.message.endsWith('…')).toBe(true);
      expect(decoded.message.slice(0, -1)).toBe(
        unit.repeat(decoded.message.slice(0, -1).length / unit.length),
      );
    }
    expect(fitMessage('short').toString()).toBe('short');
  });
});
