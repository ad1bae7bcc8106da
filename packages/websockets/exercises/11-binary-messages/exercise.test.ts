import {
  describeByteDifference,
  fromHex,
  lessonOf,
  loadExercise,
  type Thrown,
  thrownBy,
  toHex,
} from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

// This spec grades encode() and decode() in-process, on bytes only: each fixture both ways, every
// prefix of it, the hostile inputs of the README's table, and properties over random messages and
// random bytes (fast-check, seeded: the seed is printed on failure).
type Exercise = typeof import('./exercise.ts');
type Message = import('./exercise.ts').Message;
type Limits = import('./exercise.ts').Limits;
const lesson = lessonOf(import.meta.url);
const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

const CODE = 'REALTIME_ERR_ENCODING';

/** `bytes` in hex, 16 a line, with a caret under the byte at `offset` (or just past the end). */
function pointAt(bytes: Uint8Array, offset: number): string {
  const from = Math.max(0, Math.min(offset, bytes.length) - 8);
  const shown = Array.from(bytes.subarray(from, from + 16), (b) => b.toString(16).padStart(2, '0'));
  const label = `  bytes ${from}..: `;
  const caret = `${' '.repeat(label.length + (offset - from) * 3)}^ byte ${offset}`;
  return `${label}${shown.join(' ') || '(none)'}\n${caret}`;
}

/** What decode(bytes) threw, checked to be the typed error; a failure shows the bytes. */
function refusal(
  ex: Exercise,
  bytes: Uint8Array,
  limits: Limits | undefined,
  section: string,
): Thrown {
  const what = `decode(${toHex(bytes) || 'no bytes'}${limits ? `, ${JSON.stringify(limits)}` : ''})`;
  const err = thrownBy(
    () => (limits ? ex.decode(bytes, limits) : ex.decode(bytes)),
    what,
    lesson.see(section),
  );
  expect(
    err.code,
    `${what} threw ${err.name}: ${err.message}\nbut every refusal must be an error with code ${CODE}. ${lesson.see('Refusing bytes')}`,
  ).toBe(CODE);
  return err;
}

function expectOffset(
  err: Thrown,
  bytes: Uint8Array,
  offset: number,
  why: string,
  section: string,
): void {
  const got = err.offset;
  expect(
    got,
    `${why}\nexpected the error at byte ${offset}:\n${pointAt(bytes, offset)}\n` +
      (typeof got === 'number'
        ? `yours says byte ${got}:\n${pointAt(bytes, got)}\n`
        : `yours has offset ${String(got)}\n`) +
      `(${err.message}). ${lesson.see(section)}`,
  ).toBe(offset);
  expect(
    err.message,
    `the message must say where: "at byte ${offset}". ${lesson.see('Refusing bytes')}`,
  ).toContain(`${offset}`);
}

const FIXTURES: { name: string; message: Message; wire: string }[] = [
  {
    name: 'a chat line',
    message: { event: 'chat', id: 42, room: 'lobby', text: 'héllo' },
    wire: '01 0001 0000002a 0005 6c6f626279 0006 68c3a96c6c6f',
  },
  {
    name: 'a move',
    message: { event: 'move', id: 7, x: 1.5, y: -2 },
    wire: '01 0002 00000007 3ff8000000000000 c000000000000000',
  },
  {
    name: 'a roster of two players',
    message: {
      event: 'roster',
      tick: 1000,
      players: [
        { id: 1, name: 'ann', score: -5 },
        { id: 2, name: 'bo', score: 300 },
      ],
    },
    wire: '01 0003 000003e8 0002 00000001 0003 616e6e fffffffb 00000002 0002 626f 0000012c',
  },
  {
    name: 'a chat line with empty strings',
    message: { event: 'chat', id: 0, room: '', text: '' },
    wire: '01 0001 00000000 0000 0000',
  },
  {
    name: 'an empty roster at the last tick',
    message: { event: 'roster', tick: 0xffff_ffff, players: [] },
    wire: '01 0003 ffffffff 0000',
  },
];

describe('11 · binary messages: the fixtures', () => {
  it.each(FIXTURES)('encodes $name to exactly its bytes', async ({ message, wire }) => {
    const { encode } = await load();
    const expected = fromHex(wire);
    const got = encode(message);
    const diff = describeByteDifference(expected, got);
    if (diff) {
      throw new Error(
        `encode(${JSON.stringify(message)}):\n${diff}\n${lesson.see('The format, byte by byte')}`,
      );
    }
  });

  it.each(FIXTURES)('decodes the bytes of $name back to the message', async ({ message, wire }) => {
    const { decode } = await load();
    expect(
      decode(fromHex(wire)),
      `decode(${wire.replace(/\s+/g, '')}). ${lesson.see('The format, byte by byte')}`,
    ).toEqual(message);
  });

  it.each(FIXTURES)('refuses every prefix of $name as truncated', async ({ wire }) => {
    const ex = await load();
    const bytes = fromHex(wire);
    for (let cut = 0; cut < bytes.length; cut++) {
      const prefix = bytes.subarray(0, cut);
      const err = refusal(ex, prefix, undefined, 'Refusing bytes');
      const offset = err.offset;
      if (typeof offset !== 'number' || offset < 0 || offset > cut) {
        throw new Error(
          `decode of the first ${cut} of ${bytes.length} bytes threw "${err.message}" with offset ${String(offset)}: a truncation is reported where the field that does not fit starts, between 0 and ${cut}.\n${pointAt(prefix, cut)}\n${lesson.see('Refusing bytes')}`,
        );
      }
    }
  });

  it('says how much smaller than JSON each message is', async () => {
    const { sizes } = await load();
    for (const { message, wire } of FIXTURES) {
      const json = Buffer.byteLength(JSON.stringify(message));
      const binary = fromHex(wire).length;
      expect(
        sizes(message),
        `sizes(${JSON.stringify(message)}): the binary bytes, and the UTF-8 bytes of JSON.stringify. ${lesson.see('Smaller than JSON')}`,
      ).toEqual({ binary, json });
      expect(binary, 'every fixture is smaller in binary').toBeLessThan(json);
    }
  });
});

const move = '01 0002 00000007 3ff8000000000000 c000000000000000';
const roster = FIXTURES[2]?.wire ?? '';
const HOSTILE: {
  name: string;
  wire: string;
  offset: number;
  limits?: Limits;
  section: string;
}[] = [
  { name: 'version 2', wire: `02 ${move.slice(3)}`, offset: 0, section: 'The header' },
  { name: 'version 0', wire: `00 ${move.slice(3)}`, offset: 0, section: 'The header' },
  {
    name: 'an unknown event id 0x0009',
    wire: '01 0009 00000007',
    offset: 1,
    section: 'The header',
  },
  { name: 'event id 0x0000', wire: '01 0000 00000007 0000 0000', offset: 1, section: 'The header' },
  {
    name: 'a string length longer than the bytes left',
    wire: '01 0001 0000002a 0005 6c6f 0000',
    offset: 7,
    section: 'Lengths and counts are claims',
  },
  {
    name: 'a string length of 65535 in a 13-byte message',
    wire: '01 0001 0000002a ffff 6c6f 0000',
    offset: 7,
    section: 'Lengths and counts are claims',
  },
  {
    name: 'a string over maxStringBytes (4), all its bytes present',
    wire: FIXTURES[0]?.wire ?? '',
    limits: { maxStringBytes: 4 },
    offset: 7,
    section: 'Lengths and counts are claims',
  },
  {
    name: 'a count of 3 players with only 2 present',
    wire: `01 0003 000003e8 0003 ${roster.slice(22)}`,
    offset: 7,
    section: 'Lengths and counts are claims',
  },
  {
    name: 'a count over maxItems (1), every player present',
    wire: roster,
    limits: { maxItems: 1 },
    offset: 7,
    section: 'Lengths and counts are claims',
  },
  {
    name: 'a player name longer than the bytes left',
    wire: '01 0003 000003e8 0001 00000001 0009 616e6e fffffffb',
    offset: 13,
    section: 'Lengths and counts are claims',
  },
  {
    name: 'a room that is the byte ff (never UTF-8)',
    wire: '01 0001 0000002a 0001 ff 0000',
    offset: 9,
    section: 'Strings are UTF-8, checked',
  },
  {
    name: 'an overlong "/" (c0 af)',
    wire: '01 0001 0000002a 0002 c0af 0000',
    offset: 9,
    section: 'Strings are UTF-8, checked',
  },
  {
    name: 'a surrogate (ed a0 80)',
    wire: '01 0001 0000002a 0003 eda080 0000',
    offset: 9,
    section: 'Strings are UTF-8, checked',
  },
  {
    name: 'a text that stops inside a character (c3)',
    wire: '01 0001 0000002a 0000 0001 c3',
    offset: 11,
    section: 'Strings are UTF-8, checked',
  },
  { name: 'a byte after a move', wire: `${move} 00`, offset: 23, section: 'Refusing bytes' },
  {
    name: 'a whole second message after the first',
    wire: '01 0001 00000000 0000 0000 01 0001 00000000 0000 0000',
    offset: 11,
    section: 'Refusing bytes',
  },
];

describe('11 · binary messages: hostile bytes', () => {
  it.each(HOSTILE)('refuses $name, at byte $offset', async ({ wire, offset, limits, section }) => {
    const ex = await load();
    const bytes = fromHex(wire);
    const err = refusal(ex, bytes, limits, section);
    expectOffset(err, bytes, offset, `decode(${toHex(bytes)})`, section);
  });

  it('refuses a count of 65535 in a 10-byte message at the count, before allocating', async () => {
    const ex = await load();
    const bytes = fromHex('01 0003 000003e8 ffff 00');
    const limits = { maxItems: 0xffff };
    const big: string[] = [];
    const watch = (name: string, size: unknown): void => {
      if (typeof size === 'number' && size >= 1000) big.push(`${name}(${size})`);
    };
    const spies = [
      ['Buffer.alloc', vi.spyOn(Buffer, 'alloc')],
      ['Buffer.allocUnsafe', vi.spyOn(Buffer, 'allocUnsafe')],
      ['Buffer.allocUnsafeSlow', vi.spyOn(Buffer, 'allocUnsafeSlow')],
      ['Array.from', vi.spyOn(Array, 'from')],
    ] as const;
    const RealArray = globalThis.Array;
    // `new Array(n)` and `Array(n)` go through the global: watch them for the call's length.
    globalThis.Array = new Proxy(RealArray, {
      construct(target, args) {
        if (args.length === 1) watch('new Array', args[0]);
        return Reflect.construct(target, args);
      },
      apply(target, self, args) {
        if (args.length === 1) watch('Array', args[0]);
        return Reflect.apply(target, self, args);
      },
    });
    let err: Thrown;
    try {
      err = refusal(ex, bytes, limits, 'Lengths and counts are claims');
    } finally {
      globalThis.Array = RealArray;
      for (const [name, spy] of spies) {
        for (const call of spy.mock.calls) {
          const first = call[0] as unknown;
          watch(name, first);
          if (first && typeof first === 'object' && 'length' in first) {
            watch(`${name}({ length })`, (first as { length: unknown }).length);
          }
        }
        spy.mockRestore();
      }
    }
    expect(
      big,
      `decode allocated for the 65535 players the count claims before checking them against the 1 byte left. ${lesson.see('Lengths and counts are claims')}`,
    ).toEqual([]);
    expectOffset(
      err,
      bytes,
      7,
      'a count of 65535 players (at least 10 bytes each) with 1 byte left is refused at the count, not item by item until the bytes run out',
      'Lengths and counts are claims',
    );
  });

  it.each([
    ['a room over maxStringBytes', { event: 'chat', id: 1, room: 'x'.repeat(1025), text: '' }],
    [
      'more players than maxItems',
      {
        event: 'roster',
        tick: 1,
        players: Array.from({ length: 257 }, (_, i) => ({ id: i, name: '', score: 0 })),
      },
    ],
    ['an id of -1', { event: 'move', id: -1, x: 0, y: 0 }],
    ['an id of 2^32', { event: 'move', id: 2 ** 32, x: 0, y: 0 }],
    ['an id of 1.5', { event: 'chat', id: 1.5, room: '', text: '' }],
    [
      'a score of 2^31',
      { event: 'roster', tick: 1, players: [{ id: 1, name: '', score: 2 ** 31 }] },
    ],
  ] as [string, Message][])('refuses to encode %s', async (_, message) => {
    const { encode } = await load();
    const err = thrownBy(
      () => encode(message),
      `encode(${JSON.stringify(message).slice(0, 120)})`,
      lesson.see('Your task'),
    );
    expect(err.code, `${err.message}. ${lesson.see('Your task')}`).toBe(CODE);
  });
});

// Valid strings only (no lone surrogates: UTF-8 cannot carry them, see the README).
const text = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0xd7ff }),
      fc.integer({ min: 0xe000, max: 0xffff }),
      fc.integer({ min: 0x1_0000, max: 0x10_ffff }),
    ),
    { maxLength: 12 },
  )
  .map((points) => String.fromCodePoint(...points));
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const messages: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ event: fc.constant('chat' as const), id: u32, room: text, text }),
  fc.record({ event: fc.constant('move' as const), id: u32, x: fc.double(), y: fc.double() }),
  fc.record({
    event: fc.constant('roster' as const),
    tick: u32,
    players: fc.array(
      fc.record({ id: u32, name: text, score: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
      { maxLength: 6 },
    ),
  }),
);

/** Fails with fast-check's seed and counterexample, and the section to read. */
function withSection(run: () => void, section: string): void {
  try {
    run();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${lesson.see(section)}`);
  }
}

describe('11 · binary messages: properties (fast-check; the seed is printed on failure)', () => {
  it('decode(encode(m)) is m for random valid messages', async () => {
    const { encode, decode } = await load();
    withSection(
      () =>
        fc.assert(
          fc.property(messages, (m) => {
            const bytes = encode(m);
            expect(decode(bytes), `decode(${toHex(bytes)})`).toEqual(m);
          }),
          { seed: 0x11b1, numRuns: 300 },
        ),
      'The format, byte by byte',
    );
  });

  it('decode of random or damaged bytes returns a valid message or throws only the typed error', async () => {
    const { encode, decode } = await load();
    const damaged = fc
      .tuple(messages, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(3))
      .map(([m, at, byte, how]) => {
        const bytes = Buffer.from(encode(m));
        const i = at % bytes.length;
        if (how === 0) bytes[i] = byte;
        if (how === 1) return bytes.subarray(0, i);
        if (how === 2) return Buffer.concat([bytes, Buffer.of(byte)]);
        if (how === 3) bytes.writeUInt16BE(0xffff - (byte & 3), Math.min(i, bytes.length - 2));
        return bytes;
      });
    const headed = fc
      .tuple(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 48 }))
      .map(([event, tail]) => Buffer.concat([Buffer.of(1, 0, event), tail]));
    const limits = fc.option(fc.record({ maxStringBytes: fc.nat(40), maxItems: fc.nat(5) }), {
      nil: undefined,
    });
    withSection(
      () =>
        fc.assert(
          fc.property(
            fc.oneof(fc.uint8Array({ maxLength: 48 }), headed, damaged),
            limits,
            (bytes, lim) => {
              let got: Message;
              try {
                got = lim ? decode(bytes, lim) : decode(bytes);
              } catch (error) {
                const err = error as Thrown;
                if (
                  err?.code !== CODE ||
                  typeof err.offset !== 'number' ||
                  err.offset < 0 ||
                  err.offset > bytes.length
                ) {
                  throw new Error(
                    `decode(${toHex(bytes)}) threw ${String(err?.name)} "${String(err?.message)}" (code ${String(err?.code)}, offset ${String(err?.offset)}): only ${CODE} with an offset inside the input may come out. ${lesson.see('Refusing bytes')}`,
                  );
                }
                return;
              }
              expect(
                decode(encode(got)),
                `decode(${toHex(bytes)}) returned ${JSON.stringify(got)}, which does not encode and decode back to itself`,
              ).toEqual(got);
            },
          ),
          { seed: 0x11f0, numRuns: 500 },
        ),
      'Refusing bytes',
    );
  });
});
