import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { checkInteger } from '@socketlab/internal';
import {
  ConnectionError,
  LimitExceededError,
  quoteInput,
  RemoteError,
  TimeoutError,
} from '../errors.ts';
import {
  encodeUdpMessage,
  receiveDatagram,
  UDP_MAX_REQUEST_ID,
  UDP_MESSAGE_HEADER_BYTES,
} from './message.ts';
import { checkUdpRetryPolicy, type UdpRetryPolicy, udpRetrySchedule } from './retry.ts';

/** Options of {@link createUdpClient}; the retry fields are each request's defaults. */
export interface UdpClientOptions extends UdpRetryPolicy {
  /** The server's address (`127.0.0.1`, `::1`, …). */
  readonly host: string;
  /** The server's port. */
  readonly port: number;
  /** The largest datagram sent or accepted, header included. @default 1472 */
  readonly maxDatagramBytes?: number;
  /** Requests waiting for an answer at once; one more is refused with `TCPUDP_ERR_LIMIT_EXCEEDED`. @default 64 */
  readonly maxOutstanding?: number;
  /** The first request id (then +1 each, wrapping at 2^32). @default a random u32 */
  readonly firstId?: number;
}

/** What a {@link UdpClient} counted. */
export interface UdpClientStats {
  /** Datagrams sent, retries included. */
  sent: number;
  /** Of those, retries. */
  retransmits: number;
  /** Answers matched to a waiting request. */
  answered: number;
  /** Answers to no waiting request: duplicates and late answers to finished ids. */
  stale: number;
  /** Datagrams that were not an answer envelope, or too large. */
  malformed: number;
}

/** A client of a {@link createUdpServer} server (or any peer speaking the same envelope). */
export interface UdpClient {
  /**
   * Sends `payload` and resolves with the answer's payload. Each attempt waits its own timeout
   * (see {@link udpRetrySchedule}); every retry reuses the same request id, so the server can
   * answer it from its cache.
   * @throws {LimitExceededError} `TCPUDP_ERR_FRAME_TOO_LARGE` (payload too big),
   *   `TCPUDP_ERR_LIMIT_EXCEEDED` (too many outstanding requests).
   * @throws {TimeoutError} `TCPUDP_ERR_RETRIES_EXHAUSTED` when no attempt got an answer.
   * @throws {RemoteError} when the server answered with an error response.
   * @throws {ConnectionError} `TCPUDP_ERR_CLOSED` when the client is closed meanwhile.
   */
  request(payload: Uint8Array, policy?: UdpRetryPolicy): Promise<Buffer>;
  /** Counters since start. */
  readonly stats: Readonly<UdpClientStats>;
  /** Requests waiting for an answer. */
  readonly outstanding: number;
  /** Fails every waiting request with `TCPUDP_ERR_CLOSED` and closes the socket. */
  close(): Promise<void>;
}

const NO_POLICY: UdpRetryPolicy = Object.freeze({});

interface Pending {
  resolve(value: Buffer): void;
  reject(error: Error): void;
}

/**
 * A UDP request/response client: one socket, `connect()`ed to the server so the kernel drops
 * datagrams from anyone else; answers are matched by request id, and duplicates and late answers
 * are counted and dropped.
 * @throws {TypeError|RangeError} for a bad host, port or limit.
 * @example
 * const client = createUdpClient({ host: '127.0.0.1', port, timeoutMs: 200, retries: 4 });
 * const answer = await client.request(Buffer.from('ping'));
 * await client.close();
 */
export function createUdpClient(options: UdpClientOptions): UdpClient {
  const {
    host,
    port,
    maxDatagramBytes = 1472,
    maxOutstanding = 64,
    firstId = randomInt(0, UDP_MAX_REQUEST_ID),
  } = options;
  if (net.isIP(host) === 0)
    throw new TypeError(`host must be an IP address, got ${quoteInput(host)}`);
  checkInteger('port', port, 1, 65_535);
  checkInteger('maxDatagramBytes', maxDatagramBytes, UDP_MESSAGE_HEADER_BYTES, 65_507);
  checkInteger('maxOutstanding', maxOutstanding, 1);
  checkInteger('firstId', firstId, 0, UDP_MAX_REQUEST_ID);
  const defaults = checkUdpRetryPolicy(options);
  const stats: UdpClientStats = { sent: 0, retransmits: 0, answered: 0, stale: 0, malformed: 0 };
  const pending = new Map<number, Pending>();
  const socket = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
  let nextId = firstId;
  let closed = false;
  let connected = false;
  const ready = new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(
        new ConnectionError(
          'TCPUDP_ERR_CONNECTION',
          `cannot connect a UDP socket to ${host}:${port}: ${err.message}`,
          {
            cause: err,
          },
        ),
      );
    socket.once('error', onError);
    socket.connect(port, host, () => {
      socket.off('error', onError);
      connected = true;
      resolve();
    });
  });
  ready.catch(() => {});
  socket.on('error', () => {}); // per-request send errors are handled where they happen

  socket.on('message', (datagram) => {
    const received = receiveDatagram(datagram, maxDatagramBytes);
    // An oversized datagram, garbage or a request (we only ask) is not an answer.
    if (!('message' in received) || received.message.type === 'request') {
      stats.malformed++;
      return;
    }
    const { message } = received;
    const waiting = pending.get(message.id);
    if (!waiting) {
      stats.stale++;
      return;
    }
    stats.answered++;
    if (message.type === 'error') {
      const text = Buffer.from(message.payload).toString('utf8');
      waiting.reject(
        new RemoteError(
          `the server refused request ${message.id}: ${quoteInput(text)}`,
          'error',
          text,
        ),
      );
    } else {
      waiting.resolve(Buffer.from(message.payload));
    }
  });

  const defaultSchedule = udpRetrySchedule(defaults);
  const request = async (
    payload: Uint8Array,
    policy: UdpRetryPolicy = NO_POLICY,
  ): Promise<Buffer> => {
    const schedule =
      policy === NO_POLICY ? defaultSchedule : udpRetrySchedule({ ...defaults, ...policy });
    if (closed) throw new ConnectionError('TCPUDP_ERR_CLOSED', 'the UDP client is closed');
    const size = UDP_MESSAGE_HEADER_BYTES + payload.length;
    if (size > maxDatagramBytes) {
      throw new LimitExceededError(
        'TCPUDP_ERR_FRAME_TOO_LARGE',
        `a request of ${payload.length} bytes makes a ${size}-byte datagram, over maxDatagramBytes ${maxDatagramBytes}`,
        maxDatagramBytes,
        size,
      );
    }
    if (pending.size >= maxOutstanding) {
      throw new LimitExceededError(
        'TCPUDP_ERR_LIMIT_EXCEEDED',
        `${pending.size} requests are already waiting for an answer (maxOutstanding ${maxOutstanding})`,
        maxOutstanding,
        pending.size + 1,
      );
    }
    const id = nextId;
    nextId = nextId === UDP_MAX_REQUEST_ID ? 0 : nextId + 1;
    const datagram = encodeUdpMessage({ type: 'request', id, payload });
    let timer: NodeJS.Timeout | undefined;
    let attempt = 0;
    let settle: Pending = { resolve: () => {}, reject: () => {} };
    const answer = new Promise<Buffer>((resolve, reject) => {
      settle = { resolve, reject };
    });
    answer.catch(() => {}); // it may fail (on close) before it is awaited; it is awaited below
    pending.set(id, settle); // reserved now, so concurrent calls count against maxOutstanding
    const fire = (): void => {
      if (attempt >= schedule.length) {
        const total = schedule.reduce((a, b) => a + b, 0);
        settle.reject(
          new TimeoutError(
            'TCPUDP_ERR_RETRIES_EXHAUSTED',
            `no answer to request ${id} from ${host}:${port} after ${schedule.length} attempts (${total} ms in all)`,
            total,
          ),
        );
        return;
      }
      if (attempt > 0) stats.retransmits++;
      stats.sent++;
      socket.send(datagram, (err) => {
        if (err) {
          settle.reject(
            new ConnectionError(
              'TCPUDP_ERR_CONNECTION',
              `cannot send to ${host}:${port}: ${err.message}`,
              {
                cause: err,
              },
            ),
          );
        }
      });
      timer = setTimeout(fire, schedule[attempt]);
      attempt++;
    };
    try {
      // close() fails `answer` even before the socket is connected
      if (!connected) await Promise.race([ready, answer]);
      if (!closed) fire();
      return await answer;
    } catch (err) {
      if (closed && !(err instanceof ConnectionError)) {
        throw new ConnectionError(
          'TCPUDP_ERR_CLOSED',
          'the UDP client was closed while waiting for an answer',
        );
      }
      throw err;
    } finally {
      clearTimeout(timer);
      pending.delete(id);
    }
  };

  return {
    request,
    stats,
    get outstanding() {
      return pending.size;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const waiting of pending.values()) {
        waiting.reject(
          new ConnectionError(
            'TCPUDP_ERR_CLOSED',
            'the UDP client was closed while waiting for an answer',
          ),
        );
      }
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

/**
 * Sends one request with a throw-away client and returns the answer.
 * @throws as {@link UdpClient.request}.
 * @example const pong = await udpRequest('127.0.0.1', port, Buffer.from('ping'), { timeoutMs: 200 });
 */
export async function udpRequest(
  host: string,
  port: number,
  payload: Uint8Array,
  options: Omit<UdpClientOptions, 'host' | 'port'> = {},
): Promise<Buffer> {
  const client = createUdpClient({ ...options, host, port });
  try {
    return await client.request(payload);
  } finally {
    await client.close();
  }
}
