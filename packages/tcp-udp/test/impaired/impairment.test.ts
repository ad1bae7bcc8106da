import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideImpairment,
  IMPAIRMENT_DEFAULTS,
  isImpairing,
  resolveImpairmentOptions,
} from '../../src/impaired/impairment.ts';
import { createSeededRandom } from '../../src/impaired/prng.ts';

describe('resolveImpairmentOptions', () => {
  it('fills in a perfect link by default', () => {
    expect(resolveImpairmentOptions()).toEqual(IMPAIRMENT_DEFAULTS);
    expect(isImpairing(resolveImpairmentOptions())).toBe(false);
    expect(isImpairing(resolveImpairmentOptions({ jitterMs: 1 }))).toBe(true);
  });

  it('lays options over a base', () => {
    const base = resolveImpairmentOptions({ loss: 0.2, delayMs: 5 });
    expect(resolveImpairmentOptions({ delayMs: 9 }, base)).toMatchObject({ loss: 0.2, delayMs: 9 });
  });

  it.each([
    [{ loss: -0.1 }, 'loss must be a number from 0 to 1, got -0.1'],
    [{ loss: 1.01 }, /loss/],
    [{ reorder: 2 }, /reorder/],
    [{ delayMs: -1 }, /delayMs/],
    [{ jitterMs: Number.POSITIVE_INFINITY }, /jitterMs/],
    [{ reorderDelayMs: 60_001 }, 'reorderDelayMs must be a number from 0 to 60000, got 60001'],
    [{ maxExtraCopies: 0 }, 'maxExtraCopies must be an integer from 1 to 16, got 0'],
    [{ maxExtraCopies: 17 }, /maxExtraCopies/],
  ])('refuses %o with a RangeError (out of range)', (options, message) => {
    expect(() => resolveImpairmentOptions(options)).toThrow(RangeError);
    expect(() => resolveImpairmentOptions(options)).toThrow(message);
  });

  it.each([
    [{ duplicate: Number.NaN }, /duplicate/],
    [{ maxExtraCopies: 1.5 }, 'maxExtraCopies must be an integer from 1 to 16, got 1.5'],
  ])('refuses %o with a TypeError (not a number, or not an integer)', (options, message) => {
    expect(() => resolveImpairmentOptions(options)).toThrow(TypeError);
    expect(() => resolveImpairmentOptions(options)).toThrow(message);
  });

  it('refuses options that are not an object with a TypeError', () => {
    expect(() => resolveImpairmentOptions(null as never)).toThrow(TypeError);
  });
});

describe('decideImpairment', () => {
  const noisy = resolveImpairmentOptions({
    loss: 0.1,
    duplicate: 0.1,
    maxExtraCopies: 3,
    reorder: 0.2,
    reorderDelayMs: 15,
    delayMs: 2,
    jitterMs: 8,
  });

  it('makes identical decisions for the same seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const a = createSeededRandom(seed);
        const b = createSeededRandom(seed);
        for (let i = 0; i < 200; i++) {
          expect(decideImpairment(noisy, a)).toEqual(decideImpairment(noisy, b));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('never touches a packet on a perfect link', () => {
    const random = createSeededRandom(5);
    for (let i = 0; i < 1000; i++) {
      expect(decideImpairment(IMPAIRMENT_DEFAULTS, random)).toEqual({ drop: false, delaysMs: [0] });
    }
  });

  it('loses close to the configured share of packets, for any seed', () => {
    // 5000 packets at p = 0.1: sigma = sqrt(5000 * 0.1 * 0.9) ~ 21 packets. A bound of 5 sigma
    // (106) fails about once in 1.7 million runs of a correct generator.
    const settings = resolveImpairmentOptions({ loss: 0.1 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const random = createSeededRandom(seed);
        let dropped = 0;
        for (let i = 0; i < 5000; i++) if (decideImpairment(settings, random).drop) dropped++;
        expect(Math.abs(dropped - 500), `seed ${seed}: dropped ${dropped} of 5000`).toBeLessThan(
          106,
        );
      }),
      { numRuns: 20 },
    );
  });

  it('duplicates with 1 … maxExtraCopies extra copies at the configured rate', () => {
    const seed = 11;
    const random = createSeededRandom(seed);
    const settings = resolveImpairmentOptions({ duplicate: 0.25, maxExtraCopies: 3 });
    const extras = new Map<number, number>();
    let duplicated = 0;
    for (let i = 0; i < 4000; i++) {
      const copies = decideImpairment(settings, random).delaysMs.length;
      expect(copies).toBeGreaterThanOrEqual(1);
      expect(copies).toBeLessThanOrEqual(4);
      if (copies > 1) duplicated++;
      extras.set(copies, (extras.get(copies) ?? 0) + 1);
    }
    // sigma ~ 27 packets around 1000
    expect(Math.abs(duplicated - 1000), `seed ${seed}`).toBeLessThan(140);
    for (const copies of [2, 3, 4]) expect(extras.get(copies) ?? 0).toBeGreaterThan(200);
  });

  it('delays every copy by delay + [0, jitter] (+ reorderDelayMs when picked)', () => {
    const random = createSeededRandom(3);
    let heldBack = 0;
    for (let i = 0; i < 2000; i++) {
      const { drop, delaysMs } = decideImpairment(noisy, random);
      if (drop) continue;
      for (const delay of delaysMs) {
        expect(delay).toBeGreaterThanOrEqual(2);
        expect(delay).toBeLessThan(2 + 8 + 15);
        if (delay >= 2 + 15) heldBack++;
      }
    }
    expect(heldBack).toBeGreaterThan(200);
  });
});
