import { createSeededRandom } from '@socketlab/tcp-udp';
import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, fullJitterDelayMs } from '../../src/reconnect/index.ts';

const policy = { baseDelayMs: 100, maxDelayMs: 5_000 };

describe('full-jitter backoff', () => {
  it('doubles the ceiling from baseDelayMs up to the cap', () => {
    expect(Array.from({ length: 9 }, (_, n) => backoffCeilingMs(n, policy))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000,
    ]);
    expect(backoffCeilingMs(5_000, policy)).toBe(5_000); // 2^5000 is Infinity: still the cap
  });

  it('draws each delay uniformly in [0, ceiling], the same sequence for the same seed', () => {
    for (const seed of [1, 42, 2026]) {
      const random = createSeededRandom(seed);
      const again = createSeededRandom(seed);
      const delays = Array.from({ length: 12 }, (_, n) =>
        fullJitterDelayMs(n, policy, () => random.float()),
      );
      const expected = Array.from({ length: 12 }, (_, n) =>
        Math.floor(again.float() * (backoffCeilingMs(n, policy) + 1)),
      );
      expect(delays, `seed ${seed}`).toEqual(expected);
      delays.forEach((delay, n) => {
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(backoffCeilingMs(n, policy));
      });
    }
    const a = createSeededRandom(1);
    const b = createSeededRandom(2);
    const seq = (r: { float(): number }) =>
      Array.from({ length: 8 }, (_, n) => fullJitterDelayMs(n, policy, () => r.float()));
    expect(seq(a)).not.toEqual(seq(b));
  });

  it('reaches both ends of the interval and spreads over it', () => {
    expect(fullJitterDelayMs(3, policy, () => 0)).toBe(0);
    expect(fullJitterDelayMs(3, policy, () => 0.999_999_9)).toBe(800);
    const random = createSeededRandom(7);
    const draws = Array.from({ length: 2_000 }, () =>
      fullJitterDelayMs(2, policy, () => random.float()),
    );
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(180); // uniform on 0…400: mean 200
    expect(mean).toBeLessThan(220);
  });

  it('clamps a draw outside [0, 1) from a custom source', () => {
    expect(fullJitterDelayMs(0, policy, () => 1)).toBe(0);
    expect(fullJitterDelayMs(0, policy, () => Number.NaN)).toBe(0);
    expect(fullJitterDelayMs(0, policy, () => -0.5)).toBe(0);
  });
});
