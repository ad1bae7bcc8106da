/**
 * One connection under the manager: its outbound queue (the backpressure policy), its idle timer,
 * its heartbeats, its typed metadata, and a close that says why.
 */
import { EventEmitter } from 'node:events';
import {
  type BroadcastTarget,
  OutboundQueue,
  type SendOutcome,
  slowConsumerError,
} from '../broadcast/index.ts';
import { MultiplexingError } from '../errors.ts';
import type { ResolvedManagerOptions } from './options.ts';
import type { ConnectionTransport } from './transport.ts';

/**
 * Why a managed connection closed: the peer closed it or it broke (`'peer'`), the application
 * closed it (`'closed'`), or the manager did — nothing received for `idleTimeoutMs`
 * (`'idle-timeout'`), heartbeats unanswered (`'heartbeat-missed'`), past its high-water mark
 * under `'disconnect'` (`'slow-consumer'`), or a shutdown (`'shutdown'`).
 */
export type ConnectionCloseReason =
  | 'peer'
  | 'closed'
  | 'idle-timeout'
  | 'heartbeat-missed'
  | 'slow-consumer'
  | 'shutdown';

/** Every {@link ConnectionCloseReason}. */
export const CONNECTION_CLOSE_REASONS: readonly ConnectionCloseReason[] = Object.freeze([
  'peer',
  'closed',
  'idle-timeout',
  'heartbeat-missed',
  'slow-consumer',
  'shutdown',
]);

/** The reasons an application may give {@link ManagedConnection.destroy}. */
export type ApplicationCloseReason = Extract<
  ConnectionCloseReason,
  'closed' | 'heartbeat-missed' | 'idle-timeout'
>;

const APPLICATION_CLOSE_REASONS: readonly ApplicationCloseReason[] = [
  'closed',
  'heartbeat-missed',
  'idle-timeout',
];

/** The events of a {@link ManagedConnection}. */
export interface ManagedConnectionEvents {
  /** One message from the peer (a frame, or a chunk of a byte stream). */
  message: [data: Buffer];
  /**
   * Closed, once. `error` is the manager's reason as a `MultiplexingError` (idle, heartbeat, slow
   * consumer, shutdown), or the transport's failure for `'peer'`.
   */
  close: [reason: ConnectionCloseReason, error: Error | undefined];
}

/** How a close ended: flushed and closed in time, or cut (destroyed) with bytes left unsent. */
export interface CloseSummary {
  /** True when the manager destroyed it (a deadline, a missed heartbeat) rather than it closing. */
  readonly cut: boolean;
  /** Bytes still queued or in the transport's buffer when it closed or was cut. */
  readonly unsentBytes: number;
}

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
 * A connection held by a {@link ConnectionManager}. Send through it (not through its transport)
 * so the high-water mark and the slow-consumer policy apply and order is kept.
 */
export class ManagedConnection<Meta = Record<string, unknown>>
  extends EventEmitter<ManagedConnectionEvents>
  implements BroadcastTarget
{
  /** A number unique within its manager, from 1. */
  readonly id: number;
  /** What carries it; read its details, but send and close through this object. */
  readonly transport: ConnectionTransport;
  /** The application's data about this connection (a nick, the rooms, …), typed by the manager. */
  metadata: Meta;
  /** When it was accepted, on the manager's clock. */
  readonly openedAt: number;
  /** Resolves once it has closed, with how the close ended. Never rejects. */
  readonly closed: Promise<CloseSummary>;

  readonly #options: ResolvedManagerOptions<Meta>;
  readonly #queue: OutboundQueue;
  #state: State = 'open';
  #reason: ConnectionCloseReason | undefined;
  #error: Error | undefined;
  #lastMessageAt: number;
  #heard = true;
  #missed = 0;
  #idleTimer: unknown;
  #beatTimer: unknown;
  #cutTimer: unknown;
  #pendingNotice: string | undefined;
  #cutBytes: number | undefined;
  #bytesAfterClose = 0;
  #settle: (summary: CloseSummary) => void = () => {};

  /** @internal Made by {@link ConnectionManager.accept}. */
  constructor(
    id: number,
    transport: ConnectionTransport,
    metadata: Meta,
    options: ResolvedManagerOptions<Meta>,
  ) {
    super();
    this.id = id;
    this.transport = transport;
    this.metadata = metadata;
    this.#options = options;
    this.openedAt = options.clock.now();
    this.#lastMessageAt = this.openedAt;
    this.#queue = new OutboundQueue(transport, options);
    this.closed = new Promise((resolve) => {
      this.#settle = resolve;
    });
    transport.on('message', (data) => {
      if (this.#state === 'closing') {
        // Told to go, the peer is read only until its FIN. One that keeps sending instead (a
        // hostile client pushing an endless line) would make us read and discard its bytes at
        // full speed until closeTimeoutMs: past maxBufferedBytes of them it is cut now.
        this.#bytesAfterClose += data.length;
        if (this.#bytesAfterClose > this.#options.maxBufferedBytes) this.#cut();
      }
      this.#lastMessageAt = this.#options.clock.now();
      this.#heard = true;
      this.emit('message', data);
    });
    transport.on('pong', () => {
      this.#heard = true;
    });
    transport.on('drain', () => this.#onDrain());
    transport.once('close', (error) => this.#onClosed(error));
    if (options.idleTimeoutMs > 0) this.#armIdle(options.idleTimeoutMs);
    if (options.heartbeatIntervalMs > 0 && typeof transport.ping === 'function') this.#armBeat();
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
    return this.#queue.bufferedBytes;
  }

  /** Bytes waiting in the outbound queue (not yet given to the transport). */
  get queuedBytes(): number {
    return this.#queue.queuedBytes;
  }

  /** Messages dropped by `'drop-oldest'` so far. */
  get droppedMessages(): number {
    return this.#queue.droppedMessages;
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
    return this.#reason;
  }

  /**
   * Sends one message through the outbound queue.
   * @returns what became of it ({@link SendOutcome}); `'overflow'` means the policy is
   *   `'disconnect'` and this connection is now closing with `MULTIPLEXING_ERR_SLOW_CONSUMER`.
   * @throws the transport's encoding error for a message it cannot carry (too large a frame).
   */
  send(data: Uint8Array): SendOutcome {
    if (this.#state !== 'open') return 'closed';
    const outcome = this.#queue.send(data);
    if (outcome === 'overflow') {
      const error = slowConsumerError(
        this.peerName,
        this.#queue.bufferedBytes,
        this.#queue.maxBufferedBytes,
      );
      this.#terminate('slow-consumer', error, {
        notice: 'MULTIPLEXING_ERR_SLOW_CONSUMER you read too slowly and were disconnected',
        flush: false,
        force: false,
        closeTimeoutMs: this.#options.closeTimeoutMs,
      });
    }
    return outcome;
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
      closeTimeoutMs: this.#options.closeTimeoutMs,
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
      closeTimeoutMs: this.#options.closeTimeoutMs,
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
    this.#reason = reason;
    this.#error = error;
    this.#stopTimers();
    if (request.force) {
      this.#cut();
      return;
    }
    if (!request.flush) this.#queue.clear();
    this.#cutTimer = this.#options.clock.setTimeout(() => this.#cut(), request.closeTimeoutMs);
    if (this.#queue.queuedMessages === 0) this.transport.close(request.notice);
    else this.#pendingNotice = request.notice ?? '';
  }

  #onDrain(): void {
    const empty = this.#queue.flush();
    if (empty && this.#state === 'closing' && this.#pendingNotice !== undefined) {
      const notice = this.#pendingNotice;
      this.#pendingNotice = undefined;
      this.transport.close(notice === '' ? undefined : notice);
    }
  }

  #cut(): void {
    if (this.#state === 'closed') return;
    this.#cutBytes = this.#queue.bufferedBytes;
    this.#queue.clear();
    this.transport.destroy();
  }

  #onClosed(error: Error | undefined): void {
    if (this.#state === 'closed') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    this.#stopTimers();
    this.#options.clock.clearTimeout(this.#cutTimer);
    if (wasOpen) {
      this.#reason = 'peer';
      this.#error = error;
    }
    const cut = this.#cutBytes !== undefined;
    const unsentBytes = this.#cutBytes ?? this.#queue.queuedBytes;
    this.#queue.clear();
    this.#settle({ cut, unsentBytes });
    this.emit('close', this.#reason as ConnectionCloseReason, this.#error);
  }

  #stopTimers(): void {
    const { clock } = this.#options;
    clock.clearTimeout(this.#idleTimer);
    clock.clearTimeout(this.#beatTimer);
    this.#idleTimer = undefined;
    this.#beatTimer = undefined;
  }

  #armIdle(ms: number): void {
    this.#idleTimer = this.#options.clock.setTimeout(() => this.#checkIdle(), ms);
  }

  #checkIdle(): void {
    if (this.#state !== 'open') return;
    const { idleTimeoutMs, clock } = this.#options;
    const quietMs = clock.now() - this.#lastMessageAt;
    if (quietMs < idleTimeoutMs) {
      this.#armIdle(idleTimeoutMs - quietMs);
      return;
    }
    const error = new MultiplexingError(
      'MULTIPLEXING_ERR_IDLE_TIMEOUT',
      `${this.peerName} sent nothing for ${idleTimeoutMs} ms (idleTimeoutMs); it was closed`,
    );
    this.#terminate('idle-timeout', error, {
      notice: `MULTIPLEXING_ERR_IDLE_TIMEOUT nothing received for ${idleTimeoutMs} ms; closing`,
      flush: true,
      force: false,
      closeTimeoutMs: this.#options.closeTimeoutMs,
    });
  }

  #armBeat(): void {
    this.#beatTimer = this.#options.clock.setTimeout(
      () => this.#beat(),
      this.#options.heartbeatIntervalMs,
    );
  }

  #beat(): void {
    if (this.#state !== 'open') return;
    const { maxMissedHeartbeats, heartbeatIntervalMs } = this.#options;
    this.#missed = this.#heard ? 0 : this.#missed + 1;
    if (this.#missed >= maxMissedHeartbeats) {
      const error = new MultiplexingError(
        'MULTIPLEXING_ERR_HEARTBEAT_MISSED',
        `${this.peerName} answered none of the last ${this.#missed} heartbeats (every ${heartbeatIntervalMs} ms): it is gone; the connection was cut`,
      );
      this.#terminate('heartbeat-missed', error, {
        flush: false,
        force: true,
        closeTimeoutMs: this.#options.closeTimeoutMs,
      });
      return;
    }
    this.#heard = false;
    this.transport.ping?.();
    this.#armBeat();
  }
}
