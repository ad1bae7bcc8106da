/**
 * TCP vs UDP on real sockets: send the same messages over a TCP connection and as UDP
 * datagrams on loopback, record what the receiver saw, and let the pure analysis in
 * `transport/analysis.ts` say what that shows. Also a demonstration of the largest datagram.
 *
 * This is the edge: it opens sockets, always closes them, and maps failures to
 * {@link BasicsError}s with a stable `code` and the original error as `cause`.
 *
 * @see RFC 9293 (TCP), RFC 768 (UDP), tcp(7), udp(7)
 */
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { checkInteger, errorCode } from '@socketlab/internal';
import { BasicsError, quoteInput } from '../errors.ts';
import { listenServer } from '../lifecycle/index.ts';
import { checkTimeoutMs } from '../options.ts';
import { analyzeDatagrams, analyzeStream, checkDatagramSize, type UdpFamily } from './analysis.ts';
import type { BoundaryComparison, TransportHost } from './report.ts';

/** The most messages {@link compareBoundaries} sends in one run. */
export const COMPARE_MAX_MESSAGES = 1_000;
/** The most bytes (all messages together, UTF-8) {@link compareBoundaries} sends in one run. */
export const COMPARE_MAX_TOTAL_BYTES = 1_048_576;

/** Options of {@link compareBoundaries}. */
export interface CompareBoundariesOptions {
  /** The messages, each sent as one `write()` on TCP and as one datagram on UDP. */
  readonly messages: readonly string[];
  /** Loopback address to use. @default '127.0.0.1' */
  readonly host?: TransportHost;
  /**
   * Cork the TCP socket around the writes, so they leave in one `writev()` and the receiver
   * sees them merged. With `false`, each write waits for the previous one to reach the kernel.
   * @default true
   */
  readonly cork?: boolean;
  /**
   * Send every datagram at once instead of in small batches. A burst can overflow the
   * receiver's buffer, and then even loopback drops datagrams: UDP is unreliable.
   * @default false
   */
  readonly udpBurst?: boolean;
  /** Bound on the whole run, in milliseconds (1 to 60,000). @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * Sends the same messages over a real TCP connection and as real UDP datagrams on loopback,
 * and reports what each receiver saw. TCP delivers a byte stream: its `'data'` chunks need not
 * match the writes, only their concatenation is guaranteed. UDP delivers each datagram whole
 * or not at all: one `'message'` per send.
 *
 * UDP is unreliable even here: by default datagrams go out in small batches, each confirmed
 * by a marker datagram, so the receiver's buffer never overflows; with `udpBurst` they go out
 * at once and some may be dropped. Any wait is bounded by `timeoutMs`.
 *
 * @param options - See {@link CompareBoundariesOptions}.
 * @throws {TypeError} (synchronously) When `messages` is not an array of strings or an option
 *   has the wrong type.
 * @throws {RangeError} (synchronously) When `host` is not loopback, there are no messages or too many
 *   ({@link COMPARE_MAX_MESSAGES}, {@link COMPARE_MAX_TOTAL_BYTES}), a message does not fit one
 *   datagram, or `timeoutMs` is out of range.
 * @throws {BasicsError} `BASICS_ERR_TIMEOUT` when TCP does not finish in time (rejected);
 *   `BASICS_ERR_CONNECTION` when a socket fails (rejected, with the socket error as `cause`).
 * @example
 * const result = await compareBoundaries({ messages: ['one', 'two', 'three'] });
 * result.tcp.concatenationEqual; // true, always
 * result.tcp.received.length; // often 1: the three writes arrived merged
 * result.udp.datagrams.length; // 3: one per send
 */
export function compareBoundaries(options: CompareBoundariesOptions): Promise<BoundaryComparison> {
  return runComparison(checkCompareOptions(options)); // Bad options throw here, synchronously.
}

async function runComparison({
  messages,
  host,
  cork,
  udpBurst,
  timeoutMs,
}: Required<CompareBoundariesOptions>): Promise<BoundaryComparison> {
  const payloads = messages.map((message) => Buffer.from(message, 'utf8'));
  const deadline = Date.now() + timeoutMs;
  const chunks = await streamOverTcp(payloads, host, cork, deadline);
  const udp = await sendOverUdp(payloads, host, udpBurst, deadline);
  return {
    host,
    messages: [...messages],
    tcp: { ...analyzeStream(payloads, chunks), corked: cork, received: chunks },
    udp: { ...analyzeDatagrams(payloads, udp.datagrams), burst: udpBurst, ...udp },
  };
}

/** The outcome of {@link probeDatagramSize}. */
export interface DatagramSizeProbe {
  readonly host: TransportHost;
  readonly size: number;
  /** The largest payload the IP version allows (65,507 on IPv4, 65,527 on IPv6). */
  readonly limit: number;
  /** `delivered`: sent and received whole; `rejected`: `send()` failed (see `code`). */
  readonly outcome: 'delivered' | 'rejected';
  /** The error code of a rejected send, `EMSGSIZE` for an oversized one. */
  readonly code?: string;
  /** One sentence saying what happened and why. */
  readonly explanation: string;
}

/**
 * Sends one datagram of `size` zero bytes to a receiver on loopback and reports whether the
 * kernel accepted it. Above {@link UDP_LIMITS} (65,507 bytes on IPv4) `send()` fails with
 * `EMSGSIZE`: the 16-bit length fields of IP cannot describe a bigger packet.
 * @param size - Payload bytes, 0 to 1,048,576.
 * @param options.host - Loopback address to use. @default '127.0.0.1'
 * @param options.timeoutMs - Bound on the wait for the datagram to arrive. @default 2000
 * @throws {RangeError} (synchronously) When `size`, `host` or `timeoutMs` is out of range.
 * @throws {TypeError} (synchronously) When `size` is not an integer or `timeoutMs` not a number.
 * @throws {BasicsError} `BASICS_ERR_TIMEOUT` when an accepted datagram does not arrive in time;
 *   `BASICS_ERR_CONNECTION` when a socket cannot be bound.
 * @example
 * (await probeDatagramSize(65_508)).code; // 'EMSGSIZE'
 */
export function probeDatagramSize(
  size: number,
  options: { readonly host?: TransportHost; readonly timeoutMs?: number } = {},
): Promise<DatagramSizeProbe> {
  checkInteger('size', size, 0, 1_048_576);
  return runProbe(
    size,
    checkHost(options.host),
    checkTimeoutMs(options.timeoutMs ?? 2_000, 60_000),
  );
}

async function runProbe(
  size: number,
  host: TransportHost,
  timeoutMs: number,
): Promise<DatagramSizeProbe> {
  const family: UdpFamily = host === '::1' ? 'IPv6' : 'IPv4';
  const { limit } = checkDatagramSize(size, family);
  const pair = await openUdpPair(host);
  try {
    const arrived = once(pair.receiver, 'message');
    arrived.catch(() => {}); // Awaited below only when the send succeeds.
    try {
      await sendDatagram(pair.sender, Buffer.alloc(size), pair.port, host);
    } catch (err) {
      const code = errorCode(err) ?? 'UNKNOWN';
      const why =
        code === 'EMSGSIZE'
          ? `${size} bytes is more than the ${limit} an ${family} UDP payload can hold (65,535 minus the ${family === 'IPv4' ? 'IP and UDP headers' : 'UDP header'}), so the kernel refused it with EMSGSIZE`
          : `the kernel refused it with ${code}`;
      return {
        host,
        size,
        limit,
        outcome: 'rejected',
        code,
        explanation: `send() failed: ${why}.`,
      };
    }
    await bounded(arrived, timeoutMs, `a ${size}-byte datagram to arrive on ${host}`);
    return {
      host,
      size,
      limit,
      outcome: 'delivered',
      explanation: `${size} bytes fit in one ${family} UDP datagram (at most ${limit}) and arrived whole.`,
    };
  } finally {
    pair.close();
  }
}

// ────────────────────────────────────────────────────────────────────────────
// Edge: TCP
// ────────────────────────────────────────────────────────────────────────────

async function streamOverTcp(
  payloads: readonly Buffer[],
  host: TransportHost,
  cork: boolean,
  deadline: number,
): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const server = net.createServer();
  const sockets = new Set<net.Socket>();
  let failed: (err: unknown) => void = () => {};
  const failure = new Promise<never>((_, reject) => {
    failed = (err) => reject(connectionError(`TCP on ${host}`, err));
  });
  failure.catch(() => {});
  const received = new Promise<void>((resolve) => {
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.once('end', () => resolve());
      socket.on('error', failed);
    });
  });
  server.on('error', failed);
  try {
    const { port } = await bounded(
      Promise.race([listenServer(server, { host, port: 0 }), failure]),
      left(deadline),
      'listen',
    );
    const client = net.connect({ port, host });
    sockets.add(client);
    client.on('error', failed);
    await bounded(Promise.race([once(client, 'connect'), failure]), left(deadline), 'connect');
    client.setNoDelay(false); // Nagle on: small writes may wait and merge.
    if (cork) {
      client.cork();
      for (const payload of payloads) client.write(payload);
      client.uncork();
    } else {
      for (const payload of payloads) {
        const written = new Promise<void>((resolve) => client.write(payload, () => resolve()));
        await bounded(Promise.race([written, failure]), left(deadline), 'a TCP write');
      }
    }
    client.end();
    await bounded(
      Promise.race([received, failure]),
      left(deadline),
      `the TCP receiver on ${host} to read everything`,
    );
    return chunks;
  } finally {
    for (const socket of sockets) socket.destroy();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await bounded(closed, 1_000, 'the TCP server to close').catch(() => {});
  }
}

// ────────────────────────────────────────────────────────────────────────────
// Edge: UDP
// ────────────────────────────────────────────────────────────────────────────

/**
 * Paced batches stay far below the receive buffer (1 MiB asked for; the kernel may grant less,
 * down to its 208 KiB default), counting the few hundred bytes of overhead each datagram costs.
 */
const BATCH_MAX_DATAGRAMS = 64;
const BATCH_MAX_BYTES = 32_768;
/** How long to wait for one flush marker before sending it again. */
const MARKER_WAIT_MS = 100;

async function sendOverUdp(
  payloads: readonly Buffer[],
  host: TransportHost,
  burst: boolean,
  deadline: number,
): Promise<{ datagrams: Uint8Array[]; timedOut: boolean }> {
  // A burst keeps the kernel's default receive buffer, so an overflow is there to see.
  const pair = await openUdpPair(host, burst ? undefined : 1_048_576);
  const datagrams: Uint8Array[] = [];
  const markers = new Map<string, () => void>();
  const nonce = `\u0000socketlab-flush-${randomUUID()}-`;
  pair.receiver.on('message', (message: Buffer) => {
    const seen = markers.get(message.toString('latin1'));
    if (seen) seen();
    else datagrams.push(message);
  });
  try {
    for (const batch of burst ? [payloads] : batches(payloads)) {
      // No await between sends: the whole batch leaves as fast as the kernel takes it.
      await Promise.all(
        batch.map((payload) => sendDatagram(pair.sender, payload, pair.port, host)),
      );
      if (!(await flush(pair, host, `${nonce}${markers.size}`, markers, deadline))) {
        return { datagrams, timedOut: true };
      }
    }
    return { datagrams, timedOut: false };
  } catch (err) {
    throw connectionError(`UDP on ${host}`, err);
  } finally {
    pair.close();
  }
}

/**
 * Sends a marker datagram after a batch and waits for it to come out of the receiver's queue.
 * Datagrams from one socket to another on loopback stay in order, so once the marker is read,
 * every earlier datagram that was not dropped has been read too. Resent if it is lost itself.
 */
async function flush(
  pair: UdpPair,
  host: TransportHost,
  marker: string,
  markers: Map<string, () => void>,
  deadline: number,
): Promise<boolean> {
  const seen = new Promise<void>((resolve) => markers.set(marker, resolve));
  const bytes = Buffer.from(marker, 'latin1');
  for (let attempt = 0; attempt < 1_000 && Date.now() < deadline; attempt++) {
    await sendDatagram(pair.sender, bytes, pair.port, host);
    const wait = Math.min(MARKER_WAIT_MS, left(deadline));
    if (await bounded(seen, wait, 'a flush marker').then(() => true, notTimeout)) return true;
  }
  return false;
}

function* batches(payloads: readonly Buffer[]): Generator<Buffer[]> {
  let batch: Buffer[] = [];
  let bytes = 0;
  for (const payload of payloads) {
    const full = batch.length >= BATCH_MAX_DATAGRAMS || bytes + payload.length > BATCH_MAX_BYTES;
    if (batch.length > 0 && full) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(payload);
    bytes += payload.length;
  }
  if (batch.length > 0) yield batch;
}

interface UdpPair {
  readonly receiver: dgram.Socket;
  readonly sender: dgram.Socket;
  readonly port: number;
  close(): void;
}

async function openUdpPair(host: TransportHost, recvBufferSize?: number): Promise<UdpPair> {
  const type = host === '::1' ? 'udp6' : 'udp4';
  const receiver = dgram.createSocket(
    recvBufferSize === undefined ? { type } : { type, recvBufferSize },
  );
  const sender = dgram.createSocket(type);
  const close = (): void => {
    for (const socket of [receiver, sender]) {
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      try {
        socket.close();
      } catch {
        // Already closed.
      }
    }
  };
  receiver.on('error', () => {});
  sender.on('error', () => {});
  try {
    receiver.bind(0, host);
    await bounded(once(receiver, 'listening'), 2_000, `a UDP socket to bind on ${host}`);
    return { receiver, sender, port: receiver.address().port, close };
  } catch (err) {
    close();
    throw err instanceof BasicsError ? err : connectionError(`binding UDP on ${host}`, err);
  }
}

function sendDatagram(
  socket: dgram.Socket,
  payload: Buffer,
  port: number,
  host: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(payload, port, host, (err) => (err ? reject(err) : resolve()));
  });
}

// ────────────────────────────────────────────────────────────────────────────
// Edge: options, waits, errors
// ────────────────────────────────────────────────────────────────────────────

function checkCompareOptions(
  options: CompareBoundariesOptions,
): Required<CompareBoundariesOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`compareBoundaries() needs an options object, got ${quoteInput(options)}`);
  }
  const { messages } = options;
  if (!Array.isArray(messages)) {
    throw new TypeError(`messages must be an array of strings, got ${quoteInput(messages)}`);
  }
  if (messages.length === 0 || messages.length > COMPARE_MAX_MESSAGES) {
    throw new RangeError(
      `messages must hold 1 to ${COMPARE_MAX_MESSAGES} strings, got ${messages.length}`,
    );
  }
  const host = checkHost(options.host);
  const limit = checkDatagramSize(0, host === '::1' ? 'IPv6' : 'IPv4').limit;
  let total = 0;
  for (const [i, message] of messages.entries()) {
    if (typeof message !== 'string') {
      throw new TypeError(`messages[${i}] must be a string, got ${quoteInput(message)}`);
    }
    const bytes = Buffer.byteLength(message, 'utf8');
    if (bytes > limit) {
      throw new RangeError(
        `messages[${i}] is ${bytes} bytes in UTF-8, more than one UDP datagram on ${host} can carry (${limit})`,
      );
    }
    total += bytes;
  }
  if (total > COMPARE_MAX_TOTAL_BYTES) {
    throw new RangeError(
      `messages total ${total} bytes, more than the ${COMPARE_MAX_TOTAL_BYTES} one run sends`,
    );
  }
  for (const name of ['cork', 'udpBurst'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') {
      throw new TypeError(`${name} must be a boolean, got ${quoteInput(options[name])}`);
    }
  }
  return {
    messages,
    host,
    cork: options.cork ?? true,
    udpBurst: options.udpBurst ?? false,
    timeoutMs: checkTimeoutMs(options.timeoutMs ?? 5_000, 60_000),
  };
}

function checkHost(host: unknown): TransportHost {
  if (host === undefined || host === '127.0.0.1') return '127.0.0.1';
  if (host === '::1') return '::1';
  throw new RangeError(`host must be '127.0.0.1' or '::1' (loopback), got ${quoteInput(host)}`);
}

function left(deadline: number): number {
  return Math.max(1, deadline - Date.now());
}

/** Settles like `promise`, or rejects with a `BASICS_ERR_TIMEOUT` error after `ms`. */
function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BasicsError('BASICS_ERR_TIMEOUT', `timed out after ${ms} ms waiting for ${what}`),
        ),
      ms,
    );
  });
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
}

function notTimeout(err: unknown): false {
  if (err instanceof BasicsError && err.code === 'BASICS_ERR_TIMEOUT') return false;
  throw err;
}

function connectionError(what: string, err: unknown): BasicsError {
  if (err instanceof BasicsError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new BasicsError('BASICS_ERR_CONNECTION', `${what} failed: ${detail}`, { cause: err });
}
