import { ManualClock } from '@socketlab/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKey, KeyedLimiter, measurePayload } from '../../../src/realtime/index.ts';

describe('KeyedLimiter', () => {
  it('keeps one bucket per key', () => {
    const limiter = new KeyedLimiter({ capacity: 2, refillPerSecond: 1, clock: new ManualClock() });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
    expect(limiter.stats().keys).toBe(2);
  });

  it('drops keys idle long enough to have refilled, which forgives nothing', () => {
    const clock = new ManualClock();
    const limiter = new KeyedLimiter({ capacity: 4, refillPerSecond: 2, clock }); // full in 2 s
    limiter.take('old', 4);
    clock.advance(1_999);
    limiter.take('other');
    expect(limiter.has('old')).toBe(true); // not yet full: kept
    clock.advance(1);
    limiter.take('other');
    expect(limiter.has('old')).toBe(false);
    expect(limiter.stats().idleEvictions).toBe(1);
    expect(limiter.take('old', 4).allowed).toBe(true); // what it would have had anyway
  });

  it('sweep() drops every idle key at once', () => {
    const clock = new ManualClock();
    const limiter = new KeyedLimiter({ capacity: 1, refillPerSecond: 1, clock });
    for (let i = 0; i < 50; i++) limiter.take(`k${i}`);
    clock.advance(1_000);
    expect(limiter.sweep()).toBe(50);
    expect(limiter.stats().keys).toBe(0);
  });

  it('never tracks more than maxKeys, however many keys are sprayed', () => {
    const clock = new ManualClock();
    const limiter = new KeyedLimiter({ capacity: 1, refillPerSecond: 0.001, maxKeys: 100, clock });
    for (let i = 0; i < 10_000; i++) limiter.take(`198.51.100.${i}`);
    expect(limiter.stats()).toEqual({ keys: 100, idleEvictions: 0, capEvictions: 9_900 });
  });

  it('evicts the least recently used key at the cap', () => {
    const limiter = new KeyedLimiter({
      capacity: 1,
      refillPerSecond: 1,
      maxKeys: 2,
      clock: new ManualClock(),
    });
    limiter.take('a');
    limiter.take('b');
    limiter.take('a'); // a is now the most recent
    limiter.take('c');
    expect([limiter.has('a'), limiter.has('b'), limiter.has('c')]).toEqual([true, false, true]);
  });

  it('delete() forgets a key', () => {
    const limiter = new KeyedLimiter({ capacity: 1, refillPerSecond: 1, clock: new ManualClock() });
    limiter.take('s1');
    expect(limiter.delete('s1')).toBe(true);
    expect(limiter.has('s1')).toBe(false);
  });

  it.each([
    ['maxKeys 0', { maxKeys: 0 }],
    ['maxKeys 1.5', { maxKeys: 1.5 }],
    ['idleMs shorter than the refill time', { idleMs: 999 }],
  ])('refuses %s with a RangeError', (_, extra) => {
    expect(() => new KeyedLimiter({ capacity: 1, refillPerSecond: 1, ...extra })).toThrow(
      RangeError,
    );
  });

  it('bounds memory under any sequence of keys and times (fast-check, seeded)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 3_000 })), {
          maxLength: 500,
        }),
        (plan) => {
          const clock = new ManualClock();
          const limiter = new KeyedLimiter({ capacity: 2, refillPerSecond: 1, maxKeys: 50, clock });
          for (const [key, dt] of plan) {
            clock.advance(dt);
            limiter.take(String(key));
            expect(limiter.stats().keys).toBeLessThanOrEqual(50);
          }
        },
      ),
      { seed: 0x4b3e, numRuns: 100 },
    );
  });
});

describe('addressKey', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::ffff:c000:207', '192.0.2.7'],
    ['2001:db8:1:2:a:b:c:d', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['/run/app.sock', '/run/app.sock'],
    [undefined, 'unknown'],
  ])('keys %s as %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });

  it('keeps a wider or narrower IPv6 prefix when asked', () => {
    expect(addressKey('2001:db8:1:2:a:b:c:d', { ipv6PrefixBits: 48 })).toBe('2001:db8:1::/48');
    expect(addressKey('2001:db8::1', { ipv6PrefixBits: 128 })).toBe('2001:db8:0:0:0:0:0:1');
    expect(() => addressKey('::1', { ipv6PrefixBits: 60 })).toThrow(RangeError);
  });
});

describe('measurePayload', () => {
  const limits = { maxDepth: 3, maxNodes: 100 };
  it.each([
    ['a scalar', 1, 'ok', 0],
    ['flat array', [1, 2, 3], 'ok', 1],
    ['three levels', [{ a: [1] }], 'ok', 3],
    ['four levels', [{ a: [[1]] }], 'too-deep', 4],
    ['binary as a leaf', [[Buffer.alloc(10)]], 'ok', 2],
    ['Infinity (1e999 decoded)', [1, [Number.POSITIVE_INFINITY]], 'not-finite', 2],
    ['NaN', { a: Number.NaN }, 'not-finite', 1],
  ] as const)('measures %s', (_, value, verdict, depth) => {
    const m = measurePayload(value, limits);
    expect([m.verdict, m.depth]).toEqual([verdict, depth]);
  });

  it('walks 100,000 levels without recursion and stops at the limit', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(measurePayload(deep, { maxDepth: 32, maxNodes: 1e9 }).verdict).toBe('too-deep');
  });

  it('stops at maxNodes before pushing a huge array', () => {
    const m = measurePayload(new Array(1_000).fill(1), limits);
    expect(m.verdict).toBe('too-many-nodes');
  });
});
