/**
 * The TCP edge of the connection manager: a listening socket whose every connection becomes a
 * {@link ConnectionTransport} — a `TcpConnection` byte stream, or a `FramedSocket` when a codec
 * is given — handed to the manager, which admits or refuses it.
 */
import net from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { listenServer } from '@socketlab/basics';
import { checkInteger } from '@socketlab/internal';
import { type FrameCodec, toTcpError } from '@socketlab/tcp-udp';
import { type FramedTransportOptions, resolveHeartbeatFrames } from './framed-transport.ts';
import type { ConnectionManager } from './manager.ts';
import { readProxyHeader } from './proxy-header.ts';
import {
  framedSocketTransportOf,
  type SocketFraming,
  setProxiedPeer,
  streamSocketTransport,
} from './socket-transport.ts';
import type { ConnectionTransport } from './transport.ts';

/** Node's own default listen backlog. */
const DEFAULT_BACKLOG = 511;
/** How long a connection has to send its PROXY protocol header by default, in ms. */
const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5000;

/** Options of {@link listenManagedTcp}. */
export interface ManagedTcpOptions<Meta> extends FramedTransportOptions {
  /** The manager that admits, watches and shuts down the connections. */
  readonly manager: ConnectionManager<Meta>;
  /** Address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to listen on; 0 lets the kernel choose. @default 0 */
  readonly port?: number;
  /**
   * Frames messages (and carries heartbeats) with this codec; without one each connection is a
   * raw `TcpConnection` byte stream with no heartbeats. @default undefined (raw bytes)
   */
  readonly codec?: FrameCodec;
  /** The listen backlog (pending connections the kernel queues). @default 511 */
  readonly backlog?: number;
  /**
   * Turns Nagle's algorithm off on every connection (`TCP_NODELAY`), as message servers usually
   * do (the `ws` library does): small messages leave at once instead of waiting for an ACK.
   * @default true
   */
  readonly noDelay?: boolean;
  /**
   * Every connection starts with a PROXY protocol version 1 header (nginx's `proxy_protocol on;`,
   * HAProxy's `send-proxy`), read before the connection reaches the manager: its source address
   * is the connection's `remoteAddress` from then on, so limits per address count each client
   * behind the proxy. A connection without a valid header within `proxyHeaderTimeoutMs` is
   * dropped (its error in `errors`). Only for a port nothing but the proxy can reach: anyone
   * else could send a header and choose their own address. @default false
   */
  readonly proxyProtocol?: boolean;
  /** How long a connection has to send its PROXY header, in ms. @default 5000 */
  readonly proxyHeaderTimeoutMs?: number;
}

/** A listening managed TCP server; see {@link listenManagedTcp}. */
export interface ManagedTcpListener {
  /** Where it listens. */
  readonly address: net.AddressInfo;
  /**
   * What went wrong since it started, newest last, at most 100: errors of the listening socket
   * (EMFILE on accept, …) and errors thrown while admitting a connection (by `createMetadata`
   * or a `'connection'` listener; that connection is destroyed). It keeps listening either way.
   */
  readonly errors: readonly Error[];
  /** Stops accepting (the manager's shutdown calls it); open connections stay with the manager. */
  stopAccepting(): Promise<void>;
}

/**
 * Listens on TCP and hands every connection to `manager.accept()`, as a `FramedSocket` transport
 * (with heartbeats) when `codec` is given, else as a `TcpConnection` byte stream. Registers
 * itself with the manager, so `manager.shutdown()` closes the listening socket first.
 * @throws {ConnectionError} (rejection) `TCPUDP_ERR_CONNECTION` when it cannot listen
 *   (`EADDRINUSE`, … as `cause`).
 * @throws {TypeError} (synchronously) when `manager` is missing, `host` empty or `noDelay` not a
 *   boolean, or for heartbeat frames the codec cannot carry; {RangeError} for a port or backlog
 *   out of range.
 * @example
 * ```ts
 * const manager = createConnectionManager({ heartbeatIntervalMs: 10_000 });
 * const { address } = await listenManagedTcp({ manager, codec: lineCodec() });
 * ```
 */
export function listenManagedTcp<Meta>(
  options: ManagedTcpOptions<Meta>,
): Promise<ManagedTcpListener> {
  const { manager, codec, host = '127.0.0.1' } = options;
  if (typeof manager?.accept !== 'function') {
    throw new TypeError('listenManagedTcp needs a manager (createConnectionManager())');
  }
  if (typeof host !== 'string' || host === '')
    throw new TypeError('host must be a non-empty string');
  const port = checkInteger('port', options.port ?? 0, 0, 65_535);
  const backlog = checkInteger('backlog', options.backlog ?? DEFAULT_BACKLOG, 1, 65_535);
  const noDelay = options.noDelay ?? true;
  if (typeof noDelay !== 'boolean') throw new TypeError('noDelay must be a boolean');
  const proxyProtocol = options.proxyProtocol ?? false;
  if (typeof proxyProtocol !== 'boolean') throw new TypeError('proxyProtocol must be a boolean');
  const proxyHeaderTimeoutMs = checkInteger(
    'proxyHeaderTimeoutMs',
    options.proxyHeaderTimeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS,
    1,
  );
  const framing =
    codec === undefined ? undefined : { codec, ...resolveHeartbeatFrames(codec, options) };
  return start({
    manager,
    framing,
    host,
    port,
    backlog,
    noDelay,
    proxyHeaderTimeoutMs: proxyProtocol ? proxyHeaderTimeoutMs : undefined,
  });
}

async function start<Meta>(settings: {
  manager: ConnectionManager<Meta>;
  /** The codec and the heartbeat frames, checked once and shared by every connection. */
  framing: SocketFraming | undefined;
  host: string;
  port: number;
  backlog: number;
  noDelay: boolean;
  /** Set when every connection starts with a PROXY protocol header. */
  proxyHeaderTimeoutMs: number | undefined;
}): Promise<ManagedTcpListener> {
  const { manager, framing, host, port, backlog, noDelay, proxyHeaderTimeoutMs } = settings;
  const errors: Error[] = [];
  const record = (error: Error): void => {
    errors.push(error);
    if (errors.length > 100) errors.shift();
  };
  const highWaterMark = socketHighWaterMark(manager.options.maxBufferedBytes);
  const admit = (socket: net.Socket): void => {
    let transport: ConnectionTransport;
    try {
      // Straight from the socket (no TcpConnection or FramedSocket in between): the same
      // behaviour as tcpConnectionTransport and framedSocketTransport, for less per connection.
      transport =
        framing === undefined
          ? streamSocketTransport(socket)
          : framedSocketTransportOf(socket, framing);
    } catch {
      socket.destroy();
      return;
    }
    try {
      manager.accept(transport);
    } catch (error) {
      // The application's createMetadata (or a 'connection' listener) threw: this connection
      // is dropped, the server goes on.
      transport.destroy();
      record(error instanceof Error ? error : new Error(String(error)));
    }
  };
  /** Connections whose PROXY header is still on its way: not the manager's yet. */
  const awaitingHeader = new Set<net.Socket>();
  const admitProxied = (socket: net.Socket, timeoutMs: number): void => {
    // Each waits at most timeoutMs, and no more of them than the manager would hold.
    if (awaitingHeader.size >= manager.options.maxConnections) {
      socket.destroy();
      return;
    }
    awaitingHeader.add(socket);
    readProxyHeader(socket, timeoutMs).then(
      ({ header, rest }) => {
        awaitingHeader.delete(socket);
        if (header.family !== 'UNKNOWN') setProxiedPeer(socket, header.source);
        if (rest.length > 0) socket.unshift(rest);
        admit(socket);
        socket.resume();
      },
      (error: Error) => {
        awaitingHeader.delete(socket);
        socket.destroy();
        record(error);
      },
    );
  };
  const server = net.createServer({ allowHalfOpen: true, noDelay, highWaterMark }, (socket) => {
    if (proxyHeaderTimeoutMs === undefined) admit(socket);
    else admitProxied(socket, proxyHeaderTimeoutMs);
  });
  let address: net.AddressInfo;
  try {
    const bound = await listenServer(server, { host, port, backlog });
    address = bound as net.AddressInfo;
  } catch (error) {
    throw toTcpError(error as Error, { operation: 'listen', peer: `${host}:${port}` });
  }
  server.on('error', (error) => {
    record(toTcpError(error, { operation: 'listen', peer: `${host}:${address.port}` }));
  });
  const listener: ManagedTcpListener = {
    address,
    errors,
    stopAccepting() {
      // close() frees the listening socket at once; its callback would wait for every
      // connection, which stay with the manager, so it is not awaited.
      if (server.listening) server.close();
      for (const socket of awaitingHeader) socket.destroy();
      awaitingHeader.clear();
      return Promise.resolve();
    },
  };
  manager.addAcceptor(listener);
  return listener;
}

/**
 * The socket's own high-water mark (when `write()` starts returning false) for a connection the
 * manager may hold `maxBufferedBytes` for: Node's default (16 KiB before Node 22, 64 KiB since),
 * but never more than a quarter of the mark. A socket whose own mark is as large as the manager's
 * takes every message itself, nothing ever waits in the queue, and `'drop-oldest'` would have only
 * the NEWEST message left to drop.
 */
function socketHighWaterMark(maxBufferedBytes: number): number {
  return Math.max(1, Math.min(getDefaultHighWaterMark(false), Math.floor(maxBufferedBytes / 4)));
}
