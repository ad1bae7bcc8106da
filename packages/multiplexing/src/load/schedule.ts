/**
 * The pure core of the load generator: a constant-rate schedule over N connections, at most
 * `maxInFlight` unanswered messages per connection, and latency counted two ways. No sockets and
 * no timers: the I/O edge (`run.ts`) asks {@link LoadSchedule.poll} what to send at a given time
 * and tells {@link LoadSchedule.receive} when a reply arrived, so a test can drive it with any
 * clock it likes.
 *
 * Coordinated omission (Gil Tene, "How NOT to Measure Latency", 2013; wrk2): a load generator
 * that waits for a reply before sending the next request stops sending exactly when the server
 * stalls, so the stall delays one measured request instead of all those that should have been
 * sent meanwhile, and the percentiles look good when users would have waited. Here message `i`
 * has an intended send time, `startMs + i * 1000 / messagesPerSecond`, fixed by the schedule
 * whatever happens; its corrected latency is `reply time − intended time`, so time spent waiting
 * behind a stalled reply (or a full socket) is counted, as wrk2 does. The uncorrected latency,
 * `reply time − actual send time`, is kept beside it to show the difference.
 */
import { LatencyHistogram } from './latency.ts';

/** What the schedule needs to know. */
export interface LoadScheduleSettings {
  /** Connections the messages are spread over, round-robin. */
  readonly connections: number;
  /** Messages per second over all connections. */
  readonly messagesPerSecond: number;
  /** How long the schedule runs: messages intended before `startMs + durationMs`. */
  readonly durationMs: number;
  /** Unanswered messages allowed per connection; the rest wait, their intended time kept. */
  readonly maxInFlight: number;
  /** The clock reading the schedule starts at, in milliseconds. */
  readonly startMs: number;
}

/** One message to send now: its id, its connection, and when it should have gone. */
export interface ScheduledSend {
  readonly id: number;
  readonly connection: number;
  readonly intendedMs: number;
}

/** What happened to a reply handed to {@link LoadSchedule.receive}. */
export type ReceiveOutcome = 'recorded' | 'duplicate' | 'unknown';

interface Pending {
  intendedMs: number;
  sentMs: number;
  connection: number;
}

/** Counts kept by the schedule. */
export interface LoadCounts {
  /** Messages whose intended time has come (sent or still waiting to be sent). */
  scheduled: number;
  sent: number;
  received: number;
  /** Replies for a message already answered (a chat room delivers to every member). */
  duplicates: number;
  /** Messages scheduled but never sent: behind a full connection, or on a dead one. */
  unsent: number;
  /** Messages sent and never answered. */
  unanswered: number;
}

/** The constant-rate schedule and its two latency histograms; see the file's comment. */
export class LoadSchedule {
  /** Latency from each message's intended send time: the one to report. */
  readonly corrected = new LatencyHistogram();
  /** Latency from each message's actual send time: what a naive generator reports. */
  readonly uncorrected = new LatencyHistogram();

  private readonly intervalMs: number;
  private readonly total: number;
  /** Messages due so far: ids 0 … nextId − 1. */
  private nextId = 0;
  private sentCount = 0;
  private duplicateCount = 0;
  private readonly inFlight: number[];
  private readonly blocked: boolean[];
  private readonly dead: boolean[];
  /**
   * Per connection, the next id it has to send. Message `id` goes on connection `id % n`, so a
   * connection's backlog is the ids `nextToSend[c], nextToSend[c] + n, …` below `nextId`: kept
   * as one number, whatever its length (a stalled target can make it long).
   */
  private readonly nextToSend: number[];
  private readonly pending = new Map<number, Pending>();
  /** Connections whose backlog is not empty. */
  private readonly waiting = new Set<number>();
  private abandoned = 0;

  constructor(readonly settings: LoadScheduleSettings) {
    this.intervalMs = 1000 / settings.messagesPerSecond;
    // Messages intended strictly before the end of the run.
    this.total = Math.ceil((settings.durationMs * settings.messagesPerSecond) / 1000);
    const n = settings.connections;
    this.inFlight = new Array(n).fill(0);
    this.blocked = new Array(n).fill(false);
    this.dead = new Array(n).fill(false);
    this.nextToSend = Array.from({ length: n }, (_, c) => c);
  }

  /** Messages the whole run schedules. */
  get totalMessages(): number {
    return this.total;
  }

  /** The intended send time of message `id`. */
  intendedTime(id: number): number {
    return this.settings.startMs + id * this.intervalMs;
  }

  /** When the next message falls due, or `undefined` once every message has. */
  nextDueMs(): number | undefined {
    return this.nextId < this.total ? this.intendedTime(this.nextId) : undefined;
  }

  /** True once every message has fallen due and none waits to be sent or answered. */
  get done(): boolean {
    return (
      this.nextId >= this.total &&
      this.pending.size === 0 &&
      this.nextToSend.every((next, c) => next >= this.total || this.dead[c])
    );
  }

  /** Messages due on connection `c` and not sent yet. */
  private backlogOf(c: number): number {
    const next = this.nextToSend[c] as number;
    return next < this.nextId ? Math.ceil((this.nextId - next) / this.settings.connections) : 0;
  }

  /**
   * Marks every message due by `nowMs` as due, and returns those that may be sent now (their
   * connection is alive, not blocked, under `maxInFlight`), oldest first per connection, marking
   * them sent at `nowMs`. Call it on every timer tick, after each reply and when a connection
   * unblocks.
   * @param limit - The most messages returned by one call, so one tick stays short.
   */
  poll(nowMs: number, limit = Number.POSITIVE_INFINITY): ScheduledSend[] {
    const n = this.settings.connections;
    const before = this.nextId;
    // The count due by nowMs, from the rate, then nudged past any floating-point edge.
    let due = Math.max(
      before,
      Math.min(this.total, Math.floor((nowMs - this.settings.startMs) / this.intervalMs + 1)),
    );
    while (due > before && this.intendedTime(due - 1) > nowMs) due--;
    while (due < this.total && this.intendedTime(due) <= nowMs) due++;
    this.nextId = due;
    for (let id = before; id < due && id < before + n; id++) this.waiting.add(id % n);
    const out: ScheduledSend[] = [];
    for (const c of this.waiting) {
      if (out.length >= limit) break;
      let next = this.nextToSend[c] as number;
      while (
        next < due &&
        out.length < limit &&
        !this.dead[c] &&
        !this.blocked[c] &&
        (this.inFlight[c] as number) < this.settings.maxInFlight
      ) {
        const intendedMs = this.intendedTime(next);
        this.inFlight[c] = (this.inFlight[c] as number) + 1;
        this.pending.set(next, { intendedMs, sentMs: nowMs, connection: c });
        this.sentCount++;
        out.push({ id: next, connection: c, intendedMs });
        next += n;
      }
      this.nextToSend[c] = next;
      if (next >= due || this.dead[c]) this.waiting.delete(c);
    }
    return out;
  }

  /** Records the reply to message `id` arriving at `nowMs`. */
  receive(id: number, nowMs: number): ReceiveOutcome {
    const pending = this.pending.get(id);
    if (pending === undefined) {
      // Not waiting for a reply: an id never scheduled, one still waiting to be sent (no peer
      // could echo it), or one already answered. Only the last is a duplicate.
      if (!Number.isSafeInteger(id) || id < 0 || id >= this.nextId) return 'unknown';
      if (id >= (this.nextToSend[id % this.settings.connections] as number)) return 'unknown';
      this.duplicateCount++;
      return 'duplicate';
    }
    this.pending.delete(id);
    this.inFlight[pending.connection] = (this.inFlight[pending.connection] as number) - 1;
    this.corrected.record(nowMs - pending.intendedMs);
    this.uncorrected.record(nowMs - pending.sentMs);
    return 'recorded';
  }

  /** Stops (or resumes) sending on a connection whose socket buffer is full. */
  setBlocked(connection: number, blocked: boolean): void {
    this.blocked[connection] = blocked;
  }

  /**
   * Marks a connection dead: nothing more is sent on it, its waiting messages stay unsent and its
   * unanswered ones count as unanswered for good (a late reply to one is then a duplicate).
   */
  markDead(connection: number): void {
    if (this.dead[connection]) return;
    this.dead[connection] = true;
    for (const [id, pending] of this.pending) {
      if (pending.connection !== connection) continue;
      this.pending.delete(id);
      this.abandoned++;
    }
    this.inFlight[connection] = 0;
  }

  /** The counts so far. */
  counts(): LoadCounts {
    let waiting = 0;
    for (let c = 0; c < this.settings.connections; c++) waiting += this.backlogOf(c);
    return {
      scheduled: this.nextId,
      sent: this.sentCount,
      received: this.corrected.count,
      duplicates: this.duplicateCount,
      unsent: waiting,
      unanswered: this.pending.size + this.abandoned,
    };
  }
}
