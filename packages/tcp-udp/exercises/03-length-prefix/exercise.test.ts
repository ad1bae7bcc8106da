import {
  describePieces,
  everySplit,
  fromHex,
  hexdump,
  lessonOf,
  loadExercise,
  type Thrown,
  thrownBy,
  toHex,
} from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

// This spec grades your encodeFrame() and createFrameDecoder() with bytes only, no sockets: every
// fixture is delivered whole, cut at every offset, and one byte at a time, as TCP may deliver it.
type Exercise = typeof import('./exercise.ts');
const lesson = lessonOf(import.meta.url);

const bufferCopy = Buffer.prototype.copy;
const typedSet = Uint8Array.prototype.set;

const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

/** What a fresh decoder made of `pieces` then end(): the payloads (hex), and what it threw. */
async function decodeAll(
  pieces: readonly Uint8Array[],
  max?: number,
): Promise<{ frames: string[]; error?: Thrown }> {
  const { createFrameDecoder } = await load();
  const frames: string[] = [];
  try {
    const decoder = max === undefined ? createFrameDecoder() : createFrameDecoder(max);
    for (const piece of pieces) {
      const out = decoder.push(piece);
      if (!Array.isArray(out)) throw new Error(`push() must return an array, got ${String(out)}`);
      frames.push(...out.map(toHex));
    }
    decoder.end();
  } catch (error) {
    return { frames, error: error as Thrown };
  }
  return { frames };
}

/** The payloads, or what was thrown after them, as a failure message shows it. */
function shown({ frames, error }: { frames: string[]; error?: Thrown }): string[] | string {
  if (!error) return frames;
  return `${JSON.stringify(frames)}, then a throw: ${error.code ?? ''} ${error.message}`;
}

/**
 * The section that explains payloads decoded wrong from bytes delivered whole: the first ones
 * right and then no more means the loop stopped early; wrong from the first, the length was read
 * wrong.
 */
function sectionFor(got: readonly string[], expected: readonly string[]): string {
  const stoppedEarly =
    got.length > 0 &&
    got.length < expected.length &&
    got.every((frame, i) => frame === expected[i]);
  return stoppedEarly ? 'Decoding, step by step' : 'The header';
}

/**
 * The deliveries of `bytes`, in the order that names the fault best: whole first (a failure
 * there is the header or the loop, not boundaries), then split in two and byte by byte, and
 * last the splits with an empty piece (only push([]) can fail those).
 */
function deliveries(bytes: Uint8Array): { pieces: Uint8Array[]; section: string; why: string }[] {
  const all = [...everySplit(bytes)];
  const empty = (pieces: Uint8Array[]): boolean => pieces.some((p) => p.length === 0);
  return [
    { pieces: [bytes], section: 'The header', why: 'delivered whole, in one push' },
    ...all
      .filter((pieces) => !empty(pieces))
      .map((pieces) => ({
        pieces,
        section: 'No message boundaries',
        why: 'whole it decodes, but not cut like this',
      })),
    ...all.filter(empty).map((pieces) => ({
      pieces,
      section: 'Decoding, step by step',
      why: 'an empty push() must return [] and change nothing',
    })),
  ];
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
      const got = toHex(encodeFrame(fromHex(frames[0] as string)));
      const expected = toHex(fromHex(wire));
      expect(
        got,
        `encodeFrame(${frames[0] || 'empty'}): expected ${expected}, got ${got}. ${lesson.see('The header')}`,
      ).toBe(expected);
    },
  );

  it('refuses a payload over maxFrameBytes with TCPUDP_ERR_FRAME_TOO_LARGE', async () => {
    const { encodeFrame } = await load();
    expect(
      toHex(encodeFrame(Buffer.alloc(8, 1), 8)),
      `a payload of exactly maxFrameBytes is allowed. ${lesson.see('Limits')}`,
    ).toBe(`00000008${'01'.repeat(8)}`);
    const err = thrownBy(
      () => encodeFrame(Buffer.alloc(9), 8),
      'encodeFrame(9 bytes, max 8)',
      lesson.see('Limits'),
    );
    expect(err.code, lesson.see('Limits')).toBe('TCPUDP_ERR_FRAME_TOO_LARGE');
  });
});

describe('03 · length-prefixed framing: the decoder', () => {
  it.each(FIXTURES)('decodes $name however the bytes are split', async ({ wire, frames }) => {
    const bytes = fromHex(wire);
    for (const { pieces, section, why } of deliveries(bytes)) {
      const result = await decodeAll(pieces);
      const got = shown(result);
      if (JSON.stringify(got) === JSON.stringify(frames)) continue;
      const where = pieces.length === 1 ? sectionFor(result.frames, frames) : section;
      expect(
        got,
        `sent ${toHex(bytes)} as\n${describePieces(pieces)}\n(${why})\nexpected payloads ${JSON.stringify(frames)}. ${lesson.see(where)}`,
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
      `one push of ${chunk.length} bytes holding ${payloads.length} frames: loop until the bytes run out. ${lesson.see('Decoding, step by step')}`,
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
            const got = pieces.flatMap((p) => decoder.push(p)).map(toHex);
            decoder.end();
            expect(got, `sent ${describePieces(pieces)}`).toEqual(payloads.map(toHex));
          },
        ),
        { numRuns: 150 },
      );
    } catch (error) {
      const cause = (error as Error).cause;
      throw new Error(
        `${(error as Error).message}${cause instanceof Error ? `\n${cause.message}` : ''}\n${lesson.see('Decoding, step by step')}`,
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
      const err = thrownBy(
        () => {
          for (const piece of pieces) decoder.push(piece);
        },
        `push() of only the header ${header}, as\n${describePieces(pieces)}\n(no body, no end()),`,
        `The declared length is over the limit: throw TCPUDP_ERR_FRAME_TOO_LARGE as soon as the 4 header bytes are in, without waiting for the body. ${lesson.see('Limits')}`,
      );
      expect(
        err.code,
        `the header ${header} must be refused at once. ${lesson.see('Limits')}`,
      ).toBe('TCPUDP_ERR_FRAME_TOO_LARGE');
    }
  });

  it('accepts a frame of exactly maxFrameBytes', async () => {
    const got = shown(await decodeAll([fromHex(`00000400 ${'ab'.repeat(1024)}`)], 1024));
    expect(
      got,
      `a frame of exactly 1024 bytes with maxFrameBytes 1024 is allowed: refuse only a longer one. ${lesson.see('Limits')}`,
    ).toEqual(['ab'.repeat(1024)]);
  });

  it.each([
    { name: 'half a header', wire: '0000' },
    { name: 'a header and no body', wire: '00000005' },
    { name: 'a body shorter than declared', wire: '00000005 616263' },
    { name: 'a whole frame, then half a header', wire: '00000001 61 000000' },
  ])('reports $name at the end of the stream as TCPUDP_ERR_TRUNCATED', async ({ wire }) => {
    const { createFrameDecoder } = await load();
    const decoder = createFrameDecoder();
    const got = decoder.push(fromHex(wire)).map(toHex);
    const whole = wire.startsWith('00000001 61') ? ['61'] : [];
    expect(
      got,
      `push(${wire.replace(/\s+/g, '')}) should return ${JSON.stringify(whole)}. ${lesson.see(sectionFor(got, whole))}`,
    ).toEqual(whole);
    const err = thrownBy(
      () => decoder.end(),
      `end() after ${wire.replace(/\s+/g, '')}`,
      lesson.see('The end of the stream'),
    );
    expect(err.code, lesson.see('The end of the stream')).toBe('TCPUDP_ERR_TRUNCATED');
  });

  it('ends cleanly after whole frames', async () => {
    const { createFrameDecoder } = await load();
    const decoder = createFrameDecoder();
    const got = decoder.push(fromHex('00000001 61 00000000')).map(toHex);
    expect(
      got,
      `push(00000001 61 00000000) holds a 1-byte payload, then an empty one. ${lesson.see(sectionFor(got, ['61', '']))}`,
    ).toEqual(['61', '']);
    expect(
      () => decoder.end(),
      `end() after two whole frames must not throw. ${lesson.see('The end of the stream')}`,
    ).not.toThrow();
  });

  it('keeps streams apart: each decoder has its own state', async () => {
    const { createFrameDecoder } = await load();
    const alone = createFrameDecoder().push(fromHex('00000001 62')).map(toHex);
    expect(
      alone,
      `a fresh decoder, given 00000001 62 in one push, must return ["62"]. ${lesson.see('The header')}`,
    ).toEqual(['62']);
    const a = createFrameDecoder();
    const b = createFrameDecoder();
    a.push(fromHex('000000'));
    expect(
      b.push(fromHex('00000001 62')).map(toHex),
      `a second decoder saw the first one's bytes (alone it decodes them; after another decoder was given\n${hexdump(fromHex('000000'))}\nit does not): keep the state inside createFrameDecoder(), not in the module. ${lesson.see('Decoding, step by step')}`,
    ).toEqual(['62']);
    expect(
      a.push(fromHex('01 61')).map(toHex),
      `the first decoder keeps its own 3 header bytes. ${lesson.see('Decoding, step by step')}`,
    ).toEqual(['61']);
  });

  it('does linear work: a 4 MiB frame fed 16 bytes at a time copies each byte a few times, not once per push', async () => {
    const { createFrameDecoder } = await load();
    const size = 4 * 1024 * 1024;
    const step = 16;
    const wire = Buffer.alloc(4 + size, 0x5a);
    wire.writeUInt32BE(size, 0);
    // Count the bytes the common ways of copying move. A decoder that joins everything waiting on
    // every push copies ~size²/(2·step) bytes (550 GB here); one that joins once per frame, a few
    // times `size`. The gap is five orders of magnitude, so the budget is generous.
    const budget = 8 * wire.length;
    let copied = 0;
    const overBudget = (): Error =>
      new Error(
        `copied more than ${budget >> 20} MiB to decode one ${size >> 20} MiB frame fed ${step} bytes at a time: joining all the waiting bytes again on every push is quadratic. Keep a list of chunks and join once per frame. ${lesson.see('Decoding, step by step')}`,
      );
    const count = (bytes: number): void => {
      copied += bytes;
      if (copied > budget) throw overBudget();
    };
    const concat = Buffer.concat;
    const spies = [
      vi.spyOn(Buffer, 'concat').mockImplementation((list, totalLength) => {
        const out = concat(list, totalLength);
        count(out.length);
        return out;
      }),
      vi.spyOn(Buffer.prototype, 'copy').mockImplementation(function (this: Buffer, ...args) {
        const [target, targetStart, sourceStart, sourceEnd] = args as Parameters<Buffer['copy']>;
        count(this.subarray(sourceStart ?? 0, sourceEnd).length);
        return bufferCopy.call(this, target, targetStart, sourceStart, sourceEnd);
      }),
      vi.spyOn(Uint8Array.prototype, 'set').mockImplementation(function (
        this: Uint8Array,
        source: ArrayLike<number>,
        offset?: number,
      ) {
        count(source.length);
        return typedSet.call(this, source, offset);
      }),
    ];
    // Then a watchdog on the clock, for copies the counters do not see: the linear decoder takes
    // well under a second here, the quadratic one minutes.
    const deadline = Date.now() + 20_000;
    let frames = 0;
    try {
      const decoder = createFrameDecoder();
      for (let at = 0; at < wire.length; at += step) {
        frames += decoder.push(wire.subarray(at, at + step)).length;
        if ((at & 0xffff) === 0 && Date.now() > deadline) {
          throw new Error(
            `after ${at >> 10} KiB of a ${size >> 20} MiB frame fed ${step} bytes at a time, 20 s had passed (a linear decoder needs well under 1 s): each push is redoing work for every byte already waiting. Keep a list of chunks and join once per frame. ${lesson.see('Decoding, step by step')}`,
          );
        }
      }
      decoder.end();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(
      frames,
      `one ${size >> 20} MiB frame, fed ${step} bytes at a time. ${lesson.see('Decoding, step by step')}`,
    ).toBe(1);
  }, 60_000);
});
