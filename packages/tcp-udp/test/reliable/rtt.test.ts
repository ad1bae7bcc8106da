import { describe, expect, it } from 'vitest';
import { RtoEstimator } from '../../src/reliable/rtt.ts';

describe('RtoEstimator (RFC 6298)', () => {
  it('starts at the initial RTO of 1 s (§2.1)', () => {
    expect(new RtoEstimator().rto).toBe(1000);
  });

  it('takes the first sample as SRTT = R, RTTVAR = R/2 (§2.2)', () => {
    const rto = new RtoEstimator({ minRtoMs: 10 });
    rto.sample(100);
    expect(rto.srtt).toBe(100);
    expect(rto.rttvar).toBe(50);
    expect(rto.rto).toBe(100 + 4 * 50);
  });

  it('smooths later samples with alpha 1/8 and beta 1/4, RTTVAR first (§2.3)', () => {
    const rto = new RtoEstimator({ minRtoMs: 10 });
    rto.sample(100);
    rto.sample(200);
    // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5
    expect(rto.rttvar).toBe(62.5);
    expect(rto.srtt).toBe(112.5);
    expect(rto.rto).toBe(112.5 + 4 * 62.5);
    rto.sample(112.5);
    // RTTVAR = 3/4 * 62.5 + 0 = 46.875; SRTT unchanged
    expect(rto.rttvar).toBe(46.875);
    expect(rto.srtt).toBe(112.5);
    expect(rto.rto).toBe(300);
  });

  it('uses the clock granularity G when 4·RTTVAR is smaller (§2.3)', () => {
    const rto = new RtoEstimator({ minRtoMs: 0, granularityMs: 10 });
    for (let i = 0; i < 60; i++) rto.sample(40);
    expect(rto.rttvar).toBeLessThan(2.5);
    expect(rto.rto).toBeCloseTo(40 + 10, 5);
  });

  it('rounds up to the 1 s minimum by default (§2.4), or to minRtoMs', () => {
    const strict = new RtoEstimator();
    strict.sample(2);
    expect(strict.rto).toBe(1000);
    const loopback = new RtoEstimator({ minRtoMs: 30 });
    loopback.sample(2);
    expect(loopback.rto).toBe(30);
  });

  it('doubles on each timeout up to the maximum (§5.5), and a new sample clears it', () => {
    const rto = new RtoEstimator({ minRtoMs: 20, maxRtoMs: 500 });
    rto.sample(50); // 50 + 100 = 150
    rto.backoff();
    expect(rto.rto).toBe(300);
    rto.backoff();
    expect(rto.rto).toBe(500);
    rto.backoff();
    expect(rto.rto).toBe(500);
    rto.sample(50);
    expect(rto.backoffs).toBe(0);
    expect(rto.rto).toBeLessThan(300);
  });

  it('ignores negative and non-finite samples', () => {
    const rto = new RtoEstimator();
    rto.sample(-1);
    rto.sample(Number.NaN);
    expect(rto.srtt).toBeUndefined();
  });

  it.each([
    [{ minRtoMs: -1 }],
    [{ maxRtoMs: 10, minRtoMs: 20 }],
    [{ granularityMs: Number.POSITIVE_INFINITY }],
  ])('refuses %o with a RangeError', (options) => {
    expect(() => new RtoEstimator(options)).toThrow(RangeError);
  });

  it('refuses { initialRtoMs: NaN } with a TypeError (not a number)', () => {
    expect(() => new RtoEstimator({ initialRtoMs: Number.NaN })).toThrow(
      new TypeError('initialRtoMs must be a finite number ≥ 0, got NaN'),
    );
  });
});
