/**
 * Latency recording for the load generator: two HDR histograms, one counted from each message's
 * intended send time (coordinated omission corrected) and one from its actual send time.
 */
import { build, type Histogram } from 'hdr-histogram-js';

/** Latency percentiles in milliseconds (microsecond resolution, 3 significant digits). */
export interface LatencySummary {
  /** Replies recorded. */
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  /** The 99.9th percentile. */
  readonly p999: number;
  readonly max: number;
}

/** The longest latency a histogram tracks: one hour, in microseconds; longer ones count as one hour. */
const HIGHEST_TRACKABLE_US = 3_600_000_000;

/** One HDR histogram of latencies, recorded in microseconds and summarised in milliseconds. */
export class LatencyHistogram {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
  });

  /** Records one latency in milliseconds (negative values, from a clock step, count as 0). */
  record(ms: number): void {
    const us = Math.round(ms * 1000);
    this.histogram.recordValue(Math.min(Math.max(us, 0), HIGHEST_TRACKABLE_US));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The percentiles so far (all 0 before the first value). */
  summary(): LatencySummary {
    const h = this.histogram;
    // A percentile is the top of its bucket (3 significant digits); the max is exact. Capping
    // at the max keeps p99.9 ≤ max when both fall in the top bucket.
    const at = (p: number): number =>
      h.totalCount === 0 ? 0 : Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000;
    return {
      count: h.totalCount,
      mean: h.totalCount === 0 ? 0 : h.mean / 1000,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: h.totalCount === 0 ? 0 : h.maxValue / 1000,
    };
  }
}
