import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyText, assertThrowsOnly } from '../src/arbitraries.ts';
import { thrownBy } from '../src/assert.ts';

describe('anyText', () => {
  const samples = fc.sample(anyText(50), { seed: 1, numRuns: 2_000 });

  it('stays within maxLength code points', () => {
    for (const text of samples) expect([...text].length).toBeLessThanOrEqual(50);
  });

  it('reaches ASCII, lone surrogates and the astral planes', () => {
    const codePoints = samples.flatMap((text) => [...text].map((c) => c.codePointAt(0) ?? -1));
    expect(codePoints.some((cp) => cp <= 0x7f)).toBe(true);
    expect(codePoints.some((cp) => cp >= 0xd800 && cp <= 0xdfff)).toBe(true); // a lone surrogate
    expect(codePoints.some((cp) => cp > 0xffff)).toBe(true);
  });
});

describe('assertThrowsOnly', () => {
  class Typed extends Error {}
  const input = fc.uint8Array({ maxLength: 8 });

  it('holds when the decoder returns or throws only an allowed type', () => {
    expect(() =>
      assertThrowsOnly(
        input,
        (bytes) => {
          if (bytes.length > 4) throw new Typed('too long');
          return bytes.length;
        },
        [Typed],
      ),
    ).not.toThrow();
  });

  it('fails, naming the stray error, when the decoder throws anything else', () => {
    const failure = thrownBy(() =>
      assertThrowsOnly(
        input,
        (bytes) => {
          if (bytes.length > 4) throw new RangeError('offset out of range');
        },
        [Typed],
        { seed: 1 },
      ),
    );
    expect(failure.message).toMatch(/Counterexample/);
    expect((failure.cause as Error).message).toBe(
      'threw RangeError: offset out of range, not Typed',
    );
  });
});
