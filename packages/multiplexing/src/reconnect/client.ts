/**
 * A reconnecting client: keeps one connection up through any transport, with exponential backoff
 * and full jitter between attempts, a give-up rule, a resume hook run on every (re)connection, a
 * bounded offline queue, and events a UI can show.
 */
import { EventEmitter } from 'node:events';
import { MultiplexingError } from '../errors.ts';
import { fullJitterDelayMs } from './backoff.ts';
import {
  type ReconnectConnection,
  type ReconnectingClientOptions,
  type ResolvedReconnectOptions,
  resolveReconnectOptions,
} from './options.ts';
import { OfflineQueue } from './queue.ts';

/** Where a {@link ReconnectingClient} is. */
export type ReconnectState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed';

/**
 * Why a connection ended: the peer ended it cleanly, it broke (an error, or a send that failed),
 * or `close()` was called.
 */
export type ReconnectDisconnectReason = 'peer-closed' | 'connection-error' | 'closed';

/** The events of a {@link ReconnectingClient}, each with what a UI needs to show it. */
export interface ReconnectingClientEvents<In, Out> {
  /** An attempt starts (`attempt` 1 is the first since the last connection). */
  connecting: [info: { attempt: number }];
  /** A connection is up and its `resume` hook has run; queued messages flush next. */
  connected: [info: { attempt: number; reconnect: boolean }];
  /** A connection ended; the client will retry unless the reason is `closed`. */
  disconnected: [info: { reason: ReconnectDisconnectReason; error?: Error }];
  /** The next attempt starts in `delayMs` ("retrying in 1.2 s"); `error` is why the last one failed. */
  retrying: [info: { attempt: number; delayMs: number; error: Error }];
  /** The give-up rule was met: the client is closed, and queued sends rejected with this error. */
  gaveUp: [error: MultiplexingError];
  /** A message arrived. */
  message: [message: In];
  /** A queued message was dropped to make room (`drop-oldest`); its send rejected. */
  dropped: [info: { message: Out; error: MultiplexingError }];
}

interface Entry<Out> {
  readonly message: Out;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * See {@link createReconnectingClient}. Call `start()` to connect, `send()` at any time, and
 * `close()` when done.
 */
export class ReconnectingClient<In = Buffer, Out = Uint8Array> extends EventEmitter<
  ReconnectingClientEvents<In, Out>
> {
  private readonly options: ResolvedReconnectOptions<In, Out>;
  private readonly queue: OfflineQueue<Entry<Out>>;
  private current: ReconnectConnection<In, Out> | undefined;
  private currentState: ReconnectState = 'idle';
  private flushing = false;
  private everConnected = false;
  private sleepTimer: unknown;
  private wakeSleep: (() => void) | undefined;
  private attemptController: AbortController | undefined;
  private running: Promise<void> | undefined;
  /** Why the client is closed: `MULTIPLEXING_ERR_CLOSED`, or the `GAVE_UP` error. */
  private closedError: MultiplexingError | undefined;

  /** @internal Use {@link createReconnectingClient}. */
  constructor(options: ReconnectingClientOptions<In, Out>) {
    super();
    this.options = resolveReconnectOptions(options);
    this.queue = new OfflineQueue(
      this.options.maxQueuedMessages,
      this.options.maxQueuedBytes,
      this.options.queueFullPolicy,
    );
  }

  /** Where the client is now. */
  get state(): ReconnectState {
    return this.currentState;
  }

  /** Messages waiting for a connection. */
  get queuedMessages(): number {
    return this.queue.length;
  }

  /** Bytes waiting for a connection (as `sizeOf` counts them). */
  get queuedBytes(): number {
    return this.queue.bytes;
  }

  /**
   * Starts connecting (at once, then as the backoff says). Calling it again does nothing.
   * @returns The client, for chaining.
   */
  start(): this {
    if (this.currentState === 'idle') this.running = this.run();
    return this;
  }

  /**
   * Sends a message through the queue: written at once when connected and nothing waits before
   * it, else kept (in order, within `maxQueuedMessages` and `maxQueuedBytes`) until the
   * connection drains or, offline, until the next connection, after `resume`. Messages go out
   * one at a time, so when a write fails, only that message is lost with the connection.
   * @returns Resolves once a connection took the message.
   * @throws {MultiplexingError} (rejects) `MULTIPLEXING_ERR_LIMIT_EXCEEDED` when the queue is
   *   full (`reject` policy) or the message was dropped to make room (`drop-oldest`);
   *   `MULTIPLEXING_ERR_CONNECTION` when the connection broke while writing it (it may or may
   *   not have reached the peer; the messages behind it wait for the next connection);
   *   `MULTIPLEXING_ERR_CLOSED` after `close()`; `MULTIPLEXING_ERR_GAVE_UP` once the client gave up.
   */
  send(message: Out): Promise<void> {
    if (this.currentState === 'closed') {
      return Promise.reject(this.closedError ?? closedError());
    }
    return new Promise<void>((resolve, reject) => {
      const bytes = this.options.sizeOf(message);
      const result = this.queue.push({ message, resolve, reject }, bytes);
      if (!result.accepted) {
        reject(new MultiplexingError('MULTIPLEXING_ERR_LIMIT_EXCEEDED', result.why));
        return;
      }
      for (const { message: old } of result.dropped) {
        const error = new MultiplexingError(
          'MULTIPLEXING_ERR_LIMIT_EXCEEDED',
          `dropped from the full offline queue (maxQueuedMessages ${this.queue.maxMessages}, maxQueuedBytes ${this.queue.maxBytes}) to make room for a newer message`,
        );
        old.reject(error);
        this.emit('dropped', { message: old.message, error });
      }
      if (this.currentState === 'connected' && !this.flushing) void this.flush();
    });
  }

  /**
   * Stops for good: cancels a wait or an attempt, closes the connection, and rejects queued
   * sends with `MULTIPLEXING_ERR_CLOSED`. Resolves once the client has stopped.
   */
  async close(): Promise<void> {
    if (this.currentState !== 'closed') this.stop(closedError());
    await this.running;
  }

  /** Enters `closed`: rejects the queue with `error` and interrupts whatever the loop awaits. */
  private stop(error: MultiplexingError): void {
    const wasConnected = this.currentState === 'connected';
    this.currentState = 'closed';
    this.closedError = error;
    for (const { message } of this.queue.clear()) message.reject(error);
    if (this.sleepTimer !== undefined) this.options.timers.clearTimeout(this.sleepTimer);
    this.wakeSleep?.();
    this.attemptController?.abort();
    const connection = this.current;
    this.current = undefined;
    connection?.close();
    if (wasConnected) this.emit('disconnected', { reason: 'closed' });
  }

  private get stopped(): boolean {
    return this.currentState === 'closed';
  }

  /** The connection loop: connect, serve until lost, back off, again; until closed or given up. */
  private async run(): Promise<void> {
    const { timers, maxAttempts, reconnectTimeoutMs } = this.options;
    let failures = 0; // attempts failed since the last connection
    let retries = 0; // waits since the last connection: the backoff exponent
    let lostAt = timers.now();
    let lastError: Error | undefined;
    while (!this.stopped) {
      if (lastError !== undefined) {
        // Decide whether to try again, and when.
        const elapsed = timers.now() - lostAt;
        const delayMs = fullJitterDelayMs(retries++, this.options, this.options.random);
        const attemptsLeft = maxAttempts === 0 || failures < maxAttempts;
        const timeLeft = reconnectTimeoutMs === 0 || elapsed + delayMs <= reconnectTimeoutMs;
        if (!attemptsLeft || !timeLeft) {
          const rule = attemptsLeft
            ? `reconnectTimeoutMs ${reconnectTimeoutMs} would pass before the next attempt`
            : `maxAttempts ${maxAttempts} failed`;
          const error = new MultiplexingError(
            'MULTIPLEXING_ERR_GAVE_UP',
            `gave up reconnecting after ${failures} failed attempt(s) in ${Math.round(elapsed)} ms (${rule}); last error: ${lastError.message}`,
            { cause: lastError },
          );
          this.stop(error);
          this.emit('gaveUp', error);
          return;
        }
        this.currentState = 'waiting';
        this.emit('retrying', { attempt: failures + 1, delayMs, error: lastError });
        await this.sleep(delayMs);
        if (this.stopped) return;
      }
      const attempt = failures + 1;
      const connection = await this.attempt(attempt).catch((err: unknown) => {
        lastError = asError(err);
        return undefined;
      });
      if (this.stopped) {
        connection?.close();
        return;
      }
      if (connection === undefined) {
        failures++;
        continue;
      }
      // Connected: read, resume, then flush the queue, and serve until the connection ends.
      // `current` is set (state still `connecting`) so that close() during resume closes it.
      this.current = connection;
      const reconnect = this.everConnected;
      const ended = this.read(connection);
      try {
        await this.options.resume?.(connection, { attempt, reconnect });
      } catch (err) {
        this.current = undefined;
        connection.close();
        await ended;
        lastError = new MultiplexingError(
          'MULTIPLEXING_ERR_CONNECTION',
          `the resume hook failed: ${asError(err).message}`,
          { cause: err },
        );
        failures++;
        continue;
      }
      if (this.stopped) return;
      this.currentState = 'connected';
      this.everConnected = true;
      failures = 0;
      retries = 0;
      this.emit('connected', { attempt, reconnect });
      void this.flush();
      const loss = await ended;
      if (this.stopped) return;
      // The peer ended (or it broke): release our side too, or a half-open socket lingers.
      connection.close();
      this.current = undefined;
      this.currentState = 'waiting';
      lostAt = timers.now();
      lastError =
        loss ??
        new MultiplexingError('MULTIPLEXING_ERR_CONNECTION', 'the peer closed the connection');
      this.emit(
        'disconnected',
        loss === undefined
          ? { reason: 'peer-closed' }
          : { reason: 'connection-error', error: loss },
      );
    }
  }

  /** One attempt, bounded by `connectTimeoutMs`. */
  private async attempt(attempt: number): Promise<ReconnectConnection<In, Out>> {
    const { timers, connectTimeoutMs } = this.options;
    const controller = new AbortController();
    this.attemptController = controller;
    this.currentState = 'connecting';
    this.emit('connecting', { attempt });
    let timer: unknown;
    let connecting: Promise<ReconnectConnection<In, Out>> | undefined;
    try {
      const givenUp = new Promise<never>((_, reject) => {
        timer = timers.setTimeout(() => {
          reject(
            new MultiplexingError(
              'MULTIPLEXING_ERR_CONNECTION',
              `attempt ${attempt} took longer than connectTimeoutMs ${connectTimeoutMs}`,
            ),
          );
          controller.abort();
        }, connectTimeoutMs);
        // close() aborts the attempt: stop waiting even for a connect() that ignores its signal.
        controller.signal.addEventListener('abort', () => reject(closedError()), { once: true });
      });
      connecting = Promise.resolve(this.options.connect({ attempt, signal: controller.signal }));
      return await Promise.race([connecting, givenUp]);
    } catch (err) {
      // A connection that arrives after its attempt was abandoned is closed at once.
      connecting?.then((late) => late.close()).catch(() => {});
      throw err;
    } finally {
      timers.clearTimeout(timer);
      this.attemptController = undefined;
    }
  }

  /** Emits every message received; resolves with the error that broke the connection, if any. */
  private async read(connection: ReconnectConnection<In, Out>): Promise<Error | undefined> {
    try {
      for await (const message of connection) {
        if (this.stopped) break;
        this.emit('message', message);
      }
      return undefined;
    } catch (err) {
      return asError(err);
    }
  }

  /** Writes one message; a failure closes the connection, so the loop reconnects. */
  private async write(connection: ReconnectConnection<In, Out>, message: Out): Promise<void> {
    try {
      await connection.send(message);
    } catch (err) {
      // No later message may go to this connection: later sends queue for the next one.
      if (this.current === connection) this.current = undefined;
      connection.close();
      throw new MultiplexingError(
        'MULTIPLEXING_ERR_CONNECTION',
        `the connection broke while sending: ${asError(err).message}`,
        { cause: err },
      );
    }
  }

  /** Sends the queued messages in order while the same connection is up. */
  private async flush(): Promise<void> {
    const connection = this.current;
    if (this.flushing || connection === undefined) return;
    this.flushing = true;
    try {
      while (this.current === connection && this.currentState === 'connected') {
        const head = this.queue.shift();
        if (head === undefined) break;
        try {
          await this.write(connection, head.message.message);
          head.message.resolve();
        } catch (err) {
          head.message.reject(err as Error);
          break;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeSleep = resolve;
      this.sleepTimer = this.options.timers.setTimeout(() => {
        this.sleepTimer = undefined;
        this.wakeSleep = undefined;
        resolve();
      }, ms);
    });
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function closedError(): MultiplexingError {
  return new MultiplexingError('MULTIPLEXING_ERR_CLOSED', 'the reconnecting client is closed');
}

/**
 * Creates a client that keeps a connection up through any transport: `connect()` makes one,
 * and after a failure or a loss the client waits a full-jitter exponential backoff (random in
 * `[0, min(maxDelayMs, baseDelayMs × 2^n)]`, Marc Brooker's "Exponential Backoff And Jitter")
 * and tries again, until `maxAttempts` failures in a row or `reconnectTimeoutMs` without a
 * connection (`MULTIPLEXING_ERR_GAVE_UP`). On every connection the `resume` hook runs first
 * (subscribe again, resume a session), then the messages sent while offline flush in order.
 * Nothing happens until `start()`.
 *
 * @throws {TypeError}/{RangeError} synchronously for a bad option.
 * @example
 * ```ts
 * const client = createReconnectingClient({
 *   connect: createFramedConnector({ host: '127.0.0.1', port: 7000 }, { codec: lineCodec() }),
 *   resume: (connection) => connection.send(encodeLineText('/join lobby')),
 *   maxAttempts: 10,
 * });
 * client.on('retrying', ({ delayMs }) => console.log(`retrying in ${delayMs} ms`));
 * client.on('message', (line) => console.log(decodeLineText(line)));
 * client.start();
 * await client.send(encodeLineText('hello'));
 * ```
 */
export function createReconnectingClient<In = Buffer, Out = Uint8Array>(
  options: ReconnectingClientOptions<In, Out>,
): ReconnectingClient<In, Out> {
  return new ReconnectingClient(options);
}
