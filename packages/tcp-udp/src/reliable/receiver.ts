import { checkInteger } from '@socketlab/internal';
import {
  DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES,
  DEFAULT_RELIABLE_MAX_SACK_BLOCKS,
  type SackBlock,
  seqAdd,
  seqDistance,
} from './packet.ts';

/** Options of {@link ReliableReceiver}. */
export interface ReliableReceiverOptions {
  /** Sequence number of the first segment expected (the peer's ISN + 1). */
  readonly firstSeq: number;
  /**
   * Bytes held at most: delivered-but-unread plus out-of-order. The advertised window is what is
   * left, in segments of the largest size seen, so a peer that respects it never exceeds this. @default 262144
   */
  readonly maxBufferBytes?: number;
  /** Largest payload of one segment. @default 1200 */
  readonly maxPayloadBytes?: number;
  /** The window's unit until a larger segment arrives. @default maxPayloadBytes */
  readonly segmentBytes?: number;
  /** SACK blocks reported per ACK, lowest first. @default 4 */
  readonly maxSackBlocks?: number;
}

/**
 * What became of one arriving segment:
 * - `accepted`: new, stored (in order or not);
 * - `duplicate`: already received (below the cumulative ACK, or already held);
 * - `outside-window`: beyond the advertised window (a peer ignoring flow control, or a sequence
 *   number far off): refused;
 * - `after-fin`: past the peer's FIN: refused.
 */
export type ReliableSegmentOutcome = 'accepted' | 'duplicate' | 'outside-window' | 'after-fin';

/** Counters of a {@link ReliableReceiver}. */
export interface ReliableReceiverStats {
  accepted: number;
  duplicates: number;
  outsideWindow: number;
  afterFin: number;
}

interface Held {
  readonly payload: Uint8Array;
  readonly fin: boolean;
}

/**
 * The receiving half of a reliable connection, pure: it takes segments in any order, any number
 * of times, and hands the bytes out once each, in order. It reports what it holds as a
 * cumulative ACK, a window, and SACK blocks (RFC 2018's idea, counted in segments).
 * @throws {RangeError} (constructor) on a bad option.
 * @example
 * const rx = new ReliableReceiver({ firstSeq: 1 });
 * rx.onSegment(2, b, false); rx.onSegment(1, a, false);
 * rx.read(); // [a, b]
 */
export class ReliableReceiver {
  /** The next sequence number expected: everything before it was received. */
  rcvNext: number;
  /** True once the peer's FIN arrived in order: no more data will come. */
  finished = false;
  readonly stats: ReliableReceiverStats = {
    accepted: 0,
    duplicates: 0,
    outsideWindow: 0,
    afterFin: 0,
  };
  private readonly held = new Map<number, Held>();
  private heldBytes = 0;
  private ready: Uint8Array[] = [];
  private readyBytes = 0;
  private finSeq: number | undefined;
  private readonly maxBuffer: number;
  private readonly maxPayload: number;
  /** The window's unit: the largest payload received so far, at least `segmentBytes`. */
  private unit: number;
  private readonly maxSack: number;

  constructor(options: ReliableReceiverOptions) {
    this.rcvNext = options.firstSeq >>> 0;
    this.maxPayload = options.maxPayloadBytes ?? DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES;
    this.maxBuffer = options.maxBufferBytes ?? 256 * 1024;
    this.maxSack = options.maxSackBlocks ?? DEFAULT_RELIABLE_MAX_SACK_BLOCKS;
    checkInteger('maxPayloadBytes', this.maxPayload, 1);
    checkInteger('maxBufferBytes', this.maxBuffer, this.maxPayload);
    checkInteger('maxSackBlocks', this.maxSack, 0, 255);
    this.unit = checkInteger(
      'segmentBytes',
      options.segmentBytes ?? this.maxPayload,
      1,
      this.maxPayload,
    );
  }

  /**
   * Segments the peer may send past `rcvNext` now: free buffer space in whole segments of the
   * largest size received so far (at least `segmentBytes`), so larger segments after path MTU
   * discovery shrink the count, not the bytes.
   */
  get window(): number {
    return Math.floor((this.maxBuffer - this.readyBytes) / this.unit);
  }

  /** Bytes received in order and not yet read. */
  get readableBytes(): number {
    return this.readyBytes;
  }

  /** Bytes held out of order, waiting for a gap to fill. */
  get outOfOrderBytes(): number {
    return this.heldBytes;
  }

  /** Takes one DATA (or FIN, with `fin` true and no payload) segment. */
  onSegment(seq: number, payload: Uint8Array, fin: boolean): ReliableSegmentOutcome {
    const offset = seqDistance(this.rcvNext, seq);
    if (offset < 0 || this.held.has(seq)) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    if (this.finSeq !== undefined && seqDistance(this.finSeq, seq) > 0) {
      this.stats.afterFin++;
      return 'after-fin';
    }
    const fits =
      offset < this.window &&
      payload.length <= this.maxPayload &&
      this.readyBytes + this.heldBytes + payload.length <= this.maxBuffer;
    if (!fits) {
      this.stats.outsideWindow++;
      return 'outside-window';
    }
    this.stats.accepted++;
    if (payload.length > this.unit) this.unit = payload.length;
    if (fin) this.finSeq = seq;
    this.held.set(seq, { payload, fin });
    this.heldBytes += payload.length;
    for (let next = this.held.get(this.rcvNext); next; next = this.held.get(this.rcvNext)) {
      this.held.delete(this.rcvNext);
      this.heldBytes -= next.payload.length;
      this.rcvNext = seqAdd(this.rcvNext, 1);
      if (next.fin) {
        this.finished = true;
        break;
      }
      if (next.payload.length > 0) {
        this.ready.push(next.payload);
        this.readyBytes += next.payload.length;
      }
    }
    return 'accepted';
  }

  /** Takes every byte received in order so far, which opens the window again. */
  read(): Uint8Array[] {
    const out = this.ready;
    this.ready = [];
    this.readyBytes = 0;
    return out;
  }

  /** Up to `maxSackBlocks` runs of held segments past `rcvNext`, lowest first. */
  sackBlocks(): SackBlock[] {
    if (this.held.size === 0 || this.maxSack === 0) return [];
    const offsets = [...this.held.keys()]
      .map((seq) => seqDistance(this.rcvNext, seq))
      .sort((a, b) => a - b);
    const blocks: SackBlock[] = [];
    let start = offsets[0] ?? 0;
    let end = start + 1;
    for (let i = 1; i <= offsets.length && blocks.length < this.maxSack; i++) {
      const offset = offsets[i];
      if (offset === end) {
        end++;
        continue;
      }
      blocks.push({ start: seqAdd(this.rcvNext, start), end: seqAdd(this.rcvNext, end) });
      if (offset === undefined) break;
      start = offset;
      end = offset + 1;
    }
    return blocks;
  }
}
