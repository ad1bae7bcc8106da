import { describe, expect, it } from 'vitest';
import { describeByteDifference, everySplit, hexdump, printable } from '../src/bytes.ts';

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

describe('hexdump and printable', () => {
  it('dumps offsets, hex and ASCII', () => {
    expect(hexdump(Buffer.from('hi\n'))).toBe(`00000000  ${'68 69 0a'.padEnd(47)}  |hi.|`);
  });

  it('escapes control characters and truncates long input', () => {
    expect(printable('a\r\n')).toBe('"a\\r\\n"');
    expect(printable('x'.repeat(300), 10)).toBe('"xxxxxxxxxx"… (300 chars)');
  });
});
