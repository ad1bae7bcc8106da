import { everySplit, thrownBy } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LimitExceededError, ProtocolError } from '../../src/errors.ts';
import { DEFAULT_MAX_FRAME_BYTES, type FrameCodec } from '../../src/framing/codec.ts';
import { encodeVarint, lengthPrefixCodec, varintCodec } from '../../src/framing/length-prefix.ts';
import {
  DEFAULT_MAX_LINE_BYTES,
  decodeLineText,
  encodeLineText,
  lineCodec,
} from '../../src/framing/line-codec.ts';
import { cutAt, decodePieces, fromHex, hexes } from '../helpers/framing-feed.ts';

const CODECS: Record<string, () => FrameCodec> = {
  u32: () => lengthPrefixCodec({ maxFrameBytes: 1024 }),
  varint: () => varintCodec({ maxFrameBytes: 1024 }),
  line: () => lineCodec({ maxFrameBytes: 1024 }),
};
const x300 = '78'.repeat(300);

describe.each([
  {
    codec: 'u32',
    fixtures: [
      { name: 'an empty payload', wire: '00000000', frames: [''] },
      { name: 'one payload', wire: '00000002 6869', frames: ['6869'] },
      { name: 'two payloads', wire: '00000001 61 00000002 6263', frames: ['61', '6263'] },
      { name: 'a 300-byte payload', wire: `0000012c ${x300}`, frames: [x300] },
      { name: 'a payload holding a header', wire: '00000004 00000001', frames: ['00000001'] },
    ],
  },
  {
    codec: 'varint',
    fixtures: [
      { name: 'an empty payload', wire: '00', frames: [''] },
      { name: 'one payload', wire: '02 6869', frames: ['6869'] },
      { name: 'a 300-byte payload (2-byte prefix)', wire: `ac02 ${x300}`, frames: [x300] },
      { name: 'a non-minimal prefix', wire: '8100 61', frames: ['61'] },
      { name: 'a 10-byte prefix for 0', wire: '808080808080808080 00', frames: [''] },
      { name: 'three payloads', wire: '01 61 00 01 62', frames: ['61', '', '62'] },
    ],
  },
  {
    codec: 'line',
    fixtures: [
      { name: 'one line', wire: '68656c6c6f 0a', frames: ['68656c6c6f'] },
      { name: 'CRLF lines', wire: '61 0d0a 62 0a', frames: ['61', '62'] },
      { name: 'an empty line', wire: '0a', frames: [''] },
      { name: 'an empty CRLF line', wire: '0d0a', frames: [''] },
      { name: 'one CR stripped, not two', wire: '61 0d0d0a', frames: ['610d'] },
      { name: 'a CR inside the line', wire: '61 0d 62 0a', frames: ['610d62'] },
      { name: 'LF then CR: the CR is data', wire: '61 0a 0d 62 0a', frames: ['61', '0d62'] },
      { name: 'binary bytes', wire: '00ff80 0a', frames: ['00ff80'] },
    ],
  },
])('$codec codec', ({ codec, fixtures }) => {
  const make = CODECS[codec] as () => FrameCodec;

  it.each(fixtures)(
    'decodes $name in one chunk, at every split and byte by byte',
    ({ wire, frames }) => {
      const bytes = fromHex(wire);
      for (const pieces of everySplit(bytes)) {
        expect(hexes(decodePieces(make(), pieces)), `split into ${pieces.length} pieces`).toEqual(
          frames,
        );
      }
    },
  );

  it.each(
    fixtures.filter((f) => !/non-minimal|10-byte|CR stripped|empty CRLF|CRLF lines/.test(f.name)),
  )('encodes $name to the fixture bytes', ({ wire, frames }) => {
    const codec = make();
    const encoded = Buffer.concat(frames.map((f) => codec.encode(fromHex(f))));
    expect(encoded.toString('hex')).toBe(fromHex(wire).toString('hex'));
  });

  it('decodes thousands of frames from one chunk, as views of that chunk', () => {
    const codec = make();
    const payloads = Array.from({ length: 5_000 }, (_, i) => Buffer.from(`frame ${i}`));
    const chunk = Buffer.concat(payloads.map((p) => codec.encode(p)));
    const frames = codec.createDecoder().push(chunk);
    expect(frames.map((f) => f.toString())).toEqual(payloads.map((p) => p.toString()));
    expect(frames.every((f) => f.buffer === chunk.buffer)).toBe(true);
  });

  it('decodes a frame that arrives in many chunks', () => {
    const codec = make();
    const payload = Buffer.alloc(1000, 0x41);
    const wire = codec.encode(payload);
    const pieces = cutAt(
      wire,
      Array.from({ length: 200 }, (_, i) => i * 5),
    );
    expect(decodePieces(codec, pieces)).toEqual([payload]);
  });

  it('refuses to encode a payload over maxFrameBytes', () => {
    const err = thrownBy(() => make().encode(Buffer.alloc(1025, 0x41)));
    expect(err).toBeInstanceOf(LimitExceededError);
    expect(err).toMatchObject({ code: 'TCPUDP_ERR_FRAME_TOO_LARGE', limit: 1024, actual: 1025 });
  });

  it('decodes what it encodes, for any payloads under any chunking', () => {
    const payload =
      codec === 'line'
        ? fc.uint8Array({ maxLength: 200 }).filter((p) => !p.includes(0x0a))
        : fc.uint8Array({ maxLength: 300 });
    fc.assert(
      fc.property(
        fc.array(payload, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (payloads, cuts) => {
          const codec = make();
          const wire = Buffer.concat(payloads.map((p) => codec.encode(p)));
          const frames = decodePieces(codec, cutAt(wire, cuts));
          expect(hexes(frames)).toEqual(hexes(payloads));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reports a truncated frame at the end of the stream', () => {
    const codec = make();
    const wire = codec.encode(Buffer.from('abcdef'));
    for (let cut = 1; cut < wire.length; cut++) {
      const decoder = codec.createDecoder();
      expect(decoder.push(wire.subarray(0, cut))).toEqual([]);
      expect(decoder.bufferedBytes).toBe(cut);
      const err = thrownBy(() => decoder.end(), `end() after ${cut} of ${wire.length} bytes`);
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err.code).toBe('TCPUDP_ERR_TRUNCATED');
    }
  });

  it.each([
    [-1, RangeError],
    [1.5, TypeError],
    [Number.NaN, TypeError],
  ])('rejects maxFrameBytes %s with a %o', (max, error) => {
    const factory = { u32: lengthPrefixCodec, varint: varintCodec, line: lineCodec }[
      codec as 'u32'
    ];
    expect(() => factory({ maxFrameBytes: max })).toThrow(error);
  });
});

describe('length-prefix limits and malformed prefixes', () => {
  it.each([
    {
      name: 'u32 2^32-1 with no body',
      make: () => lengthPrefixCodec(),
      wire: 'ffffffff',
      actual: 2 ** 32 - 1,
      limit: DEFAULT_MAX_FRAME_BYTES,
    },
    {
      name: 'u32 one over the limit',
      make: () => lengthPrefixCodec({ maxFrameBytes: 16 }),
      wire: '00000011',
      actual: 17,
      limit: 16,
    },
    {
      name: 'varint 2^53-1',
      make: () => varintCodec(),
      wire: 'ffffffffffffff0f',
      actual: 2 ** 53 - 1,
      limit: DEFAULT_MAX_FRAME_BYTES,
    },
    {
      name: 'varint one over the limit',
      make: () => varintCodec({ maxFrameBytes: 127 }),
      wire: '8001',
      actual: 128,
      limit: 127,
    },
  ])(
    'refuses $name as soon as the header is read, before any body',
    ({ make, wire, actual, limit }) => {
      for (const pieces of everySplit(fromHex(wire))) {
        const decoder = make().createDecoder();
        const err = thrownBy(() => {
          for (const piece of pieces) decoder.push(piece);
        }, `pushing only the header ${wire}`);
        expect(err).toBeInstanceOf(LimitExceededError);
        expect(err).toMatchObject({ code: 'TCPUDP_ERR_FRAME_TOO_LARGE', limit, actual });
      }
    },
  );

  it.each([
    { name: 'an 11-byte varint', wire: '80808080808080808080 00' },
    { name: 'an 11-byte varint of 0xff', wire: 'ffffffffffffffffffff 01' },
    { name: 'a varint over 2^53-1', wire: 'ffffffffffffffff7f' },
    { name: 'a varint of 2^53', wire: '80808080808080 10' },
  ])('refuses $name as malformed', ({ wire }) => {
    for (const pieces of everySplit(fromHex(wire))) {
      const decoder = varintCodec({ maxFrameBytes: Number.MAX_SAFE_INTEGER }).createDecoder();
      const err = thrownBy(() => {
        for (const piece of pieces) decoder.push(piece);
      });
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err.code).toBe('TCPUDP_ERR_MALFORMED');
    }
  });

  it.each([
    {
      codec: 'u32',
      make: () => lengthPrefixCodec({ maxFrameBytes: 4 }),
      wire: '00000001 61 00000000 00000005',
    },
    { codec: 'varint', make: () => varintCodec({ maxFrameBytes: 4 }), wire: '01 61 00 05' },
    { codec: 'line', make: () => lineCodec({ maxFrameBytes: 4 }), wire: '61 0a 0a 6162636465' },
  ])('$codec: hands over the frames before a bad one, for every chunking', ({ make, wire }) => {
    for (const pieces of everySplit(fromHex(wire))) {
      const decoder = make().createDecoder();
      const frames: Buffer[] = [];
      const err = thrownBy(() => {
        for (const piece of pieces) decoder.push(piece, frames);
      });
      expect(err.code).toBe('TCPUDP_ERR_FRAME_TOO_LARGE');
      expect(hexes(frames)).toEqual(['61', '']);
    }
  });

  it('keeps failing after an error: the stream cannot be resynchronised', () => {
    const decoder = lengthPrefixCodec({ maxFrameBytes: 4 }).createDecoder();
    const first = thrownBy(() => decoder.push(fromHex('00000005')));
    expect(thrownBy(() => decoder.push(fromHex('00000001 61')))).toBe(first);
    expect(thrownBy(() => decoder.end())).toBe(first);
  });

  it('frames exactly maxFrameBytes', () => {
    const codec = lengthPrefixCodec({ maxFrameBytes: 4 });
    expect(hexes(decodePieces(codec, [fromHex('00000004 01020304')]))).toEqual(['01020304']);
  });

  it('accepts maxFrameBytes up to what the prefix can carry', () => {
    expect(lengthPrefixCodec({ maxFrameBytes: 2 ** 32 - 1 }).maxFrameBytes).toBe(2 ** 32 - 1);
    expect(() => lengthPrefixCodec({ maxFrameBytes: 2 ** 32 })).toThrow(RangeError);
    expect(lengthPrefixCodec().maxFrameBytes).toBe(16 * 1024 * 1024);
  });

  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16_383, 'ff7f'],
    [16_384, '808001'],
    [2 ** 32 - 1, 'ffffffff0f'],
    [2 ** 53 - 1, 'ffffffffffffff0f'],
  ])('encodes the varint %i as %s', (value, hex) => {
    expect(encodeVarint(value).toString('hex')).toBe(hex);
  });

  it.each([
    [-1, RangeError],
    [0.5, TypeError],
    [2 ** 53, RangeError],
  ])('refuses to encode the varint %s', (value, error) => {
    expect(() => encodeVarint(value)).toThrow(error);
  });
});

describe('line limits and text', () => {
  it("keeps each decoder's unfinished line apart, however a codec's decoders take turns", () => {
    const codec = lineCodec();
    const [a, b, c] = [codec.createDecoder(), codec.createDecoder(), codec.createDecoder()];
    const text = (frames: Buffer[]): string[] => frames.map((f) => f.toString());
    expect(text(a.push(Buffer.from('one\ntw')))).toEqual(['one']);
    expect(text(b.push(Buffer.from('x\n')))).toEqual(['x']);
    expect(text(c.push(Buffer.from('y\nz')))).toEqual(['y']);
    expect(text(b.push(Buffer.from('1\n2')))).toEqual(['1']);
    expect([a.bufferedBytes, b.bufferedBytes, c.bufferedBytes]).toEqual([2, 1, 1]);
    expect(text(a.push(Buffer.from('o\n')))).toEqual(['two']);
    expect(text(c.push(Buffer.from('\r\n')))).toEqual(['z']);
    expect(text(b.push(Buffer.from('\n')))).toEqual(['2']);
    expect([a.bufferedBytes, b.bufferedBytes, c.bufferedBytes]).toEqual([0, 0, 0]);
    a.end();
    expect(() => b.push(Buffer.from('cut')) && b.end()).toThrow(/ended with 3 bytes/);
  });

  it('refuses a never-ending line as soon as it passes the limit', () => {
    const decoder = lineCodec({ maxFrameBytes: 256 }).createDecoder();
    const chunk = Buffer.alloc(100, 0x61);
    let pushed = 0;
    const err = thrownBy(() => {
      for (let i = 0; i < 1_000; i++) {
        decoder.push(chunk);
        pushed++;
      }
    });
    expect(pushed).toBe(2); // 200 bytes are fine, the third chunk makes 300
    expect(err).toBeInstanceOf(LimitExceededError);
    expect(err).toMatchObject({ code: 'TCPUDP_ERR_FRAME_TOO_LARGE', limit: 256, actual: 300 });
  });

  it('counts the limit without the CRLF', () => {
    const codec = lineCodec({ maxFrameBytes: 3 });
    for (const wire of ['616263 0a', '616263 0d0a']) {
      for (const pieces of everySplit(fromHex(wire))) {
        expect(hexes(decodePieces(codec, pieces))).toEqual(['616263']);
      }
    }
    for (const wire of ['61626364 0a', '61626364 0d0a', '61626364']) {
      for (const pieces of everySplit(fromHex(wire))) {
        const decoder = codec.createDecoder();
        const err = thrownBy(() => {
          for (const piece of pieces) decoder.push(piece);
        }, `decoding ${wire}`);
        expect(err.code).toBe('TCPUDP_ERR_FRAME_TOO_LARGE');
      }
    }
  });

  it('uses 64 KiB as the default line limit', () => {
    expect(lineCodec().maxFrameBytes).toBe(DEFAULT_MAX_LINE_BYTES);
    expect(DEFAULT_MAX_LINE_BYTES).toBe(65_536);
  });

  it.each([{ name: 'a newline inside', payload: '610a62' }])(
    'refuses to encode a payload with $name',
    ({ payload }) => {
      const err = thrownBy(() => lineCodec().encode(fromHex(payload)));
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err.code).toBe('TCPUDP_ERR_MALFORMED');
    },
  );

  it('encodes a payload ending with CR with CRLF, so it decodes back to itself', () => {
    const codec = lineCodec();
    expect(codec.encode(fromHex('610d')).toString('hex')).toBe('610d0d0a');
    expect(codec.encode(fromHex('0d')).toString('hex')).toBe('0d0d0a');
    expect(hexes(decodePieces(codec, [codec.encode(fromHex('610d'))]))).toEqual(['610d']);
  });

  it('converts lines to and from UTF-8 text', () => {
    const codec = lineCodec();
    const wire = Buffer.concat(['héllo', '', '→ ok'].map((t) => codec.encode(encodeLineText(t))));
    expect(decodePieces(codec, [wire]).map(decodeLineText)).toEqual(['héllo', '', '→ ok']);
    expect(thrownBy(() => decodeLineText(fromHex('c3'))).code).toBe('TCPUDP_ERR_MALFORMED');
    expect(thrownBy(() => encodeLineText('a\nb')).code).toBe('TCPUDP_ERR_MALFORMED');
  });
});
