import { checkNumber } from '@socketlab/internal';

/**
 * Options of {@link RtoEstimator}. Defaults are RFC 6298's.
 */
export interface RtoOptions {
  /** RTO before any RTT sample (RFC 6298 §2.1). @default 1000 */
  readonly initialRtoMs?: number;
  /**
   * Floor of the RTO. RFC 6298 §2.4 says 1 s, chosen for the Internet of 2011 to avoid spurious
   * retransmissions when delayed ACKs and coarse clocks inflate RTTs. On loopback, where an RTT is
   * well under a millisecond, a 1 s floor makes every loss cost a second; tests and local links
   * use 20–50 ms. @default 1000
   */
  readonly minRtoMs?: number;
  /** Ceiling of the RTO, also after backoff (RFC 6298 §2.5 allows ≥ 60 s). @default 60000 */
  readonly maxRtoMs?: number;
  /** Clock granularity G in `SRTT + max(G, K·RTTVAR)` (RFC 6298 §2). @default 1 */
  readonly granularityMs?: number;
}

/** RFC 6298 §2.3: alpha = 1/8. */
export const RTO_ALPHA = 1 / 8;
/** RFC 6298 §2.3: beta = 1/4. */
export const RTO_BETA = 1 / 4;
/** RFC 6298 §2: K = 4. */
export const RTO_K = 4;

/**
 * Retransmission-timeout estimator of RFC 6298: smoothed RTT (SRTT) and RTT variation (RTTVAR)
 * from samples, the RTO derived from them, doubled on each timeout. Pure arithmetic, no clock:
 * the caller measures samples, and per Karn's algorithm (RFC 6298 §3) never from a segment that
 * was retransmitted, because its ACK may answer either transmission.
 * @throws {RangeError} on an infinite or negative option, or min > max.
 * @throws {TypeError} on an option that is not a number (or `NaN`).
 * @see RFC 6298
 * @example
 * const rto = new RtoEstimator({ minRtoMs: 20 });
 * rto.sample(100); // first sample: SRTT 100, RTTVAR 50, RTO 300
 */
export class RtoEstimator {
  /** Smoothed RTT in ms, undefined before the first sample. */
  srtt: number | undefined;
  /** RTT variation in ms, undefined before the first sample. */
  rttvar: number | undefined;
  /** How many times the RTO was doubled since the last sample. */
  backoffs = 0;
  private base: number;
  private readonly min: number;
  private readonly max: number;
  private readonly granularity: number;

  constructor(options: RtoOptions = {}) {
    this.min = checkNumber('minRtoMs', options.minRtoMs ?? 1000, 0);
    this.max = checkNumber('maxRtoMs', options.maxRtoMs ?? 60_000, this.min);
    this.granularity = checkNumber('granularityMs', options.granularityMs ?? 1, 0);
    this.base = this.clamp(checkNumber('initialRtoMs', options.initialRtoMs ?? 1000, 0));
  }

  /** The current RTO in ms: the estimate, doubled once per backoff, within [min, max]. */
  get rto(): number {
    return this.clamp(this.base * 2 ** this.backoffs);
  }

  /**
   * Takes one RTT measurement (RFC 6298 §2.2 for the first, §2.3 for later ones) and clears any
   * backoff. Negative or non-finite samples are ignored.
   */
  sample(rttMs: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    if (this.srtt === undefined || this.rttvar === undefined) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
    } else {
      // RTTVAR is updated first, with the old SRTT (RFC 6298 §2.3).
      this.rttvar = (1 - RTO_BETA) * this.rttvar + RTO_BETA * Math.abs(this.srtt - rttMs);
      this.srtt = (1 - RTO_ALPHA) * this.srtt + RTO_ALPHA * rttMs;
    }
    this.base = this.clamp(this.srtt + Math.max(this.granularity, RTO_K * this.rttvar));
    this.backoffs = 0;
  }

  /** Doubles the RTO after a timeout (RFC 6298 §5.5), up to the maximum. */
  backoff(): void {
    if (this.rto < this.max) this.backoffs++;
  }

  private clamp(ms: number): number {
    return Math.min(this.max, Math.max(this.min, ms));
  }
}
