import { ManualClock } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistributedError } from '../../src/errors.ts';
import { ConflatingBuffer } from '../../src/streaming/index.ts';

describe('ConflatingBuffer', () => {
  it('keeps one value per key, the latest, and counts what it overwrote', () => {
    const buffer = new ConflatingBuffer<string, number>();
    expect(buffer.offer('a', 1)).toBe('queued');
    expect(buffer.offer('a', 2)).toBe('conflated');
    expect(buffer.offer('a', 3)).toBe('conflated');
    expect(buffer.size).toBe(1);
    expect(buffer.peek('a')).toBe(3);
    expect(buffer.take()).toEqual([['a', 3]]);
    expect(buffer.stats).toEqual({
      offered: 3,
      delivered: 1,
      conflated: 2,
      dropped: 0,
      evicted: 0,
    });
    expect(buffer.size).toBe(0);
  });

  it('hands out keys oldest-dirty first: a hot key keeps its place and waits its turn', () => {
    const buffer = new ConflatingBuffer<string, number>();
    buffer.offer('hot', 1);
    buffer.offer('b', 1);
    for (let i = 2; i <= 100; i++) buffer.offer('hot', i);
    buffer.offer('c', 1);
    expect(buffer.take(2)).toEqual([
      ['hot', 100],
      ['b', 1],
    ]);
    buffer.offer('hot', 101); // dirty again: now behind c
    expect(buffer.take()).toEqual([
      ['c', 1],
      ['hot', 101],
    ]);
  });

  it('takes at most max, and nothing for max < 1', () => {
    const buffer = new ConflatingBuffer<number, number>();
    for (let k = 0; k < 5; k++) buffer.offer(k, k);
    expect(buffer.take(0)).toEqual([]);
    expect(buffer.take(Number.NaN)).toEqual([]);
    expect(buffer.take(3).map(([k]) => k)).toEqual([0, 1, 2]);
    expect(buffer.take(3).map(([k]) => k)).toEqual([3, 4]);
    expect(buffer.take()).toEqual([]);
  });

  it.each([
    ['drop-new', ['a', 'b'], { dropped: 1, evicted: 0 }, 'dropped'],
    ['drop-oldest', ['b', 'c'], { dropped: 0, evicted: 1 }, 'queued'],
  ] as const)('at maxKeys, %s keeps %j', (overflow, kept, counts, result) => {
    const buffer = new ConflatingBuffer<string, number>({ maxKeys: 2, overflow });
    buffer.offer('a', 1);
    buffer.offer('b', 1);
    expect(buffer.offer('a', 2)).toBe('conflated'); // a known key is never refused
    expect(buffer.offer('c', 1)).toBe(result);
    expect(buffer.size).toBe(2);
    expect(buffer.take().map(([k]) => k)).toEqual(kept);
    expect(buffer.stats).toMatchObject(counts);
  });

  it("at maxKeys, 'error' throws DISTRIBUTED_ERR_LIMIT and keeps what it held", () => {
    const buffer = new ConflatingBuffer<string, number>({ maxKeys: 1, overflow: 'error' });
    buffer.offer('a', 1);
    const err = (() => {
      try {
        buffer.offer('b', 1);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DistributedError);
    expect((err as DistributedError).code).toBe('DISTRIBUTED_ERR_LIMIT');
    expect(buffer.take()).toEqual([['a', 1]]);
  });

  it('refuses bad options synchronously', () => {
    expect(() => new ConflatingBuffer({ maxKeys: 0 })).toThrow(RangeError);
    expect(() => new ConflatingBuffer({ maxKeys: 1.5 })).toThrow(RangeError);
    expect(() => new ConflatingBuffer({ minIntervalMs: -1 })).toThrow(RangeError);
    expect(() => new ConflatingBuffer({ minIntervalMs: Number.NaN })).toThrow(RangeError);
    expect(() => new ConflatingBuffer({ overflow: 'nope' as unknown as 'drop-new' })).toThrow(
      TypeError,
    );
  });

  describe('with a coalescing window (minIntervalMs) on a manual clock', () => {
    it('delivers a key at most once per window, conflating meanwhile', () => {
      const clock = new ManualClock();
      const buffer = new ConflatingBuffer<string, number>({ minIntervalMs: 100, clock });
      buffer.offer('a', 1);
      expect(buffer.take()).toEqual([['a', 1]]);
      buffer.offer('a', 2);
      buffer.offer('a', 3);
      expect(buffer.nextReadyInMs()).toBe(100);
      expect(buffer.take()).toEqual([]);
      clock.advance(99);
      expect(buffer.nextReadyInMs()).toBe(1);
      expect(buffer.take()).toEqual([]);
      clock.advance(1);
      expect(buffer.nextReadyInMs()).toBe(0);
      expect(buffer.take()).toEqual([['a', 3]]);
      expect(buffer.stats.conflated).toBe(1);
      expect(buffer.nextReadyInMs()).toBeUndefined();
    });

    it('lets other keys through while one waits out its window, keeping the waiting one first', () => {
      const clock = new ManualClock();
      const buffer = new ConflatingBuffer<string, number>({ minIntervalMs: 50, clock });
      buffer.offer('a', 1);
      buffer.take();
      buffer.offer('a', 2);
      buffer.offer('b', 1);
      expect(buffer.take()).toEqual([['b', 1]]);
      clock.advance(50);
      buffer.offer('c', 1);
      expect(buffer.take()).toEqual([
        ['a', 2],
        ['c', 1],
      ]);
    });

    it('never stalls when the clock steps back, and forgets delivery times past the window', () => {
      const clock = { t: 10_000, now: () => clock.t };
      const buffer = new ConflatingBuffer<number, number>({ minIntervalMs: 100, clock });
      buffer.offer(1, 1);
      buffer.take();
      clock.t = 0; // an hour back, say
      buffer.offer(1, 2);
      expect(buffer.take()).toEqual([[1, 2]]);
      clock.t = 1_000;
      for (let k = 0; k < 1000; k++) buffer.offer(k, k);
      buffer.take();
      clock.t = 2_000;
      buffer.take();
      expect(buffer.heldEntries).toBe(0);
    });
  });
});

/** One step of a random run: an update (key, seq) or a take of up to n. */
type Step =
  | { kind: 'offer'; key: number }
  | { kind: 'take'; n: number }
  | { kind: 'tick'; ms: number };
const step = (keys: number): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .integer({ min: 0, max: keys - 1 })
        .map((key) => ({ kind: 'offer' as const, key })),
    },
    {
      weight: 2,
      arbitrary: fc.integer({ min: 1, max: 8 }).map((n) => ({ kind: 'take' as const, n })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 0, max: 80 }).map((ms) => ({ kind: 'tick' as const, ms })),
    },
  );

describe('ConflatingBuffer properties (fast-check prints the seed of a failure)', () => {
  it('never hands a consumer a value older than one it saw; after a drain it holds the latest of every key; memory stays under the key count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(0, 30),
        fc.array(step(12), { maxLength: 400 }),
        (keys, minIntervalMs, steps) => {
          const clock = new ManualClock();
          const buffer = new ConflatingBuffer<number, number>({
            minIntervalMs,
            clock,
            maxKeys: keys,
          });
          const latest = new Map<number, number>();
          const seen = new Map<number, number>();
          let seq = 0;
          const deliver = (batch: Array<[number, number]>): void => {
            for (const [key, value] of batch) {
              expect(value).toBeGreaterThan(seen.get(key) ?? -1);
              seen.set(key, value);
            }
          };
          for (const s of steps) {
            if (s.kind === 'offer') {
              const key = s.key % keys;
              latest.set(key, ++seq);
              buffer.offer(key, seq);
            } else if (s.kind === 'take') deliver(buffer.take(s.n));
            else clock.advance(s.ms);
            expect(buffer.size).toBeLessThanOrEqual(keys);
            expect(buffer.heldEntries).toBeLessThanOrEqual(2 * keys);
          }
          // The producer stops; the consumer drains (bounded: one window per round at most).
          for (let round = 0; round < 10 && buffer.size > 0; round++) {
            deliver(buffer.take());
            clock.advance(minIntervalMs);
          }
          expect(buffer.size).toBe(0);
          expect(seen).toEqual(latest);
          const { offered, delivered, conflated } = buffer.stats;
          expect(delivered + conflated).toBe(offered);
        },
      ),
      { numRuns: 300 },
    );
  });
});
