/**
 * A `TcpConnection` (stage 2) as a {@link ConnectionTransport}: a byte stream, so a "message" is
 * whatever chunk arrived, a close notice is one line of text, and there is no heartbeat (a raw
 * stream has no room for pings; frame it and use {@link framedSocketTransport} for that).
 */
import { EventEmitter } from 'node:events';
import type { TcpConnection } from '@socketlab/tcp-udp';
import type { ConnectionTransport, TransportEvents } from './transport.ts';

const ignore = (): void => {};

class TcpConnectionTransport extends EventEmitter<TransportEvents> implements ConnectionTransport {
  readonly remoteAddress: string;
  readonly peerName: string;
  readonly #conn: TcpConnection;
  #closing = false;
  #closed = false;

  constructor(conn: TcpConnection) {
    super();
    this.#conn = conn;
    this.remoteAddress = conn.remoteAddress;
    this.peerName = conn.peerName;
    conn.on('data', (chunk) => this.emit('message', chunk));
    // The peer will send nothing more: finish our side too (after what is buffered).
    conn.on('end', () => this.close());
    conn.socket.on('drain', () => this.emit('drain'));
    conn.once('close', (_reason, error) => {
      this.#closed = true;
      this.emit('close', error);
    });
    if (conn.closeReason !== undefined) {
      this.#closed = true;
      queueMicrotask(() => this.emit('close', conn.closeError));
    }
  }

  get bufferedAmount(): number {
    return this.#conn.bufferedBytes;
  }

  get closed(): boolean {
    return this.#closing || this.#closed;
  }

  send(data: Uint8Array): boolean {
    if (this.closed) return false;
    // Straight to the socket: no promise per message. A failure is recorded by the
    // TcpConnection's own 'error' listener and reported through 'close'.
    return this.#conn.socket.write(data);
  }

  close(notice?: string): void {
    if (this.closed) return;
    if (notice !== undefined) this.#conn.write(`${notice}\n`).catch(ignore);
    this.#closing = true;
    this.#conn.end().catch(ignore);
  }

  destroy(): void {
    this.#closing = true;
    this.#conn.destroy();
  }
}

/**
 * Wraps a `TcpConnection` for the connection manager. Each received chunk is one `'message'`;
 * `close(notice)` writes the notice and a `\n`, then sends FIN; the peer's FIN ends our side too.
 * Start it before anything else reads the connection: it takes the connection's `'data'`.
 * @example
 * ```ts
 * createTcpServer({ onConnection: (conn) => manager.accept(tcpConnectionTransport(conn)) });
 * ```
 */
export function tcpConnectionTransport(conn: TcpConnection): ConnectionTransport {
  return new TcpConnectionTransport(conn);
}
