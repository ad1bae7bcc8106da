/**
 * One TCP connection that closes right: `end()` half-closes and waits for the peer's FIN,
 * `reset()` aborts with RST, `destroy()` drops it, idle and close timeouts are bounded, and every
 * failure arrives as a typed error. `createTcpServer`, `connectTcpClient` and `connectUnix` (a
 * Unix domain stream socket closes the same way) hand these out.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { ConnectionError, type TcpUdpError, TimeoutError } from '../errors.ts';
import { formatTcpPeer, type TcpCloseReason, toTcpError } from './errors.ts';
import { checkTcpTimeout } from './options.ts';

/** Options of a {@link TcpConnection}. */
export interface TcpConnectionOptions {
  /**
   * Destroy the connection when nothing is sent or received for this long (closeReason
   * `'timeout'`, error `TCPUDP_ERR_TIMEOUT`). 0 turns it off. @default 0
   */
  readonly idleTimeoutMs?: number;
  /**
   * How messages and {@link TcpConnection.peerName} name the peer. `connectUnix` sets the socket
   * path here, since a Unix domain socket has no address and port.
   * @default the peer's `host:port` (`[::1]:7000` for IPv6)
   */
  readonly peerName?: string;
}

/** Options of {@link TcpConnection.end}. */
export interface TcpEndOptions {
  /**
   * How long to wait for the peer's FIN after ours before destroying the socket (closeReason
   * `'timeout'`). 0 waits for ever (the idle timeout, if any, still applies). @default 0
   */
  readonly timeoutMs?: number;
}

/** The events a {@link TcpConnection} emits. */
export interface TcpConnectionEvents {
  /** Bytes from the peer. Listening starts the flow of data. */
  data: [chunk: Buffer];
  /** The peer sent FIN: it will send nothing more. This side may still write, then `end()`. */
  end: [];
  /** Emitted once when the connection has failed, before `'close'`, only if someone listens. */
  error: [error: TcpUdpError];
  /** The socket is fully closed; `error` is set for `'error'` and `'timeout'`. */
  close: [reason: TcpCloseReason, error: TcpUdpError | undefined];
}

/** Chunks an async iterator may hold before reading pauses (backpressure towards the peer). */
const ITERATOR_HIGH_WATER = 16;

/**
 * A connected TCP socket with a deliberate close. Half-open is allowed on purpose
 * (`allowHalfOpen: true`): when the peer sends FIN this side can still send its reply, and
 * `end()` sends our FIN and keeps reading until the peer's FIN arrives.
 *
 * Reading starts with the first `'data'` listener, iterator or `end()`; until then the peer's
 * bytes wait in the socket (and, once its buffers fill, the peer is slowed by TCP flow control).
 * From then on, chunks that arrive while nobody listens are dropped.
 *
 * Errors never crash the process: they reject the pending `write()`/`end()`, end an async
 * iteration with a throw, set {@link closeError}, and are emitted as `'error'` only when someone
 * listens.
 *
 * @example
 * ```ts
 * const conn = await connectTcpClient({ host: '127.0.0.1', port });
 * await conn.write('hello');
 * const done = conn.end(); // FIN out; keep reading the reply
 * for await (const chunk of conn) process.stdout.write(chunk);
 * await done; // the peer's FIN arrived too: closeReason === 'end'
 * ```
 */
export class TcpConnection extends EventEmitter<TcpConnectionEvents> {
  /** This side's address (fixed at creation, still readable after close). */
  readonly localAddress: string;
  /** This side's port. */
  readonly localPort: number;
  /** The peer's address (`''` on a Unix domain socket: see {@link peerName}). */
  readonly remoteAddress: string;
  /** The peer's port (0 on a Unix domain socket). */
  readonly remotePort: number;
  /** The peer as messages name it: `127.0.0.1:7000`, or a Unix socket's path. */
  readonly peerName: string;
  readonly #socket: net.Socket;
  readonly #closed: Promise<TcpCloseReason>;
  #reason: TcpCloseReason | undefined;
  #error: TcpUdpError | undefined;
  #reading = false;
  #isClosed = false;
  #iterators = 0;
  #peerEnded = false;
  #localEnded = false;
  #endTimer: NodeJS.Timeout | undefined;
  /** Writes waiting for 'drain': one shared listener, however many writes are not awaited. */
  readonly #drainWaiters = new Set<{ resolve(): void; reject(error: unknown): void }>();

  /**
   * Wraps a connected socket (from a server's `'connection'` or a finished `connect`).
   * @throws {TypeError}/{RangeError} for a bad `idleTimeoutMs`.
   */
  constructor(socket: net.Socket, options: TcpConnectionOptions = {}) {
    super();
    const idleTimeoutMs = checkTcpTimeout('idleTimeoutMs', options.idleTimeoutMs ?? 0, true);
    this.#socket = socket;
    // Deliberate: a FIN from the peer closes only its direction; ours closes when we say so.
    socket.allowHalfOpen = true;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.peerName = options.peerName ?? formatTcpPeer(this.remoteAddress, this.remotePort);
    this.#closed = new Promise((resolve) => {
      socket.once('close', () => {
        clearTimeout(this.#endTimer);
        const reason =
          this.#reason ??
          (this.#error ? 'error' : this.#peerEnded && this.#localEnded ? 'end' : 'destroyed');
        this.#reason = reason;
        this.#isClosed = true;
        resolve(reason); // first: a listener that throws below must not leave `closed` pending
        for (const waiter of [...this.#drainWaiters])
          waiter.reject(this.#error ?? this.#closedError());
        if (this.#error && this.listenerCount('error') > 0) this.emit('error', this.#error);
        this.emit('close', reason, this.#error);
      });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const operation = error.syscall === 'write' ? 'write' : 'read';
      this.#error ??= toTcpError(error, { operation, peer: this.peerName });
      this.#reason ??= 'error';
    });
    socket.on('drain', () => {
      for (const waiter of [...this.#drainWaiters]) waiter.resolve();
    });
    socket.on('end', () => {
      this.#peerEnded = true;
      this.emit('end');
    });
    if (idleTimeoutMs > 0) {
      socket.setTimeout(idleTimeoutMs, () => {
        this.#abort(
          'timeout',
          new TimeoutError(
            'TCPUDP_ERR_TIMEOUT',
            `the connection with ${this.peerName} was idle (nothing sent or received) for ${idleTimeoutMs} ms; it was closed`,
            idleTimeoutMs,
          ),
        );
      });
    }
    // Reading starts when someone wants the data (a 'data' listener, an iterator, or end()).
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'data') this.#startReading();
    });
  }

  /** Why the connection closed, once it has (`undefined` while open). */
  get closeReason(): TcpCloseReason | undefined {
    return this.#isClosed ? this.#reason : undefined;
  }

  /** The typed error the connection failed with, if it did. */
  get closeError(): TcpUdpError | undefined {
    return this.#error;
  }

  /** Resolves with the close reason once the socket is fully closed. Never rejects. */
  get closed(): Promise<TcpCloseReason> {
    return this.#closed;
  }

  /** True once the peer has sent FIN (and every byte before it was delivered). */
  get peerEnded(): boolean {
    return this.#peerEnded;
  }

  /** True once this side has called `end()` (sent, or queued, its FIN). */
  get localEnded(): boolean {
    return this.#localEnded;
  }

  /** Bytes written but not yet handed to the kernel: grows when the peer does not read. */
  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  /** The underlying socket, for options such as `setNoDelay()`. Close through this object. */
  get socket(): net.Socket {
    return this.#socket;
  }

  /**
   * Sends bytes, honouring backpressure: resolves at once while the socket's buffer is below its
   * high-water mark, else once it has drained, so a loop that awaits each write never buffers
   * more than about one high-water mark (16 KiB by default) in the process.
   * @param data - bytes, or text sent as UTF-8.
   * @throws {ConnectionError} (rejection) `TCPUDP_ERR_CLOSED` after `end()` or once closed (the
   *   error that closed it, if any, is the `cause`); `TCPUDP_ERR_CONNECTION` when the socket fails
   *   before the write drains (`EPIPE`, `ECONNRESET`, … as `cause`). A failure after the promise
   *   resolved is reported by the next call, `closeError` and `'close'`.
   */
  write(data: string | Uint8Array): Promise<void> {
    if (this.#localEnded || this.#socket.destroyed) return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (): void => {
          this.#drainWaiters.delete(waiter);
          resolve();
        },
        reject: (error: unknown): void => {
          this.#drainWaiters.delete(waiter);
          reject(error);
        },
      };
      const accepted = this.#socket.write(data, (error) => {
        if (error)
          waiter.reject(
            this.#error ?? toTcpError(error, { operation: 'write', peer: this.peerName }),
          );
      });
      if (accepted) resolve();
      else this.#drainWaiters.add(waiter);
    });
  }

  #closedError(): ConnectionError {
    const why = this.#localEnded
      ? 'end() was already called: this side sent its FIN, and TCP cannot send after FIN'
      : `the connection is closed (${this.#reason ?? 'destroyed'})`;
    return new ConnectionError(
      'TCPUDP_ERR_CLOSED',
      `cannot write to ${this.peerName}: ${why}; open a new connection to send more`,
      this.#error ? { cause: this.#error } : undefined,
    );
  }

  /**
   * Graceful close: sends FIN after every pending write, keeps reading (chunks still reach
   * `'data'` listeners and iterators, or are discarded), and resolves when the peer's FIN has
   * arrived too and the socket is closed. The side that calls it first will hold TIME-WAIT.
   * @param options - a bound on the wait for the peer's FIN ({@link TcpEndOptions}).
   * @throws {TimeoutError} (rejection) `TCPUDP_ERR_TIMEOUT` when the peer's FIN did not come in time.
   * @throws {ConnectionError} (rejection) `TCPUDP_ERR_CONNECTION` when the connection failed
   *   meanwhile (for example reset by the peer).
   * @see RFC 9293 §3.6 (closing a connection) and §3.6.1 (half-closed connections)
   */
  end(options: TcpEndOptions = {}): Promise<void> {
    const timeoutMs = checkTcpTimeout('timeoutMs', options.timeoutMs ?? 0, true);
    if (!this.#localEnded && !this.#socket.destroyed) {
      this.#localEnded = true;
      this.#socket.end();
      this.#startReading();
      // Keep reading towards the peer's FIN, unless an iterator paused for its own backpressure.
      if (this.#iterators === 0 && this.#socket.isPaused()) this.#socket.resume();
      if (timeoutMs > 0) {
        this.#endTimer = setTimeout(() => {
          this.#abort(
            'timeout',
            new TimeoutError(
              'TCPUDP_ERR_TIMEOUT',
              `${this.peerName} did not close its side within ${timeoutMs} ms after our FIN; the socket was destroyed`,
              timeoutMs,
            ),
          );
        }, timeoutMs);
      }
    }
    return this.#closed.then((reason) => {
      if ((reason === 'error' || reason === 'timeout') && this.#error) throw this.#error;
    });
  }

  /**
   * Abortive close: sends RST instead of FIN and frees the socket at once; unsent data is
   * dropped, the peer sees `ECONNRESET`, and no TIME-WAIT is left behind. This is what
   * `SO_LINGER` with a zero timeout does in C (`socket.resetAndDestroy()` in Node).
   * @see RFC 9293 §3.5.2 (reset generation)
   */
  reset(): void {
    if (this.#socket.destroyed) return;
    this.#reason ??= 'reset';
    this.#socket.resetAndDestroy();
  }

  /**
   * Drops the connection now without RST ceremony: the kernel sends FIN if it can.
   * @param error - recorded as the close error (closeReason `'error'`), when given.
   */
  destroy(error?: TcpUdpError): void {
    if (this.#socket.destroyed) return;
    if (error) this.#abort('error', error);
    else {
      this.#reason ??= 'destroyed';
      this.#socket.destroy();
    }
  }

  /**
   * Reads the connection chunk by chunk until the peer's FIN. Reading pauses while
   * 16 chunks wait unconsumed. Throws the typed error if the connection
   * fails; ends quietly if this side resets or destroys it.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    const queue: Buffer[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    const onData = (chunk: Buffer): void => {
      queue.push(chunk);
      if (queue.length >= ITERATOR_HIGH_WATER) this.#socket.pause();
      wake?.();
    };
    const onDone = (): void => {
      finished = true;
      wake?.();
    };
    this.on('data', onData);
    this.on('end', onDone);
    this.#socket.once('close', onDone);
    if (this.#peerEnded || this.#isClosed) finished = true;
    this.#iterators++;
    try {
      for (;;) {
        const chunk = queue.shift();
        if (chunk !== undefined) {
          if (queue.length === 0 && this.#socket.isPaused()) this.#socket.resume();
          yield chunk;
          continue;
        }
        if (finished) {
          if (!this.#peerEnded && this.#error) throw this.#error;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      this.#iterators--;
      this.off('data', onData);
      this.off('end', onDone);
      this.#socket.off('close', onDone);
    }
  }

  #startReading(): void {
    if (this.#reading) return;
    this.#reading = true;
    this.#socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
  }

  #abort(reason: TcpCloseReason, error: TcpUdpError): void {
    if (this.#socket.destroyed) return;
    this.#reason ??= reason;
    this.#error ??= error;
    this.#socket.destroy();
  }
}
