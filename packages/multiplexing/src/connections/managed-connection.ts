/**
 * One connection under the manager: its outbound queue (the backpressure policy), its idle timer,
 * its heartbeats, its typed metadata, and a close that says why.
 */
import { EventEmitter } from 'node:events';
import {
  type BroadcastTarget,
  markQueueBlocked,
  OutboundQueue,
  type SendOutcome,
  slowConsumerError,
} from '../broadcast/index.ts';
import { MultiplexingError } from '../errors.ts';
import {
  APPLICATION_CLOSE_REASONS,
  type ApplicationCloseReason,
  type CloseSummary,
  type ConnectionCloseReason,
  type ManagedConnectionEvents,
} from './close-reason.ts';
import { type DeadlineList, DeadlineNode } from './deadline-list.ts';
import type { ResolvedManagerOptions } from './options.ts';
import {
  ATTACH_SINK,
  type ConnectionTransport,
  type SinkTransport,
  type TransportSink,
} from './transport.ts';

type State = 'open' | 'closing' | 'closed';

interface CloseRequest {
  readonly notice?: string | undefined;
  /** Send what is queued first (else the queue is dropped). */
  readonly flush: boolean;
  /** Destroy now: the peer is gone or must not get another byte. */
  readonly force: boolean;
  readonly closeTimeoutMs: number;
}

/**
 * @internal What a managed connection shares with its manager and every other connection: the
 * options, the two deadline lists (one timer each for all connections) and the close hook.
 */
export interface ConnectionHost<Meta> {
  readonly options: ResolvedManagerOptions<Meta>;
  /** Idle deadlines, when `idleTimeoutMs` > 0. */
  readonly idle: DeadlineList<ManagedConnection<Meta>> | undefined;
  /** Heartbeat deadlines, when `heartbeatIntervalMs` > 0. */
  readonly beats: DeadlineList<ManagedConnection<Meta>> | undefined;
  /** Called with each message, after its own `'message'` listeners. */
  message(connection: ManagedConnection<Meta>, data: Buffer): void;
  /** Called once it closed, before its own `'close'` is emitted. */
  closed(
    connection: ManagedConnection<Meta>,
    reason: ConnectionCloseReason,
    error: Error | undefined,
  ): void;
}

/**
 * What only a closing connection (or one whose `closed` was asked for) needs, kept apart so that
 * an open one carries a single empty field for it.
 */
interface Ending {
  reason: ConnectionCloseReason | undefined;
  error: Error | undefined;
  cutTimer: unknown;
  pendingNotice: string | undefined;
  cutBytes: number | undefined;
  bytesAfterClose: number;
  summary: CloseSummary | undefined;
  closed: Promise<CloseSummary> | undefined;
  settle: ((summary: CloseSummary) => void) | undefined;
}

/** The listeners of a transport that is not this package's own (it emits events instead). */
interface Listeners {
  readonly message: (data: Buffer) => void;
  readonly pong: () => void;
  readonly drain: () => void;
  readonly close: (error: Error | undefined) => void;
}

/**
 * An empty listener table for an `EventEmitter` (what Node's own streams also do): a fast object
 * with no prototype to inherit names from, so `listenerCount('toString')` stays 0.
 */
const ListenerTable = function ListenerTable(): void {} as unknown as new () => object;
ListenerTable.prototype = Object.create(null);

/**
 * `EventEmitter` without its constructor: the same prototype (its methods, `instanceof
 * EventEmitter`), but nothing set up per object. `EventEmitter`'s constructor gives every object
 * five fields and a listener table; its methods make `_events` when the first listener is added
 * and treat a missing one as "no listeners", so a connection nobody listens to costs two empty
 * fields (made in its constructor, so they stay in the object).
 */
const LazyEmitter = function LazyEmitter(): void {} as unknown as typeof EventEmitter;
LazyEmitter.prototype = EventEmitter.prototype;

/** The fields of `EventEmitter` a {@link ManagedConnection} sets itself. */
interface EmitterFields {
  _events: object | undefined;
  _eventsCount: number;
}

/**
 * @internal `metadata` of a connection whose manager has no `createMetadata`: `{}`, made when
 * first read (most such connections never read it).
 */
export const UNMADE: unique symbol = Symbol('socketlab.unmadeMetadata');

/** The states in the order `#bits` numbers them, and the other parts of `#bits`. */
const STATES: readonly State[] = ['open', 'closing', 'closed'];
const STATE_MASK = 0b11;
const BLOCKED = 0b100;
const HEARD = 0b1000;
const MISSED_SHIFT = 4;

/** What this package's transports call: one object for every managed connection. */
// biome-ignore lint/suspicious/noExplicitAny: set once by the class's static block, for any Meta
let SINK: TransportSink<ManagedConnection<any>>;

/**
 * A connection held by a {@link ConnectionManager}. Send through it (not through its transport)
 * so the high-water mark and the slow-consumer policy apply and order is kept.
 *
 * An idle connection costs little: no timer of its own (its manager keeps one for all idle
 * deadlines and one for all heartbeats), no listener closures on this package's transports, an
 * outbound queue only once something has to wait, and `closed` made when first asked for.
 */
export class ManagedConnection<Meta = Record<string, unknown>>
  extends LazyEmitter<ManagedConnectionEvents>
  implements BroadcastTarget
{
  /** A number unique within its manager, from 1. */
  readonly id: number;
  /** What carries it; read its details, but send and close through this object. */
  readonly transport: ConnectionTransport;
  /**
   * When it was accepted, on the manager's clock, in whole milliseconds (rounded down: a small
   * integer is kept in the object itself, where a fraction would take 16 bytes more of heap).
   */
  readonly openedAt: number;

  readonly #host: ConnectionHost<Meta>;
  #metadata: Meta | typeof UNMADE;
  /** Made once a message has to wait (the transport said "full"). */
  #queue: OutboundQueue | undefined;
  /** The transport said "full" and no queue was made yet: the next message makes one. */
  /**
   * Four small fields in one integer (one slot per connection instead of four): the state (bits
   * 0–1, an index into STATES), "the transport said full" (BLOCKED), "heard from the peer since the
   * last heartbeat" (HEARD), and the heartbeats missed in a row (from bit MISSED_SHIFT up).
   */
  #bits = HEARD;
  #idleNode: DeadlineNode<ManagedConnection<Meta>> | undefined;
  #beatNode: DeadlineNode<ManagedConnection<Meta>> | undefined;
  #end: Ending | undefined;
  #listeners: Listeners | undefined;

  get #state(): State {
    return STATES[this.#bits & STATE_MASK] as State;
  }

  set #state(state: State) {
    this.#bits = (this.#bits & ~STATE_MASK) | STATES.indexOf(state);
  }

  get #blocked(): boolean {
    return (this.#bits & BLOCKED) !== 0;
  }

  set #blocked(blocked: boolean) {
    this.#bits = blocked ? this.#bits | BLOCKED : this.#bits & ~BLOCKED;
  }

  get #heard(): boolean {
    return (this.#bits & HEARD) !== 0;
  }

  set #heard(heard: boolean) {
    this.#bits = heard ? this.#bits | HEARD : this.#bits & ~HEARD;
  }

  get #missed(): number {
    return this.#bits >>> MISSED_SHIFT;
  }

  set #missed(missed: number) {
    this.#bits = (this.#bits & ((1 << MISSED_SHIFT) - 1)) | (missed << MISSED_SHIFT);
  }

  /**
   * @internal Made by {@link ConnectionManager.accept}; `metadata` {@link UNMADE} when the
   * manager's default applies (an empty object, made when first read).
   */
  constructor(
    id: number,
    transport: ConnectionTransport,
    metadata: Meta | typeof UNMADE,
    host: ConnectionHost<Meta>,
  ) {
    super();
    // No listener table until someone listens (see LazyEmitter and #listenerTable).
    const fields = this as unknown as EmitterFields;
    fields._events = undefined;
    fields._eventsCount = 0;
    this.id = id;
    this.transport = transport;
    this.#metadata = metadata;
    this.#host = host;
    const { options } = host;
    const now = options.clock.now();
    this.openedAt = Math.floor(now);
    const attach = (transport as Partial<SinkTransport>)[ATTACH_SINK];
    if (typeof attach === 'function') attach.call(transport, SINK, this);
    else this.#listen(transport);
    if (host.idle !== undefined) {
      this.#idleNode = new DeadlineNode(this);
      host.idle.schedule(this.#idleNode, now + options.idleTimeoutMs);
    }
    if (host.beats !== undefined && typeof transport.ping === 'function') {
      this.#beatNode = new DeadlineNode(this);
      host.beats.schedule(this.#beatNode, now + options.heartbeatIntervalMs);
    }
  }

  /** The application's data about this connection (a nick, the rooms, …), typed by the manager. */
  get metadata(): Meta {
    if (this.#metadata === UNMADE) this.#metadata = {} as Meta;
    return this.#metadata;
  }

  set metadata(metadata: Meta) {
    this.#metadata = metadata;
  }

  /** A transport that only emits events: listened to with closures, removed once it closed. */
  #listen(transport: ConnectionTransport): void {
    const listeners: Listeners = {
      message: (data) => this.#received(data),
      pong: () => {
        this.#heard = true;
      },
      drain: () => this.#onDrain(),
      close: (error) => this.#onClosed(error),
    };
    this.#listeners = listeners;
    transport.on('message', listeners.message);
    transport.on('pong', listeners.pong);
    transport.on('drain', listeners.drain);
    transport.on('close', listeners.close);
  }

  /** Resolves once it has closed, with how the close ended. Never rejects. */
  get closed(): Promise<CloseSummary> {
    const end = this.#ending();
    if (end.closed === undefined) {
      const { summary } = end;
      end.closed =
        summary === undefined
          ? new Promise((resolve) => {
              end.settle = resolve;
            })
          : Promise.resolve(summary);
    }
    return end.closed;
  }

  #ending(): Ending {
    this.#end ??= {
      reason: undefined,
      error: undefined,
      cutTimer: undefined,
      pendingNotice: undefined,
      cutBytes: undefined,
      bytesAfterClose: 0,
      summary: undefined,
      closed: undefined,
      settle: undefined,
    };
    return this.#end;
  }

  /** The peer's address (the key of the per-address limit). */
  get remoteAddress(): string {
    return this.transport.remoteAddress;
  }

  /** The peer as messages name it. */
  get peerName(): string {
    return this.transport.peerName;
  }

  /** What the server holds for this peer: the outbound queue plus the transport's buffer, in bytes. */
  get bufferedBytes(): number {
    return this.#queue?.bufferedBytes ?? this.transport.bufferedAmount;
  }

  /** Bytes waiting in the outbound queue (not yet given to the transport). */
  get queuedBytes(): number {
    return this.#queue?.queuedBytes ?? 0;
  }

  /** Messages dropped by `'drop-oldest'` so far. */
  get droppedMessages(): number {
    return this.#queue?.droppedMessages ?? 0;
  }

  /** Heartbeat intervals in a row that passed without a pong or a message. */
  get missedHeartbeats(): number {
    return this.#missed;
  }

  /** `'open'`, `'closing'` (told, draining) or `'closed'`. */
  get state(): State {
    return this.#state;
  }

  /** Why it closed (or is closing); `undefined` while open. */
  get closeReason(): ConnectionCloseReason | undefined {
    return this.#end?.reason;
  }

  /**
   * Sends one message through the outbound queue.
   * @returns what became of it ({@link SendOutcome}); `'overflow'` means the policy is
   *   `'disconnect'` and this connection is now closing with `MULTIPLEXING_ERR_SLOW_CONSUMER`.
   * @throws the transport's encoding error for a message it cannot carry (too large a frame).
   */
  send(data: Uint8Array): SendOutcome {
    if (this.#state !== 'open') return 'closed';
    let queue = this.#queue;
    if (queue === undefined) {
      // The queue's own first step, without a queue: straight to the transport while it takes it.
      const { transport } = this;
      if (
        !this.#blocked &&
        transport.bufferedAmount + data.length <= this.#host.options.maxBufferedBytes
      ) {
        this.#blocked = !transport.send(data);
        return 'sent';
      }
      queue = this.#makeQueue();
    }
    const outcome = queue.send(data);
    if (outcome === 'overflow') {
      const error = slowConsumerError(this.peerName, queue.bufferedBytes, queue.maxBufferedBytes);
      this.#terminate('slow-consumer', error, {
        notice: 'MULTIPLEXING_ERR_SLOW_CONSUMER you read too slowly and were disconnected',
        flush: false,
        force: false,
        closeTimeoutMs: this.#host.options.closeTimeoutMs,
      });
    }
    return outcome;
  }

  #makeQueue(): OutboundQueue {
    const queue = new OutboundQueue(this.transport, this.#host.options);
    if (this.#blocked) markQueueBlocked(queue);
    this.#blocked = false;
    this.#queue = queue;
    return queue;
  }

  /**
   * Closes gracefully: what is queued is sent, then `notice` (if any), then the end of the
   * stream; cut after the manager's `closeTimeoutMs`. Reason `'closed'`.
   */
  close(notice?: string): void {
    this.#terminate('closed', undefined, {
      notice,
      flush: true,
      force: false,
      closeTimeoutMs: this.#host.options.closeTimeoutMs,
    });
  }

  /**
   * Closes now, dropping anything unsent. Reason `'closed'`, or the one given: an application
   * that watches its peers itself (its own heartbeat over a stream with no ping frame, as the
   * room chat's) says `'heartbeat-missed'` or `'idle-timeout'` and the error to report with it.
   */
  destroy(reason: ApplicationCloseReason = 'closed', error?: Error): void {
    if (!APPLICATION_CLOSE_REASONS.includes(reason)) {
      throw new TypeError(
        `destroy() takes the reason 'closed', 'heartbeat-missed' or 'idle-timeout', got ${String(reason)}`,
      );
    }
    this.#terminate(reason, error, {
      flush: false,
      force: true,
      closeTimeoutMs: this.#host.options.closeTimeoutMs,
    });
  }

  /** @internal The manager's shutdown: tell, drain, cut at the deadline. */
  shutdown(notice: string, closeTimeoutMs: number): void {
    const error = new MultiplexingError(
      'MULTIPLEXING_ERR_SHUTDOWN',
      `the server is shutting down; ${this.peerName} was told and drained`,
    );
    this.#terminate('shutdown', error, { notice, flush: true, force: false, closeTimeoutMs });
  }

  #terminate(reason: ConnectionCloseReason, error: Error | undefined, request: CloseRequest): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    const end = this.#ending();
    end.reason = reason;
    end.error = error;
    this.#stopTimers();
    if (request.force) {
      this.#cut();
      return;
    }
    if (!request.flush) this.#queue?.clear();
    end.cutTimer = this.#host.options.clock.setTimeout(() => this.#cut(), request.closeTimeoutMs);
    if ((this.#queue?.queuedMessages ?? 0) === 0) this.transport.close(request.notice);
    else end.pendingNotice = request.notice ?? '';
  }

  /** One message from the transport. */
  #received(data: Buffer): void {
    const closing = this.#end;
    if (this.#state === 'closing' && closing !== undefined) {
      // Told to go, the peer is read only until its FIN. One that keeps sending instead (a
      // hostile client pushing an endless line) would make us read and discard its bytes at
      // full speed until closeTimeoutMs: past maxBufferedBytes of them it is cut now.
      closing.bytesAfterClose += data.length;
      if (closing.bytesAfterClose > this.#host.options.maxBufferedBytes) this.#cut();
    }
    const idle = this.#idleNode;
    if (idle !== undefined && this.#state === 'open') {
      const { options } = this.#host;
      this.#host.idle?.schedule(idle, options.clock.now() + options.idleTimeoutMs);
    }
    this.#heard = true;
    this.emit('message', data);
    this.#host.message(this, data);
  }

  #onDrain(): void {
    const queue = this.#queue;
    if (queue === undefined) {
      this.#blocked = false;
      return;
    }
    const empty = queue.flush();
    const closing = this.#end;
    if (empty && this.#state === 'closing' && closing?.pendingNotice !== undefined) {
      const notice = closing.pendingNotice;
      closing.pendingNotice = undefined;
      this.transport.close(notice === '' ? undefined : notice);
    }
  }

  #cut(): void {
    if (this.#state === 'closed') return;
    const closing = this.#end;
    if (closing !== undefined) closing.cutBytes = this.bufferedBytes;
    this.#queue?.clear();
    this.transport.destroy();
  }

  #onClosed(error: Error | undefined): void {
    if (this.#state === 'closed') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    this.#stopTimers();
    const end = this.#ending();
    this.#host.options.clock.clearTimeout(end.cutTimer);
    if (wasOpen) {
      end.reason = 'peer';
      end.error = error;
    }
    const listeners = this.#listeners;
    if (listeners !== undefined) {
      this.#listeners = undefined;
      const { transport } = this;
      transport.off('message', listeners.message);
      transport.off('pong', listeners.pong);
      transport.off('drain', listeners.drain);
      transport.off('close', listeners.close);
    }
    const { cutBytes } = end;
    const summary: CloseSummary = {
      cut: cutBytes !== undefined,
      unsentBytes: cutBytes ?? this.queuedBytes,
    };
    end.summary = summary;
    this.#queue?.clear();
    end.settle?.(summary);
    end.settle = undefined;
    const reason = end.reason as ConnectionCloseReason;
    this.#host.closed(this, reason, end.error);
    this.emit('close', reason, end.error);
  }

  #stopTimers(): void {
    if (this.#idleNode !== undefined) this.#host.idle?.remove(this.#idleNode);
    if (this.#beatNode !== undefined) this.#host.beats?.remove(this.#beatNode);
  }

  /** @internal Its idle deadline passed (the manager's idle list calls it). */
  static idleDue<Meta>(conn: ManagedConnection<Meta>): void {
    conn.#idleDue();
  }

  /** @internal Its heartbeat is due (the manager's heartbeat list calls it). */
  static beatDue<Meta>(conn: ManagedConnection<Meta>): void {
    conn.#beat();
  }

  #idleDue(): void {
    if (this.#state !== 'open') return;
    const { idleTimeoutMs, closeTimeoutMs } = this.#host.options;
    const error = new MultiplexingError(
      'MULTIPLEXING_ERR_IDLE_TIMEOUT',
      `${this.peerName} sent nothing for ${idleTimeoutMs} ms (idleTimeoutMs); it was closed`,
    );
    this.#terminate('idle-timeout', error, {
      notice: `MULTIPLEXING_ERR_IDLE_TIMEOUT nothing received for ${idleTimeoutMs} ms; closing`,
      flush: true,
      force: false,
      closeTimeoutMs,
    });
  }

  #beat(): void {
    if (this.#state !== 'open') return;
    const { maxMissedHeartbeats, heartbeatIntervalMs, closeTimeoutMs, clock } = this.#host.options;
    this.#missed = this.#heard ? 0 : this.#missed + 1;
    if (this.#missed >= maxMissedHeartbeats) {
      const error = new MultiplexingError(
        'MULTIPLEXING_ERR_HEARTBEAT_MISSED',
        `${this.peerName} answered none of the last ${this.#missed} heartbeats (every ${heartbeatIntervalMs} ms): it is gone; the connection was cut`,
      );
      this.#terminate('heartbeat-missed', error, { flush: false, force: true, closeTimeoutMs });
      return;
    }
    this.#heard = false;
    this.transport.ping?.();
    const node = this.#beatNode;
    if (node !== undefined && this.#state === 'open') {
      this.#host.beats?.schedule(node, clock.now() + heartbeatIntervalMs);
    }
  }

  static {
    SINK = {
      message: (conn, data) => conn.#received(data),
      pong: (conn) => {
        conn.#heard = true;
      },
      drain: (conn) => conn.#onDrain(),
      close: (conn, error) => conn.#onClosed(error),
    };
  }
}

/**
 * The ways to add a listener, each making the listener table first: Node's `EventEmitter` would
 * make a null-prototype object literal, which V8 turns into a dictionary (216 B once a listener is
 * added); this table stays a fast object (about 56 B), as Node's own streams do with theirs. Set
 * on the prototype (not as methods of the class) so the declared types stay `EventEmitter`'s.
 */
for (const name of [
  'on',
  'addListener',
  'once',
  'prependListener',
  'prependOnceListener',
] as const) {
  const add = EventEmitter.prototype[name] as (this: EventEmitter, ...args: unknown[]) => unknown;
  Object.defineProperty(ManagedConnection.prototype, name, {
    value: function addListener(this: EventEmitter & EmitterFields, ...args: unknown[]): unknown {
      if (this._events === undefined) {
        this._events = new ListenerTable();
        this._eventsCount = 0;
      }
      return add.apply(this, args);
    },
    writable: true,
    configurable: true,
  });
}
