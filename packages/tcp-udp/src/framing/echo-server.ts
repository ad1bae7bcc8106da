/**
 * A framed echo server: every frame a client sends comes back to it, framed the same way. Built
 * to survive hostile clients: a bad frame, an oversized length, a never-ending line or an abrupt
 * reset closes that client only, with a typed error on `'clientError'`.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { formatEndpoint, listenServer } from '@socketlab/basics';
import { checkInteger } from '@socketlab/internal';
import { ConnectionError, LimitExceededError, type TcpUdpError, TimeoutError } from '../errors.ts';
import { checkTcpTimeout } from '../tcp/index.ts';
import { codecForFraming, type FramingName } from './name.ts';
import { FramedSocket } from './socket.ts';

/** Options of {@link listenFramedEchoServer}. */
export interface FramedEchoServerOptions {
  /** How frames are cut: `length` (u32 prefix), `varint` or `line`. */
  framing: FramingName;
  /** Address to listen on (ignored with `path`). @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 lets the kernel choose. @default 0 */
  port?: number;
  /** A Unix socket path to listen on instead of TCP. */
  path?: string;
  /** The longest frame accepted. @default the codec's: 16 MiB for length prefixes, 64 KiB for lines */
  maxFrameBytes?: number;
  /** Clients served at once; a newcomer beyond it is dropped at once. @default 1024 */
  maxConnections?: number;
  /** How long `close()` waits for clients to finish before destroying them. @default 2000 */
  closeTimeoutMs?: number;
  /**
   * A client that sends nothing for this long is closed (`TCPUDP_ERR_TIMEOUT` on
   * `'clientError'`), so a silent or very slow peer cannot hold a connection slot forever.
   * 0 disables it. @default 0
   */
  idleTimeoutMs?: number;
  /**
   * Turns Nagle's algorithm off on every TCP connection (`TCP_NODELAY`): each echo leaves at once
   * instead of waiting for the ACK of the one before, which matters when a client keeps several
   * requests in flight on one connection. @default false
   */
  noDelay?: boolean;
}

/** Who a `'clientError'` is about: the peer's address, or `unix` for a Unix socket client. */
export interface FramedEchoClientInfo {
  readonly remote: string;
}

/** The events of a {@link FramedEchoServer}. */
export interface FramedEchoServerEvents {
  /** A client was accepted. */
  connection: [client: FramedEchoClientInfo];
  /**
   * A client was closed because of an error: a bad frame (`TCPUDP_ERR_MALFORMED`,
   * `TCPUDP_ERR_FRAME_TOO_LARGE`, `TCPUDP_ERR_TRUNCATED`), a broken connection
   * (`TCPUDP_ERR_CONNECTION`), an idle client (`TCPUDP_ERR_TIMEOUT`), or a connection refused
   * over `maxConnections` (`TCPUDP_ERR_LIMIT_EXCEEDED`). Other clients are not affected.
   */
  clientError: [error: TcpUdpError | Error, client: FramedEchoClientInfo];
}

/** A listening framed echo server; see {@link listenFramedEchoServer}. */
export class FramedEchoServer extends EventEmitter<FramedEchoServerEvents> {
  /** Where it listens: the TCP address, or the Unix socket path. */
  readonly address: net.AddressInfo | string;
  private readonly clients = new Set<FramedSocket>();
  private closing: Promise<void> | undefined;

  /** @internal Use {@link listenFramedEchoServer}. */
  constructor(
    private readonly server: net.Server,
    private readonly options: Required<Omit<FramedEchoServerOptions, 'path' | 'maxFrameBytes'>> &
      Pick<FramedEchoServerOptions, 'maxFrameBytes'>,
  ) {
    super();
    const address = server.address();
    if (address === null) throw new Error('the server is not listening');
    this.address = address;
    server.on('connection', (socket) => this.serve(socket));
    // After listening, the listener itself can still fail (EMFILE on accept): report, keep going.
    server.on('error', (err) => this.emit('clientError', err, { remote: 'listener' }));
    server.on('drop', (data) => {
      const remote = data?.remoteAddress
        ? formatEndpoint({ host: data.remoteAddress, port: data.remotePort ?? 0 })
        : 'unix';
      const limit = this.options.maxConnections;
      this.emit(
        'clientError',
        new LimitExceededError(
          'TCPUDP_ERR_LIMIT_EXCEEDED',
          `dropped a connection from ${remote}: already serving maxConnections ${limit}`,
          limit,
          limit + 1,
        ),
        { remote },
      );
    });
  }

  /** Clients connected right now. */
  get connectionCount(): number {
    return this.clients.size;
  }

  /** The address as one line: `127.0.0.1:40123`, `[::1]:40123` or the socket path. */
  describeAddress(): string {
    if (typeof this.address === 'string') return this.address;
    const { address, port } = this.address;
    return formatEndpoint({ host: address, port });
  }

  /**
   * Stops accepting, ends every client gracefully (FIN after its pending echoes), and destroys
   * those still open after `closeTimeoutMs`. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const clients = [...this.clients];
    for (const client of clients) void client.end();
    const timer = setTimeout(() => {
      for (const client of clients) client.destroy();
    }, this.options.closeTimeoutMs);
    timer.unref();
    await Promise.all(clients.map((client) => client.closed));
    clearTimeout(timer);
    await stopped;
  }

  private serve(socket: net.Socket): void {
    const remote =
      socket.remoteAddress === undefined
        ? 'unix'
        : formatEndpoint({ host: socket.remoteAddress, port: socket.remotePort ?? 0 });
    const framed = new FramedSocket(socket, {
      codec: codecForFraming(this.options.framing, this.options.maxFrameBytes),
    });
    this.clients.add(framed);
    const idleMs = this.options.idleTimeoutMs;
    if (idleMs > 0) {
      socket.setTimeout(idleMs, () =>
        framed.destroy(
          new TimeoutError('TCPUDP_ERR_TIMEOUT', `${remote} sent nothing for ${idleMs} ms`, idleMs),
        ),
      );
    }
    this.emit('connection', { remote });
    void this.echo(framed, remote);
  }

  private async echo(framed: FramedSocket, remote: string): Promise<void> {
    try {
      // Awaiting each send is the backpressure: a client that does not read its echoes fills
      // our send buffer, we stop reading, and its own sends stall in TCP flow control.
      for await (const frame of framed) await framed.send(frame);
      await framed.end();
    } catch (err) {
      framed.destroy();
      // A send refused because the socket closed is the same failure the iterator reports.
      const reported = (await framed.closed) ?? (err as Error);
      this.emit('clientError', reported, { remote });
    } finally {
      await framed.closed;
      this.clients.delete(framed);
    }
  }
}

/**
 * Starts a framed echo server and resolves once it listens. Each client's frames are echoed in
 * order; a client that breaks the framing is reported on `'clientError'` and closed, and every
 * other client keeps being served.
 *
 * @throws {TypeError} for an unknown `framing`; {@link RangeError} for a bad number option.
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` (rejects) when the address cannot be bound
 *   (`EADDRINUSE`, `EACCES`, …; the system error is the `cause`).
 * @example
 * ```ts
 * const server = await listenFramedEchoServer({ framing: 'line', maxFrameBytes: 1024 });
 * server.on('clientError', (err, client) => console.warn(client.remote, err.message));
 * console.log(`listening on ${server.describeAddress()}`);
 * await server.close();
 * ```
 */
export function listenFramedEchoServer(
  options: FramedEchoServerOptions,
): Promise<FramedEchoServer> {
  const framing = options.framing;
  codecForFraming(framing, options.maxFrameBytes); // validates framing and maxFrameBytes
  const host = options.host ?? '127.0.0.1';
  const port = checkInteger('port', options.port ?? 0, 0, 65_535);
  const maxConnections = checkInteger('maxConnections', options.maxConnections ?? 1024, 1);
  const closeTimeoutMs = checkTcpTimeout('closeTimeoutMs', options.closeTimeoutMs ?? 2000, true);
  const idleTimeoutMs = checkTcpTimeout('idleTimeoutMs', options.idleTimeoutMs ?? 0, true);
  const noDelay = options.noDelay ?? false;
  if (typeof noDelay !== 'boolean') throw new TypeError('noDelay must be a boolean');
  // Half-open allowed: after a client's FIN we still send its last echoes, then our own FIN.
  const server = net.createServer({ allowHalfOpen: true, noDelay });
  server.maxConnections = maxConnections;
  const where = options.path ?? `${host}:${port}`;
  const settings = {
    framing,
    host,
    port,
    maxConnections,
    closeTimeoutMs,
    idleTimeoutMs,
    noDelay,
    ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
  };
  // Options were checked above, synchronously; only listening itself is asynchronous.
  const listening =
    options.path === undefined
      ? listenServer(server, { host, port })
      : listenServer(server, { path: options.path });
  return listening.then(
    () => new FramedEchoServer(server, settings),
    (error: NodeJS.ErrnoException) => {
      throw new ConnectionError(
        'TCPUDP_ERR_CONNECTION',
        `could not listen on ${where}: ${error.code ?? error.message}`,
        { cause: error },
      );
    },
  );
}
