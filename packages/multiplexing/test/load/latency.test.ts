import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/load/latency.ts';

describe('LatencyHistogram', () => {
  it('summarises nothing as zeros', () => {
    expect(new LatencyHistogram().summary()).toEqual({
      count: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      max: 0,
    });
  });

  it('keeps p99.9 at or below an exact max that shares its bucket', () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 999; i++) histogram.record(1);
    histogram.record(40.494);
    const summary = histogram.summary();
    expect(summary.max).toBe(40.494);
    expect(summary.p999).toBeLessThanOrEqual(summary.max);
    expect(summary.p50).toBe(1);
  });

  it('reports percentiles within 0.1 % (three significant digits)', () => {
    const histogram = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) histogram.record(i / 10); // 0.1 ms … 1000 ms
    const summary = histogram.summary();
    expect(summary.count).toBe(10_000);
    expect(summary.p50).toBeGreaterThanOrEqual(500);
    expect(summary.p50).toBeLessThanOrEqual(500 * 1.001);
    expect(summary.p99).toBeGreaterThanOrEqual(990);
    expect(summary.p99).toBeLessThanOrEqual(990 * 1.001);
    expect(summary.max).toBe(1000);
  });

  it('records a negative latency (a clock step) as 0 and caps one past an hour', () => {
    const histogram = new LatencyHistogram();
    histogram.record(-5);
    histogram.record(5 * 3_600_000);
    const summary = histogram.summary();
    expect(summary.p50).toBe(0);
    expect(summary.max).toBeCloseTo(3_600_000, -1);
  });
});
