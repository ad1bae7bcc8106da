import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyText } from '../src/arbitraries.ts';

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
