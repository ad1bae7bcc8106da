import { lessonOf, loadExercise, ManualClock } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// This spec grades a TokenBucket in-process, on a clock it moves by hand: every call, and what
// the bucket answered, is logged, so a failure shows the whole story.
type Exercise = typeof import('./exercise.ts');
type Bucket = import('./exercise.ts').TokenBucket;
const lesson = lessonOf(import.meta.url);
const load = (): Promise<Exercise> => loadExercise<Exercise>(import.meta.url);

/** A clock a test sets directly, backwards included. */
class SetClock {
  at = 0;
  now(): number {
    return this.at;
  }
}

interface Driven {
  bucket: Bucket;
  clock: ManualClock;
  log: string[];
  take(count?: number): ReturnType<Bucket['take']>;
  tokens(): number;
  advance(ms: number): void;
  /** Fails with the log, what was expected, and where to read. */
  fail(what: string, section: string): never;
}

async function drive(capacity: number, refillPerSecond: number): Promise<Driven> {
  const { TokenBucket } = await load();
  const clock = new ManualClock();
  const log: string[] = [
    `new TokenBucket({ capacity: ${capacity}, refillPerSecond: ${refillPerSecond}, clock })`,
  ];
  const bucket = new TokenBucket({ capacity, refillPerSecond, clock });
  const show = (v: unknown): string =>
    JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
  return {
    bucket,
    clock,
    log,
    take(count?: number) {
      const result = count === undefined ? bucket.take() : bucket.take(count);
      log.push(`t=${clock.now()} ms  take(${count ?? ''}) → ${show(result)}`);
      return result;
    },
    tokens() {
      const tokens = bucket.tokens;
      log.push(`t=${clock.now()} ms  tokens → ${tokens}`);
      return tokens;
    },
    advance(ms: number) {
      clock.advance(ms);
      log.push(`(the clock moves ${ms} ms)`);
    },
    fail(what: string, section: string): never {
      throw new Error(`${what}\nwhat happened:\n  ${log.join('\n  ')}\n${lesson.see(section)}`);
    },
  };
}

const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6;

describe('09 · TokenBucket', () => {
  it('allows a burst of up to capacity at once, then refuses', async () => {
    const d = await drive(5, 1);
    for (let i = 0; i < 5; i++) {
      if (!d.take().allowed)
        d.fail(`take ${i + 1} of 5 was refused on a full bucket`, 'Why a bucket');
    }
    const sixth = d.take();
    if (sixth.allowed || sixth.remaining !== 0) {
      d.fail('the sixth take must be refused with 0 remaining', 'Why a bucket');
    }
  });

  it('refills at refillPerSecond, and never above capacity', async () => {
    const d = await drive(10, 2);
    d.take(10);
    d.advance(1_000);
    if (!near(d.tokens(), 2)) d.fail('1 s at 2 tokens/s must earn 2 tokens', 'The arithmetic');
    d.advance(1_500);
    if (!near(d.tokens(), 5))
      d.fail('2.5 s at 2 tokens/s must have earned 5 tokens', 'The arithmetic');
    d.advance(60_000);
    if (d.tokens() !== 10) d.fail('a bucket never holds more than capacity (10)', 'The arithmetic');
  });

  it('counts fractions of a token', async () => {
    const d = await drive(10, 4);
    d.take(10);
    d.advance(250);
    if (!near(d.tokens(), 1)) d.fail('250 ms at 4 tokens/s is exactly one token', 'The arithmetic');
    d.advance(100);
    if (!near(d.tokens(), 1.4))
      d.fail('100 ms more at 4 tokens/s adds 0.4 (fractions are kept)', 'The arithmetic');
    if (!d.take().allowed) d.fail('1.4 tokens allow one take', 'The arithmetic');
    if (d.take().allowed) d.fail('0.4 tokens do not allow a take', 'The arithmetic');
  });

  it('answers a refusal with the wait until it would be allowed', async () => {
    const d = await drive(10, 2);
    d.take(10);
    const refused = d.take(3);
    if (refused.allowed || !near(refused.waitMs, 1_500)) {
      d.fail('empty at 2 tokens/s, take(3) must be refused with waitMs 1500', 'Waiting');
    }
    d.advance(1_499);
    if (d.take(3).allowed) d.fail('1499 ms later it is still 1 ms short', 'Waiting');
    d.advance(1);
    if (!d.take(3).allowed)
      d.fail('after waiting waitMs, the same take must be allowed', 'Waiting');
  });

  it('says a take of more than capacity will never be allowed, and spends nothing', async () => {
    const d = await drive(2, 1);
    const result = d.take(3);
    if (result.allowed || result.waitMs !== Number.POSITIVE_INFINITY) {
      d.fail('take(3) on a bucket of capacity 2 must be refused with waitMs Infinity', 'Waiting');
    }
    if (d.tokens() !== 2) d.fail('a refused take spends nothing', 'Why a bucket');
  });

  it('spends nothing on a refused take', async () => {
    const d = await drive(4, 1);
    d.take(3);
    const before = d.tokens();
    d.take(2);
    if (!near(d.tokens(), before))
      d.fail('a refused take must leave the tokens as they were', 'Why a bucket');
  });

  it('grants nothing when the clock goes backwards, and counts on from the new reading', async () => {
    const { TokenBucket } = await load();
    const clock = new SetClock();
    const bucket = new TokenBucket({ capacity: 10, refillPerSecond: 1, clock });
    const log: string[] = [];
    const step = (at: number, what: () => unknown, label: string): unknown => {
      clock.at = at;
      const got = what();
      log.push(`clock ${at} ms: ${label} → ${JSON.stringify(got)}`);
      return got;
    };
    const fail = (what: string): never => {
      throw new Error(`${what}\n  ${log.join('\n  ')}\n${lesson.see('When the clock misbehaves')}`);
    };
    step(0, () => bucket.take(10), 'take(10)');
    if (!near(step(5_000, () => bucket.tokens, 'tokens') as number, 5)) fail('5 s at 1/s earns 5');
    if (!near(step(-3_595_000, () => bucket.tokens, 'tokens') as number, 5)) {
      fail('an hour backwards must neither add nor remove tokens');
    }
    step(-3_595_000, () => bucket.take(5), 'take(5)');
    if (!near(step(-3_594_000, () => bucket.tokens, 'tokens') as number, 1)) {
      fail(
        'one second after the step back, one token: the bucket counts on from the new reading, it does not stall for an hour',
      );
    }
  });

  it('fills, and never overflows, after a huge gap; ignores a reading that is NaN', async () => {
    const { TokenBucket } = await load();
    const clock = new SetClock();
    const bucket = new TokenBucket({ capacity: 7, refillPerSecond: 1e300, clock });
    const see = lesson.see('When the clock misbehaves');
    bucket.take(7);
    clock.at = Number.MAX_VALUE;
    const tokens = bucket.tokens;
    if (tokens !== 7) {
      throw new Error(
        `after a gap of Number.MAX_VALUE ms at 1e300 tokens/s, tokens must be exactly 7, got ${tokens}. ${see}`,
      );
    }
    clock.at = Number.NaN;
    const taken = bucket.take(7);
    const after = bucket.tokens;
    if (!taken.allowed || after !== 0) {
      throw new Error(
        `with the clock reading NaN, take(7) on 7 tokens must be allowed and leave 0, got ${JSON.stringify(taken)} then ${after}. ${see}`,
      );
    }
  });

  it.each([
    ['capacity 0', { capacity: 0, refillPerSecond: 1 }],
    ['capacity Infinity', { capacity: Number.POSITIVE_INFINITY, refillPerSecond: 1 }],
    ['refillPerSecond NaN', { capacity: 1, refillPerSecond: Number.NaN }],
    ['refillPerSecond -2', { capacity: 1, refillPerSecond: -2 }],
  ])('refuses %s with a RangeError', async (_, options) => {
    const { TokenBucket } = await load();
    expect(
      () => new TokenBucket({ ...options, clock: new ManualClock() }),
      `bad options are the caller's bug. ${lesson.see('When the clock misbehaves')}`,
    ).toThrow(RangeError);
  });

  it.each([0, -1, Number.NaN])('refuses take(%s) with a RangeError', async (count) => {
    const { TokenBucket } = await load();
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1, clock: new ManualClock() });
    expect(() => bucket.take(count), lesson.see('Your task')).toThrow(RangeError);
  });

  describe('properties (fast-check; the seed is printed on failure)', () => {
    const shape = fc.record({
      capacity: fc.double({ min: 0.5, max: 10, noNaN: true }),
      rate: fc.double({ min: 0.01, max: 1_000, noNaN: true }),
    });
    const plan = fc.array(
      fc.record({
        dtMs: fc.oneof(
          fc.integer({ min: 0, max: 2_000 }),
          fc.double({ min: 0, max: 50, noNaN: true }),
        ),
        count: fc.oneof(fc.constant(1), fc.double({ min: 0.01, max: 12, noNaN: true })),
      }),
      { maxLength: 100 },
    );

    it('never allows more than capacity + refillPerSecond × elapsed over any window', async () => {
      const { TokenBucket } = await load();
      fc.assert(
        fc.property(shape, plan, ({ capacity, rate }, steps) => {
          const clock = new ManualClock();
          const bucket = new TokenBucket({ capacity, refillPerSecond: rate, clock });
          const allowed: Array<{ at: number; count: number }> = [];
          for (const { dtMs, count } of steps) {
            clock.advance(dtMs);
            const result = bucket.take(count);
            if (result.remaining < 0 || result.remaining > capacity + 1e-9) {
              throw new Error(
                `remaining ${result.remaining} is outside 0..${capacity}. ${lesson.see('The arithmetic')}`,
              );
            }
            if (result.allowed) allowed.push({ at: clock.now(), count });
          }
          for (let i = 0; i < allowed.length; i++) {
            let sum = 0;
            for (let j = i; j < allowed.length; j++) {
              const a = allowed[i] as { at: number };
              const b = allowed[j] as { at: number; count: number };
              sum += b.count;
              const bound = capacity + (rate * (b.at - a.at)) / 1000 + 1e-6 * (j - i + 1);
              if (sum > bound) {
                throw new Error(
                  `from t=${a.at} to t=${b.at} ms, ${sum} tokens were allowed, more than capacity + rate × elapsed = ${bound}. ${lesson.see('Why a bucket')}`,
                );
              }
            }
          }
        }),
        { seed: 0x09b0c7, numRuns: 200 },
      );
    });

    it('a refused take is allowed once its waitMs has passed', async () => {
      const { TokenBucket } = await load();
      fc.assert(
        fc.property(shape, plan, ({ capacity, rate }, steps) => {
          const clock = new ManualClock();
          const bucket = new TokenBucket({ capacity, refillPerSecond: rate, clock });
          for (const { dtMs, count } of steps) {
            clock.advance(dtMs);
            const result = bucket.take(count);
            if (!result.allowed && Number.isFinite(result.waitMs)) {
              clock.advance(result.waitMs);
              if (!bucket.take(count).allowed) {
                throw new Error(
                  `take(${count}) was still refused after waiting its waitMs (${result.waitMs}). ${lesson.see('Waiting')}`,
                );
              }
            }
          }
        }),
        { seed: 0x09a17, numRuns: 200 },
      );
    });
  });
});
