import dgram from 'node:dgram';
import net from 'node:net';
import { checkInteger } from '@socketlab/internal';
import { bindUdpSocket } from './bind.ts';
import { encodeUdpMessage, receiveDatagram, UDP_MESSAGE_HEADER_BYTES } from './message.ts';
import { UdpResponseCache } from './retry.ts';

/** Who sent a datagram. */
export interface UdpPeer {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** Answers one request: return the response payload (or a promise of it); a throw becomes an error response. */
export type UdpHandler = (payload: Buffer, peer: UdpPeer) => Uint8Array | Promise<Uint8Array>;

/** Options of {@link createUdpServer}. */
export interface UdpServerOptions {
  /** Answers each request once (see the cache). */
  readonly handler: UdpHandler;
  /** Address to bind; `::1` or any IPv6 address makes a `udp6` socket. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to bind; 0 lets the kernel choose. @default 0 */
  readonly port?: number;
  /**
   * The largest datagram received or sent, header included. Larger ones received are counted
   * and ignored; a larger response becomes an error response. 1472 = a 1500-byte Ethernet MTU
   * minus the IPv4 and UDP headers, so nothing is fragmented. @default 1472
   */
  readonly maxDatagramBytes?: number;
  /** Requests whose handler runs at once; a request beyond it is dropped (the client retries). @default 256 */
  readonly maxConcurrent?: number;
  /** Responses remembered for retried requests. @default 1024 */
  readonly maxCacheEntries?: number;
  /** How long a response is remembered, in ms: keep it ≥ the clients' retry span. @default 30_000 */
  readonly cacheTtlMs?: number;
  /** The cache's clock. @default Date.now */
  readonly now?: () => number;
}

/** What a {@link UdpServer} counted since it started. */
export interface UdpServerStats {
  /** Datagrams received, good or bad. */
  received: number;
  /** Requests whose handler ran. */
  executed: number;
  /** Retried requests answered from the cache (or dropped while their handler still ran). */
  duplicates: number;
  /** Datagrams that were not a request envelope: too short, unknown type, not a request. */
  malformed: number;
  /** Datagrams over `maxDatagramBytes`. */
  oversized: number;
  /** Requests dropped because `maxConcurrent` handlers were running. */
  overloaded: number;
  /** Handlers that threw (each answered with an error response). */
  handlerErrors: number;
}

/** A running UDP request/response server. */
export interface UdpServer {
  /** Binds and resolves with the bound address. */
  listen(): Promise<{ address: string; port: number; family: string }>;
  /** Counters since start. */
  readonly stats: Readonly<UdpServerStats>;
  /** Closes the socket; running handlers finish but their answers are not sent. */
  close(): Promise<void>;
}

/**
 * A UDP server that runs `handler` at most once per request: each request carries an id, and a
 * retry of the same (peer, id) is answered from a bounded, time-limited cache of recent
 * responses instead of running the handler again. Garbage, oversized or foreign datagrams are
 * counted in `stats` and ignored; the server keeps serving.
 * @throws {RangeError} for a limit out of range; {TypeError} for one that is not an integer.
 * @see RFC 8085 §3 (UDP usage guidelines: reliability, duplicates)
 * @example
 * const server = createUdpServer({ handler: (payload) => Buffer.from(payload.toString().toUpperCase()) });
 * const { port } = await server.listen();
 */
export function createUdpServer(options: UdpServerOptions): UdpServer {
  const {
    handler,
    host = '127.0.0.1',
    port = 0,
    maxDatagramBytes = 1472,
    maxConcurrent = 256,
    maxCacheEntries = 1024,
    cacheTtlMs = 30_000,
    now = Date.now,
  } = options;
  if (typeof handler !== 'function') throw new TypeError('handler must be a function');
  checkInteger('maxDatagramBytes', maxDatagramBytes, UDP_MESSAGE_HEADER_BYTES, 65_507);
  checkInteger('maxConcurrent', maxConcurrent, 1, 1_000_000);
  checkInteger('port', port, 0, 65_535);
  const cache = new UdpResponseCache({ maxEntries: maxCacheEntries, ttlMs: cacheTtlMs, now });
  const stats: UdpServerStats = {
    received: 0,
    executed: 0,
    duplicates: 0,
    malformed: 0,
    oversized: 0,
    overloaded: 0,
    handlerErrors: 0,
  };
  const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
  let running = 0;
  let closed = false;

  const send = (bytes: Uint8Array, peer: UdpPeer): void => {
    if (closed) return;
    // No callback: a send error (peer unreachable) comes as an 'error' event, ignored below; it
    // concerns that peer only.
    socket.send(bytes, peer.port, peer.address);
  };

  const answer = async (id: number, payload: Buffer, peer: UdpPeer): Promise<void> => {
    running++;
    let reply: Buffer;
    try {
      const response = await handler(payload, peer);
      reply = encodeUdpMessage({ type: 'response', id, payload: response });
      if (reply.length > maxDatagramBytes) {
        stats.handlerErrors++;
        reply = errorReply(
          id,
          `response of ${response.length} bytes does not fit maxDatagramBytes ${maxDatagramBytes}`,
        );
      }
    } catch (err) {
      stats.handlerErrors++;
      reply = errorReply(id, err instanceof Error ? err.message : String(err));
    } finally {
      running--;
    }
    cache.finish(peer.address, peer.port, id, reply);
    send(reply, peer);
  };

  socket.on('message', (datagram, rinfo) => {
    stats.received++;
    const received = receiveDatagram(datagram, maxDatagramBytes);
    if (!('message' in received)) {
      stats[received.dropped]++;
      return;
    }
    const { message } = received;
    if (message.type !== 'request') {
      stats.malformed++;
      return;
    }
    const peer: UdpPeer = {
      address: rinfo.address,
      port: rinfo.port,
      family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
    };
    const known = cache.get(peer.address, peer.port, message.id);
    if (known) {
      stats.duplicates++;
      if (known.state === 'done') send(known.response, peer);
      return;
    }
    if (running >= maxConcurrent) {
      stats.overloaded++;
      return;
    }
    cache.begin(peer.address, peer.port, message.id);
    stats.executed++;
    void answer(message.id, Buffer.from(message.payload), peer);
  });
  // A UDP socket's 'error' after bind is rare (ICMP errors are per send); never let it crash.
  socket.on('error', () => {});

  return {
    stats,
    listen: () => bindUdpSocket(socket, port, host),
    close: () =>
      new Promise((resolve) => {
        if (closed) return resolve();
        closed = true;
        try {
          socket.close(() => resolve());
        } catch {
          resolve(); // never bound
        }
      }),
  };
}

function errorReply(id: number, text: string): Buffer {
  const message = Buffer.from(text.slice(0, 512), 'utf8');
  return encodeUdpMessage({ type: 'error', id, payload: message });
}
