/**
 * What the server remembers per client to send deltas: the snapshots it sent (a bounded ring)
 * and the newest one the client acknowledged. Pure.
 */
import { diffSnapshots, encodeSnapshot, encodeSnapshotDelta, type Snapshot } from './snapshot.ts';

/**
 * Chooses and encodes each snapshot for one client: a delta against the newest snapshot the
 * client acknowledged while the server still holds it, else a full one (the first, and after
 * `historySize` snapshots without an ack).
 * @example
 * ```ts
 * const history = new SnapshotHistory();
 * socket.emit('snapshot', history.encode(snapshot)); // full
 * history.ack(snapshot.tick);                          // the client said so
 * history.encode(nextSnapshot);                        // a delta against it
 * ```
 */
export class SnapshotHistory {
  readonly #sent = new Map<number, Snapshot>();
  #acked: number | undefined;

  constructor(readonly historySize = 32) {
    if (!Number.isInteger(historySize) || historySize < 1) {
      throw new RangeError(`historySize must be an integer of 1 or more, got ${historySize}`);
    }
  }

  /** The tick of the newest acknowledged snapshot still held, or undefined. */
  get ackedTick(): number | undefined {
    return this.#acked;
  }

  /** Records `snapshot` as sent and returns its bytes: a delta when a base is acked, else full. */
  encode(snapshot: Snapshot): Uint8Array {
    const base = this.#acked === undefined ? undefined : this.#sent.get(this.#acked);
    this.#sent.set(snapshot.tick, snapshot);
    if (this.#sent.size > this.historySize) {
      const oldest = this.#sent.keys().next().value as number;
      this.#sent.delete(oldest);
      if (oldest === this.#acked) this.#acked = undefined;
    }
    return base === undefined
      ? encodeSnapshot(snapshot)
      : encodeSnapshotDelta(diffSnapshots(base, snapshot));
  }

  /**
   * The client has snapshot `tick`. Ignored (returns false) unless it is one still held and
   * newer than the last ack: a hostile or confused client cannot make the server diff against
   * something the client does not have.
   */
  ack(tick: unknown): boolean {
    if (typeof tick !== 'number' || !this.#sent.has(tick)) return false;
    if (this.#acked !== undefined && tick <= this.#acked) return false;
    this.#acked = tick;
    return true;
  }
}
