import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/file-transfer/token-bucket.ts';

describe('TokenBucket', () => {
  it('lets a burst through, then paces at the rate, and refills with time', () => {
    const bucket = new TokenBucket(10, 3, 1_000);
    expect([bucket.take(1_000), bucket.take(1_000), bucket.take(1_000)]).toEqual([0, 0, 0]);
    expect(bucket.take(1_000), 'the 4th at once waits one period').toBe(100);
    expect(bucket.take(1_000), 'the 5th queues behind it').toBe(200);
    expect(bucket.take(1_300), '300 ms later, 3 tokens have come: the 2 owed and this one').toBe(0);
    expect(bucket.take(10_000), 'a long pause refills only up to the burst').toBe(0);
    expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([0, 0, 100]);
  });

  it('never goes back in time when the clock does', () => {
    const bucket = new TokenBucket(1, 1, 5_000);
    expect(bucket.take(5_000)).toBe(0);
    expect(bucket.take(4_000)).toBe(1_000);
  });
});
