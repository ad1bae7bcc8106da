import { checkInteger } from '@socketlab/internal';
import { seqDistance } from './packet.ts';

/**
 * How a reliable sender sizes its window beyond what the receiver allows:
 * - `fixed`: always `maxWindowSegments` (no congestion control; fine on loopback and LANs);
 * - `reno`: RFC 5681 in packets — slow start from an initial window, congestion avoidance past
 *   `ssthresh`, the window halved once per loss event, and one packet after a timeout.
 */
export type ReliableCongestionControl = 'fixed' | 'reno';

/** Options of {@link RenoWindow}. */
export interface RenoWindowOptions {
  /** Initial window in packets (RFC 6928 allows 10). @default 10 */
  readonly initialWindowSegments?: number;
  /** The window never grows past this. */
  readonly maxWindowSegments: number;
}

/**
 * Congestion window of RFC 5681, counted in packets instead of bytes. Pure: the sender tells it
 * what happened, it answers with the window (`cwnd`).
 * @throws {RangeError} (constructor) when the initial window is below 1; {TypeError} when it is
 *   not an integer.
 * @see RFC 5681 §3.1 (slow start, congestion avoidance), §3.2 (fast retransmit/recovery)
 * @example
 * const reno = new RenoWindow({ maxWindowSegments: 64 });
 * reno.onAck(2, 100); reno.cwnd; // 12: slow start adds one packet per packet acknowledged
 */
export class RenoWindow {
  /** Congestion window, in packets (fractional during congestion avoidance). */
  cwnd: number;
  /** Slow-start threshold, in packets. */
  ssthresh = Number.POSITIVE_INFINITY;
  /** While recovering from a loss, the sequence number whose ACK ends the recovery. */
  private recoverUntil: number | undefined;
  private readonly max: number;

  constructor(options: RenoWindowOptions) {
    const initial = checkInteger('initialWindowSegments', options.initialWindowSegments ?? 10, 1);
    this.max = options.maxWindowSegments;
    this.cwnd = Math.min(initial, this.max);
  }

  /** True between a loss and the ACK of everything sent before it. */
  get recovering(): boolean {
    return this.recoverUntil !== undefined;
  }

  /** `acked` packets newly acknowledged, the cumulative ACK now at `una`. */
  onAck(acked: number, una: number): void {
    if (this.recoverUntil !== undefined) {
      if (seqDistance(this.recoverUntil, una) < 0) return; // still recovering: hold the window
      this.recoverUntil = undefined;
    }
    if (this.cwnd < this.ssthresh)
      this.cwnd += acked; // slow start (RFC 5681 §3.1)
    else this.cwnd += acked / this.cwnd; // congestion avoidance: about +1 packet per RTT
    this.cwnd = Math.min(this.cwnd, this.max);
  }

  /**
   * A loss found by duplicate ACKs or SACK: halve the window once per loss event (RFC 5681 §3.2
   * step 2, with RFC 6582's recovery point so one window of losses is one event).
   */
  onLoss(inFlight: number, sndNxt: number): void {
    if (this.recoverUntil !== undefined) return;
    this.ssthresh = Math.max(Math.floor(inFlight / 2), 2);
    this.cwnd = this.ssthresh;
    this.recoverUntil = sndNxt;
  }

  /** A retransmission timeout: one packet, and slow start up to half the old flight (§3.1). */
  onTimeout(inFlight: number, sndNxt: number): void {
    this.ssthresh = Math.max(Math.floor(inFlight / 2), 2);
    this.cwnd = 1;
    this.recoverUntil = sndNxt;
  }
}
