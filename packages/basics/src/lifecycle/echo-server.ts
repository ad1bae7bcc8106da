import { EventEmitter } from 'node:events';
import net from 'node:net';
import { checkInteger } from '@socketlab/internal';
import { BasicsError } from '../errors.ts';
import { cutCompleteLines } from '../lines/index.ts';
import {
  type FiveTuple,
  type LifecycleClock,
  type LifecycleCloseReason,
  type LifecycleEvent,
  type LifecycleEventInput,
  stampEvent,
  tryFiveTuple,
} from './event.ts';
import { listenServer } from './listen.ts';
import { checkClock, checkHost, DEFAULT_LIFECYCLE_CLOCK, socketFailure } from './options.ts';

/**
 * How a server takes its clients.
 * - `concurrent`: every connection is served at once, interleaved by the event loop.
 * - `serial`: one connection at a time; the others wait, unread, until it closes. This simulates
 *   a single-threaded server built on blocking `accept()`/`recv()` (see `createSerialEchoServer`).
 */
export type EchoSchedule = 'concurrent' | 'serial';

/** Options of {@link createEchoServer}. */
export interface EchoServerOptions {
  /** Address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Port to listen on; 0 lets the kernel choose a free one. @default 0 */
  readonly port?: number;
  /** Source of the events' `at` times, in milliseconds. @default performance.now */
  readonly clock?: LifecycleClock;
  /** Connections held at once (served or waiting); a newcomer beyond it is dropped. @default 100 */
  readonly maxConnections?: number;
  /**
   * The longest line, without its `\n`. A peer that sends a longer one is told
   * `ERR line too long: max N bytes` and disconnected. @default 8192
   */
  readonly maxLineBytes?: number;
  /**
   * How long a closing connection may take to flush before it is destroyed: every connection
   * after `close()`, and a peer being dropped for a long line. @default 2000
   */
  readonly closeTimeoutMs?: number;
  /** One client at a time, or all at once. @default 'concurrent' */
  readonly schedule?: EchoSchedule;
}

/** The events an {@link EchoServer} emits. */
export interface EchoServerEvents {
  /** Every step of the listening socket and of every connection, in order. */
  lifecycle: [event: LifecycleEvent];
}

interface Connection {
  readonly id: number;
  readonly socket: net.Socket;
  readonly tuple: FiveTuple | undefined;
  state: 'queued' | 'serving' | 'draining';
  pending: Buffer;
  reason: LifecycleCloseReason | undefined;
  error: Error | undefined;
  waitingForDrain: boolean;
  finSent: boolean;
}

const EMPTY = Buffer.alloc(0);

/**
 * A line echo server that reports every step of every socket as a typed `'lifecycle'` event:
 * the listening socket's create, bind and listen; each connection's accept, receive, send,
 * half-close and close. Each complete line (ending in `\n`) is written back as it arrived.
 *
 * It is built to survive its clients: a line over `maxLineBytes` drops that client (reason
 * `line-too-long`) after one last line, `ERR line too long: max N bytes\n`, and a FIN (best
 * effort: the socket is destroyed once they are handed to the kernel, or after `closeTimeoutMs`
 * if the peer does not read); a client that sends without reading is throttled by backpressure
 * (the server stops reading from it until its replies drain, so it costs about one read buffer
 * and one write buffer); an error on one connection never reaches the others; and `close()` is
 * graceful: stop accepting, flush, send FIN, destroy what remains after `closeTimeoutMs`.
 *
 * Events cost nothing unless someone listens: without a `'lifecycle'` listener no event is built
 * (no clock read, no object, no write callback); a listener attached later gets every step from
 * then on. Lifecycle handlers run inside the server's socket callbacks: keep them quick, and do
 * not throw.
 *
 * @example
 * ```ts
 * const server = new EchoServer({ maxLineBytes: 1024 });
 * server.on('lifecycle', (event) => {
 *   if (event.step === 'close' && !event.clean) console.warn(event.reason, event.error?.message);
 * });
 * const { port } = await server.listen();
 * console.log(server.connectionCount); // 0
 * ```
 */
export class EchoServer extends EventEmitter<EchoServerEvents> {
  readonly #host: string;
  readonly #port: number;
  readonly #clock: LifecycleClock;
  readonly #maxConnections: number;
  readonly #maxLineBytes: number;
  readonly #closeTimeoutMs: number;
  readonly #schedule: EchoSchedule;
  readonly #server: net.Server;
  readonly #connections = new Set<Connection>();
  readonly #queue: Connection[] = [];
  #current: Connection | undefined;
  #nextId = 1;
  #listening: Promise<net.AddressInfo> | undefined;
  #closing: Promise<void> | undefined;
  #allClosed: (() => void) | undefined;

  /** @see {@link createEchoServer} for the options and what they mean. */
  constructor(options: EchoServerOptions = {}) {
    super();
    this.#host = checkHost('host', options.host ?? '127.0.0.1');
    this.#port = checkInteger('port', options.port ?? 0, 0, 65_535);
    this.#clock = checkClock(options.clock ?? DEFAULT_LIFECYCLE_CLOCK);
    this.#maxConnections = checkInteger('maxConnections', options.maxConnections ?? 100, 1, 1e6);
    this.#maxLineBytes = checkInteger('maxLineBytes', options.maxLineBytes ?? 8192, 1, 2 ** 26);
    this.#closeTimeoutMs = checkInteger(
      'closeTimeoutMs',
      options.closeTimeoutMs ?? 2000,
      0,
      2 ** 31 - 1,
    );
    const schedule = options.schedule ?? 'concurrent';
    if (schedule !== 'concurrent' && schedule !== 'serial') {
      throw new TypeError(`schedule must be 'concurrent' or 'serial', got ${String(schedule)}`);
    }
    this.#schedule = schedule;
    this.#server = net.createServer(
      // Half-open allowed: when a client sends FIN we still flush its echoes, then send ours.
      // Paused on connect (serial only): a waiting client's bytes stay unread in the kernel.
      { allowHalfOpen: true, pauseOnConnect: schedule === 'serial' },
      (socket) => this.#onConnection(socket),
    );
    this.#server.on('error', (error) => {
      if (this.#watched()) this.#emit(0, undefined, errorInput(error));
    });
  }

  /** Connections held right now: served, or (serial schedule) waiting their turn. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Where the server listens, once it does. */
  get address(): net.AddressInfo | undefined {
    const address = this.#server.address();
    return address !== null && typeof address === 'object' ? address : undefined;
  }

  /**
   * Starts listening. Calling it again returns the same promise.
   * @returns The address the kernel bound (read the chosen port from it when `port` was 0).
   * @throws {BasicsError} `BASICS_ERR_CONNECTION` (rejection) when the address cannot be bound
   *   (`EADDRINUSE`, `EADDRNOTAVAIL`, …; the system error is the `cause`) or the server was closed;
   *   `BASICS_ERR_DNS` when `host` is a name that does not resolve.
   */
  listen(): Promise<net.AddressInfo> {
    if (this.#closing) {
      return Promise.reject(
        new BasicsError('BASICS_ERR_CONNECTION', 'cannot listen: this echo server was closed'),
      );
    }
    this.#listening ??= listenServer(this.#server, { host: this.#host, port: this.#port }).then(
      (local) => {
        if (this.#watched()) {
          const family = local.family === 'IPv6' ? 'AF_INET6' : 'AF_INET';
          this.#emit(0, undefined, { step: 'create', detail: `socket(${family}, SOCK_STREAM)` });
          this.#emit(0, undefined, { step: 'bind', local, detail: 'bind(): the local address' });
          this.#emit(0, undefined, {
            step: 'listen',
            local,
            detail: 'listen(): the kernel now completes handshakes and queues connections',
          });
        }
        return local;
      },
      (error: NodeJS.ErrnoException) => {
        throw socketFailure(`could not listen on ${this.#host} port ${this.#port}`, error);
      },
    );
    return this.#listening;
  }

  /**
   * Shuts down gracefully: stops accepting at once, lets every connection flush its echoes and
   * sends it a FIN, waits for the peers to close, and destroys whatever is still open after
   * `closeTimeoutMs`. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    // A listen() still under way finishes first, so that it cannot leave a server behind.
    await this.#listening?.catch(() => undefined);
    const wasListening = this.#server.listening;
    const serverClosed = new Promise<void>((resolve) => {
      if (wasListening) this.#server.close(() => resolve());
      else resolve();
    });
    if (wasListening && this.#watched()) {
      // Node closes the listening socket at once; only the callback waits for the connections.
      this.#emit(0, undefined, {
        step: 'close',
        clean: true,
        reason: 'server-shutdown',
        detail: 'close(): no new connections; open ones may finish',
      });
    }
    for (const conn of [...this.#connections]) {
      conn.reason ??= 'server-shutdown';
      if (conn.state === 'queued') {
        conn.socket.destroy();
        continue;
      }
      conn.state = 'draining';
      this.#sendFin(conn);
      if (conn.waitingForDrain) conn.socket.resume();
    }
    const allClosed = new Promise<void>((resolve) => {
      this.#allClosed = resolve;
      this.#checkAllClosed();
    });
    const timer = setTimeout(() => {
      for (const conn of this.#connections) {
        conn.reason = 'shutdown-timeout';
        conn.socket.destroy();
      }
    }, this.#closeTimeoutMs);
    try {
      await allClosed;
      await serverClosed;
    } finally {
      clearTimeout(timer);
    }
  }

  #checkAllClosed(): void {
    if (this.#connections.size === 0) this.#allClosed?.();
  }

  #onConnection(socket: net.Socket): void {
    const conn: Connection = {
      id: this.#nextId++,
      socket,
      tuple: tryFiveTuple(socket),
      state: 'queued',
      pending: EMPTY,
      reason: undefined,
      error: undefined,
      waitingForDrain: false,
      finSent: false,
    };
    this.#connections.add(conn);
    socket.on('error', (error) => {
      conn.error ??= error;
      conn.reason ??= 'error';
      if (this.#watched()) this.#emit(conn.id, conn.tuple, errorInput(error));
    });
    socket.on('close', (hadError) => this.#onClose(conn, hadError));
    if (this.#closing || this.#connections.size > this.#maxConnections) {
      const full = !this.#closing;
      conn.reason = full ? 'too-many-connections' : 'server-shutdown';
      if (this.#watched()) {
        this.#emit(conn.id, conn.tuple, {
          step: 'accept',
          detail: full
            ? `dropped: already holding maxConnections (${this.#maxConnections})`
            : 'dropped: the server is shutting down',
        });
      }
      socket.destroy();
      return;
    }
    if (this.#schedule === 'serial' && this.#current !== undefined) {
      this.#queue.push(conn);
      return;
    }
    this.#serve(conn);
  }

  #serve(conn: Connection): void {
    const { socket } = conn;
    conn.state = 'serving';
    if (this.#schedule === 'serial') this.#current = conn;
    if (this.#watched()) {
      this.#emit(conn.id, conn.tuple, {
        step: 'accept',
        ...(this.#schedule === 'serial'
          ? { detail: `serving this one alone; ${this.#queue.length} waiting unread` }
          : {}),
      });
    }
    socket.on('data', (chunk: Buffer) => this.#onData(conn, chunk));
    socket.on('end', () => this.#onEnd(conn));
    if (this.#schedule === 'serial') socket.resume();
  }

  #onData(conn: Connection, chunk: Buffer): void {
    if (this.#watched()) this.#emit(conn.id, conn.tuple, { step: 'receive', bytes: chunk.length });
    if (conn.state === 'draining') return; // Our FIN is on its way: nothing more can be echoed.
    const { complete, rest, overflow } = cutCompleteLines(conn.pending, chunk, this.#maxLineBytes);
    conn.pending = rest;
    if (complete.length > 0) this.#write(conn, complete);
    if (overflow) this.#dropForLongLine(conn);
  }

  #onEnd(conn: Connection): void {
    if (this.#watched()) this.#emit(conn.id, conn.tuple, { step: 'half-close', by: 'peer' });
    if (conn.state !== 'draining' && conn.pending.length > 0) {
      // The last line had no `\n`: echo it as it came, like any other bytes.
      this.#write(conn, conn.pending);
      conn.pending = EMPTY;
    }
    this.#sendFin(conn);
  }

  #write(conn: Connection, data: Buffer): void {
    const { socket } = conn;
    // The 'send' event needs a write callback; without a listener, no callback is queued.
    const accepted = this.#watched()
      ? socket.write(data, (error) => {
          if (!error && this.#watched()) {
            this.#emit(conn.id, conn.tuple, { step: 'send', bytes: data.length });
          }
        })
      : socket.write(data);
    if (!accepted && !conn.waitingForDrain) {
      // Backpressure: the peer is not reading its echoes. Stop reading from it until they drain,
      // so a flooding client costs a bounded amount of memory and nobody else notices.
      conn.waitingForDrain = true;
      socket.pause();
      socket.once('drain', () => {
        conn.waitingForDrain = false;
        if (!socket.destroyed) socket.resume();
      });
    }
  }

  #sendFin(conn: Connection): void {
    if (conn.finSent || conn.socket.destroyed) return;
    conn.finSent = true;
    conn.socket.once('finish', () => {
      if (this.#watched()) this.#emit(conn.id, conn.tuple, { step: 'half-close', by: 'local' });
    });
    conn.socket.end();
  }

  /** Tells the peer why, sends FIN, and destroys the socket once that is out (bounded). */
  #dropForLongLine(conn: Connection): void {
    const { socket } = conn;
    const error = new BasicsError(
      'BASICS_ERR_LIMIT_EXCEEDED',
      `connection #${conn.id} sent a line longer than maxLineBytes (${this.#maxLineBytes} bytes); ` +
        'disconnecting it',
    );
    conn.reason = 'line-too-long';
    conn.error = error;
    conn.state = 'draining'; // Whatever else it sends is read and thrown away.
    if (this.#watched())
      this.#emit(conn.id, conn.tuple, { step: 'error', error, code: error.code });
    this.#write(conn, Buffer.from(`ERR line too long: max ${this.#maxLineBytes} bytes\n`));
    this.#sendFin(conn);
    // Destroy rather than wait for the peer's FIN: a hostile peer would keep us reading. A peer
    // that does not read its replies cannot hold the socket longer than closeTimeoutMs.
    const timer = setTimeout(() => socket.destroy(), this.#closeTimeoutMs);
    socket.once('finish', () => socket.destroy());
    socket.once('close', () => clearTimeout(timer));
  }

  #onClose(conn: Connection, hadError: boolean): void {
    this.#connections.delete(conn);
    const reason = conn.reason ?? (hadError ? 'error' : 'normal');
    const clean =
      !hadError &&
      conn.error === undefined &&
      (reason === 'normal' || reason === 'server-shutdown');
    if (this.#watched()) {
      this.#emit(conn.id, conn.tuple, {
        step: 'close',
        clean,
        reason,
        ...(conn.error ? { error: conn.error } : {}),
        ...(conn.state === 'queued' ? { detail: 'never served: it waited its turn' } : {}),
      });
    }
    const index = this.#queue.indexOf(conn);
    if (index >= 0) this.#queue.splice(index, 1);
    if (this.#current === conn) {
      this.#current = undefined;
      this.#serveNext();
    }
    this.#checkAllClosed();
  }

  #serveNext(): void {
    if (this.#closing) return;
    for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
      if (!next.socket.destroyed) {
        this.#serve(next);
        return;
      }
    }
  }

  /**
   * True when someone listens to `'lifecycle'`. Every emit site asks first, so that without a
   * listener no event is built: no clock read, no object, no detail string, no write callback.
   */
  #watched(): boolean {
    return this.listenerCount('lifecycle') > 0;
  }

  /** Builds and emits one event; callers check {@link EchoServer.#watched} first. */
  #emit(connectionId: number, tuple: FiveTuple | undefined, input: LifecycleEventInput): void {
    this.emit('lifecycle', stampEvent('server', this.#clock(), connectionId, tuple, input));
  }
}

function errorInput(error: NodeJS.ErrnoException): LifecycleEventInput {
  return { step: 'error', error, code: error.code };
}

/**
 * Creates a line echo server that reports its socket lifecycle; call `listen()` to start it.
 *
 * @param options - Where to listen and the limits; every field has a default
 *   ({@link EchoServerOptions}).
 * @returns A stopped {@link EchoServer}.
 * @throws {TypeError} for a host that is not a printable string, a clock that is not a function,
 *   or an unknown schedule; {RangeError} for a port outside 0–65535 or a limit that is not a
 *   positive integer (`maxConnections` up to 1e6, `maxLineBytes` up to 64 MiB).
 * @example
 * ```ts
 * const server = createEchoServer({ host: '127.0.0.1', port: 0 });
 * server.on('lifecycle', (event) => console.log(formatLifecycleEvent(event)));
 * const { port } = await server.listen();
 * const { reply } = await echoOnce('127.0.0.1', port, 'hello');
 * await server.close();
 * ```
 */
export function createEchoServer(options: EchoServerOptions = {}): EchoServer {
  return new EchoServer(options);
}
