/**
 * The connection manager: admits connections within limits (in all and per peer address),
 * refuses the others out loud, watches each one (idle timeout, heartbeats, slow consumers) and
 * shuts down gracefully with a report. It knows connections only as {@link ConnectionTransport}s,
 * so a TCP server, a framed server and (later) a WebSocket server share it.
 */
import { EventEmitter } from 'node:events';
import { MultiplexingError } from '../errors.ts';
import type { CloseSummary, ConnectionCloseReason } from './close-reason.ts';
import { DeadlineList } from './deadline-list.ts';
import { type ConnectionHost, ManagedConnection, UNMADE } from './managed-connection.ts';
import {
  type ConnectionManagerOptions,
  checkCloseTimeout,
  type ResolvedManagerOptions,
  resolveManagerOptions,
} from './options.ts';
import type { ConnectionTransport } from './transport.ts';

/** The events of a {@link ConnectionManager}. */
export interface ConnectionManagerEvents<Meta> {
  /** A connection was admitted. */
  connection: [connection: ManagedConnection<Meta>];
  /**
   * A message from any connection, after that connection's own `'message'` listeners: one
   * listener here serves every connection, where one on each would cost a listener table each.
   */
  message: [connection: ManagedConnection<Meta>, data: Buffer];
  /**
   * A newcomer was turned away — told why (`error.code`: `MULTIPLEXING_ERR_LIMIT_EXCEEDED`, or
   * `MULTIPLEXING_ERR_SHUTDOWN` during a shutdown), then closed; never dropped silently.
   */
  refused: [error: MultiplexingError, transport: ConnectionTransport];
  /** A managed connection closed; see {@link ManagedConnection}'s `'close'`. */
  close: [
    connection: ManagedConnection<Meta>,
    reason: ConnectionCloseReason,
    error: Error | undefined,
  ];
}

/** Something that admits connections into a manager, stopped first by a shutdown. */
export interface ConnectionAcceptor {
  /** Stops taking new connections (closes the listening socket); open ones stay. */
  stopAccepting(): void | Promise<void>;
}

/** Options of {@link ConnectionManager.shutdown}. */
export interface ShutdownOptions {
  /**
   * What every client is told before its stream ends.
   * @default 'MULTIPLEXING_ERR_SHUTDOWN the server is shutting down; reconnect later'
   */
  readonly notice?: string;
  /** The deadline: connections still open after it are cut. @default the manager's closeTimeoutMs */
  readonly closeTimeoutMs?: number;
}

/** One connection in a {@link ShutdownReport}. */
export interface ShutdownEntry<Meta> {
  readonly id: number;
  readonly peerName: string;
  readonly metadata: Meta;
  /** Bytes still unsent when it closed or was cut (0 for a clean drain). */
  readonly unsentBytes: number;
  /** Messages the slow-consumer policy had dropped over its life. */
  readonly droppedMessages: number;
}

/** What a shutdown did: who was drained, who was cut at the deadline, who was refused meanwhile. */
export interface ShutdownReport<Meta> {
  /** Closed before the deadline (told, flushed, closed). */
  readonly drained: readonly ShutdownEntry<Meta>[];
  /** Still open at the deadline, or closed with bytes unsent: destroyed. */
  readonly cut: readonly ShutdownEntry<Meta>[];
  /** Newcomers refused with `MULTIPLEXING_ERR_SHUTDOWN` while it ran. */
  readonly refused: number;
  /** From the call to the last close, on the manager's clock. */
  readonly durationMs: number;
}

/** The default notice of a shutdown. */
const SHUTDOWN_NOTICE = 'MULTIPLEXING_ERR_SHUTDOWN the server is shutting down; reconnect later';

/**
 * Holds connections within limits and closes them deliberately. Create it with
 * {@link createConnectionManager}; feed it transports with {@link accept} (or let
 * {@link listenManagedTcp} do it).
 * @example
 * ```ts
 * const manager = createConnectionManager<{ nick?: string }>({ maxConnections: 1000, idleTimeoutMs: 60_000 });
 * manager.on('connection', (conn) => conn.on('message', (data) => broadcast(manager.connections, data)));
 * await listenManagedTcp({ manager, port: 7000, codec: lineCodec() });
 * process.once('SIGTERM', async () => console.log(await manager.shutdown()));
 * ```
 */
export class ConnectionManager<Meta = Record<string, unknown>> extends EventEmitter<
  ConnectionManagerEvents<Meta>
> {
  readonly #options: ResolvedManagerOptions<Meta>;
  /** No `createMetadata` was given: a connection makes its `{}` when first asked for it. */
  readonly #lazyMetadata: boolean;
  /** Shared by every connection: the options, one timer for idle deadlines, one for heartbeats. */
  readonly #host: ConnectionHost<Meta>;
  readonly #connections = new Set<ManagedConnection<Meta>>();
  readonly #perAddress = new Map<string, number>();
  readonly #acceptors = new Set<ConnectionAcceptor>();
  #nextId = 1;
  #shutdown: Promise<ShutdownReport<Meta>> | undefined;
  #refusedDuringShutdown = 0;

  /** @see {@link createConnectionManager} for the options. */
  constructor(options: ConnectionManagerOptions<Meta> = {}) {
    super();
    const resolved = resolveManagerOptions(options);
    this.#options = resolved;
    this.#lazyMetadata = options.createMetadata === undefined;
    const { clock } = resolved;
    this.#host = {
      options: resolved,
      idle:
        resolved.idleTimeoutMs > 0 ? new DeadlineList(clock, ManagedConnection.idleDue) : undefined,
      beats:
        resolved.heartbeatIntervalMs > 0
          ? new DeadlineList(clock, ManagedConnection.beatDue)
          : undefined,
      message: (conn, data) => this.emit('message', conn, data),
      closed: (conn, reason, error) => this.#closed(conn, reason, error),
    };
  }

  /** The options in force, defaults filled in. */
  get options(): Omit<ResolvedManagerOptions<Meta>, 'createMetadata' | 'clock'> {
    const { createMetadata: _m, clock: _c, ...rest } = this.#options;
    return rest;
  }

  /** Connections held now. */
  get size(): number {
    return this.#connections.size;
  }

  /** The connections held now, live (a closing one leaves it when closed); broadcast over it. */
  get connections(): ReadonlySet<ManagedConnection<Meta>> {
    return this.#connections;
  }

  /** True once {@link shutdown} was called. */
  get shuttingDown(): boolean {
    return this.#shutdown !== undefined;
  }

  /** Connections held now from `address` (a peer address without port). */
  connectionsFrom(address: string): number {
    return this.#perAddress.get(address) ?? 0;
  }

  /**
   * Admits a connection, or refuses it: past `maxConnections` or `maxConnectionsPerAddress`, or
   * during a shutdown, the transport is sent a notice that starts with the error code, closed
   * (cut after `closeTimeoutMs` if the peer does not close), and `'refused'` is emitted.
   * @param transport - the new connection.
   * @param metadata - its metadata. @default the manager's `createMetadata(transport)`
   * @returns the managed connection, or `undefined` when refused (or already closed).
   */
  accept(transport: ConnectionTransport, metadata?: Meta): ManagedConnection<Meta> | undefined {
    // Already gone (or going): there is nothing to manage, and its 'close' may have passed.
    if (transport.closed) return undefined;
    const refusal = this.#refusal(transport);
    if (refusal !== undefined) {
      this.#refuse(transport, refusal);
      return undefined;
    }
    const address = transport.remoteAddress;
    const conn = new ManagedConnection<Meta>(
      this.#nextId++,
      transport,
      metadata ?? (this.#lazyMetadata ? UNMADE : this.#options.createMetadata(transport)),
      this.#host,
    );
    this.#connections.add(conn);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    this.emit('connection', conn);
    return conn;
  }

  /** A connection closed (called by it, before its own `'close'`): it leaves the counts. */
  #closed(
    conn: ManagedConnection<Meta>,
    reason: ConnectionCloseReason,
    error: Error | undefined,
  ): void {
    if (!this.#connections.delete(conn)) return;
    const address = conn.remoteAddress;
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left === 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, left);
    this.emit('close', conn, reason, error);
  }

  /**
   * Registers what admits connections, so that {@link shutdown} stops it first.
   * @returns a function that unregisters it.
   */
  addAcceptor(acceptor: ConnectionAcceptor): () => void {
    this.#acceptors.add(acceptor);
    return () => this.#acceptors.delete(acceptor);
  }

  /**
   * Graceful shutdown: stops every acceptor, refuses newcomers, tells each connection `notice`
   * after what is queued for it, lets it drain and close, and cuts whatever is still open at the
   * deadline. Calling it again returns the same promise.
   * @returns which connections were drained and which were cut ({@link ShutdownReport}).
   * @throws {TypeError}/{RangeError} for a bad `closeTimeoutMs`.
   */
  shutdown(options: ShutdownOptions = {}): Promise<ShutdownReport<Meta>> {
    if (this.#shutdown !== undefined) return this.#shutdown;
    const closeTimeoutMs = checkCloseTimeout(
      options.closeTimeoutMs ?? this.#options.closeTimeoutMs,
    );
    const notice = options.notice ?? SHUTDOWN_NOTICE;
    if (typeof notice !== 'string') throw new TypeError('notice must be a string');
    this.#shutdown = this.#runShutdown(notice, closeTimeoutMs);
    return this.#shutdown;
  }

  async #runShutdown(notice: string, closeTimeoutMs: number): Promise<ShutdownReport<Meta>> {
    const { clock } = this.#options;
    const started = clock.now();
    const stopping = [...this.#acceptors].map(async (acceptor) => acceptor.stopAccepting());
    const open = [...this.#connections];
    for (const conn of open) conn.shutdown(notice, closeTimeoutMs);
    const summaries = await Promise.all(open.map((conn) => conn.closed));
    await Promise.allSettled(stopping);
    const drained: ShutdownEntry<Meta>[] = [];
    const cut: ShutdownEntry<Meta>[] = [];
    open.forEach((conn, i) => {
      const summary = summaries[i] as CloseSummary;
      const entry: ShutdownEntry<Meta> = {
        id: conn.id,
        peerName: conn.peerName,
        metadata: conn.metadata,
        unsentBytes: summary.unsentBytes,
        droppedMessages: conn.droppedMessages,
      };
      (summary.cut || summary.unsentBytes > 0 ? cut : drained).push(entry);
    });
    return {
      drained,
      cut,
      refused: this.#refusedDuringShutdown,
      durationMs: clock.now() - started,
    };
  }

  #refusal(transport: ConnectionTransport): Refusal | undefined {
    const { maxConnections, maxConnectionsPerAddress } = this.#options;
    const peer = transport.peerName;
    if (this.#shutdown !== undefined) {
      return {
        error: new MultiplexingError(
          'MULTIPLEXING_ERR_SHUTDOWN',
          `refused ${peer}: the server is shutting down`,
        ),
        notice: SHUTDOWN_NOTICE,
      };
    }
    let why: string | undefined;
    if (this.#connections.size >= maxConnections) {
      why = `already holding maxConnections (${maxConnections}) connections`;
    } else if (this.connectionsFrom(transport.remoteAddress) >= maxConnectionsPerAddress) {
      why = `already holding maxConnectionsPerAddress (${maxConnectionsPerAddress}) connections from ${transport.remoteAddress || 'its address'}`;
    }
    if (why === undefined) return undefined;
    return {
      error: new MultiplexingError('MULTIPLEXING_ERR_LIMIT_EXCEEDED', `refused ${peer}: ${why}`),
      notice: `MULTIPLEXING_ERR_LIMIT_EXCEEDED refused: ${why}; try again later`,
    };
  }

  #refuse(transport: ConnectionTransport, { error, notice }: Refusal): void {
    if (error.code === 'MULTIPLEXING_ERR_SHUTDOWN') this.#refusedDuringShutdown++;
    const { clock, closeTimeoutMs } = this.#options;
    const timer = clock.setTimeout(() => transport.destroy(), closeTimeoutMs);
    transport.once('close', () => clock.clearTimeout(timer));
    transport.close(notice);
    this.emit('refused', error, transport);
  }
}

/** Why a newcomer is turned away, for the server and for the peer. */
interface Refusal {
  readonly error: MultiplexingError;
  readonly notice: string;
}

/**
 * Creates a connection manager (not tied to any transport: give it connections with `accept`,
 * or start {@link listenManagedTcp}).
 * @param options - limits, timers and the backpressure policy ({@link ConnectionManagerOptions}).
 * @throws {TypeError}/{RangeError} for a bad option: `<name> must be an integer from <min> to <max>, got <value>`.
 * @example
 * ```ts
 * const manager = createConnectionManager({ maxConnectionsPerAddress: 10, heartbeatIntervalMs: 15_000 });
 * ```
 */
export function createConnectionManager<Meta = Record<string, unknown>>(
  options: ConnectionManagerOptions<Meta> = {},
): ConnectionManager<Meta> {
  return new ConnectionManager<Meta>(options);
}
