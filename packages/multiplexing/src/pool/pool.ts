/**
 * A client-side connection pool: at most `maxSize` connections to one server, lent to one
 * caller at a time, with a bounded FIFO queue of callers waiting for one. Transport-agnostic:
 * it opens connections only through the `connect` function it is given.
 */
import { EventEmitter } from 'node:events';
import { checkInteger, TIMER_MAX_MS } from '@socketlab/internal';
import {
  type ConnectionPoolOptions,
  type PoolableConnection,
  type ResolvedPoolOptions,
  resolvePoolOptions,
} from './options.ts';
import {
  acquireTimeoutError,
  closedError,
  connectError,
  connectTimeoutError,
  queueFullError,
} from './pool-errors.ts';
import type {
  ConnectionPoolEvents,
  ConnectionPoolStats,
  PoolCloseReport,
  PoolDestroyReason,
} from './types.ts';

interface Entry<C> {
  readonly connection: C;
  readonly createdAt: number;
  uses: number;
  state: 'idle' | 'borrowed';
  idleTimer: unknown;
  readonly onClose: () => void;
}

interface Waiter<C> {
  resolve(connection: C): void;
  reject(error: Error): void;
  timer: unknown;
}

/**
 * The pool itself; make one with {@link createConnectionPool}. Idle connections are lent most
 * recently used first, so surplus ones stay unused and age out after `idleTimeoutMs`.
 */
export class ConnectionPool<C extends PoolableConnection> extends EventEmitter<
  ConnectionPoolEvents<C>
> {
  readonly #o: ResolvedPoolOptions<C>;
  readonly #entries = new Map<C, Entry<C>>();
  readonly #idle: Entry<C>[] = [];
  readonly #waiters: Waiter<C>[] = [];
  readonly #connects = new Set<AbortController>();
  #borrowed = 0;
  #validating = 0;
  #created = 0;
  #destroyed = 0;
  #closing: Promise<PoolCloseReport> | undefined;
  #onBorrowedGone: (() => void) | undefined;

  /** @see createConnectionPool for the options and the errors. */
  constructor(options: ConnectionPoolOptions<C>) {
    super();
    this.#o = resolvePoolOptions(options);
    this.#fill();
  }

  /** The counts now: size, idle, borrowed, connecting, waiting, created, destroyed. */
  get stats(): ConnectionPoolStats {
    return {
      size: this.#entries.size,
      idle: this.#idle.length,
      borrowed: this.#borrowed,
      connecting: this.#connects.size,
      waiting: this.#waiters.length,
      created: this.#created,
      destroyed: this.#destroyed,
    };
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Borrows a connection: an idle one that is still open (and passes `validate`), else a new
   * one while under `maxSize`, else waits in FIFO order for one to be released.
   * @throws {MultiplexingError} (rejects) `MULTIPLEXING_ERR_LIMIT_EXCEEDED` when `maxWaiting`
   *   acquires already wait; `MULTIPLEXING_ERR_TIMEOUT` after `acquireTimeoutMs`;
   *   `MULTIPLEXING_ERR_CLOSED` once the pool is closed; `MULTIPLEXING_ERR_CONNECTION` when the
   *   connect made for this acquire failed (the connect function's error is its `cause`).
   */
  acquire(): Promise<C> {
    if (this.#closing !== undefined) return Promise.reject(closedError());
    return new Promise<C>((resolve, reject) => {
      const waiter: Waiter<C> = { resolve, reject, timer: undefined };
      this.#waiters.push(waiter);
      this.#dispatch();
      this.#fill(); // taking an idle one may leave fewer than minIdle
      if (!this.#waiters.includes(waiter)) return;
      // Waiters a connection is being opened or validated for are not queued: count the others.
      const queued = this.#waiters.length - this.#connects.size - this.#validating;
      if (queued > this.#o.maxWaiting) {
        this.#removeWaiter(waiter);
        reject(queueFullError(this.#o.maxSize, this.#o.maxWaiting));
        return;
      }
      waiter.timer = this.#o.clock.setTimeout(() => {
        this.#removeWaiter(waiter);
        reject(acquireTimeoutError(this.#o.acquireTimeoutMs, this.#borrowed, this.#o.maxSize));
      }, this.#o.acquireTimeoutMs);
    });
  }

  /**
   * Gives a borrowed connection back. It is dropped instead when it closed meanwhile, reached
   * `maxUses` or `maxLifetimeMs`, or the pool is closing.
   * @throws {TypeError} for a connection this pool did not lend or that was already released
   *   (ignored once the pool is closed: the deadline may have taken it already).
   */
  release(connection: C): void {
    const entry = this.#borrowedEntry(connection, 'release');
    if (entry === undefined) return;
    this.#borrowed--;
    const reason = this.#retireReason(entry, 'closed-while-borrowed');
    if (reason !== undefined) this.#drop(entry, reason);
    else this.#makeIdle(entry);
    this.#afterChange();
  }

  /**
   * Drops a borrowed connection (it is broken, or its state is unknown) instead of releasing it.
   * @throws {TypeError} as {@link ConnectionPool.release}.
   */
  destroy(connection: C): void {
    this.#destroyBorrowed(connection, 'destroyed');
  }

  #destroyBorrowed(connection: C, reason: PoolDestroyReason): void {
    const entry = this.#borrowedEntry(connection, 'destroy');
    if (entry === undefined) return;
    this.#borrowed--;
    this.#drop(entry, reason);
    this.#afterChange();
  }

  /**
   * Borrows a connection, runs `fn` with it and always gives it back: released when `fn`
   * settles, destroyed when `fn` threw a connection-level error (`isConnectionError`) or the
   * connection closed. Resolves or rejects as `fn` did.
   * @throws whatever {@link ConnectionPool.acquire} or `fn` throws.
   * @example const reply = await pool.use((conn) => conn.request(Buffer.from('ping')));
   */
  async use<T>(fn: (connection: C) => T | Promise<T>): Promise<T> {
    const connection = await this.acquire();
    let result: T;
    try {
      result = await fn(connection);
    } catch (error) {
      if (this.#o.isConnectionError(error) || connection.closed) {
        this.#destroyBorrowed(connection, 'connection-error');
      } else this.release(connection);
      throw error;
    }
    this.release(connection);
    return result;
  }

  /**
   * Closes the pool: waiting acquires reject with `MULTIPLEXING_ERR_CLOSED`, idle connections
   * close now, borrowed ones close as they are released or, at `timeoutMs`, under their borrower.
   * Calling it again returns the same promise.
   * @param options.timeoutMs - how long to wait for borrowed connections. @default 5000
   */
  close({ timeoutMs = 5_000 }: { timeoutMs?: number } = {}): Promise<PoolCloseReport> {
    if (this.#closing !== undefined) return this.#closing;
    checkInteger('timeoutMs', timeoutMs, 0, TIMER_MAX_MS);
    for (const waiter of this.#waiters.splice(0)) {
      this.#o.clock.clearTimeout(waiter.timer);
      waiter.reject(closedError());
    }
    for (const controller of this.#connects) controller.abort(closedError());
    for (const entry of this.#idle.splice(0)) this.#drop(entry, 'pool-closed');
    const outAtClose = this.#borrowed;
    this.#closing = new Promise<PoolCloseReport>((resolve) => {
      if (this.#borrowed === 0) {
        resolve({ released: outAtClose, destroyedAtDeadline: 0 });
        return;
      }
      const timer = this.#o.clock.setTimeout(() => {
        const left = [...this.#entries.values()];
        this.#onBorrowedGone = undefined;
        for (const entry of left) this.#drop(entry, 'pool-closed');
        this.#borrowed = 0;
        resolve({ released: outAtClose - left.length, destroyedAtDeadline: left.length });
      }, timeoutMs);
      this.#onBorrowedGone = () => {
        this.#o.clock.clearTimeout(timer);
        resolve({ released: outAtClose, destroyedAtDeadline: 0 });
      };
    });
    return this.#closing;
  }

  #borrowedEntry(connection: C, verb: string): Entry<C> | undefined {
    const entry = this.#entries.get(connection);
    if (entry !== undefined && entry.state === 'borrowed') return entry;
    if (this.#closing !== undefined) return undefined;
    throw new TypeError(
      `${verb}() was given a connection this pool did not lend, or one already given back`,
    );
  }

  /** Why `entry` must not be lent (again), or undefined when it may. */
  #retireReason(entry: Entry<C>, closedReason: PoolDestroyReason): PoolDestroyReason | undefined {
    if (this.#closing !== undefined) return 'pool-closed';
    if (entry.connection.closed) return closedReason;
    if (this.#o.maxUses > 0 && entry.uses >= this.#o.maxUses) return 'max-uses';
    const age = this.#o.clock.now() - entry.createdAt;
    if (this.#o.maxLifetimeMs > 0 && age >= this.#o.maxLifetimeMs) return 'max-lifetime';
    return undefined;
  }

  #makeIdle(entry: Entry<C>): void {
    entry.state = 'idle';
    this.#idle.push(entry);
    if (this.#o.idleTimeoutMs > 0) this.#armIdleTimer(entry);
  }

  #armIdleTimer(entry: Entry<C>): void {
    entry.idleTimer = this.#o.clock.setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.state !== 'idle' || !this.#idle.includes(entry)) return;
      if (this.#idle.length <= this.#o.minIdle) {
        this.#armIdleTimer(entry); // kept: minIdle wins over the idle timeout
        return;
      }
      this.#idle.splice(this.#idle.indexOf(entry), 1);
      this.#drop(entry, 'idle-timeout');
    }, this.#o.idleTimeoutMs);
  }

  /** Removes `entry` for good and closes its connection. */
  #drop(entry: Entry<C>, reason: PoolDestroyReason): void {
    if (!this.#entries.delete(entry.connection)) return;
    this.#o.clock.clearTimeout(entry.idleTimer);
    entry.connection.off?.('close', entry.onClose);
    this.#destroyed++;
    try {
      entry.connection.destroy();
    } catch {
      // A connection that fails to close is gone from the pool all the same.
    }
    this.emit('destroyed', entry.connection, reason);
  }

  #afterChange(): void {
    if (this.#closing !== undefined) {
      if (this.#borrowed === 0) this.#onBorrowedGone?.();
      return;
    }
    this.#dispatch();
    this.#fill();
  }

  #removeWaiter(waiter: Waiter<C>): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
    this.#o.clock.clearTimeout(waiter.timer);
  }

  /** Serves waiters in FIFO order from idle connections, and opens new ones while allowed. */
  #dispatch(): void {
    // Each validation in flight is meant for one waiter: do not take a second idle one for it.
    for (let guard = 0; this.#waiters.length > this.#validating && guard < 100_000; guard++) {
      const entry = this.#idle.pop();
      if (entry === undefined) break;
      this.#o.clock.clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
      const reason = this.#retireReason(entry, 'closed-while-idle');
      if (reason !== undefined) {
        this.#drop(entry, reason);
        continue;
      }
      entry.state = 'borrowed';
      this.#borrowed++;
      if (this.#o.validate === undefined) this.#lend(entry);
      else void this.#validateThenLend(entry, this.#o.validate);
    }
    const wanted = this.#waiters.length - this.#validating - this.#connects.size;
    for (let i = 0; i < wanted && this.#room() > 0; i++) this.#open();
  }

  /** Opens connections until `minIdle` are idle or on their way (never past `maxSize`). */
  #fill(): void {
    if (this.#closing !== undefined) return;
    const spare = this.#connects.size - this.#waiters.length;
    const missing = this.#o.minIdle - this.#idle.length - Math.max(0, spare);
    for (let i = 0; i < missing && this.#room() > 0; i++) this.#open();
  }

  #room(): number {
    return this.#o.maxSize - this.#entries.size - this.#connects.size;
  }

  /** Hands a borrowed entry to the oldest waiter, or back to idle when none is left. */
  #lend(entry: Entry<C>): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      this.#borrowed--;
      this.#makeIdle(entry);
      return;
    }
    this.#o.clock.clearTimeout(waiter.timer);
    entry.uses++;
    waiter.resolve(entry.connection);
  }

  async #validateThenLend(entry: Entry<C>, validate: (c: C) => boolean | Promise<boolean>) {
    let ok = false;
    this.#validating++;
    try {
      ok = (await validate(entry.connection)) === true;
    } catch {
      ok = false;
    } finally {
      this.#validating--;
    }
    if (!this.#entries.has(entry.connection)) return; // closed meanwhile (pool closed)
    if (!ok || entry.connection.closed || this.#closing !== undefined) {
      this.#borrowed--;
      this.#drop(entry, ok && this.#closing !== undefined ? 'pool-closed' : 'failed-validation');
      this.#afterChange();
      return;
    }
    this.#lend(entry);
    if (entry.state === 'idle') this.#dispatch();
  }

  #open(): void {
    const controller = new AbortController();
    this.#connects.add(controller);
    const timer = this.#o.clock.setTimeout(
      () => controller.abort(connectTimeoutError(this.#o.connectTimeoutMs)),
      this.#o.connectTimeoutMs,
    );
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
        once: true,
      });
    });
    let made: Promise<C>;
    try {
      made = Promise.resolve(this.#o.connect({ signal: controller.signal }));
    } catch (error) {
      made = Promise.reject(error);
    }
    // A connection that arrives after the attempt was given up is closed at once.
    made.then(
      (late) => controller.signal.aborted && late.destroy(),
      () => undefined,
    );
    Promise.race([made, aborted]).then(
      (connection) => {
        this.#o.clock.clearTimeout(timer);
        this.#connects.delete(controller);
        this.#add(connection);
      },
      (error: unknown) => {
        this.#o.clock.clearTimeout(timer);
        this.#connects.delete(controller);
        if (this.#closing !== undefined) return;
        const failure = connectError(error);
        this.emit('connectFailed', failure);
        const waiter = this.#waiters.shift();
        if (waiter !== undefined) {
          this.#o.clock.clearTimeout(waiter.timer);
          waiter.reject(failure);
        }
        this.#dispatch(); // the remaining waiters still need connections; no #fill: no retry loop
      },
    );
  }

  #add(connection: C): void {
    if (this.#closing !== undefined) {
      connection.destroy();
      return;
    }
    const entry: Entry<C> = {
      connection,
      createdAt: this.#o.clock.now(),
      uses: 0,
      state: 'borrowed',
      idleTimer: undefined,
      onClose: () => {
        const index = this.#idle.indexOf(entry);
        if (index < 0) return; // borrowed: found out at release
        this.#idle.splice(index, 1);
        this.#drop(entry, 'closed-while-idle');
        this.#afterChange();
      },
    };
    this.#entries.set(connection, entry);
    this.#created++;
    connection.once?.('close', entry.onClose);
    this.emit('created', connection);
    this.#borrowed++;
    this.#lend(entry);
  }
}

/**
 * Makes a client-side connection pool over any transport: `connect` opens one connection
 * (see {@link createFramedPoolConnector} for stage 2's framed TCP).
 * @param options - the connect function and the limits ({@link ConnectionPoolOptions}).
 * @throws {TypeError} (synchronously) for an option of the wrong kind; {RangeError} for one out
 *   of range (`minIdle` above `maxSize`, a negative timeout …).
 * @example
 * ```ts
 * const pool = createConnectionPool({
 *   connect: createFramedPoolConnector({ host: '127.0.0.1', port: 7000 }, { codec: lineCodec() }),
 *   maxSize: 8,
 * });
 * const reply = await pool.use((conn) => conn.request(encodeLineText('GET 1')));
 * await pool.close();
 * ```
 */
export function createConnectionPool<C extends PoolableConnection>(
  options: ConnectionPoolOptions<C>,
): ConnectionPool<C> {
  return new ConnectionPool(options);
}
