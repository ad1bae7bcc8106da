import { checkInteger } from '@socketlab/internal';
import { type ReliableCongestionControl, RenoWindow } from './congestion.ts';
import {
  DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES,
  type SackBlock,
  seqAdd,
  seqDistance,
} from './packet.ts';
import { RtoEstimator, type RtoOptions } from './rtt.ts';

/** Options of {@link ReliableSender}. */
export interface ReliableSenderOptions {
  /** Sequence number of the first data segment (own ISN + 1). */
  readonly firstSeq: number;
  /** Largest payload per segment. @default 1200 */
  readonly maxPayloadBytes?: number;
  /** Segments in flight at most, whatever the peer advertises or the congestion window. @default 64 */
  readonly maxWindowSegments?: number;
  /**
   * `fixed` keeps `maxWindowSegments` in flight (no congestion control: loopback and LANs);
   * `reno` adds RFC 5681's congestion window (see {@link RenoWindow}). @default 'fixed'
   */
  readonly congestionControl?: ReliableCongestionControl;
  /** Initial congestion window with `reno`, in packets. @default 10 */
  readonly initialWindowSegments?: number;
  /** Bytes accepted from the application and not yet acknowledged, at most. @default 1048576 */
  readonly maxSendBufferBytes?: number;
  /**
   * Timeouts in a row without progress (an ACK that advances, or a zero-window ACK) before the
   * peer is declared dead. @default 10
   */
  readonly maxRetransmits?: number;
  /** Retransmission-timer options (RFC 6298). */
  readonly rto?: RtoOptions;
  /**
   * Pacing: segments sent back to back at most (the depth of a token bucket refilled at the
   * window per smoothed RTT, times 2 in slow start and 1.25 otherwise, as Linux paces); the rest
   * is spread over the RTT instead of leaving in one burst. 0 turns pacing off. @default 32
   */
  readonly maxBurstSegments?: number;
}

/** Default {@link ReliableSenderOptions.maxBurstSegments}. */
export const DEFAULT_RELIABLE_MAX_BURST_SEGMENTS = 32;

/** Counters of a {@link ReliableSender}. */
export interface ReliableSenderStats {
  /** Segments sent for the first time. */
  segmentsSent: number;
  /** Segments sent again (after a timeout, a fast retransmit, or SACK loss detection). */
  retransmissions: number;
  /** Retransmissions caused by three duplicate ACKs. */
  fastRetransmits: number;
  /** Retransmission-timer expiries. */
  timeouts: number;
  /** ACKs repeating the current cumulative ACK while data is outstanding. */
  duplicateAcks: number;
  /** ACKs for sequence numbers never sent: ignored. */
  invalidAcks: number;
  /** SACK blocks outside what is outstanding: ignored. */
  invalidSacks: number;
  /** ACKs older than the current cumulative ACK: ignored. */
  staleAcks: number;
}

/** One segment to put on the wire. */
export interface ReliableOutgoingSegment {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly fin: boolean;
  /** True when this is a retransmission. */
  readonly retransmission: boolean;
}

interface Segment {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly fin: boolean;
  sentAt: number;
  /** Global order of its latest transmission, for SACK-based loss detection. */
  order: number;
  transmissions: number;
  sacked: boolean;
  lost: boolean;
}

const DUPLICATE_ACK_THRESHOLD = 3;

/**
 * The sending half of a reliable connection, pure (time is passed in): it cuts the application's
 * bytes into numbered segments, keeps at most a window of them in flight, and resends what the
 * peer did not acknowledge — on the retransmission timer (RFC 6298), after three duplicate ACKs
 * (fast retransmit, RFC 5681 §3.2), or when three segments sent after it were SACKed (the idea of
 * RFC 6675). SACKed segments are never resent. Nothing a peer sends can make it resend in a loop
 * or hold more than `maxSendBufferBytes`.
 * @throws {RangeError} (constructor) on a bad option.
 * @example
 * const tx = new ReliableSender({ firstSeq: 1, rto: { minRtoMs: 20 } });
 * tx.write(bytes); const segments = tx.poll(now); // send them; then tx.onAck(ack, window, sack, now)
 */
export class ReliableSender {
  /** Oldest unacknowledged sequence number. */
  sndUna: number;
  /** Next sequence number to use. */
  sndNxt: number;
  /** The peer's last advertised window, in segments. */
  peerWindow = 1;
  /** Timeouts in a row with no progress in between. */
  consecutiveTimeouts = 0;
  readonly rtt: RtoEstimator;
  readonly stats: ReliableSenderStats = {
    segmentsSent: 0,
    retransmissions: 0,
    fastRetransmits: 0,
    timeouts: 0,
    duplicateAcks: 0,
    invalidAcks: 0,
    invalidSacks: 0,
    staleAcks: 0,
  };
  private readonly flight: Segment[] = [];
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private flightBytes = 0;
  private finQueued = false;
  private finSent = false;
  private deadline: number | undefined;
  /** When a segment passed over by SACKs becomes overdue (RACK's reordering timer). */
  private reorderDeadline: number | undefined;
  private dupAcks = 0;
  private fastRetransmitDone = false;
  private order = 0;
  private maxPayload: number;
  private readonly maxWindow: number;
  private readonly maxBurst: number;
  /** Pacing tokens, in segments, as of `tokensAt`. */
  private tokens: number;
  private tokensAt: number | undefined;
  /** When the next token is due, while pacing holds back a segment the window allows. */
  private paceDeadline: number | undefined;
  private readonly maxBuffer: number;
  readonly maxRetransmits: number;
  /** The congestion window with `congestionControl: 'reno'`; undefined with `fixed`. */
  readonly congestion: RenoWindow | undefined;

  constructor(options: ReliableSenderOptions) {
    this.sndUna = options.firstSeq >>> 0;
    this.sndNxt = this.sndUna;
    this.maxPayload = checkInteger(
      'maxPayloadBytes',
      options.maxPayloadBytes ?? DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES,
      1,
      65_535,
    );
    this.maxWindow = checkInteger('maxWindowSegments', options.maxWindowSegments ?? 64, 1, 1 << 20);
    this.maxBuffer = checkInteger('maxSendBufferBytes', options.maxSendBufferBytes ?? 1 << 20, 1);
    this.maxRetransmits = checkInteger('maxRetransmits', options.maxRetransmits ?? 10, 1, 1000);
    this.maxBurst = checkInteger(
      'maxBurstSegments',
      options.maxBurstSegments ?? DEFAULT_RELIABLE_MAX_BURST_SEGMENTS,
      0,
      1 << 20,
    );
    this.tokens = this.maxBurst;
    this.rtt = new RtoEstimator(options.rto);
    const control = options.congestionControl ?? 'fixed';
    if (control !== 'fixed' && control !== 'reno') {
      throw new RangeError(`congestionControl must be 'fixed' or 'reno', got ${String(control)}`);
    }
    this.congestion =
      control === 'reno'
        ? new RenoWindow({
            maxWindowSegments: this.maxWindow,
            ...(options.initialWindowSegments === undefined
              ? {}
              : { initialWindowSegments: options.initialWindowSegments }),
          })
        : undefined;
  }

  /** Payload bytes of the segments cut from now on (segments already cut keep their size). */
  get segmentBytes(): number {
    return this.maxPayload;
  }

  /** Changes the size of the segments cut from now on (path MTU discovery found another). */
  set segmentBytes(bytes: number) {
    this.maxPayload = checkInteger('segmentBytes', bytes, 1, 65_535);
  }

  /** Bytes accepted and not yet acknowledged (queued plus in flight). */
  get bufferedBytes(): number {
    return this.queuedBytes + this.flightBytes;
  }

  /** Bytes {@link ReliableSender.write} would accept now. */
  get freeBytes(): number {
    return Math.max(0, this.maxBuffer - this.bufferedBytes);
  }

  /** True once a FIN was queued, sent and acknowledged, with all data before it. */
  get finAcked(): boolean {
    return this.finSent && this.flight.length === 0;
  }

  /** True when nothing is queued or in flight. */
  get idle(): boolean {
    return this.flight.length === 0 && this.queuedBytes === 0 && (!this.finQueued || this.finSent);
  }

  /** When the retransmission timer fires (ms, the caller's clock), or undefined if stopped. */
  get nextDeadline(): number | undefined {
    let due = this.deadline;
    const reorder = this.reorderDeadline;
    if (reorder !== undefined && (due === undefined || reorder < due)) due = reorder;
    const pace = this.paceDeadline;
    if (pace !== undefined && (due === undefined || pace < due)) due = pace;
    return due;
  }

  /** When pacing lets the next segment go, while it holds one back; undefined otherwise. */
  get pacedUntil(): number | undefined {
    return this.paceDeadline;
  }

  /** The pacing rate in segments per ms, or undefined while there is no RTT to pace over. */
  get pacingRate(): number | undefined {
    const srtt = this.rtt.srtt;
    if (this.maxBurst === 0 || srtt === undefined) return undefined;
    const congestion = this.congestion;
    const slowStart = congestion !== undefined && congestion.cwnd < congestion.ssthresh;
    const gain = slowStart ? 2 : 1.25;
    // A sub-10-µs RTT is below the clock's resolution: pace as if it were 10 µs.
    return (gain * this.windowLimit()) / Math.max(srtt, 0.01);
  }

  /**
   * Accepts as many bytes of `data` as the send buffer has room for and returns that count;
   * the caller keeps the rest and retries after ACKs free space (backpressure).
   * @throws {RangeError} after {@link ReliableSender.end}.
   */
  write(data: Uint8Array): number {
    if (this.finQueued) throw new RangeError('cannot write after end()');
    const n = Math.min(data.length, this.freeBytes);
    if (n > 0) {
      this.queue.push(data.subarray(0, n));
      this.queuedBytes += n;
    }
    return n;
  }

  /** Queues a FIN after all data written so far. */
  end(): void {
    this.finQueued = true;
  }

  /** Segments to transmit now: lost ones first, then new ones the window allows. */
  poll(now: number): ReliableOutgoingSegment[] {
    const out: ReliableOutgoingSegment[] = [];
    this.refill(now);
    this.paceDeadline = undefined;
    for (const segment of this.flight) {
      if (!segment.lost || segment.sacked) continue;
      if (!this.takeToken(now)) break;
      segment.lost = false;
      this.transmit(segment, now);
      this.stats.retransmissions++;
      out.push({
        seq: segment.seq,
        payload: segment.payload,
        fin: segment.fin,
        retransmission: true,
      });
    }
    const limit = this.windowLimit();
    while (
      this.paceDeadline === undefined &&
      this.flight.length < limit &&
      (this.queuedBytes > 0 || (this.finQueued && !this.finSent)) &&
      this.takeToken(now)
    ) {
      const fin = this.queuedBytes === 0;
      const payload = fin
        ? new Uint8Array(0)
        : this.take(Math.min(this.maxPayload, this.queuedBytes));
      if (fin) this.finSent = true;
      const segment: Segment = {
        seq: this.sndNxt,
        payload,
        fin,
        sentAt: now,
        order: 0,
        transmissions: 0,
        sacked: false,
        lost: false,
      };
      this.sndNxt = seqAdd(this.sndNxt, 1);
      this.flight.push(segment);
      this.flightBytes += payload.length;
      this.transmit(segment, now);
      this.stats.segmentsSent++;
      out.push({ seq: segment.seq, payload, fin, retransmission: false });
    }
    if (out.length > 0 && this.deadline === undefined) this.deadline = now + this.rtt.rto;
    return out;
  }

  /**
   * Takes the acknowledgement fields of any packet from the peer. Returns what kind of ACK it was.
   * An ACK for data never sent, or older than the current one, changes nothing.
   */
  onAck(
    ack: number,
    window: number,
    sack: readonly SackBlock[],
    now: number,
  ): 'new' | 'duplicate' | 'stale' | 'invalid' | 'update' {
    const advance = seqDistance(this.sndUna, ack);
    if (advance < 0) {
      this.stats.staleAcks++;
      return 'stale';
    }
    if (seqDistance(ack, this.sndNxt) < 0) {
      this.stats.invalidAcks++;
      return 'invalid';
    }
    // Only progress (or a peer that says it is full) proves the peer alive: a stream of duplicate
    // ACKs that never acknowledge anything must not keep a connection retransmitting forever.
    if (advance > 0 || window === 0) this.consecutiveTimeouts = 0;
    this.peerWindow = window;
    // RTT samples (Karn: never from a segment sent more than once), taken as a segment is first
    // known to have arrived — newly SACKed, or newly acknowledged without having been SACKed —
    // and the freshest of them kept: a cumulative ACK that jumps over a repaired hole would
    // otherwise time segments that had arrived long before.
    let sample = Number.POSITIVE_INFINITY;
    if (advance > 0) {
      for (let i = 0; i < advance; i++) {
        const segment = this.flight[i];
        if (segment && segment.transmissions === 1 && !segment.sacked) {
          sample = Math.min(sample, now - segment.sentAt);
        }
      }
      for (const segment of this.flight.splice(0, advance)) {
        this.flightBytes -= segment.payload.length;
      }
      this.sndUna = ack;
      this.dupAcks = 0;
      this.fastRetransmitDone = false;
      this.congestion?.onAck(advance, ack);
    }
    sample = Math.min(sample, this.applySack(sack, now));
    if (sample !== Number.POSITIVE_INFINITY) this.rtt.sample(sample);
    if (advance > 0) {
      this.deadline = this.flight.length > 0 ? now + this.rtt.rto : undefined;
      if (this.flight.length === 0) this.reorderDeadline = undefined;
    }
    if (advance > 0) return 'new';
    if (this.flight.length === 0) return 'update';
    this.stats.duplicateAcks++;
    this.dupAcks++;
    const first = this.flight[0];
    if (
      this.dupAcks >= DUPLICATE_ACK_THRESHOLD &&
      !this.fastRetransmitDone &&
      first &&
      !first.sacked
    ) {
      this.fastRetransmitDone = true;
      if (!first.lost) {
        first.lost = true;
        this.stats.fastRetransmits++;
        this.congestion?.onLoss(this.flight.length, this.sndNxt);
      }
    }
    return 'duplicate';
  }

  /**
   * Runs the retransmission timer: when it expired, backs the RTO off and marks for resending
   * the first unSACKed segment and every other one out longer than SRTT + SRTT/4. Returns
   * `exhausted` after `maxRetransmits` timeouts in a row.
   */
  onTimer(now: number): 'idle' | 'retransmit' | 'exhausted' {
    if (this.reorderDeadline !== undefined && now >= this.reorderDeadline) {
      this.detectLoss(now);
      if (this.deadline === undefined || now < this.deadline) return 'retransmit';
    }
    if (this.deadline === undefined || now < this.deadline) return 'idle';
    if (this.flight.length === 0) {
      this.deadline = undefined;
      return 'idle';
    }
    this.stats.timeouts++;
    this.consecutiveTimeouts++;
    if (this.consecutiveTimeouts > this.maxRetransmits) {
      this.deadline = undefined;
      return 'exhausted';
    }
    // RFC 6298 §5.4 resends the earliest segment. Resending only that one would cost one more
    // timeout per segment lost in a burst, so every unSACKed segment that has been out longer
    // than SRTT + SRTT/4 is resent too; younger ones may still be on their way.
    const srtt = this.rtt.srtt ?? 0;
    let first = true;
    for (const segment of this.flight) {
      if (segment.sacked) continue;
      if (first || now - segment.sentAt >= srtt + srtt / 4) segment.lost = true;
      first = false;
    }
    this.congestion?.onTimeout(this.flight.length, this.sndNxt);
    this.rtt.backoff();
    this.deadline = now + this.rtt.rto;
    return 'retransmit';
  }

  /** Segments the windows allow in flight: at least one, which probes a closed window. */
  private windowLimit(): number {
    const cwnd = this.congestion ? Math.floor(this.congestion.cwnd) : this.maxWindow;
    return Math.max(1, Math.min(this.maxWindow, this.peerWindow, cwnd));
  }

  /** Adds the tokens earned since the last refill, up to the bucket's depth. */
  private refill(now: number): void {
    const rate = this.pacingRate;
    if (rate === undefined || this.tokensAt === undefined) {
      this.tokens = this.maxBurst;
    } else if (now > this.tokensAt) {
      this.tokens = Math.min(this.maxBurst, this.tokens + (now - this.tokensAt) * rate);
    }
    this.tokensAt = now;
  }

  /** Spends one token; without one, notes when it will be there and answers false. */
  private takeToken(now: number): boolean {
    const rate = this.pacingRate;
    if (rate === undefined) return true;
    // The tolerance and the 1-µs floor keep rounding from leaving a token forever just short of 1.
    if (this.tokens >= 1 - 1e-9) {
      this.tokens -= 1;
      return true;
    }
    this.paceDeadline = now + Math.max((1 - this.tokens) / rate, 0.001);
    return false;
  }

  private transmit(segment: Segment, now: number): void {
    segment.sentAt = now;
    segment.order = ++this.order;
    segment.transmissions++;
  }

  private take(n: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let need = n;
    while (need > 0) {
      const head = this.queue[0];
      if (!head) break;
      if (head.length <= need) {
        parts.push(head);
        this.queue.shift();
        need -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        this.queue[0] = head.subarray(need);
        need = 0;
      }
    }
    this.queuedBytes -= n;
    return parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts);
  }

  /**
   * Marks SACKed segments. A segment is taken as lost when three segments sent after it were
   * SACKed and it has been out longer than SRTT + SRTT/4: the allowance (RACK's reordering
   * window, RFC 8985) keeps a segment that is merely overtaken from being resent.
   */
  private applySack(sack: readonly SackBlock[], now: number): number {
    let changed = false;
    let sample = Number.POSITIVE_INFINITY;
    for (const block of sack) {
      const from = seqDistance(this.sndUna, block.start);
      const to = seqDistance(this.sndUna, block.end);
      if (from <= 0 || to > this.flight.length || to <= from) {
        this.stats.invalidSacks++;
        continue;
      }
      for (let i = from; i < to; i++) {
        const segment = this.flight[i];
        if (segment && !segment.sacked) {
          segment.sacked = true;
          segment.lost = false;
          changed = true;
          if (segment.transmissions === 1) sample = Math.min(sample, now - segment.sentAt);
        }
      }
    }
    if (changed) this.detectLoss(now);
    return sample;
  }

  private detectLoss(now: number): void {
    this.reorderDeadline = undefined;
    const srtt = this.rtt.srtt ?? 0;
    const allowance = srtt + srtt / 4;
    // Walk down from the top keeping the three latest transmission orders among SACKed segments.
    const top = [0, 0, 0];
    for (let i = this.flight.length - 1; i >= 0; i--) {
      const segment = this.flight[i];
      if (!segment) continue;
      if (segment.sacked) {
        if (segment.order > (top[2] ?? 0)) {
          top[2] = segment.order;
          top.sort((a, b) => b - a);
        }
      } else if (!segment.lost && (top[2] ?? 0) > segment.order) {
        const due = segment.sentAt + allowance;
        if (due <= now) {
          segment.lost = true;
          this.congestion?.onLoss(this.flight.length, this.sndNxt);
        } else this.reorderDeadline = Math.min(this.reorderDeadline ?? due, due);
      }
    }
  }
}
