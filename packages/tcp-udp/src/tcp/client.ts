/**
 * The client side: connect with our own timeout (the kernel alone retries SYN for about two
 * minutes), and get a {@link TcpConnection} that closes right.
 */
import net from 'node:net';
import { TimeoutError } from '../errors.ts';
import { TcpConnection } from './connection.ts';
import { formatTcpPeer, toTcpError } from './errors.ts';
import { checkTcpHost, checkTcpPort, checkTcpTimeout } from './options.ts';

/** Default of {@link TcpClientOptions.connectTimeoutMs}. */
export const DEFAULT_TCP_CONNECT_TIMEOUT_MS = 10_000;

/** Makes the socket that connects: `net.connect` unless a test or a proxy layer supplies its own. */
export type TcpSocketFactory = (options: net.TcpNetConnectOpts) => net.Socket;

/** Options of {@link connectTcpClient}. */
export interface TcpClientOptions {
  /** Host name or address of the server. @default '127.0.0.1' */
  readonly host?: string;
  /** The server's port, 1–65535. */
  readonly port: number;
  /**
   * Give up when the connection is not made within this long: the socket is destroyed and the
   * promise rejects with `TCPUDP_ERR_TIMEOUT`. @default 10000
   */
  readonly connectTimeoutMs?: number;
  /** The connection's idle timeout once connected (see {@link TcpConnectionOptions}); 0 = none. @default 0 */
  readonly idleTimeoutMs?: number;
  /** Makes the socket; it must start connecting to the given options. @default net.connect */
  readonly createSocket?: TcpSocketFactory;
}

/**
 * Connects to a TCP server and resolves with a {@link TcpConnection} (half-close allowed,
 * typed errors, `end()`/`reset()`).
 *
 * @param options - where to connect, the timeouts and an optional socket factory.
 * @returns the open connection.
 * @throws {TypeError}/{RangeError} (synchronously) for a bad host, port, timeout or factory.
 * @throws {TimeoutError} (rejection) `TCPUDP_ERR_TIMEOUT` when not connected within
 *   `connectTimeoutMs` (packets dropped, an overloaded server); the socket is destroyed.
 * @throws {ConnectionError} (rejection) `TCPUDP_ERR_CONNECTION` when the connection fails
 *   (`ECONNREFUSED`, `EHOSTUNREACH`, `ENETUNREACH`, a name that does not resolve, … as `cause`).
 * @see RFC 9293 §3.5 (establishing a connection)
 * @example
 * ```ts
 * const conn = await connectTcpClient({ host: '127.0.0.1', port: 7000, connectTimeoutMs: 2_000 });
 * await conn.write('ping\n');
 * await conn.end();
 * ```
 */
export function connectTcpClient(options: TcpClientOptions): Promise<TcpConnection> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object with at least a port');
  }
  const host = checkTcpHost('host', options.host ?? '127.0.0.1');
  const port = checkTcpPort('port', options.port, false);
  const connectTimeoutMs = checkTcpTimeout(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? DEFAULT_TCP_CONNECT_TIMEOUT_MS,
    false,
  );
  const idleTimeoutMs = checkTcpTimeout('idleTimeoutMs', options.idleTimeoutMs ?? 0, true);
  const createSocket = options.createSocket ?? ((opts) => net.connect(opts));
  if (typeof createSocket !== 'function') throw new TypeError('createSocket must be a function');
  const peer = formatTcpPeer(host, port);
  return new Promise((resolve, reject) => {
    const socket = createSocket({ host, port, allowHalfOpen: true });
    const settle = (): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect).off('error', onError);
    };
    const onConnect = (): void => {
      settle();
      resolve(new TcpConnection(socket, { idleTimeoutMs }));
    };
    const onError = (error: Error): void => {
      settle();
      socket.destroy();
      reject(toTcpError(error, { operation: 'connect', peer }));
    };
    const timer = setTimeout(() => {
      settle();
      socket.on('error', () => undefined); // A late error of a socket we gave up on.
      socket.destroy();
      reject(
        new TimeoutError(
          'TCPUDP_ERR_TIMEOUT',
          `connecting to ${peer} did not finish within ${connectTimeoutMs} ms (no accept, no refusal: ` +
            'packets are probably dropped, or the server is overloaded); the attempt was abandoned',
          connectTimeoutMs,
        ),
      );
    }, connectTimeoutMs);
    socket.once('connect', onConnect).once('error', onError);
  });
}
