import { describe, expect, it } from 'vitest';
import { UDP_RETRY_DEFAULTS, UdpResponseCache, udpRetrySchedule } from '../../src/udp/retry.ts';

describe('the UDP retry schedule', () => {
  it('doubles the wait of each attempt by default: 500, 1000, 2000, 4000 ms', () => {
    expect(udpRetrySchedule()).toEqual([500, 1000, 2000, 4000]);
    expect(UDP_RETRY_DEFAULTS.retries).toBe(3);
  });

  it.each([
    [{ timeoutMs: 100, retries: 0 }, [100]],
    [{ timeoutMs: 100, retries: 4, backoff: 1 }, [100, 100, 100, 100, 100]],
    [{ timeoutMs: 100, retries: 4, backoff: 3, maxTimeoutMs: 1000 }, [100, 300, 900, 1000, 1000]],
    [{ timeoutMs: 10, retries: 2, backoff: 1.5 }, [10, 15, 23]],
  ])('computes %j as %j', (policy, expected) => {
    expect(udpRetrySchedule(policy)).toEqual(expected);
  });

  it.each([
    { timeoutMs: 0 },
    { retries: -1 },
    { retries: 101 },
    { backoff: 0.5 },
    { timeoutMs: 100, maxTimeoutMs: 50 },
  ])('refuses %j with a RangeError', (policy) => {
    expect(() => udpRetrySchedule(policy)).toThrow(RangeError);
  });

  it.each([
    [{ timeoutMs: Number.NaN }, 'timeoutMs must be a number from 1 to 2147483647, got NaN'],
    [{ retries: 1.5 }, 'retries must be an integer from 0 to 100, got 1.5'],
  ])('refuses %j with a TypeError', (policy, message) => {
    expect(() => udpRetrySchedule(policy)).toThrow(new TypeError(message));
  });
});

describe('the response cache (injected clock)', () => {
  function fakeCache(options: { maxEntries?: number; ttlMs?: number } = {}) {
    const clock = { now: 1_000 };
    const cache = new UdpResponseCache({ ...options, now: () => clock.now });
    return { clock, cache };
  }

  it('runs a request once, and a retry of it finds it running, then answered', () => {
    const { cache } = fakeCache();
    expect(cache.begin('127.0.0.1', 5000, 7)).toBe(true);
    expect(cache.begin('127.0.0.1', 5000, 7)).toBe(false);
    expect(cache.get('127.0.0.1', 5000, 7)?.state).toBe('pending');
    cache.finish('127.0.0.1', 5000, 7, Buffer.from('ok'));
    const entry = cache.get('127.0.0.1', 5000, 7);
    expect(entry?.state === 'done' && Buffer.from(entry.response).toString()).toBe('ok');
  });

  it('keeps peers and ids apart: the same id from another port is another request', () => {
    const { cache } = fakeCache();
    expect(cache.begin('127.0.0.1', 5000, 7)).toBe(true);
    expect(cache.begin('127.0.0.1', 5001, 7)).toBe(true);
    expect(cache.begin('::1', 5000, 7)).toBe(true);
    expect(cache.begin('127.0.0.1', 5000, 8)).toBe(true);
  });

  it('forgets an entry after ttlMs, so a very late retry runs again', () => {
    const { clock, cache } = fakeCache({ ttlMs: 100 });
    cache.begin('127.0.0.1', 1, 1);
    cache.finish('127.0.0.1', 1, 1, Buffer.from('a'));
    clock.now += 99;
    expect(cache.get('127.0.0.1', 1, 1)).toBeDefined();
    clock.now += 1;
    expect(cache.get('127.0.0.1', 1, 1)).toBeUndefined();
    expect(cache.begin('127.0.0.1', 1, 1)).toBe(true);
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const { cache } = fakeCache({ maxEntries: 3 });
    for (let id = 1; id <= 5; id++) cache.begin('127.0.0.1', 1, id);
    expect(cache.size).toBe(3);
    expect(cache.get('127.0.0.1', 1, 1)).toBeUndefined();
    expect(cache.get('127.0.0.1', 1, 2)).toBeUndefined();
    expect(cache.get('127.0.0.1', 1, 5)).toBeDefined();
  });

  it('forgets a request on demand', () => {
    const { cache } = fakeCache();
    cache.begin('127.0.0.1', 1, 1);
    cache.forget('127.0.0.1', 1, 1);
    expect(cache.get('127.0.0.1', 1, 1)).toBeUndefined();
  });

  it('refuses bad limits', () => {
    expect(() => new UdpResponseCache({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new UdpResponseCache({ ttlMs: -1 })).toThrow(RangeError);
  });
});
