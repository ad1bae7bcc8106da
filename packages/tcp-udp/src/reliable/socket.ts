import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { checkInteger } from '@socketlab/internal';
import { ConnectionError, ProtocolError, type TcpUdpError, TimeoutError } from '../errors.ts';
import {
  type ReliableCloseReason,
  ReliableConnection,
  type ReliableConnectionLimits,
  type ReliableConnectionStats,
} from './connection.ts';
import {
  DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES,
  DEFAULT_RELIABLE_MAX_SACK_BLOCKS,
  decodeReliablePacket,
  encodeReliablePacket,
  encodeReliablePacketInto,
  RELIABLE_HEADER_BYTES,
  type ReliableCodecLimits,
  type ReliablePacket,
  reliablePacketBytes,
} from './packet.ts';
import { UDP_MAX_DATAGRAM_BYTES } from './pmtu.ts';

/** Where a reliable connection's peer is. */
export interface ReliableUdpEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Options of {@link connectReliableUdp}. */
export interface ReliableUdpConnectOptions extends ReliableConnectionLimits {
  /** The server's IP address. */
  readonly host: string;
  /** The server's port. */
  readonly port: number;
  /** Local address to bind. @default '127.0.0.1' for an IPv4 server, '::1' for IPv6 */
  readonly localHost?: string;
  /** Received bytes waiting for the application before the receiver stops taking more. @default 65536 */
  readonly readHighWaterBytes?: number;
  /**
   * After a connection that ended well, how long its socket stays open (without keeping the
   * process alive) to acknowledge a FIN the server resends because our last ACK was lost — TCP's
   * TIME-WAIT (RFC 9293 §3.6). `close()` ends it early. @default 30000
   */
  readonly timeWaitMs?: number;
  /**
   * Kernel receive and send buffer asked for the UDP socket (SO_RCVBUF/SO_SNDBUF; Linux caps it
   * at `net.core.rmem_max`/`wmem_max`). A window's worth of datagrams must fit, or the kernel
   * drops what the event loop had no turn to read. @default 1048576
   */
  readonly socketBufferBytes?: number;
}

/** Default `socketBufferBytes` of {@link connectReliableUdp} and {@link listenReliableUdp}. */
export const DEFAULT_RELIABLE_SOCKET_BUFFER_BYTES = 1 << 20;

/**
 * A `maxDatagramBytes` for a peer at `host`: 65,507 (the largest UDP payload) on a loopback
 * address, where the kernel never fragments; otherwise Ethernet's 1,500-byte MTU less the IP and
 * UDP headers (1,472 over IPv4, 1,452 over IPv6). Node cannot set the don't-fragment bit, so on a
 * real network a larger probe could pass as IP fragments: go higher only on a path you know.
 * @example connectReliableUdp({ host, port, maxDatagramBytes: suggestedMaxDatagramBytes(host) });
 */
export function suggestedMaxDatagramBytes(host: string): number {
  const family = net.isIP(host);
  const loopback =
    (family === 4 && host.startsWith('127.')) ||
    (family === 6 && (host === '::1' || /^::ffff:127\./i.test(host)));
  if (loopback) return UDP_MAX_DATAGRAM_BYTES;
  return family === 6 ? 1452 : 1472;
}

/** What the codec accepts for connections with `limits`: payloads up to the datagram limit. */
export function reliableCodecLimits(
  limits: ReliableConnectionLimits & { readonly maxDatagramBytes: number },
): ReliableCodecLimits {
  return {
    maxPayloadBytes: Math.max(
      limits.maxPayloadBytes ?? DEFAULT_RELIABLE_MAX_PAYLOAD_BYTES,
      limits.maxDatagramBytes - RELIABLE_HEADER_BYTES,
    ),
    maxSackBlocks: limits.maxSackBlocks ?? DEFAULT_RELIABLE_MAX_SACK_BLOCKS,
  };
}

/** What a {@link ReliableUdpConnection} needs from whoever owns the UDP socket. */
export interface ReliableUdpTransport {
  send(datagram: Buffer): void;
  /** Called once when the connection closes, with its final ACK for TIME-WAIT if it ended well. */
  closed(finalAck: ReliablePacket | undefined): void;
  /** Called by `close()`: give up anything still held for the connection (a TIME-WAIT socket). */
  release?(): void;
}

const now = (): number => performance.now();

function randomU32(): number {
  return randomInt(0, 2 ** 32);
}

/** Maps a close reason to the error pending operations fail with. */
function closeError(
  reason: ReliableCloseReason | undefined,
  stats: ReliableConnectionStats,
): TcpUdpError {
  switch (reason) {
    case 'reset':
      return new ConnectionError('TCPUDP_ERR_CONNECTION', 'the peer reset the reliable connection');
    case 'timeout':
      return new TimeoutError(
        'TCPUDP_ERR_RETRIES_EXHAUSTED',
        `no acknowledgement after ${stats.timeouts} retransmission timeouts; the peer is gone`,
        stats.rtoMs,
      );
    case 'handshake-timeout':
      return new TimeoutError(
        'TCPUDP_ERR_RETRIES_EXHAUSTED',
        `no answer to the handshake after ${stats.handshakeRetries} retries`,
        stats.rtoMs,
      );
    case 'idle':
      return new TimeoutError('TCPUDP_ERR_TIMEOUT', 'nothing heard from the peer: idle timeout', 0);
    case 'protocol-error':
      return new ProtocolError(
        'TCPUDP_ERR_PROTOCOL',
        `the peer broke the protocol (${stats.invalidAcks} ACKs for data never sent, ${stats.outsideWindow} segments outside the window); the connection was reset`,
      );
    default:
      return new ConnectionError(
        'TCPUDP_ERR_CLOSED',
        `the reliable connection is closed (${reason})`,
      );
  }
}

interface PendingWrite {
  data: Uint8Array;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * One reliable connection over UDP: the I/O edge around {@link ReliableConnection}. Write with
 * `await write(bytes)` (resolves when the bytes are in the send buffer: that is the
 * backpressure), read with `for await (const chunk of connection)`, finish with `await end()`.
 * Made by {@link connectReliableUdp} or handed to the callback of {@link listenReliableUdp}.
 */
export class ReliableUdpConnection implements AsyncIterable<Buffer> {
  /** Resolves with the close reason once the connection is closed, whatever the reason. */
  readonly closed: Promise<ReliableCloseReason>;
  private resolveClosed: (reason: ReliableCloseReason) => void = () => {};
  private readonly writes: PendingWrite[] = [];
  private readonly chunks: Buffer[] = [];
  private chunkBytes = 0;
  private waiter: (() => void) | undefined;
  private ending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private opened: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = 0;
  private pumpScheduled = false;
  private finished = false;
  private readonly highWater: number;

  /** @internal Built by {@link connectReliableUdp} and {@link listenReliableUdp}. */
  constructor(
    /** The peer's address. */
    readonly remote: ReliableUdpEndpoint,
    private readonly core: ReliableConnection,
    private readonly transport: ReliableUdpTransport,
    readHighWaterBytes = 65_536,
  ) {
    this.highWater = readHighWaterBytes;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** The connection id (random, chosen by the client). */
  get connectionId(): number {
    return this.core.connectionId;
  }

  /** `connecting`, `accepting`, `open`, `lingering` or `closed`. */
  get state(): ReliableConnection['state'] {
    return this.core.state;
  }

  /** Counters: retransmissions, timeouts, duplicates, SRTT, RTO, … */
  get stats(): ReliableConnectionStats {
    return this.core.stats;
  }

  /**
   * Queues `data` and resolves once all of it is in the send buffer (not yet acknowledged).
   * Awaiting each write is the backpressure: a full send buffer keeps the promise pending.
   * @throws {ConnectionError} `TCPUDP_ERR_CLOSED` after `end()`/`close()`; rejects with the
   *   connection's error (`TCPUDP_ERR_CONNECTION`, `TCPUDP_ERR_RETRIES_EXHAUSTED`, …) if it breaks first.
   */
  write(data: Uint8Array): Promise<void> {
    if (this.finished || this.core.state === 'closed' || this.ending.length > 0) {
      return Promise.reject(new ConnectionError('TCPUDP_ERR_CLOSED', 'write after end or close'));
    }
    if (data.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.writes.push({ data, resolve, reject });
      this.pump();
    });
  }

  /**
   * Sends a FIN after everything written, and resolves once the peer acknowledged it.
   * Reading continues until the peer ends too.
   */
  end(): Promise<void> {
    if (this.core.state === 'closed') {
      return this.core.closeReason === 'done'
        ? Promise.resolve()
        : Promise.reject(closeError(this.core.closeReason, this.core.stats));
    }
    return new Promise((resolve, reject) => {
      this.ending.push({ resolve, reject });
      this.pump();
    });
  }

  /** Closes at once: the peer gets an RST, pending writes and reads fail with TCPUDP_ERR_CLOSED. */
  close(): void {
    this.core.abort();
    this.pump();
    this.transport.release?.();
  }

  /**
   * Yields received bytes in order, as chunks of at most `maxPayloadBytes`; ends after the peer's
   * FIN, throws the connection's error if it breaks (`TCPUDP_ERR_CONNECTION` on RST,
   * `TCPUDP_ERR_RETRIES_EXHAUSTED`, `TCPUDP_ERR_TIMEOUT`, `TCPUDP_ERR_CLOSED`). One reader at a
   * time. Not reading is flow control: once `readHighWaterBytes` wait here and the receive buffer
   * is full, the peer's window closes.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        this.chunkBytes -= chunk.length;
        // Refill (and reopen the window) once the batch is handed over, not per chunk: a pump per
        // 1,200-byte chunk cost more than the chunk itself.
        if (this.chunks.length === 0) this.pump();
        yield chunk;
        continue;
      }
      if ((this.core.receiver?.readableBytes ?? 0) > 0) {
        this.pump(); // the buffer was empty: this pulls what the core holds
        continue;
      }
      if (this.core.remoteEnded) return;
      if (this.core.state === 'closed') {
        if (this.core.closeReason === 'done') return;
        throw closeError(this.core.closeReason, this.core.stats);
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  /** @internal Resolves when the handshake completes; rejects when it fails. */
  waitOpen(): Promise<void> {
    if (this.core.state === 'open') return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.opened = { resolve, reject };
      this.pump();
    });
  }

  /** @internal One datagram for this connection. */
  receive(packet: ReliablePacket): void {
    this.core.onPacket(packet, now());
    // Datagrams that arrive in one I/O batch are handled together: one flush, so one ACK covers
    // the whole batch instead of one ACK per datagram.
    this.pumpSoon();
  }

  /** Pumps on the next event-loop turn (once, however often it is asked for). */
  private pumpSoon(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** @internal Moves bytes between the application and the core, sends, re-arms the timer. */
  pump(): void {
    const core = this.core;
    while (this.writes.length > 0 && core.state !== 'closed') {
      const head = this.writes[0];
      if (!head) break;
      const n = core.write(head.data);
      head.data = head.data.subarray(n);
      if (head.data.length > 0) break;
      this.writes.shift();
      head.resolve();
    }
    if (this.ending.length > 0 && this.writes.length === 0) core.end();
    while (this.chunkBytes < this.highWater) {
      const got = core.read();
      if (got.length === 0) break;
      for (const chunk of got) {
        const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        this.chunks.push(buffer);
        this.chunkBytes += buffer.length;
      }
    }
    const at = now();
    const packets = core.flush(at);
    if (packets.length > 0) {
      // One buffer for the whole flush, never reused: a datagram the kernel could not take at
      // once stays queued in libuv pointing at it.
      let total = 0;
      for (const packet of packets) total += reliablePacketBytes(packet);
      const slab = Buffer.allocUnsafe(total);
      let offset = 0;
      for (const packet of packets) {
        const end = encodeReliablePacketInto(packet, slab, offset);
        this.transport.send(slab.subarray(offset, end));
        offset = end;
      }
    }
    // Pacing holds the rest back for less than a timer's resolution: go on next turn, after
    // the I/O that came in meanwhile (ACKs), instead of in one burst now.
    const paced = core.sender.pacedUntil;
    if (paced !== undefined && paced - at < 1) this.pumpSoon();
    if (core.state === 'open' || core.state === 'lingering') {
      this.opened?.resolve();
      this.opened = undefined;
    }
    if (core.sender.finAcked && this.ending.length > 0) {
      for (const e of this.ending.splice(0)) e.resolve();
    }
    this.waiter?.();
    this.waiter = undefined;
    if (core.state === 'closed') {
      this.settle();
      return;
    }
    // Lazy timer: re-armed only when the next deadline moves earlier; firing early is harmless
    // (onTimer does what is due and the timer is armed again for the rest).
    const deadline = core.nextDeadline;
    if (deadline !== undefined && (this.timer === undefined || deadline < this.armedFor)) {
      clearTimeout(this.timer);
      this.armedFor = deadline;
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          // libuv runs timers before it reads sockets: after a stall (a busy machine), ACKs that
          // arrived meanwhile are still unread. Act after them (setImmediate runs after the
          // poll phase), or the RTO fires for data that was acknowledged long ago.
          setImmediate(() => {
            core.onTimer(now());
            this.pump();
          });
        },
        Math.max(0, deadline - at),
      );
    }
  }

  private settle(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    const reason = this.core.closeReason ?? 'aborted';
    const error = closeError(reason, this.core.stats);
    for (const w of this.writes.splice(0)) w.reject(error);
    for (const e of this.ending.splice(0)) {
      if (reason === 'done') e.resolve();
      else e.reject(error);
    }
    this.opened?.reject(error);
    this.opened = undefined;
    this.transport.closed(this.core.finalAck());
    this.resolveClosed(reason);
  }
}

/**
 * Creates the pure core of a new connection with a random connection id and ISN: the client's
 * (which queues a SYN), or the server's from a received SYN (which queues a SYN-ACK). Used by
 * {@link connectReliableUdp} and {@link listenReliableUdp}; exported for code that drives
 * {@link ReliableConnection} over another transport.
 * @throws {RangeError} on a bad limit.
 * @example const core = createReliableCore('client', { rto: { minRtoMs: 50 } }); core.flush(performance.now()); // [SYN]
 */
export function createReliableCore(
  role: 'client',
  limits: ReliableConnectionLimits,
): ReliableConnection;
export function createReliableCore(
  role: 'server',
  limits: ReliableConnectionLimits,
  syn: ReliablePacket,
): ReliableConnection;
export function createReliableCore(
  role: 'client' | 'server',
  limits: ReliableConnectionLimits,
  syn?: ReliablePacket,
): ReliableConnection {
  if (role === 'server' && syn) {
    return ReliableConnection.accept(syn, { ...limits, isn: randomU32() }, now());
  }
  return new ReliableConnection(
    { ...limits, role: 'client', connectionId: randomU32(), isn: randomU32() },
    now(),
  );
}

/**
 * Opens a reliable connection to a {@link listenReliableUdp} server: three-way handshake with
 * retries, then a byte stream that survives loss, duplication and reordering.
 * @throws {TypeError} when `host` is not an IP address.
 * @throws {RangeError} on a bad port or limit.
 * @throws {TimeoutError} `TCPUDP_ERR_RETRIES_EXHAUSTED` (rejected) when no SYN-ACK comes after
 *   `maxHandshakeRetries`; {@link ConnectionError} `TCPUDP_ERR_CONNECTION` when the server resets.
 * @example
 * const conn = await connectReliableUdp({ host: '127.0.0.1', port, rto: { minRtoMs: 50 } });
 * await conn.write(Buffer.from('hello')); await conn.end();
 */
export async function connectReliableUdp(
  options: ReliableUdpConnectOptions,
): Promise<ReliableUdpConnection> {
  const family = net.isIP(options.host);
  if (family === 0)
    throw new TypeError(`host must be an IP address, got ${JSON.stringify(options.host)}`);
  checkInteger('port', options.port, 1, 65_535);
  const {
    host,
    port,
    localHost,
    readHighWaterBytes,
    timeWaitMs = 30_000,
    socketBufferBytes = DEFAULT_RELIABLE_SOCKET_BUFFER_BYTES,
    ...limits
  } = options;
  checkInteger('timeWaitMs', timeWaitMs, 0);
  checkInteger('socketBufferBytes', socketBufferBytes, 1024, 1 << 30);
  const withMtu = {
    ...limits,
    maxDatagramBytes: limits.maxDatagramBytes ?? 0,
  };
  const codec = reliableCodecLimits(withMtu);
  const core = createReliableCore('client', limits);
  const socket = dgram.createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    recvBufferSize: socketBufferBytes,
    sendBufferSize: socketBufferBytes,
  });
  socket.on('error', () => {}); // send errors are reported per send; the timers recover
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, localHost ?? (family === 6 ? '::1' : '127.0.0.1'), () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((error: Error) => {
    socket.close();
    throw new ConnectionError('TCPUDP_ERR_CONNECTION', `could not bind: ${error.message}`, {
      cause: error,
    });
  });
  // A connected socket sends without resolving the address on every datagram, and the kernel
  // drops datagrams from anyone else.
  await new Promise<void>((resolve) => socket.connect(port, host, resolve));
  let socketClosed = false;
  let timeWait: Buffer | undefined;
  const closeSocket = (): void => {
    if (socketClosed) return;
    socketClosed = true;
    socket.close();
  };
  const connection = new ReliableUdpConnection(
    { host, port },
    core,
    {
      send: (datagram) => {
        if (!socketClosed) socket.send(datagram, () => {});
      },
      closed: (finalAck) => {
        if (!finalAck || timeWaitMs === 0) {
          closeSocket(); // it broke: nothing more can arrive for it
          return;
        }
        timeWait = encodeReliablePacket(finalAck);
        socket.unref();
        setTimeout(closeSocket, timeWaitMs).unref();
      },
      release: closeSocket,
    },
    readHighWaterBytes,
  );
  socket.on('message', (data, from) => {
    if (from.port !== port || from.address !== host) return;
    let packet: ReliablePacket;
    try {
      packet = decodeReliablePacket(data, codec);
    } catch {
      return; // a malformed datagram is dropped: UDP may deliver junk; the peer resends
    }
    if (packet.connectionId !== connection.connectionId) return;
    if (timeWait === undefined) connection.receive(packet);
    else if (packet.type === 'DATA' || packet.type === 'FIN') socket.send(timeWait, () => {});
  });
  await connection.waitOpen();
  return connection;
}
