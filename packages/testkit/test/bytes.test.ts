import { describe, expect, it } from 'vitest';
import {
  cutAt,
  describeByteDifference,
  describePieces,
  everySplit,
  fromHex,
  hexdump,
  printable,
  seededBytes,
  toHex,
} from '../src/bytes.ts';

describe('describeByteDifference', () => {
  it('returns undefined for equal bytes', () => {
    expect(describeByteDifference(Buffer.from('abc'), Buffer.from('abc'))).toBeUndefined();
  });

  it('names the first differing byte and marks it with a caret', () => {
    const text = describeByteDifference(Buffer.from('hello'), Buffer.from('help!'));
    expect(text).toContain('first difference at byte 3: expected 0x6c, got 0x70');
    const lines = text?.split('\n') ?? [];
    const caretColumn = lines[3]?.indexOf('^') ?? -1;
    expect(lines[2]?.slice(caretColumn, caretColumn + 2)).toBe('70');
  });

  it('reports a length difference when one side is a prefix of the other', () => {
    expect(describeByteDifference(Buffer.from('ab'), Buffer.from('abc'))).toContain(
      'lengths differ: expected 2 bytes, got 3',
    );
  });
});

describe('everySplit', () => {
  it('yields every two-piece split and the byte-by-byte delivery, each re-joining to the input', () => {
    const input = Buffer.from('abcd');
    const deliveries = [...everySplit(input)];
    expect(deliveries).toHaveLength(input.length + 2);
    for (const chunks of deliveries) expect(Buffer.concat(chunks)).toEqual(input);
    expect(deliveries.at(-1)).toHaveLength(4);
  });
});

describe('cutAt', () => {
  it('cuts at the offsets taken modulo length + 1, sorted and once each, re-joining to the input', () => {
    const input = Buffer.from('abcdef');
    const pieces = cutAt(input, [4, 2, 9, 6]);
    expect(pieces.map((p) => Buffer.from(p).toString())).toEqual(['ab', 'cd', 'ef', '']);
    expect(cutAt(new Uint8Array(0), [3, 5])).toEqual([new Uint8Array(0), new Uint8Array(0)]);
  });
});

describe('hexdump and printable', () => {
  it('dumps offsets, hex and ASCII', () => {
    expect(hexdump(Buffer.from('hi\n'))).toBe(`00000000  ${'68 69 0a'.padEnd(47)}  |hi.|`);
  });

  it('escapes control characters and truncates long input', () => {
    expect(printable('a\r\n')).toBe('"a\\r\\n"');
    expect(printable('x'.repeat(300), 10)).toBe('"xxxxxxxxxx"… (300 chars)');
  });
});

describe('toHex and fromHex', () => {
  it('convert in opposite directions, and fromHex ignores grouping spaces', () => {
    expect(toHex(fromHex('00000002 6869'))).toBe('000000026869');
    expect(toHex(Buffer.from('hi').subarray(1))).toBe('69');
  });

  it('fromHex refuses text that is not whole bytes of hex', () => {
    expect(() => fromHex('abc')).toThrow(TypeError);
    expect(() => fromHex('zz')).toThrow(/not whole bytes/);
  });
});

describe('describePieces', () => {
  it('shows each piece in hex and marks an empty one', () => {
    expect(describePieces([Buffer.alloc(0), fromHex('0102')])).toBe(
      'piece 1 (0 bytes): (empty)\npiece 2 (2 bytes): 0102',
    );
  });

  it('gives only sizes past eight pieces', () => {
    expect(describePieces(Array.from({ length: 9 }, () => fromHex('ff')))).toBe(
      '9 pieces (1+1+1+1+1+1+1+1+1 bytes)',
    );
  });
});

describe('seededBytes', () => {
  it('gives the same bytes for the same seed, and other bytes for another', () => {
    expect(seededBytes(7, 100)).toEqual(seededBytes(7, 100));
    expect(seededBytes(7, 100)).not.toEqual(seededBytes(8, 100));
    expect(seededBytes(7, 33)).toHaveLength(33);
  });
});
