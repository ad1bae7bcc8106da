import { ManualClock } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/realtime/index.ts';

function bucketAt(
  capacity: number,
  refillPerSecond: number,
  initialTokens?: number,
): { bucket: TokenBucket; clock: ManualClock } {
  const clock = new ManualClock();
  const bucket = new TokenBucket({
    capacity,
    refillPerSecond,
    clock,
    ...(initialTokens === undefined ? {} : { initialTokens }),
  });
  return { bucket, clock };
}

/** A clock whose reading a test sets directly, backwards included. */
class SetClock {
  at = 0;
  now(): number {
    return this.at;
  }
}

describe('TokenBucket', () => {
  it('allows a burst up to capacity at once, then refuses', () => {
    const { bucket } = bucketAt(5, 1);
    for (let i = 0; i < 5; i++) expect(bucket.take().allowed).toBe(true);
    const refused = bucket.take();
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(0);
  });

  it('refills at the rate, fractions included', () => {
    const { bucket, clock } = bucketAt(10, 4, 0);
    clock.advance(250);
    expect(bucket.tokens).toBeCloseTo(1, 12);
    clock.advance(100);
    expect(bucket.tokens).toBeCloseTo(1.4, 12);
    expect(bucket.take().allowed).toBe(true);
    expect(bucket.take().allowed).toBe(false);
  });

  it('never refills above capacity', () => {
    const { bucket, clock } = bucketAt(3, 100);
    clock.advance(60_000);
    expect(bucket.tokens).toBe(3);
    expect(bucket.full).toBe(true);
  });

  it('answers a refusal with the wait until it would be allowed, and that wait is enough', () => {
    const { bucket, clock } = bucketAt(10, 2, 0);
    const refused = bucket.take(3);
    expect(refused).toEqual({ allowed: false, remaining: 0, waitMs: 1500 });
    clock.advance(1499);
    expect(bucket.take(3).allowed).toBe(false);
    clock.advance(1);
    expect(bucket.take(3).allowed).toBe(true);
  });

  it('says a take larger than capacity will never be allowed', () => {
    const { bucket } = bucketAt(2, 1);
    const result = bucket.take(3);
    expect(result.allowed).toBe(false);
    expect(result.waitMs).toBe(Number.POSITIVE_INFINITY);
    expect(bucket.tokens).toBe(2); // nothing spent
  });

  it('grants nothing when time goes backwards, and counts on from the new reading', () => {
    const clock = new SetClock();
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 1, clock, initialTokens: 0 });
    clock.at = 5_000;
    expect(bucket.tokens).toBeCloseTo(5, 12);
    clock.at = -3_600_000; // an hour back
    expect(bucket.tokens).toBeCloseTo(5, 12);
    expect(bucket.take(5).allowed).toBe(true);
    clock.at = -3_599_000; // a second later: one token, no stall of an hour
    expect(bucket.tokens).toBeCloseTo(1, 12);
  });

  it('fills (and does not overflow) after a huge gap, or a clock reading Infinity or NaN', () => {
    const clock = new SetClock();
    const bucket = new TokenBucket({
      capacity: 7,
      refillPerSecond: 1e300,
      clock,
      initialTokens: 0,
    });
    clock.at = Number.MAX_VALUE;
    expect(bucket.tokens).toBe(7);
    clock.at = Number.NaN;
    expect(bucket.take(7).allowed).toBe(true);
    expect(bucket.tokens).toBe(0);
    clock.at = Number.POSITIVE_INFINITY;
    expect(bucket.tokens).toBe(0);
  });

  it.each([
    ['capacity 0', { capacity: 0, refillPerSecond: 1 }],
    ['capacity NaN', { capacity: Number.NaN, refillPerSecond: 1 }],
    ['capacity Infinity', { capacity: Number.POSITIVE_INFINITY, refillPerSecond: 1 }],
    ['refillPerSecond -1', { capacity: 1, refillPerSecond: -1 }],
    ['initialTokens above capacity', { capacity: 1, refillPerSecond: 1, initialTokens: 2 }],
    ['initialTokens -1', { capacity: 1, refillPerSecond: 1, initialTokens: -1 }],
  ])('refuses %s with a RangeError', (_, options) => {
    expect(() => new TokenBucket(options)).toThrow(RangeError);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses take(%s)', (count) => {
    const { bucket } = bucketAt(1, 1);
    expect(() => bucket.take(count)).toThrow(RangeError);
  });

  describe('properties (fast-check, seeded)', () => {
    const steps = fc.array(
      fc.record({
        dtMs: fc.oneof(
          fc.integer({ min: 0, max: 2_000 }),
          fc.double({ min: 0, max: 50, noNaN: true }),
        ),
        count: fc.oneof(fc.constant(1), fc.double({ min: 0.01, max: 12, noNaN: true })),
      }),
      { maxLength: 200 },
    );
    const shape = fc.record({
      capacity: fc.double({ min: 0.5, max: 10, noNaN: true }),
      rate: fc.double({ min: 0.01, max: 1_000, noNaN: true }),
    });

    it('never allows more than capacity + rate × elapsed over any window', () => {
      fc.assert(
        fc.property(shape, steps, ({ capacity, rate }, plan) => {
          const { bucket, clock } = bucketAt(capacity, rate);
          const log: Array<{ at: number; taken: number }> = [];
          for (const { dtMs, count } of plan) {
            clock.advance(dtMs);
            if (bucket.take(count).allowed) log.push({ at: clock.now(), taken: count });
          }
          // Every window [log[i].at, log[j].at]: what passed in it is bounded.
          for (let i = 0; i < log.length; i++) {
            let sum = 0;
            for (let j = i; j < log.length; j++) {
              sum += (log[j] as { taken: number }).taken;
              const elapsedS =
                ((log[j] as { at: number }).at - (log[i] as { at: number }).at) / 1000;
              expect(sum).toBeLessThanOrEqual(capacity + rate * elapsedS + 1e-6 * (j - i + 1));
            }
          }
        }),
        { seed: 0x8b0c4e7, numRuns: 200 },
      );
    });

    it('holds between 0 and capacity, and a refused take spends nothing', () => {
      fc.assert(
        fc.property(shape, steps, ({ capacity, rate }, plan) => {
          const { bucket, clock } = bucketAt(capacity, rate);
          for (const { dtMs, count } of plan) {
            clock.advance(dtMs);
            const before = bucket.tokens;
            const result = bucket.take(count);
            expect(result.remaining).toBeGreaterThanOrEqual(0);
            expect(result.remaining).toBeLessThanOrEqual(capacity);
            if (!result.allowed) expect(result.remaining).toBe(before);
          }
        }),
        { seed: 0x5eed, numRuns: 200 },
      );
    });

    it('a refused take is allowed once its waitMs has passed', () => {
      fc.assert(
        fc.property(shape, steps, ({ capacity, rate }, plan) => {
          const { bucket, clock } = bucketAt(capacity, rate);
          for (const { dtMs, count } of plan) {
            clock.advance(dtMs);
            const result = bucket.take(count);
            if (!result.allowed && Number.isFinite(result.waitMs)) {
              clock.advance(result.waitMs);
              expect(bucket.take(count).allowed).toBe(true);
            }
          }
        }),
        { seed: 0xc10c, numRuns: 200 },
      );
    });

    it('with a clock that jumps backwards, allows no more than capacity + rate × the forward time', () => {
      fc.assert(
        fc.property(
          shape,
          fc.array(fc.integer({ min: -5_000, max: 2_000 }), { maxLength: 200 }),
          ({ capacity, rate }, jumps) => {
            const clock = new SetClock();
            const bucket = new TokenBucket({ capacity, refillPerSecond: rate, clock });
            let forwardMs = 0;
            let allowed = 0;
            for (const jump of jumps) {
              clock.at += jump;
              if (jump > 0) forwardMs += jump;
              if (bucket.take().allowed) allowed++;
            }
            expect(allowed).toBeLessThanOrEqual(
              capacity + (rate * forwardMs) / 1000 + 1e-6 * allowed,
            );
          },
        ),
        { seed: 0xbac4, numRuns: 200 },
      );
    });
  });
});
