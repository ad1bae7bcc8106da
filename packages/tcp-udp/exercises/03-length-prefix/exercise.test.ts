import { everySplit, hexdump, loadExercise, thrownBy } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// This spec grades your encodeFrame() and createFrameDecoder() with bytes only, no sockets: every
// fixture is delivered whole, cut at every offset, and one byte at a time, as TCP may deliver it.
type Exercise = typeof import('./exercise.ts');
const LESSON = 'exercises/03-length-prefix/README.md';

const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);
const fromHex = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** How the pieces were delivered, for failure messages. */
function describePieces(pieces: readonly Uint8Array[]): string {
  if (pieces.length > 8)
    return `${pieces.length} pieces (${pieces.map((p) => p.length).join('+')} bytes)`;
  return pieces
    .map((p, i) => `piece ${i + 1} (${p.length} bytes): ${hex(p) || '(empty)'}`)
    .join('\n');
}

/** Feeds `pieces` to a fresh decoder, then ends the stream; returns the payloads as hex. */
async function decode(pieces: readonly Uint8Array[], max?: number): Promise<string[]> {
  const { createFrameDecoder } = await load();
  const decoder = max === undefined ? createFrameDecoder() : createFrameDecoder(max);
  const frames: string[] = [];
  for (const piece of pieces) {
    const out = decoder.push(piece);
    if (!Array.isArray(out)) throw new Error(`push() must return an array, got ${String(out)}`);
    frames.push(...out.map(hex));
  }
  decoder.end();
  return frames;
}

/** `thrownBy`, with the section of the lesson to read when nothing is thrown. */
function thrownOrHint(
  fn: () => unknown,
  what: string,
  section: string,
): ReturnType<typeof thrownBy> {
  try {
    return thrownBy(fn, what);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nRead "${section}" in ${LESSON}.`);
  }
}

const x300 = '78'.repeat(300);
const FIXTURES = [
  { name: 'one payload', wire: '00000002 6869', frames: ['6869'] },
  { name: 'an empty payload', wire: '00000000', frames: [''] },
  { name: 'two payloads back to back', wire: '00000001 61 00000002 6263', frames: ['61', '6263'] },
  {
    name: 'an empty payload between two',
    wire: '00000001 61 00000000 00000001 62',
    frames: ['61', '', '62'],
  },
  { name: 'a payload that looks like a header', wire: '00000004 00000009', frames: ['00000009'] },
  { name: 'a 300-byte payload (length 0x12c)', wire: `0000012c ${x300}`, frames: [x300] },
];

describe('03 · length-prefixed framing: encodeFrame', () => {
  it.each(FIXTURES.filter((f) => f.frames.length === 1))(
    'encodes $name',
    async ({ wire, frames }) => {
      const { encodeFrame } = await load();
      const got = hex(encodeFrame(fromHex(frames[0] as string)));
      expect(
        got,
        `encodeFrame(${frames[0] || 'empty'}): expected ${hex(fromHex(wire))}, got ${got}. Read "The header" in ${LESSON}.`,
      ).toBe(hex(fromHex(wire)));
    },
  );

  it('refuses a payload over maxFrameBytes with TCPUDP_ERR_FRAME_TOO_LARGE', async () => {
    const { encodeFrame } = await load();
    expect(hex(encodeFrame(Buffer.alloc(8, 1), 8))).toBe(`00000008${'01'.repeat(8)}`);
    const err = thrownOrHint(
      () => encodeFrame(Buffer.alloc(9), 8),
      'encodeFrame(9 bytes, max 8)',
      'Limits',
    );
    expect(err.code, `read "Limits" in ${LESSON}`).toBe('TCPUDP_ERR_FRAME_TOO_LARGE');
  });
});

describe('03 · length-prefixed framing: the decoder', () => {
  it.each(FIXTURES)('decodes $name however the bytes are split', async ({ wire, frames }) => {
    const bytes = fromHex(wire);
    for (const pieces of everySplit(bytes)) {
      let got: string[] | string;
      try {
        got = await decode(pieces);
      } catch (err) {
        got = `a throw: ${(err as Error).message}`;
      }
      expect(
        got,
        `sent ${hex(bytes)} as\n${describePieces(pieces)}\nexpected payloads ${JSON.stringify(frames)}. Read "No message boundaries" in ${LESSON}.`,
      ).toEqual(frames);
    }
  });

  it('decodes thousands of frames that arrive in one chunk', async () => {
    const { createFrameDecoder, encodeFrame } = await load();
    const payloads = Array.from({ length: 10_000 }, (_, i) => `frame ${i}`);
    const chunk = Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p))));
    const decoder = createFrameDecoder();
    const got = decoder.push(chunk).map((f) => Buffer.from(f).toString());
    expect(
      got.length,
      `one push of ${chunk.length} bytes holding ${payloads.length} frames; read "Decoding, step by step" in ${LESSON}`,
    ).toBe(payloads.length);
    expect(got).toEqual(payloads);
    decoder.end();
  });

  it('decodes a stream cut at arbitrary places (random chunkings; the seed is printed on failure)', async () => {
    const { createFrameDecoder, encodeFrame } = await load();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 15 }),
          fc.array(fc.nat(), { maxLength: 20 }),
          async (payloads, cuts) => {
            const wire = Buffer.concat(payloads.map((p) => encodeFrame(p)));
            const offsets = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort(
              (a, b) => a - b,
            );
            const pieces: Buffer[] = [];
            let from = 0;
            for (const at of [...offsets, wire.length]) {
              pieces.push(wire.subarray(from, at));
              from = at;
            }
            const decoder = createFrameDecoder();
            const got = pieces.flatMap((p) => decoder.push(p)).map(hex);
            decoder.end();
            expect(got, `sent ${describePieces(pieces)}`).toEqual(payloads.map(hex));
          },
        ),
        { numRuns: 150 },
      );
    } catch (error) {
      const cause = (error as Error).cause;
      throw new Error(
        `${(error as Error).message}${cause instanceof Error ? `\n${cause.message}` : ''}\nRead "Decoding, step by step" in ${LESSON}.`,
      );
    }
  });

  it.each([
    { name: 'a declared length of 2^32-1 (ffffffff)', header: 'ffffffff', max: undefined },
    { name: 'one byte over a 1024-byte limit', header: '00000401', max: 1024 },
  ])('refuses $name from the header alone, before any body', async ({ header, max }) => {
    const { createFrameDecoder } = await load();
    for (const pieces of everySplit(fromHex(header))) {
      const decoder = max === undefined ? createFrameDecoder() : createFrameDecoder(max);
      let err: ReturnType<typeof thrownBy>;
      try {
        err = thrownBy(
          () => {
            for (const piece of pieces) decoder.push(piece);
          },
          `push() of only the header ${header}, as\n${describePieces(pieces)}\n(no body, no end()),`,
        );
      } catch (error) {
        throw new Error(
          `${(error as Error).message}\nThe declared length is over the limit: throw TCPUDP_ERR_FRAME_TOO_LARGE as soon as the 4 header bytes are in, without waiting for the body. Read "Limits" in ${LESSON}.`,
        );
      }
      expect(
        err.code,
        `the header ${header} must be refused at once; read "Limits" in ${LESSON}`,
      ).toBe('TCPUDP_ERR_FRAME_TOO_LARGE');
    }
  });

  it('accepts a frame of exactly maxFrameBytes', async () => {
    expect(await decode([fromHex(`00000400 ${'ab'.repeat(1024)}`)], 1024)).toEqual([
      'ab'.repeat(1024),
    ]);
  });

  it.each([
    { name: 'half a header', wire: '0000' },
    { name: 'a header and no body', wire: '00000005' },
    { name: 'a body shorter than declared', wire: '00000005 616263' },
    { name: 'a whole frame, then half a header', wire: '00000001 61 000000' },
  ])('reports $name at the end of the stream as TCPUDP_ERR_TRUNCATED', async ({ wire }) => {
    const { createFrameDecoder } = await load();
    const decoder = createFrameDecoder();
    decoder.push(fromHex(wire));
    const err = thrownOrHint(
      () => decoder.end(),
      `end() after ${wire.replace(/\s+/g, '')}`,
      'The end of the stream',
    );
    expect(err.code, `read "The end of the stream" in ${LESSON}`).toBe('TCPUDP_ERR_TRUNCATED');
  });

  it('ends cleanly after whole frames', async () => {
    const { createFrameDecoder } = await load();
    const decoder = createFrameDecoder();
    expect(decoder.push(fromHex('00000001 61 00000000')).map(hex)).toEqual(['61', '']);
    expect(
      () => decoder.end(),
      `end() after two whole frames must not throw; read "The end of the stream" in ${LESSON}`,
    ).not.toThrow();
  });

  it('keeps streams apart: each decoder has its own state', async () => {
    const { createFrameDecoder } = await load();
    const a = createFrameDecoder();
    const b = createFrameDecoder();
    a.push(fromHex('000000'));
    expect(
      b.push(fromHex('00000001 62')).map(hex),
      `a second decoder saw the first one's bytes:\n${hexdump(fromHex('000000'))}`,
    ).toEqual(['62']);
    expect(a.push(fromHex('01 61')).map(hex)).toEqual(['61']);
  });
});
