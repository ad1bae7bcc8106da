import net from 'node:net';
import { checkInteger } from '@socketlab/internal';
import { formatEndpoint } from '../addresses/index.ts';
import { BasicsError, quoteInput } from '../errors.ts';
import { splitLines } from '../lines/index.ts';
import { checkTimeoutMs } from '../options.ts';
import {
  type CloseEvent,
  type FiveTuple,
  type LifecycleClock,
  type LifecycleCloseReason,
  type LifecycleEvent,
  type LifecycleEventInput,
  stampEvent,
  tryFiveTuple,
} from './event.ts';
import { checkClock, checkHost, DEFAULT_LIFECYCLE_CLOCK, socketFailure } from './options.ts';

/** Options of {@link connectEchoClient} and {@link echoOnce}. */
export interface EchoClientOptions {
  /** Source of the events' `at` times, in milliseconds. @default performance.now */
  readonly clock?: LifecycleClock;
  /** Bound on connecting, on each reply, and on the closing handshake. @default 5000 */
  readonly timeoutMs?: number;
  /** The longest reply line accepted, without its `\n`. @default 65536 */
  readonly maxReplyBytes?: number;
  /** Called with each event as it happens (the demo prints them live); must not throw. */
  readonly onEvent?: (event: LifecycleEvent) => void;
  /**
   * Keep every event in {@link EchoClient.events}. Off, and with no `onEvent`, no event is built
   * at all (no clock read, no object): a client that nobody watches costs what a plain socket
   * does, and a long-lived one does not grow a list. `echoOnce()` always records.
   * @default false
   */
  readonly recordEvents?: boolean;
}

interface Waiter {
  resolve(line: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

let nextClientId = 1;

const CARRIAGE_RETURN = 0x0d;

/**
 * A line client of an echo server that reports its own socket lifecycle: create, connect, send,
 * receive, half-close, close, to `onEvent` and (with `recordEvents`) into {@link EchoClient.events}.
 * With neither, no event is built but the close event `end()` and `closed` settle with. Made by
 * {@link connectEchoClient}.
 *
 * @example
 * ```ts
 * const client = await connectEchoClient('127.0.0.1', port, { onEvent: (e) => console.log(e.step) });
 * console.log(client.tuple); // { protocol: 'tcp', localAddress: '127.0.0.1', localPort: 53122, … }
 * await client.echo('hi');   // 'hi'
 * await client.end();
 * ```
 */
export class EchoClient {
  readonly #socket: net.Socket;
  readonly #id = nextClientId++;
  readonly #clock: LifecycleClock;
  readonly #timeoutMs: number;
  readonly #maxReplyBytes: number;
  readonly #onEvent: ((event: LifecycleEvent) => void) | undefined;
  readonly #recordEvents: boolean;
  /** True when an event has somewhere to go: `onEvent` or `recordEvents`. */
  readonly #watched: boolean;
  readonly #events: LifecycleEvent[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #ready: Array<{ text: string; bytes: number }> = [];
  readonly #closed: Promise<CloseEvent>;
  #tuple: FiveTuple | undefined;
  #pending: Buffer = Buffer.alloc(0);
  #readyBytes = 0;
  #reason: LifecycleCloseReason | undefined;
  #error: Error | undefined;
  #finSent = false;
  #peerEnded = false;
  #connectCalled = false;

  /** @internal Use {@link connectEchoClient}. */
  constructor(options: Required<Omit<EchoClientOptions, 'onEvent'>> & EchoClientOptions) {
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs;
    this.#maxReplyBytes = options.maxReplyBytes;
    this.#onEvent = options.onEvent;
    this.#recordEvents = options.recordEvents;
    this.#watched = this.#recordEvents || this.#onEvent !== undefined;
    this.#socket = new net.Socket({ allowHalfOpen: true });
    if (this.#watched) {
      this.#emit({ step: 'create', detail: 'socket(): not connected to anything yet' });
    }
    this.#closed = new Promise((resolve) => {
      this.#socket.once('close', (hadError) => resolve(this.#onClose(hadError)));
    });
    this.#socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#error ??= error;
      this.#reason ??= 'error';
      if (this.#watched) this.#emit({ step: 'error', error, code: error.code });
      this.#failWaiters(
        new BasicsError(
          'BASICS_ERR_CONNECTION',
          `the connection failed: ${error.code ?? error.message}`,
          {
            cause: error,
          },
        ),
      );
    });
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('end', () => this.#onEnd());
  }

  /** The connection's number among this process's clients (for matching up log lines). */
  get connectionId(): number {
    return this.#id;
  }

  /** The 5-tuple, once connected. */
  get tuple(): FiveTuple | undefined {
    return this.#tuple;
  }

  /** Every event so far, oldest first, when `recordEvents` is on (empty otherwise). */
  get events(): readonly LifecycleEvent[] {
    return this.#events;
  }

  /** Settles with the close event once the socket is gone; never rejects. */
  get closed(): Promise<CloseEvent> {
    return this.#closed;
  }

  /**
   * @internal Connects, once; {@link connectEchoClient} calls it.
   * @throws {BasicsError} (rejection) `BASICS_ERR_CONNECTION` when called a second time.
   */
  async connect(host: string, port: number): Promise<this> {
    if (this.#connectCalled) {
      throw new BasicsError('BASICS_ERR_CONNECTION', 'this echo client already connected once');
    }
    this.#connectCalled = true;
    const socket = this.#socket;
    const where = formatEndpoint({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#reason = 'timeout';
        socket.destroy();
        reject(
          new BasicsError(
            'BASICS_ERR_TIMEOUT',
            `no connection to ${where} within ${this.#timeoutMs} ms`,
          ),
        );
      }, this.#timeoutMs);
      const onError = (error: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        reject(socketFailure(`could not connect to ${where}`, error));
      };
      socket.once('error', onError);
      socket.connect({ host, port }, () => {
        clearTimeout(timer);
        socket.off('error', onError);
        this.#tuple = tryFiveTuple(socket);
        if (this.#watched) {
          this.#emit({
            step: 'connect',
            detail: `handshake done; implicit bind: the kernel picked local port ${socket.localPort ?? '?'}`,
          });
        }
        resolve();
      });
    });
    return this;
  }

  /**
   * Sends `line` followed by `\n` and resolves with the next line the server sends back
   * (without its `\n`, and without a `\r` just before it). Calls may overlap: replies are
   * matched to requests in order. The reply is not compared with `line`: an {@link EchoServer}
   * answers a line over its `maxLineBytes` with `ERR line too long: max N bytes`, then closes.
   *
   * @throws {TypeError} (synchronously) when `line` is not a string or contains `\n`;
   *   {RangeError} when it is longer than `maxReplyBytes`.
   * @throws {BasicsError} (rejection) `BASICS_ERR_TIMEOUT` when no reply comes within `timeoutMs`
   *   (the connection is then destroyed), `BASICS_ERR_CONNECTION` when the connection fails or
   *   closes first, `BASICS_ERR_LIMIT_EXCEEDED` when a reply line exceeds `maxReplyBytes`.
   */
  echo(line: string): Promise<string> {
    const bytes = checkLine(line, this.#maxReplyBytes);
    if (this.#finSent || this.#peerEnded || this.#socket.destroyed) {
      return Promise.reject(
        new BasicsError(
          'BASICS_ERR_CONNECTION',
          `cannot send ${quoteInput(line)}: the connection is closing`,
        ),
      );
    }
    const reply = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#reason ??= 'timeout';
        const error = new BasicsError(
          'BASICS_ERR_TIMEOUT',
          `no reply to ${quoteInput(line)} within ${this.#timeoutMs} ms`,
        );
        this.#failWaiters(error);
        this.#socket.destroy();
      }, this.#timeoutMs);
      this.#waiters.push({ resolve, reject, timer });
    });
    if (this.#watched) {
      this.#socket.write(`${line}\n`, (error) => {
        if (!error) this.#emit({ step: 'send', bytes: bytes + 1 });
      });
    } else {
      this.#socket.write(`${line}\n`);
    }
    this.#deliver();
    return reply;
  }

  /**
   * Half-closes (sends FIN: "no more from me"), keeps reading until the server closes too, and
   * resolves with the close event. After `timeoutMs` without the server's FIN, destroys the socket.
   */
  end(): Promise<CloseEvent> {
    this.#sendFin();
    const timer = setTimeout(() => {
      this.#reason ??= 'timeout';
      this.#socket.destroy();
    }, this.#timeoutMs);
    return this.#closed.finally(() => clearTimeout(timer));
  }

  /** Closes at once, without the FIN handshake. Safe to call more than once. */
  destroy(): void {
    if (this.#socket.destroyed) return;
    this.#reason ??= 'destroyed';
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#watched) this.#emit({ step: 'receive', bytes: chunk.length });
    const { lines, rest, overflow } = splitLines(this.#pending, chunk, this.#maxReplyBytes);
    this.#pending = rest;
    for (const line of lines) {
      // A complete line ends in \n; a \r just before it goes too (bytes, not a regex on text).
      let end = line.length - 1;
      if (end > 0 && line[end - 1] === CARRIAGE_RETURN) end--;
      const text = line.toString('utf8', 0, end);
      this.#ready.push({ text, bytes: line.length });
      this.#readyBytes += line.length;
    }
    this.#deliver();
    // Lines nobody asked for are kept, but only up to maxReplyBytes.
    if (overflow || this.#readyBytes > this.#maxReplyBytes) this.#overflow();
  }

  #overflow(): void {
    const error = new BasicsError(
      'BASICS_ERR_LIMIT_EXCEEDED',
      `the server sent more than maxReplyBytes (${this.#maxReplyBytes} bytes) without being asked, or a longer line`,
    );
    this.#reason = 'line-too-long';
    this.#error = error;
    if (this.#watched) this.#emit({ step: 'error', error, code: error.code });
    this.#failWaiters(error);
    this.#socket.destroy();
  }

  #deliver(): void {
    while (this.#waiters.length > 0 && this.#ready.length > 0) {
      const waiter = this.#waiters.shift() as Waiter;
      const line = this.#ready.shift() as { text: string; bytes: number };
      this.#readyBytes -= line.bytes;
      clearTimeout(waiter.timer);
      waiter.resolve(line.text);
    }
  }

  #onEnd(): void {
    this.#peerEnded = true;
    if (this.#watched) this.#emit({ step: 'half-close', by: 'peer' });
    const partial =
      this.#pending.length > 0
        ? ` (an unfinished line: ${quoteInput(this.#pending.toString('utf8'))})`
        : '';
    this.#failWaiters(
      new BasicsError(
        'BASICS_ERR_CONNECTION',
        `the server closed the connection before replying${partial}`,
      ),
    );
    this.#sendFin();
  }

  #sendFin(): void {
    if (this.#finSent || this.#socket.destroyed) return;
    this.#finSent = true;
    this.#socket.once('finish', () => {
      if (this.#watched) this.#emit({ step: 'half-close', by: 'local' });
    });
    this.#socket.end();
  }

  #failWaiters(error: Error): void {
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  #onClose(hadError: boolean): CloseEvent {
    this.#failWaiters(
      new BasicsError('BASICS_ERR_CONNECTION', 'the connection closed before the reply'),
    );
    const reason = this.#reason ?? (hadError ? 'error' : 'normal');
    // Built even when nobody watches: `closed` and `end()` settle with it (once per connection).
    const event = stampEvent('client', this.#clock(), this.#id, this.#tuple, {
      step: 'close',
      clean: !hadError && this.#error === undefined && reason === 'normal',
      reason,
      ...(this.#error ? { error: this.#error } : {}),
    });
    if (this.#watched) this.#deliverEvent(event);
    return event as CloseEvent;
  }

  /** Builds and delivers one event; callers check `#watched` first, so unwatched steps cost nothing. */
  #emit(input: LifecycleEventInput): void {
    this.#deliverEvent(stampEvent('client', this.#clock(), this.#id, this.#tuple, input));
  }

  #deliverEvent(event: LifecycleEvent): void {
    if (this.#recordEvents) this.#events.push(event);
    this.#onEvent?.(event);
  }
}

function checkLine(line: unknown, maxBytes: number): number {
  if (typeof line !== 'string')
    throw new TypeError(`the line must be a string, got ${typeof line}`);
  if (line.includes('\n')) {
    throw new TypeError(
      `the line must not contain \\n (one line at a time), got ${quoteInput(line)}`,
    );
  }
  const bytes = Buffer.byteLength(line);
  if (bytes > maxBytes) {
    throw new RangeError(
      `the line is ${bytes} bytes but maxReplyBytes is ${maxBytes}: its echo could not be accepted`,
    );
  }
  return bytes;
}

function resolveOptions(options: EchoClientOptions): ConstructorParameters<typeof EchoClient>[0] {
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new TypeError(`onEvent must be a function, got ${typeof options.onEvent}`);
  }
  if (options.recordEvents !== undefined && typeof options.recordEvents !== 'boolean') {
    throw new TypeError(`recordEvents must be a boolean, got ${typeof options.recordEvents}`);
  }
  return {
    ...options,
    recordEvents: options.recordEvents ?? false,
    clock: checkClock(options.clock ?? DEFAULT_LIFECYCLE_CLOCK),
    timeoutMs: checkTimeoutMs(options.timeoutMs ?? 5000),
    maxReplyBytes: checkInteger('maxReplyBytes', options.maxReplyBytes ?? 65_536, 1, 2 ** 26),
  };
}

/**
 * Opens a connection to a line echo server and resolves once the handshake is done, with a
 * client that reports its lifecycle to `onEvent` and records it when `recordEvents` is on.
 *
 * @param host - Host name or IP address of the server.
 * @param port - Its port, 1–65535.
 * @param options - Clock, bounds and a live event callback ({@link EchoClientOptions}).
 * @throws {TypeError}/{RangeError} (synchronously) for a bad host, port or option.
 * @throws {BasicsError} (rejection) `BASICS_ERR_CONNECTION` when the connection fails
 *   (`ECONNREFUSED`: nothing listens there; the system error is the `cause`), `BASICS_ERR_DNS`
 *   when the host name does not resolve, `BASICS_ERR_TIMEOUT` when it takes longer than `timeoutMs`.
 * @example
 * ```ts
 * const client = await connectEchoClient('127.0.0.1', port);
 * await client.echo('one'); // 'one'
 * await client.echo('two'); // 'two'
 * await client.end();       // { step: 'close', clean: true, reason: 'normal', … }
 * ```
 */
export function connectEchoClient(
  host: string,
  port: number,
  options: EchoClientOptions = {},
): Promise<EchoClient> {
  checkHost('host', host);
  checkInteger('port', port, 1, 65_535);
  return new EchoClient(resolveOptions(options)).connect(host, port);
}

/** What {@link echoOnce} resolves with. */
export interface EchoOnceResult {
  /** The line the server sent back, without its `\n`. */
  readonly reply: string;
  /** The client's own lifecycle, from create to close. */
  readonly events: readonly LifecycleEvent[];
  /** The connection's 5-tuple. */
  readonly tuple: FiveTuple;
  /** How the connection ended. */
  readonly close: CloseEvent;
}

/**
 * The whole client lifecycle in one call: connect, send `message` and a `\n`, read the reply
 * line, half-close, wait for the server to close, and report every step.
 *
 * @param host - Host name or IP address of the server.
 * @param port - Its port, 1–65535.
 * @param message - One line, without `\n`.
 * @param options - Clock, bounds and a live event callback ({@link EchoClientOptions}).
 * @throws {TypeError}/{RangeError} (synchronously) for a bad host, port, message or option.
 * @throws {BasicsError} (rejection) `BASICS_ERR_CONNECTION`, `BASICS_ERR_DNS`,
 *   `BASICS_ERR_TIMEOUT` or `BASICS_ERR_LIMIT_EXCEEDED`, as {@link connectEchoClient} and
 *   {@link EchoClient.echo} explain.
 * @example
 * ```ts
 * const { reply, events } = await echoOnce('127.0.0.1', port, 'hello');
 * reply; // 'hello'
 * events.map((e) => e.step);
 * // ['create', 'connect', 'send', 'receive', 'half-close', 'half-close', 'close']
 * ```
 */
export function echoOnce(
  host: string,
  port: number,
  message: string,
  options: EchoClientOptions = {},
): Promise<EchoOnceResult> {
  const resolved = resolveOptions(options);
  checkLine(message, resolved.maxReplyBytes);
  const connecting = connectEchoClient(host, port, { ...options, recordEvents: true });
  return (async () => {
    const client = await connecting;
    try {
      const reply = await client.echo(message);
      const close = await client.end();
      return { reply, events: [...client.events], tuple: client.tuple as FiveTuple, close };
    } catch (error) {
      client.destroy();
      throw error;
    }
  })();
}
