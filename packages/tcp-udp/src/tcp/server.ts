/**
 * A TCP server over `node:net` that gets closing right: every connection is a
 * {@link TcpConnection} (half-close allowed, typed errors, idle timeout), at most `maxConnections`
 * are held at once, and `close()` stops accepting, ends every connection with a FIN and destroys
 * what is still open after a grace period.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { listenServer } from '@socketlab/basics';
import { checkInteger } from '@socketlab/internal';
import { ConnectionError, LimitExceededError } from '../errors.ts';
import { TcpConnection } from './connection.ts';
import { formatTcpPeer, toTcpError } from './errors.ts';
import { checkTcpHost, checkTcpPort, checkTcpTimeout } from './options.ts';

/** Default of {@link TcpServerOptions.maxConnections}. */
export const DEFAULT_TCP_MAX_CONNECTIONS = 1_000;
/** Default of {@link TcpServerOptions.closeTimeoutMs}: how long `close()` lets connections finish. */
export const DEFAULT_TCP_CLOSE_TIMEOUT_MS = 5_000;

/** Options of {@link createTcpServer}. */
export interface TcpServerOptions {
  /** Address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to listen on; 0 lets the kernel choose (read it from `listen()`'s result). @default 0 */
  readonly port?: number;
  /**
   * Connections held at once. A newcomer beyond it is sent `rejectMessage` (if any) and closed,
   * and `'rejected'` is emitted. @default 1000
   */
  readonly maxConnections?: number;
  /** Each connection's idle timeout (see {@link TcpConnectionOptions}); 0 = none. @default 0 */
  readonly idleTimeoutMs?: number;
  /**
   * How long `close()` waits for connections to finish after sending them FIN before destroying
   * them. @default 5000
   */
  readonly closeTimeoutMs?: number;
  /** Bytes written to a connection turned away by `maxConnections`, before its FIN. */
  readonly rejectMessage?: string | Uint8Array;
  /**
   * Called for each accepted connection. If it throws or rejects, that connection is reset and
   * `'handlerError'` is emitted (or a process warning, when nobody listens); the server goes on.
   */
  readonly onConnection?: (connection: TcpConnection) => void | Promise<void>;
}

/** The events a {@link TcpServer} emits. */
export interface TcpServerEvents {
  /** A connection was accepted (after `onConnection` was called). */
  connection: [connection: TcpConnection];
  /** A newcomer was turned away: `maxConnections` were already open. */
  rejected: [error: LimitExceededError, peer: string];
  /** `onConnection` threw or rejected for this connection, which was reset. */
  handlerError: [error: unknown, connection: TcpConnection];
}

/**
 * The server {@link createTcpServer} returns; call `listen()`, then `close()` when done.
 * @example
 * ```ts
 * const server = createTcpServer({
 *   onConnection: async (conn) => {
 *     for await (const chunk of conn) await conn.write(chunk); // echo until the client's FIN
 *     await conn.end(); // then our FIN
 *   },
 * });
 * const { port } = await server.listen();
 * ```
 */
export class TcpServer extends EventEmitter<TcpServerEvents> {
  readonly #host: string;
  readonly #port: number;
  readonly #maxConnections: number;
  readonly #idleTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #rejectMessage: string | Uint8Array | undefined;
  readonly #onConnection: TcpServerOptions['onConnection'];
  readonly #server: net.Server;
  readonly #connections = new Set<TcpConnection>();
  readonly #turnedAway = new Set<net.Socket>();
  #listening: Promise<net.AddressInfo> | undefined;
  #closing: Promise<void> | undefined;

  /** @see {@link createTcpServer} for the options. */
  constructor(options: TcpServerOptions = {}) {
    super();
    this.#host = checkTcpHost('host', options.host ?? '127.0.0.1');
    this.#port = checkTcpPort('port', options.port ?? 0, true);
    this.#maxConnections = checkInteger(
      'maxConnections',
      options.maxConnections ?? DEFAULT_TCP_MAX_CONNECTIONS,
      1,
      1_000_000,
    );
    this.#idleTimeoutMs = checkTcpTimeout('idleTimeoutMs', options.idleTimeoutMs ?? 0, true);
    this.#closeTimeoutMs = checkTcpTimeout(
      'closeTimeoutMs',
      options.closeTimeoutMs ?? DEFAULT_TCP_CLOSE_TIMEOUT_MS,
      true,
    );
    const { rejectMessage, onConnection } = options;
    if (
      rejectMessage !== undefined &&
      typeof rejectMessage !== 'string' &&
      !(rejectMessage instanceof Uint8Array)
    ) {
      throw new TypeError('rejectMessage must be a string or a Uint8Array');
    }
    if (onConnection !== undefined && typeof onConnection !== 'function') {
      throw new TypeError('onConnection must be a function');
    }
    this.#rejectMessage = rejectMessage;
    this.#onConnection = onConnection;
    this.#server = net.createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket));
  }

  /** Connections open right now. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** The open connections (a snapshot). */
  get connections(): TcpConnection[] {
    return [...this.#connections];
  }

  /** True once `close()` was called. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Where the server listens, once it does. */
  get address(): net.AddressInfo | undefined {
    const address = this.#server.address();
    return address !== null && typeof address === 'object' ? address : undefined;
  }

  /**
   * Starts listening; calling it again returns the same promise.
   * @returns the bound address (the kernel's port when `port` was 0).
   * @throws {ConnectionError} (rejection) `TCPUDP_ERR_CONNECTION` when the address cannot be bound
   *   (`EADDRINUSE`, `EACCES`, … as `cause`); `TCPUDP_ERR_CLOSED` after `close()`.
   */
  listen(): Promise<net.AddressInfo> {
    if (this.#closing) {
      return Promise.reject(
        new ConnectionError('TCPUDP_ERR_CLOSED', 'cannot listen: this TCP server was closed'),
      );
    }
    this.#listening ??= listenServer(this.#server, { host: this.#host, port: this.#port }).catch(
      (error: Error) => {
        const peer = formatTcpPeer(this.#host, this.#port);
        throw toTcpError(error, { operation: 'listen', peer });
      },
    );
    return this.#listening;
  }

  /**
   * Graceful shutdown: stops accepting at once, sends every connection FIN (after its pending
   * writes) and keeps reading until its peer closes; after `closeTimeoutMs` whatever is still open
   * is destroyed. Resolves when every connection and the listening socket are closed. Calling it
   * again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    await this.#listening?.catch(() => undefined);
    const serverClosed = new Promise<void>((resolve) => {
      if (this.#server.listening) this.#server.close(() => resolve());
      else resolve();
    });
    const open = [...this.#connections];
    for (const conn of open) conn.end().catch(() => undefined);
    const timer = setTimeout(() => {
      for (const conn of this.#connections) conn.destroy();
      for (const socket of this.#turnedAway) socket.destroy();
    }, this.#closeTimeoutMs);
    try {
      await Promise.all([
        ...open.map((conn) => conn.closed),
        ...[...this.#turnedAway].map(
          (socket) => new Promise((resolve) => socket.once('close', resolve)),
        ),
      ]);
      await serverClosed;
    } finally {
      clearTimeout(timer);
    }
  }

  #accept(socket: net.Socket): void {
    if (this.#closing || this.#connections.size >= this.#maxConnections) {
      this.#turnAway(socket);
      return;
    }
    const conn = new TcpConnection(socket, { idleTimeoutMs: this.#idleTimeoutMs });
    this.#connections.add(conn);
    conn.once('close', () => this.#connections.delete(conn));
    if (this.#onConnection) {
      try {
        const result = this.#onConnection(conn);
        if (result instanceof Promise) result.catch((error) => this.#handlerFailed(conn, error));
      } catch (error) {
        this.#handlerFailed(conn, error);
      }
    }
    this.emit('connection', conn);
  }

  #turnAway(socket: net.Socket): void {
    const peer = formatTcpPeer(socket.remoteAddress, socket.remotePort);
    socket.on('error', () => undefined); // It is being closed anyway; nothing to report.
    this.#turnedAway.add(socket);
    socket.once('close', () => this.#turnedAway.delete(socket));
    if (this.#closing) {
      socket.destroy();
      return;
    }
    const error = new LimitExceededError(
      'TCPUDP_ERR_LIMIT_EXCEEDED',
      `turned away ${peer}: already holding maxConnections (${this.#maxConnections}) connections`,
      this.#maxConnections,
      this.#connections.size + 1,
    );
    this.emit('rejected', error, peer);
    if (this.#rejectMessage === undefined) {
      socket.destroy();
      return;
    }
    // Say why and send FIN; read (and drop) what the peer sends, so that closing with unread
    // bytes does not turn our FIN into an RST; and do not wait long for a peer that never closes.
    const timer = setTimeout(() => socket.destroy(), Math.max(this.#closeTimeoutMs, 1));
    socket.once('close', () => clearTimeout(timer));
    socket.resume();
    socket.end(this.#rejectMessage);
  }

  #handlerFailed(conn: TcpConnection, error: unknown): void {
    conn.reset();
    if (this.listenerCount('handlerError') > 0) this.emit('handlerError', error, conn);
    else {
      process.emitWarning(
        `a TcpServer onConnection handler failed for ${conn.peerName}: ${String(error)}`,
        { code: 'TCPUDP_HANDLER_ERROR' },
      );
    }
  }
}

/**
 * Creates a TCP server whose connections close right; call `listen()` to start it.
 *
 * @param options - where to listen, the limits and the connection handler ({@link TcpServerOptions}).
 * @returns a {@link TcpServer}, not yet listening.
 * @throws {TypeError} for a bad host, handler or reject message; {RangeError} for a port outside
 *   0–65535, a `maxConnections` outside 1–1e6, or a timeout that is negative or over 2^31 − 1 ms.
 * @see RFC 9293 §3.6 (closing a connection)
 * @example
 * ```ts
 * const server = createTcpServer({ maxConnections: 100, idleTimeoutMs: 30_000, onConnection: (conn) => {
 *   conn.on('data', (chunk) => void conn.write(chunk).catch(() => {}));
 *   conn.on('end', () => void conn.end().catch(() => {}));
 * } });
 * const { port } = await server.listen();
 * // …
 * await server.close(); // FIN to everyone, destroy after closeTimeoutMs
 * ```
 */
export function createTcpServer(options: TcpServerOptions = {}): TcpServer {
  return new TcpServer(options);
}
