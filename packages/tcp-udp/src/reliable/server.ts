import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { checkInteger } from '@socketlab/internal';
import { ConnectionError } from '../errors.ts';
import type { ReliableConnectionLimits } from './connection.ts';
import { HelloCookies } from './cookie.ts';
import { decodeReliablePacket, encodeReliablePacket, type ReliablePacket } from './packet.ts';
import {
  createReliableCore,
  DEFAULT_RELIABLE_SOCKET_BUFFER_BYTES,
  ReliableUdpConnection,
  type ReliableUdpEndpoint,
  reliableCodecLimits,
} from './socket.ts';

/** Options of {@link listenReliableUdp}. Connection limits apply to every accepted connection. */
export interface ReliableUdpServerOptions extends ReliableConnectionLimits {
  /** IP address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Port; 0 lets the kernel choose. @default 0 */
  readonly port?: number;
  /** Connections held at once, half-open ones included; more SYNs get RST. @default 1024 */
  readonly maxConnections?: number;
  /**
   * Connections held at once from one IP address (any port), half-open ones included; more SYNs
   * from it get RST, so one peer cannot take every slot. @default 64
   */
  readonly maxConnectionsPerAddress?: number;
  /** How long a connection that ended well answers a late FIN with its final ACK. @default 30000 */
  readonly timeWaitMs?: number;
  /** Closed connections remembered for TIME-WAIT at most (oldest forgotten first). @default 4096 */
  readonly maxTimeWait?: number;
  /** RSTs sent per second at most, to packets for unknown connections. @default 100 */
  readonly maxResetsPerSecond?: number;
  /** Received bytes waiting for the application, per connection. @default 65536 */
  readonly readHighWaterBytes?: number;
  /** Kernel receive and send buffer asked for the UDP socket (see `connectReliableUdp`). @default 1048576 */
  readonly socketBufferBytes?: number;
  /**
   * Demand a hello cookie before keeping any state for a peer (the idea of TCP's SYN cookies and
   * QUIC's Retry): a SYN without a valid cookie gets a small `COOKIE` packet, an HMAC-SHA256 of
   * the peer's address, port, connection id and ISN under a random secret, and the server keeps
   * nothing; only a SYN that echoes it creates a connection. A flood of spoofed SYNs then costs
   * no memory. Every `connectReliableUdp` client answers cookies; a client that predates them
   * cannot connect to a server that demands one. @default false
   */
  readonly requireHelloCookie?: boolean;
  /**
   * How often the cookie secret is replaced; the previous one is still accepted, so a cookie is
   * good for one to two of these. @default 30000
   */
  readonly helloCookieRotationMs?: number;
}

/** Counters of a {@link ReliableUdpServer}. */
export interface ReliableUdpServerStats {
  /** Connections held now (handshaking, open or lingering). */
  connections: number;
  /** Connections that completed the handshake since start. */
  accepted: number;
  /** SYNs refused because `maxConnections` (or `maxConnectionsPerAddress`) were held. */
  refused: number;
  /** Datagrams that did not decode (wrong version, truncated, …): dropped. */
  malformed: number;
  /** RSTs sent to packets for connections that do not exist. */
  resetsSent: number;
  /** Packets for unknown connections that got no RST because of `maxResetsPerSecond`. */
  resetsSuppressed: number;
  /** Closed connections remembered for TIME-WAIT now. */
  timeWait: number;
  /** Connections held now whose handshake has not completed (included in `connections`). */
  halfOpen: number;
  /** COOKIE packets sent to SYNs without a valid cookie (`requireHelloCookie`). */
  cookiesSent: number;
  /** SYNs whose cookie was forged, expired or issued to another address, port or hello. */
  cookiesRefused: number;
}

/** Events of a {@link ReliableUdpServer}. */
export interface ReliableUdpServerEvents {
  /** `onConnection` threw or its promise rejected (the connection is reset); the server goes on. */
  error: [error: Error];
}

/**
 * A running reliable-UDP server: see {@link listenReliableUdp}. Emits `'error'` when the
 * `onConnection` handler throws or rejects (without a listener, Node throws it, as for any emitter).
 */
export interface ReliableUdpServer extends EventEmitter<ReliableUdpServerEvents> {
  /** Where clients connect. */
  readonly address: ReliableUdpEndpoint;
  /** Live counters. */
  readonly stats: ReliableUdpServerStats;
  /** Resets every connection and closes the socket. */
  close(): Promise<void>;
}

/**
 * Listens for reliable connections on one UDP socket, demultiplexed by peer address, port and
 * connection id, and calls `onConnection` with each one once its handshake completes.
 * A packet for an unknown connection gets an RST (rate-limited); one for a connection that ended
 * well in the last `timeWaitMs` gets that connection's final ACK instead.
 * @throws {TypeError} when `host` is not an IP address.
 * @throws {RangeError} on a port or limit out of range.
 * @throws {TypeError} on one that is not an integer.
 * @throws {ConnectionError} `TCPUDP_ERR_CONNECTION` (rejected) when the port cannot be bound.
 * @example
 * const server = await listenReliableUdp({ port: 0, rto: { minRtoMs: 50 } }, async (conn) => {
 *   for await (const chunk of conn) await conn.write(chunk); // echo
 *   await conn.end();
 * });
 */
export async function listenReliableUdp(
  options: ReliableUdpServerOptions,
  onConnection: (connection: ReliableUdpConnection) => void | Promise<void>,
): Promise<ReliableUdpServer> {
  const {
    host = '127.0.0.1',
    port = 0,
    maxConnections = 1024,
    maxConnectionsPerAddress = 64,
    timeWaitMs = 30_000,
    maxTimeWait = 4096,
    maxResetsPerSecond = 100,
    readHighWaterBytes,
    socketBufferBytes = DEFAULT_RELIABLE_SOCKET_BUFFER_BYTES,
    requireHelloCookie = false,
    helloCookieRotationMs = 30_000,
    ...limits
  } = options;
  const family = net.isIP(host);
  if (family === 0) throw new TypeError(`host must be an IP address, got ${JSON.stringify(host)}`);
  checkInteger('port', port, 0, 65_535);
  checkInteger('maxConnections', maxConnections, 1, 1_000_000);
  checkInteger('maxConnectionsPerAddress', maxConnectionsPerAddress, 1, 1_000_000);
  checkInteger('timeWaitMs', timeWaitMs, 0, 3_600_000);
  checkInteger('maxTimeWait', maxTimeWait, 0, 1_000_000);
  checkInteger('maxResetsPerSecond', maxResetsPerSecond, 0, 1_000_000);
  checkInteger('socketBufferBytes', socketBufferBytes, 1024, 1 << 30);
  checkInteger('helloCookieRotationMs', helloCookieRotationMs, 1000, 86_400_000);
  if (typeof requireHelloCookie !== 'boolean') {
    throw new TypeError(`requireHelloCookie must be a boolean, got ${String(requireHelloCookie)}`);
  }
  const cookies = requireHelloCookie
    ? new HelloCookies({ rotationMs: helloCookieRotationMs, now: Date.now })
    : undefined;
  const withMtu = {
    ...limits,
    maxDatagramBytes: limits.maxDatagramBytes ?? 0,
  };
  const codec = reliableCodecLimits(withMtu);
  const stats: ReliableUdpServerStats = {
    connections: 0,
    accepted: 0,
    refused: 0,
    malformed: 0,
    resetsSent: 0,
    resetsSuppressed: 0,
    timeWait: 0,
    halfOpen: 0,
    cookiesSent: 0,
    cookiesRefused: 0,
  };
  const connections = new Map<string, ReliableUdpConnection>();
  const perAddress = new Map<string, number>();
  const events = new EventEmitter<ReliableUdpServerEvents>();
  const handlerFailed = (connection: ReliableUdpConnection, error: unknown): void => {
    connection.close();
    events.emit('error', error instanceof Error ? error : new Error(String(error)));
  };
  const timeWait = new Map<string, { packet: Buffer; until: number }>(); // insertion order = age
  let resetWindowStart = 0;
  let resetsInWindow = 0;
  const socket = dgram.createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    recvBufferSize: socketBufferBytes,
    sendBufferSize: socketBufferBytes,
  });
  socket.on('error', () => {}); // per-datagram send errors (a vanished client) are not fatal

  let closing = false;
  const send = (datagram: Buffer, to: dgram.RemoteInfo | ReliableUdpEndpoint): void => {
    if (closing) return;
    const target = 'address' in to ? { host: to.address, port: to.port } : to;
    socket.send(datagram, target.port, target.host, () => {});
  };

  const reset = (packet: ReliablePacket, from: dgram.RemoteInfo): void => {
    if (packet.type === 'RST') return; // never answer an RST: two endpoints could loop
    const at = Date.now();
    if (at - resetWindowStart >= 1000) {
      resetWindowStart = at;
      resetsInWindow = 0;
    }
    if (resetsInWindow >= maxResetsPerSecond) {
      stats.resetsSuppressed++;
      return;
    }
    resetsInWindow++;
    stats.resetsSent++;
    const rst: ReliablePacket = {
      type: 'RST',
      flags: 0,
      connectionId: packet.connectionId,
      seq: packet.ack,
      ack: 0,
      window: 0,
      sack: [],
      payload: new Uint8Array(0),
    };
    send(encodeReliablePacket(rst), from);
  };

  /** Answers a SYN with a cookie; no bigger than twice the SYN, and nothing is kept. */
  const sendCookie = (syn: ReliablePacket, from: dgram.RemoteInfo, jar: HelloCookies): void => {
    stats.cookiesSent++;
    const cookie: ReliablePacket = {
      type: 'COOKIE',
      flags: 0,
      connectionId: syn.connectionId,
      seq: syn.seq,
      ack: 0,
      window: 0,
      sack: [],
      payload: jar.issue(from.address, from.port, syn.connectionId, syn.seq),
    };
    send(encodeReliablePacket(cookie), from);
  };

  const remember = (key: string, finalAck: ReliablePacket | undefined): void => {
    if (!finalAck || timeWaitMs === 0 || maxTimeWait === 0) return;
    if (timeWait.size >= maxTimeWait) {
      const oldest = timeWait.keys().next().value;
      if (oldest !== undefined) timeWait.delete(oldest);
    }
    timeWait.set(key, { packet: encodeReliablePacket(finalAck), until: Date.now() + timeWaitMs });
    stats.timeWait = timeWait.size;
  };

  socket.on('message', (data, from) => {
    let packet: ReliablePacket;
    try {
      packet = decodeReliablePacket(data, codec);
    } catch {
      stats.malformed++;
      return;
    }
    const key = `${from.address}|${from.port}|${packet.connectionId}`;
    const existing = connections.get(key);
    if (existing) {
      existing.receive(packet);
      return;
    }
    const waiting = timeWait.get(key);
    if (waiting && waiting.until > Date.now()) {
      if (packet.type !== 'RST' && packet.type !== 'ACK') send(waiting.packet, from);
      return;
    }
    if (waiting) {
      timeWait.delete(key);
      stats.timeWait = timeWait.size;
    }
    if (packet.type !== 'SYN') {
      reset(packet, from);
      return;
    }
    if (cookies) {
      const { address, port: fromPort } = from;
      if (packet.payload.length > 0) {
        if (!cookies.verify(address, fromPort, packet.connectionId, packet.seq, packet.payload)) {
          stats.cookiesRefused++;
          sendCookie(packet, from, cookies); // a fresh one: an honest client's may have expired
          return;
        }
      } else {
        sendCookie(packet, from, cookies);
        return;
      }
    }
    const fromAddress = perAddress.get(from.address) ?? 0;
    if (connections.size >= maxConnections || fromAddress >= maxConnectionsPerAddress) {
      stats.refused++;
      reset(packet, from);
      return;
    }
    perAddress.set(from.address, fromAddress + 1);
    const core = createReliableCore('server', limits, packet);
    const remote = { host: from.address, port: from.port };
    const connection = new ReliableUdpConnection(
      remote,
      core,
      {
        send: (datagram) => send(datagram, remote),
        closed: (finalAck) => {
          const left = (perAddress.get(remote.host) ?? 1) - 1;
          if (left > 0) perAddress.set(remote.host, left);
          else perAddress.delete(remote.host);
          connections.delete(key);
          stats.connections = connections.size;
          remember(key, finalAck);
        },
      },
      readHighWaterBytes,
    );
    connections.set(key, connection);
    stats.connections = connections.size;
    stats.halfOpen++;
    connection.waitOpen().then(
      () => {
        stats.halfOpen--;
        stats.accepted++;
        try {
          const handled = onConnection(connection);
          if (handled instanceof Promise) {
            handled.catch((error: unknown) => handlerFailed(connection, error));
          }
        } catch (error) {
          handlerFailed(connection, error);
        }
      },
      () => {
        stats.halfOpen--; // a handshake that never completed: nothing to hand out
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((error: Error) => {
    socket.close();
    throw new ConnectionError(
      'TCPUDP_ERR_CONNECTION',
      `reliable UDP server could not bind ${host}:${port}: ${error.message}`,
      { cause: error },
    );
  });

  return Object.assign(events, {
    address: { host, port: socket.address().port },
    stats,
    close: async () => {
      if (closing) return;
      for (const connection of [...connections.values()]) connection.close();
      closing = true;
      connections.clear();
      perAddress.clear();
      timeWait.clear();
      stats.connections = 0;
      stats.timeWait = 0;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  });
}
