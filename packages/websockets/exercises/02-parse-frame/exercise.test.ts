import {
  describeByteDifference,
  fromHex,
  hexdump,
  lessonOf,
  loadExercise,
  seededBytes,
  thrownBy,
  toHex,
} from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';

// This spec grades parseFrame() and encodeFrame() with bytes only, no sockets. Its fixtures are
// RFC 6455 §5.7's examples, byte for byte, and frames at every boundary of the length forms.
type Exercise = typeof import('./exercise.ts');
type Frame = import('./exercise.ts').Frame;
const lesson = lessonOf(import.meta.url);
const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

/** A frame as the spec expects it: the payload in hex. */
interface Expected {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  payload: string;
}

interface Fixture {
  name: string;
  wire: Buffer;
  frame: Expected;
  /** The masking key, for encodeFrame (it is also bytes 2+ext… of `wire`). */
  maskKey?: Buffer;
}

const HELLO = toHex(Buffer.from('Hello'));
const RFC_KEY = '37fa213d';

/** The fields of a frame with defaults: final, no reserved bits, unmasked. */
const frame = (opcode: number, payload: string, extra: Partial<Expected> = {}): Expected => ({
  fin: true,
  rsv1: false,
  rsv2: false,
  rsv3: false,
  opcode,
  masked: false,
  payload,
  ...extra,
});

/** XOR with the key, byte i with key[i % 4] (RFC 6455 §5.3), written here independently. */
const xorWith = (payload: Buffer, key: Buffer): Buffer =>
  Buffer.from(payload.map((byte, i) => byte ^ (key[i % 4] as number)));

/** The length field for `n` in its shortest form (RFC 6455 §5.2), for building fixtures. */
function lengthField(n: number, masked: boolean): Buffer {
  const bit = masked ? 0x80 : 0;
  if (n < 126) return Buffer.of(bit | n);
  if (n < 0x1_0000) return Buffer.of(bit | 126, n >> 8, n & 0xff);
  const out = Buffer.alloc(9);
  out[0] = bit | 127;
  out.writeBigUInt64BE(BigInt(n), 1);
  return out;
}

/** A binary frame of `n` seeded bytes, masked with a seeded key when `masked`. */
function binaryFixture(n: number, masked = false): Fixture {
  const payload = seededBytes(n, n);
  const key = seededBytes(n + 1_000_000, 4);
  const body = masked ? Buffer.concat([key, xorWith(payload, key)]) : payload;
  return {
    name: `a ${masked ? 'masked' : 'unmasked'} ${n}-byte binary frame`,
    wire: Buffer.concat([Buffer.of(0x82), lengthField(n, masked), body]),
    frame: frame(2, toHex(payload), { masked }),
    ...(masked ? { maskKey: key } : {}),
  };
}

/** RFC 6455 §5.7, byte for byte. */
const RFC_FIXTURES: Fixture[] = [
  {
    name: 'a single-frame unmasked text message "Hello"',
    wire: fromHex(`81 05 ${HELLO}`),
    frame: frame(1, HELLO),
  },
  {
    name: 'a single-frame masked text message "Hello"',
    wire: fromHex(`81 85 ${RFC_KEY} 7f9f4d5158`),
    frame: frame(1, HELLO, { masked: true }),
    maskKey: fromHex(RFC_KEY),
  },
  {
    name: 'the first fragment of "Hel"+"lo" (FIN clear, opcode text)',
    wire: fromHex('01 03 48656c'),
    frame: frame(1, '48656c', { fin: false }),
  },
  {
    name: 'the last fragment of "Hel"+"lo" (FIN set, opcode continuation)',
    wire: fromHex('80 02 6c6f'),
    frame: frame(0, '6c6f'),
  },
  { name: 'an unmasked ping "Hello"', wire: fromHex(`89 05 ${HELLO}`), frame: frame(9, HELLO) },
  {
    name: 'a masked pong "Hello"',
    wire: fromHex(`8a 85 ${RFC_KEY} 7f9f4d5158`),
    frame: frame(10, HELLO, { masked: true }),
    maskKey: fromHex(RFC_KEY),
  },
  binaryFixture(256),
  binaryFixture(65_536),
];

/** The boundaries of the length forms, and masking of lengths that are not multiples of 4. */
const MORE_FIXTURES: Fixture[] = [
  binaryFixture(0),
  binaryFixture(125),
  binaryFixture(126),
  binaryFixture(127),
  binaryFixture(65_535),
  binaryFixture(7, true),
  binaryFixture(13, true),
  binaryFixture(126, true),
  binaryFixture(65_537, true),
  {
    name: 'a frame with FIN clear and all three reserved bits set (byte 0 = 0x72)',
    wire: fromHex('72 00'),
    frame: frame(2, '', { fin: false, rsv1: true, rsv2: true, rsv3: true }),
  },
];

const ALL = [...RFC_FIXTURES, ...MORE_FIXTURES];

/** The size of `wire`'s header (2 bytes, the extended length, the masking key). */
function headerSize(wire: Uint8Array): number {
  const code = (wire[1] ?? 0) & 0x7f;
  return 2 + (code === 126 ? 2 : code === 127 ? 8 : 0) + ((wire[1] ?? 0) & 0x80 ? 4 : 0);
}

/** A frame as a failure message shows it (the payload in hex, cut after 32 bytes). */
function shown(f: Frame | Expected): string {
  const hex = typeof f.payload === 'string' ? f.payload : toHex(f.payload ?? new Uint8Array());
  const payload = hex.length > 64 ? `${hex.slice(0, 64)}… (${hex.length / 2} bytes)` : hex;
  return `{ fin: ${f.fin}, rsv1: ${f.rsv1}, rsv2: ${f.rsv2}, rsv3: ${f.rsv3}, opcode: ${f.opcode}, masked: ${f.masked}, payload: ${payload || '(empty)'} }`;
}

/** Throws a message naming what differs between `got` and `expected`, and where to read. */
function checkFrame(wire: Uint8Array, got: unknown, expected: Expected, bytesUsed: number): void {
  const sent = `parseFrame() of\n${hexdump(wire, 48)}\n`;
  if (got === undefined || got === null || typeof got !== 'object') {
    throw new Error(
      `${sent}returned ${String(got)}, but the bytes hold a whole frame (${bytesUsed} bytes): expected { frame: ${shown(expected)}, bytesUsed: ${bytesUsed} }. ${lesson.see('The payload length')}`,
    );
  }
  const { frame: f, bytesUsed: used } = got as { frame?: Frame; bytesUsed?: unknown };
  if (f === undefined) throw new Error(`${sent}returned no .frame. ${lesson.see('Your task')}`);
  const flags = ['fin', 'rsv1', 'rsv2', 'rsv3', 'opcode', 'masked'] as const;
  for (const flag of flags) {
    if (f[flag] !== expected[flag]) {
      throw new Error(
        `${sent}${flag}: expected ${expected[flag]}, got ${String(f[flag])} (byte 0 is 0x${toHex(wire.subarray(0, 1))}, byte 1 is 0x${toHex(wire.subarray(1, 2))}).\n  expected ${shown(expected)}\n  got      ${shown(f)}\n${lesson.see('The first two bytes')}`,
      );
    }
  }
  if (!(f.payload instanceof Uint8Array)) {
    throw new Error(`${sent}.frame.payload is not a Uint8Array. ${lesson.see('Your task')}`);
  }
  const want = fromHex(expected.payload);
  if (used !== bytesUsed || f.payload.length !== want.length) {
    throw new Error(
      `${sent}expected a ${want.length}-byte payload and bytesUsed ${bytesUsed}, got a ${f.payload.length}-byte payload and bytesUsed ${String(used)}. The length field is byte 1's low 7 bits (0x${((wire[1] ?? 0) & 0x7f).toString(16)} here)${(wire[1] ?? 0) & 0x80 ? ', and a masked frame has 4 key bytes before its payload' : ''}. ${lesson.see('The payload length')}`,
    );
  }
  const diff = describeByteDifference(want, f.payload);
  if (diff !== undefined) {
    throw new Error(
      `${sent}the payload is wrong: ${diff}\n${expected.masked ? `The frame is masked with the key ${toHex(wire.subarray(headerSize(wire) - 4, headerSize(wire)))}: byte i of the payload is XORed with key[i % 4]. ${lesson.see('Masking')}` : lesson.see('The payload length')}`,
    );
  }
}

/** The prefix lengths to try: all of them for small frames, the header and a sample for big ones. */
function prefixLengths(length: number): number[] {
  if (length <= 300) return Array.from({ length }, (_, i) => i);
  const out: number[] = [];
  for (let n = 0; n < Math.min(length, 20); n++) out.push(n);
  for (let n = 20; n < length; n += 997) out.push(n);
  out.push(length - 1);
  return [...new Set(out)];
}

describe('02 · parseFrame', () => {
  it.each(ALL)('reads $name', async ({ wire, frame: expected }) => {
    const { parseFrame } = await load();
    checkFrame(wire, parseFrame(wire), expected, wire.length);
  });

  it.each(ALL)(
    'returns undefined for every prefix of $name (need more bytes)',
    async ({ wire }) => {
      const { parseFrame } = await load();
      for (const n of prefixLengths(wire.length)) {
        const prefix = wire.subarray(0, n);
        let got: unknown;
        try {
          got = parseFrame(prefix);
        } catch (error) {
          throw new Error(
            `parseFrame() of only the first ${n} of the ${wire.length} bytes of a frame\n${hexdump(prefix, 48)}\nthrew (${(error as Error).message}): a frame cut short is not an error, return undefined (need more bytes). ${lesson.see('Need more bytes')}`,
          );
        }
        if (got !== undefined) {
          throw new Error(
            `parseFrame() of only the first ${n} of the ${wire.length} bytes of a frame\n${hexdump(prefix, 48)}\nreturned ${got === null ? 'null' : `a frame${(got as { frame?: Frame }).frame ? ` ${shown((got as { frame: Frame }).frame)}` : ''}`}: the frame needs ${wire.length} bytes (header ${headerSize(wire)}, payload ${wire.length - headerSize(wire)}), so return undefined until all of them are there. ${lesson.see('Need more bytes')}`,
          );
        }
      }
    },
  );

  it('returns the first of two frames, with bytesUsed where the second starts', async () => {
    const { parseFrame } = await load();
    const pairs: [Fixture, Fixture][] = [
      [RFC_FIXTURES[2] as Fixture, RFC_FIXTURES[3] as Fixture],
      [RFC_FIXTURES[1] as Fixture, RFC_FIXTURES[4] as Fixture],
      [RFC_FIXTURES[0] as Fixture, RFC_FIXTURES[7] as Fixture],
    ];
    for (const [first, second] of pairs) {
      const both = Buffer.concat([first.wire, second.wire]);
      const got = parseFrame(both);
      try {
        checkFrame(both, got, first.frame, first.wire.length);
        checkFrame(
          second.wire,
          parseFrame(both.subarray(first.wire.length)),
          second.frame,
          second.wire.length,
        );
      } catch (error) {
        throw new Error(
          `two frames in one buffer (${first.name}, then ${second.name}): parseFrame() must read only the first, and say in bytesUsed where the second starts.\n${(error as Error).message}\n${lesson.see('One frame at a time')}`,
        );
      }
    }
    // A whole frame, then the first 3 bytes of another: the whole one is there to return.
    const partial = Buffer.concat([(RFC_FIXTURES[0] as Fixture).wire, Buffer.of(0x82, 0x7e, 0x01)]);
    try {
      checkFrame(partial, parseFrame(partial), (RFC_FIXTURES[0] as Fixture).frame, 7);
    } catch (error) {
      throw new Error(
        `a whole frame followed by the first 3 bytes of the next: return the whole one.\n${(error as Error).message}\n${lesson.see('One frame at a time')}`,
      );
    }
  });

  it('reads a frame that starts at an offset inside a larger ArrayBuffer', async () => {
    const { parseFrame } = await load();
    for (const fixture of [RFC_FIXTURES[1], RFC_FIXTURES[6], MORE_FIXTURES[4]] as Fixture[]) {
      const big = new Uint8Array(fixture.wire.length + 13).fill(0xee);
      big.set(fixture.wire, 5);
      const view = big.subarray(5, 5 + fixture.wire.length);
      try {
        checkFrame(view, parseFrame(view), fixture.frame, fixture.wire.length);
      } catch (error) {
        throw new Error(
          `${(error as Error).message}\nHere the frame (${fixture.name}) was a view starting at byte 5 of a larger ArrayBuffer (byteOffset 5): index bytes[i], or give DataView bytes.byteOffset and bytes.byteLength. ${lesson.see('The payload length')}`,
        );
      }
    }
  });

  it('leaves the bytes it was given unchanged (unmasks a copy)', async () => {
    const { parseFrame } = await load();
    for (const fixture of [RFC_FIXTURES[1], MORE_FIXTURES[6]] as Fixture[]) {
      const wire = Buffer.from(fixture.wire);
      parseFrame(wire);
      const diff = describeByteDifference(fixture.wire, wire);
      if (diff !== undefined) {
        throw new Error(
          `after parseFrame() of ${fixture.name}, the input has changed: ${diff}\nUnmask a copy of the payload (new Uint8Array(bytes.subarray(…)); Buffer's slice() is a view, not a copy): the caller may parse the same bytes again. ${lesson.see('Masking')}`,
        );
      }
      checkFrame(wire, parseFrame(wire), fixture.frame, wire.length);
    }
  });

  it('reads all 64 bits of a 64-bit length: 2^32 + 5 with 5 bytes of payload is still short', async () => {
    const { parseFrame } = await load();
    const wire = fromHex('82 7f 00000001 00000005 0102030405');
    const got = parseFrame(wire);
    if (got !== undefined) {
      throw new Error(
        `parseFrame() of\n${hexdump(wire)}\nreturned a frame, but its 64-bit length is 00000001 00000005 = 2^32 + 5 = 4294967301 bytes, and only 5 are here: return undefined. Reading only the low 32 bits gives 5. ${lesson.see('The payload length')}`,
      );
    }
  });

  it.each([
    {
      name: 'the top bit set and a small length (80000000 00000005)',
      wire: '82 7f 80000000 00000005 0102030405',
    },
    { name: 'all 64 bits set', wire: '82 7f ffffffff ffffffff' },
  ])('throws, with closeCode 1002, for a 64-bit length with $name', async ({ wire }) => {
    const { parseFrame } = await load();
    const bytes = fromHex(wire);
    const err = thrownBy(
      () => parseFrame(bytes),
      `parseFrame() of\n${hexdump(bytes)}\n`,
      `RFC 6455 §5.2: "the most significant bit MUST be 0". ${lesson.see('The payload length')}`,
    );
    expect(
      err.closeCode,
      `throw an Error with closeCode 1002 (protocol error). ${lesson.see('The payload length')}`,
    ).toBe(1002);
  });
});

/** Where in `wire` the byte `at` lies, as a section of the lesson. */
function sectionAt(wire: Uint8Array, at: number): string {
  if (at < 2) return 'The first two bytes';
  const code = (wire[1] ?? 0) & 0x7f;
  const lengthEnd = 2 + (code === 126 ? 2 : code === 127 ? 8 : 0);
  if (at < lengthEnd) return 'The payload length';
  return (wire[1] ?? 0) & 0x80 ? 'Masking' : 'The payload length';
}

describe('02 · encodeFrame', () => {
  it.each(ALL.filter((f) => !f.frame.rsv1))('writes $name byte for byte', async (fixture) => {
    const { encodeFrame } = await load();
    const { fin, opcode } = fixture.frame;
    const payload = fromHex(fixture.frame.payload);
    const input = fixture.maskKey
      ? { fin, opcode, payload, maskKey: fixture.maskKey }
      : { fin, opcode, payload };
    const got = encodeFrame(input);
    const diff = describeByteDifference(fixture.wire, got);
    if (diff !== undefined) {
      const at = [...fixture.wire].findIndex((b, i) => got[i] !== b);
      const where = at < 0 ? 'The payload length' : sectionAt(fixture.wire, at);
      throw new Error(
        `encodeFrame({ fin: ${fin}, opcode: ${opcode}, payload: ${payload.length} bytes${fixture.maskKey ? `, maskKey: ${toHex(fixture.maskKey)}` : ''} }): ${diff}\nA ${payload.length}-byte payload takes the ${payload.length < 126 ? '7-bit' : payload.length < 65_536 ? '16-bit (126, then 2 bytes)' : '64-bit (127, then 8 bytes)'} length form: always the shortest. ${lesson.see(where)}`,
      );
    }
  });

  it("masks a copy: the caller's payload is unchanged", async () => {
    const { encodeFrame } = await load();
    const payload = Buffer.from('Hello');
    encodeFrame({ fin: true, opcode: 1, payload, maskKey: fromHex(RFC_KEY) });
    const diff = describeByteDifference(Buffer.from('Hello'), payload);
    if (diff !== undefined) {
      throw new Error(
        `encodeFrame() changed the payload it was given: ${diff}\nMask a copy: the caller may send the same payload to another peer. ${lesson.see('Masking')}`,
      );
    }
  });

  it('round-trips 200 seeded frames through encodeFrame then parseFrame (the seed is printed on failure)', async () => {
    const { encodeFrame, parseFrame } = await load();
    const lengths = [
      0, 1, 2, 3, 4, 5, 6, 7, 124, 125, 126, 127, 128, 65_534, 65_535, 65_536, 65_537,
    ];
    for (let seed = 1; seed <= 200; seed++) {
      const r = seededBytes(seed, 8);
      const length =
        seed <= lengths.length ? (lengths[seed - 1] as number) : r.readUInt16BE(0) % 300;
      const control = length <= 125 && (r[2] as number) % 3 === 0;
      const fin = control || (r[3] as number) % 2 === 0;
      const opcode = control ? 8 + ((r[4] as number) % 3) : (r[4] as number) % 3;
      const masked = (r[5] as number) % 2 === 0;
      const payload = seededBytes(seed + 5_000, length);
      const maskKey = seededBytes(seed + 9_000, 4);
      const wire = encodeFrame(
        masked ? { fin, opcode, payload, maskKey } : { fin, opcode, payload },
      );
      const what = `seed ${seed}: encodeFrame({ fin: ${fin}, opcode: ${opcode}, payload: ${length} bytes${masked ? `, maskKey: ${toHex(maskKey)}` : ''} })`;
      const size = 2 + (length < 126 ? 0 : length < 65_536 ? 2 : 8) + (masked ? 4 : 0) + length;
      if (wire.length !== size) {
        throw new Error(
          `${what} wrote ${wire.length} bytes, expected ${size} (the shortest length form${masked ? ', the 4-byte key' : ''}, the payload):\n${hexdump(wire, 32)}\n${lesson.see('The payload length')}`,
        );
      }
      try {
        checkFrame(wire, parseFrame(wire), frame(opcode, toHex(payload), { fin, masked }), size);
      } catch (error) {
        throw new Error(
          `${what}, then parseFrame() of what it wrote:\n${(error as Error).message}`,
        );
      }
    }
  });
});
