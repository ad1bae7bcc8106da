import { lengthPrefixCodec } from '@socketlab/tcp-udp';
import { describePieces, everySplit, fromHex, thrownBy } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import { DistributedError } from '../../src/errors.ts';
import { decodeServiceFrame, type ServiceFrame } from '../../src/service-protocol/index.ts';
import { ONLY_V1, V1_AND_V2 } from './protocols.ts';

/**
 * Golden bytes of whole frames as they go on the wire (u32 length prefix, then the frame). A
 * change to the wire format fails here before it reaches a peer running the old code.
 */
const FIXTURES = {
  hello1to2: '00000009 01 534c5350 0001 0002',
  welcome2: '00000003 02 0002',
  closeNoCommon: '00000007 03 01 0003 763a33',
  /** getUser { userId: 7 } as request 1, version 1 (and 2: the message did not change). */
  requestV1: '0000000c 10 00000001 0001 01 00000007',
  /** user { userId: 7, name: 'ada' } as the response to request 1, version 1. */
  responseV1: '00000011 11 00000001 0002 01 00000007 0003 616461',
  /** user { userId: 7, name: 'ada', email: 'ada@example.org' }, version 2. */
  responseV2:
    '00000022 11 00000001 0002 02 00000007 0003 616461 000f 6164614065 78616d706c65 2e6f7267',
  /** userSeen { userId: 7 } as an event, version 1. */
  eventV1: '00000008 13 0003 01 00000007',
  /** userSeen { userId: 7, at: 1000 } as an event, version 2. */
  eventV2: '0000000c 13 0003 02 00000007 000003e8',
  errorFrame: '00000015 12 00000002 0007 4c494d49543f21 0005 68656c6c6f',
} as const;

/** Every frame in `bytes`, fed to stage 2's u32 decoder in the given pieces. */
function framesOf(pieces: Uint8Array[]): ServiceFrame[] {
  const decoder = lengthPrefixCodec().createDecoder();
  const frames: Buffer[] = [];
  for (const piece of pieces) decoder.push(piece, frames);
  decoder.end();
  return frames.map(decodeServiceFrame);
}

const EXPECTED: Record<keyof typeof FIXTURES, unknown> = {
  hello1to2: { kind: 'hello', minVersion: 1, maxVersion: 2 },
  welcome2: { kind: 'welcome', version: 2 },
  closeNoCommon: { kind: 'close', reason: 'no-common-version', detail: 'v:3' },
  requestV1: { kind: 'request', requestId: 1, body: fromHex('0001 01 00000007') },
  responseV1: { kind: 'response', requestId: 1, body: fromHex('0002 01 00000007 0003 616461') },
  responseV2: {
    kind: 'response',
    requestId: 1,
    body: fromHex('0002 02 00000007 0003 616461 000f 616461406578616d706c652e6f7267'),
  },
  eventV1: { kind: 'event', body: fromHex('0003 01 00000007') },
  eventV2: { kind: 'event', body: fromHex('0003 02 00000007 000003e8') },
  errorFrame: { kind: 'error', requestId: 2, code: 'LIMIT?!', message: 'hello' },
};

describe('service frames: golden bytes through every split', () => {
  it.each(Object.keys(FIXTURES) as (keyof typeof FIXTURES)[])('%s', (name) => {
    const bytes = fromHex(FIXTURES[name]);
    for (const pieces of everySplit(bytes)) {
      const frames = framesOf(pieces);
      expect(frames, describePieces(pieces)).toEqual([EXPECTED[name]]);
    }
  });

  it('decodes a version 1 session of every frame kind as one stream, however it is cut', () => {
    const bytes = fromHex(
      [
        FIXTURES.hello1to2,
        FIXTURES.welcome2,
        FIXTURES.requestV1,
        FIXTURES.responseV1,
        FIXTURES.eventV1,
      ].join(''),
    );
    for (const pieces of everySplit(bytes)) {
      expect(
        framesOf(pieces).map((f) => f.kind),
        describePieces(pieces),
      ).toEqual(['hello', 'welcome', 'request', 'response', 'event']);
    }
  });
});

describe('service frames: the bodies of each version', () => {
  const bodyOf = (name: keyof typeof FIXTURES): Buffer => {
    const [frame] = framesOf([fromHex(FIXTURES[name])]);
    return (frame as { body: Buffer }).body;
  };

  it('a version 1 reader reads the version 1 fixtures', () => {
    expect(ONLY_V1.decodeBody(bodyOf('responseV1'), 1).value).toEqual({ userId: 7, name: 'ada' });
    expect(ONLY_V1.decodeBody(bodyOf('eventV1'), 1).value).toEqual({ userId: 7 });
  });

  it('a version 2 reader reads the version 1 fixtures with defaults, and the version 2 ones as written', () => {
    expect(V1_AND_V2.decodeBody(bodyOf('eventV1'), 2).value).toEqual({ userId: 7, at: 0 });
    expect(V1_AND_V2.decodeBody(bodyOf('eventV2'), 2).value).toEqual({ userId: 7, at: 1000 });
    expect(V1_AND_V2.decodeBody(bodyOf('responseV2'), 2).value).toEqual({
      userId: 7,
      name: 'ada',
      email: 'ada@example.org',
    });
  });

  it('a version 1 reader refuses the version 2 fixtures', () => {
    expect(() => ONLY_V1.decodeBody(bodyOf('eventV2'), 1)).toThrow(DistributedError);
    expect(() => ONLY_V1.decodeBody(bodyOf('responseV2'), 1)).toThrow('written in version 2');
  });
});

describe('service frames: hostile bytes', () => {
  it.each([
    ['an empty frame', ''],
    ['an unknown kind', '7f 00'],
    ['a HELLO with the wrong magic', '01 48545450 0001 0001'],
    ['a short HELLO', '01 534c5350 0001'],
    ['a CLOSE with an unknown reason', '03 09 0000'],
    ['a request with no room for its id', '10 0000'],
    ['an ERROR whose text runs past the end', '12 00000001 0009 41'],
  ])('refuses %s with DISTRIBUTED_ERR_PAYLOAD', (_what, hex) => {
    const thrown = thrownBy(() => decodeServiceFrame(fromHex(hex)));
    expect(thrown).toBeInstanceOf(DistributedError);
    expect((thrown as DistributedError).code).toBe('DISTRIBUTED_ERR_PAYLOAD');
  });
});
