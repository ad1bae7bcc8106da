import { describe, expect, it } from 'vitest';
import { errorCode } from '../src/error-code.ts';
import { quoteInput } from '../src/quote.ts';

describe('quoteInput', () => {
  it('quotes and escapes text so it cannot forge the message', () => {
    expect(quoteInput('a\n"b"')).toBe('"a\\n\\"b\\""');
  });

  it('cuts long input with an ellipsis', () => {
    expect(quoteInput('abcdef', 3)).toBe('"abc…"');
    expect(quoteInput(Buffer.from('abcdef'), 3)).toBe('"abc…"');
    expect(quoteInput(Buffer.from('abc'), 3)).toBe('"abc"');
  });

  it('shows bytes as latin1 text and anything else through String()', () => {
    expect(quoteInput(Uint8Array.of(0x68, 0x69, 0xff))).toBe('"hiÿ"');
    expect(quoteInput(42)).toBe('"42"');
    expect(quoteInput(null)).toBe('"null"');
  });
});

describe('errorCode', () => {
  it('reads a string code', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'EPIPE' }))).toBe('EPIPE');
  });

  it('ignores values without a usable code', () => {
    expect(errorCode(null)).toBeUndefined();
    expect(errorCode('ECONNRESET')).toBeUndefined();
    expect(errorCode({ code: 42 })).toBeUndefined();
    expect(errorCode({ code: '' })).toBeUndefined();
  });

  it('cuts a hostile code to 100 characters', () => {
    expect(errorCode({ code: 'E'.repeat(500) })).toHaveLength(100);
  });
});
