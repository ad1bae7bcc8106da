/**
 * Ready-made connect functions for the pool over stage 2's TCP: framed request/response
 * connections ({@link connectFramed}), and raw byte streams as the connection manager's
 * `ConnectionTransport` ({@link connectTcpClient} + `tcpConnectionTransport`).
 */
import { EventEmitter } from 'node:events';
import {
  type ConnectFramedOptions,
  connectFramed,
  connectTcpClient,
  type FramedSocket,
  type FramedTarget,
  type TcpClientOptions,
} from '@socketlab/tcp-udp';
import { type ConnectionTransport, tcpConnectionTransport } from '../connections/index.ts';
import { MultiplexingError } from '../errors.ts';
import type { PoolableConnection, PoolConnector } from './options.ts';

/** The events of a {@link PooledFramedConnection}. */
export interface PooledFramedConnectionEvents {
  /** Fully closed; `error` is set when it failed (reset, bad frame …). Emitted once. */
  close: [error: Error | undefined];
}

/**
 * A stage 2 `FramedSocket` shaped for the pool: `closed` as a flag, a `'close'` event, and
 * `request()` for one-frame-in, one-frame-out protocols. A peer's FIN closes it: a client cannot
 * get answers on a connection the server has finished with. A connection holding bytes nobody
 * has read (the late answer of an abandoned request, a frame the server sent unasked) counts as
 * closed too, so the pool drops it instead of lending it out of step.
 */
export class PooledFramedConnection
  extends EventEmitter<PooledFramedConnectionEvents>
  implements PoolableConnection
{
  /** The framed socket underneath: `send()`, `read()`, `socket` for its addresses. */
  readonly framed: FramedSocket;
  #closed = false;

  constructor(framed: FramedSocket) {
    super();
    this.framed = framed;
    // The peer's FIN: nothing more will be answered here.
    framed.socket.once('end', () => this.destroy());
    void framed.closed.then((error) => {
      this.#closed = true;
      this.emit('close', error);
    });
  }

  /**
   * True once closed or closing (destroyed, or the peer sent FIN or RST), or out of step: bytes
   * arrived that nobody read, so the next `request()` would get an answer that is not its own.
   */
  get closed(): boolean {
    return (
      this.#closed ||
      this.framed.socket.destroyed ||
      this.framed.bufferedFrames > 0 ||
      this.framed.bufferedBytes > 0
    );
  }

  /**
   * Sends one frame and resolves with the next frame received: the answer, in a protocol where
   * every request gets exactly one. Do not run two at once on one connection (the pool lends a
   * connection to one borrower at a time).
   * @throws the `FramedSocket`'s errors (`TCPUDP_ERR_CLOSED`, `TCPUDP_ERR_CONNECTION`, …).
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_CONNECTION` when the peer ends before answering.
   */
  async request(payload: Uint8Array): Promise<Buffer> {
    await this.framed.send(payload);
    const reply = await this.framed.read();
    if (reply === undefined) {
      throw new MultiplexingError(
        'MULTIPLEXING_ERR_CONNECTION',
        'the server closed the connection before answering: retry on another connection',
      );
    }
    return reply;
  }

  /** Closes now; anything unsent is dropped. */
  destroy(): void {
    this.framed.destroy();
  }
}

/**
 * A {@link PoolConnector} that opens a stage 2 `FramedSocket` to `target` for each pooled
 * connection.
 * @param target - `{ host, port }`, or `{ path }` for a Unix socket.
 * @param options - `connectFramed`'s options: `codec` (@default the u32 length prefix),
 *   `connectTimeoutMs` (@default 10000) and the receive buffer bounds.
 * @example
 * ```ts
 * const pool = createConnectionPool({
 *   connect: createFramedPoolConnector({ host: '127.0.0.1', port: 7000 }, { codec: lineCodec() }),
 * });
 * ```
 */
export function createFramedPoolConnector(
  target: FramedTarget,
  options: ConnectFramedOptions = {},
): PoolConnector<PooledFramedConnection> {
  return async ({ signal }) => {
    const framed = await connectFramed(target, options);
    if (signal.aborted) {
      framed.destroy();
      throw signal.reason;
    }
    return new PooledFramedConnection(framed);
  };
}

/**
 * A {@link PoolConnector} that opens a stage 2 `TcpConnection` and wraps it as a
 * `ConnectionTransport` (the connection manager's shape: `send()`, `'message'` per chunk,
 * `close()`), for byte-stream protocols that frame their own messages.
 * @param options - `connectTcpClient`'s options (`host` @default '127.0.0.1', `port`,
 *   `connectTimeoutMs` @default 10000).
 * @throws {TypeError}/{RangeError} (synchronously, from `connectTcpClient`, at the first connect)
 *   for a bad host or port.
 * @example
 * ```ts
 * const pool = createConnectionPool({ connect: createTcpPoolConnector({ port: 7000 }) });
 * ```
 */
export function createTcpPoolConnector(
  options: TcpClientOptions,
): PoolConnector<ConnectionTransport> {
  return async ({ signal }) => {
    const conn = await connectTcpClient(options);
    if (signal.aborted) {
      conn.destroy();
      throw signal.reason;
    }
    return tcpConnectionTransport(conn);
  };
}
