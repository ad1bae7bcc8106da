/**
 * Datagram sizes DPLPMTUD tries, in order (whole UDP payloads, header included): Ethernet's 1500
 * less IPv4 and UDP headers, then sizes for jumbo frames and loopback, up to the largest UDP
 * payload over IPv4. Sizes above `maxDatagramBytes` are skipped; that maximum itself is tried last.
 * @see RFC 8899 §5.3 (search algorithm)
 */
export const RELIABLE_PROBE_LADDER_BYTES = [1472, 8192, 16384, 32768, 65507] as const;
/** The largest UDP payload over IPv4 (65,535 less the IPv4 and UDP headers). */
export const UDP_MAX_DATAGRAM_BYTES = 65_507;
/** Probes of one size that may go unanswered before the search stops there. @see RFC 8899 §5.1.2 MAX_PROBES */
export const PMTU_MAX_PROBES = 3;
/** How long after a search ends (or a black hole) before searching upward again. @see RFC 8899 §5.1.1 PMTU_RAISE_TIMER */
export const PMTU_RAISE_TIMER_MS = 600_000;

/** Where the search is: probing upward, or done (at the base or higher) until the raise timer. */
export type PathMtuSearchState = 'searching' | 'complete';

/** A probe to send: its number (echoed by the PROBE_ACK) and its whole datagram size. */
export interface PathMtuProbe {
  readonly id: number;
  readonly datagramBytes: number;
}

/**
 * Datagram packetization layer path MTU discovery (RFC 8899) as a pure state machine, time passed
 * in. It starts at a base size every path carries and probes upward one size at a time with
 * padding packets that carry no data (so a lost probe costs no retransmission); a size counts only
 * once the peer acknowledges its probe. {@link PathMtuSearch.onBlackHole} (the owner saw data of
 * the current size vanish) goes back to the base and searches again after the raise timer.
 * @example
 * const search = new PathMtuSearch({ baseBytes: 1252, maxBytes: 65507 });
 * const probe = search.poll(0, 100); // { id: 1, datagramBytes: 1472 }
 * search.onProbeAck(1); search.datagramBytes; // 1472
 */
export class PathMtuSearch {
  /** The largest datagram known to get through, header included. */
  datagramBytes: number;
  state: PathMtuSearchState;
  /** Probes sent, and of those acknowledged. */
  probesSent = 0;
  probesAcked = 0;
  private readonly base: number;
  private readonly candidates: readonly number[];
  private next = 0;
  private lastId = 0;
  private outstanding: { id: number; size: number; deadline: number } | undefined;
  private failures = 0;
  private raiseAt: number | undefined;

  constructor(options: { readonly baseBytes: number; readonly maxBytes: number }) {
    this.base = options.baseBytes;
    this.datagramBytes = this.base;
    const max = Math.min(options.maxBytes, UDP_MAX_DATAGRAM_BYTES);
    const sizes = new Set<number>([...RELIABLE_PROBE_LADDER_BYTES.filter((n) => n < max), max]);
    this.candidates = [...sizes].filter((n) => n > this.base).sort((a, b) => a - b);
    this.state = this.candidates.length > 0 ? 'searching' : 'complete';
  }

  /** When {@link PathMtuSearch.onTimer} has something to do, or undefined. */
  get nextDeadline(): number | undefined {
    return this.outstanding?.deadline ?? (this.state === 'complete' ? this.raiseAt : undefined);
  }

  /** The probe to send now, if one is due; `timeoutMs` (the RTO) bounds the wait for its answer. */
  poll(now: number, timeoutMs: number): PathMtuProbe | undefined {
    if (this.state !== 'searching' || this.outstanding !== undefined) return undefined;
    const size = this.candidates[this.next];
    if (size === undefined) {
      this.finish(now);
      return undefined;
    }
    this.lastId = (this.lastId + 1) >>> 0;
    this.outstanding = { id: this.lastId, size, deadline: now + timeoutMs };
    this.probesSent++;
    return { id: this.lastId, datagramBytes: size };
  }

  /** A PROBE_ACK with probe number `id`: true if it confirmed the probe in flight. */
  onProbeAck(id: number): boolean {
    const probe = this.outstanding;
    if (!probe || probe.id !== id) return false;
    this.outstanding = undefined;
    this.probesAcked++;
    this.datagramBytes = probe.size;
    this.failures = 0;
    this.next++;
    return true;
  }

  /** Runs the probe timer (an unanswered probe) and the raise timer (search again). */
  onTimer(now: number): void {
    const probe = this.outstanding;
    if (probe && now >= probe.deadline) {
      this.outstanding = undefined;
      this.failures++;
      if (this.failures >= PMTU_MAX_PROBES) this.finish(now); // this size does not pass
    }
    if (this.state === 'complete' && this.raiseAt !== undefined && now >= this.raiseAt) {
      this.raiseAt = undefined;
      this.next = this.candidates.findIndex((n) => n > this.datagramBytes);
      if (this.next >= 0) this.state = 'searching';
    }
  }

  /**
   * Data of the current size kept vanishing (black-hole detection, RFC 8899 §4.3): fall back to
   * the base size at once; search again after the raise timer. Returns false if already at the base.
   */
  onBlackHole(now: number): boolean {
    if (this.datagramBytes === this.base) return false;
    this.datagramBytes = this.base;
    this.outstanding = undefined;
    this.next = 0;
    this.finish(now);
    return true;
  }

  private finish(now: number): void {
    this.state = 'complete';
    this.failures = 0;
    this.raiseAt = now + PMTU_RAISE_TIMER_MS;
  }
}
