/**
 * The reactor (Schmidt, "Reactor", PLoP 1994): one loop that waits for readiness on many handles
 * at once and dispatches each ready handle to the handler registered for it. One turn is
 *
 *   1. wait   — `demultiplexer.wait(timeout)`, the timeout being the time to the next timer
 *               (0 when a handle still has work left from the previous turn);
 *   2. dispatch — each ready handle to its handler, at most `maxOpsPerHandle` calls per kind, so
 *               one busy connection cannot starve the others;
 *   3. timers — every timer due at the time read after the wait, earliest first.
 *
 * Pure: time comes from an injected clock and I/O from an injected demultiplexer, so a test runs
 * the loop turn by turn on virtual time.
 */
import { checkInteger } from '@socketlab/internal';
import { systemClock } from '../connections/index.ts';
import { MultiplexingError } from '../errors.ts';
import { type ReactorTimerId, TimerQueue } from './timers.ts';
import {
  type Demultiplexer,
  READINESS,
  type ReactorClock,
  type ReactorHandle,
  type ReactorHandler,
  type Readiness,
  type ReadyEvent,
  type TurnSummary,
} from './types.ts';

/** The defaults of {@link ReactorOptions}. */
export const REACTOR_DEFAULTS = Object.freeze({
  /** Calls of one callback (`onReadable` or `onWritable`) per handle per turn. */
  maxOpsPerHandle: 16,
});

/** Options of {@link Reactor}. */
export interface ReactorOptions {
  /** Where time comes from. @default systemClock (`performance.now()`) */
  readonly clock?: ReactorClock;
  /**
   * The fairness budget: calls of one callback per handle per turn, 1 to 1,000,000. A handler
   * that still returns `true` after that many is called again next turn, after the others.
   * @default 16
   */
  readonly maxOpsPerHandle?: number;
}

interface Registration {
  readonly interest: Set<Readiness>;
  readonly handler: ReactorHandler;
}

type Pending = { readable: boolean; writable: boolean };

/**
 * A reactor over a {@link Demultiplexer}: register handles with an interest set and a handler,
 * set timers, then `run()` (or `turn()` one step at a time).
 * @example
 * ```ts
 * const demux = new SocketDemultiplexer();
 * const reactor = new Reactor(demux);
 * const handle = demux.add(socket);
 * reactor.register(handle, ['readable'], { onReadable: (h) => echoOnce(h) });
 * reactor.setTimer(30_000, () => reactor.stop());
 * await reactor.run();
 * ```
 */
export class Reactor {
  readonly #demux: Demultiplexer;
  readonly #clock: ReactorClock;
  readonly #budget: number;
  readonly #handles = new Map<ReactorHandle, Registration>();
  readonly #timers = new TimerQueue();
  /** Handles whose budget ran out with work left, dispatched again next turn. */
  #carried = new Map<ReactorHandle, Pending>();
  #inTurn = false;
  #stopping = false;
  #closed = false;

  /**
   * @throws {TypeError} when `demultiplexer` lacks `watch`, `unwatch` or `wait`, or `clock` lacks
   *   `now`; {RangeError} when `maxOpsPerHandle` is out of range.
   */
  constructor(demultiplexer: Demultiplexer, options: ReactorOptions = {}) {
    const d = demultiplexer as Partial<Demultiplexer> | undefined;
    if (
      typeof d?.watch !== 'function' ||
      typeof d.unwatch !== 'function' ||
      typeof d.wait !== 'function'
    ) {
      throw new TypeError('demultiplexer must have watch(), unwatch() and wait()');
    }
    const clock = options.clock ?? systemClock;
    if (typeof clock?.now !== 'function') throw new TypeError('clock must have now()');
    this.#demux = demultiplexer;
    this.#clock = clock;
    this.#budget = checkInteger(
      'maxOpsPerHandle',
      options.maxOpsPerHandle ?? REACTOR_DEFAULTS.maxOpsPerHandle,
      1,
      1_000_000,
    );
  }

  /** Handles registered now. */
  get size(): number {
    return this.#handles.size;
  }

  /** `true` once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Registers `handle` with what it waits for and who handles it (`epoll_ctl(ADD)`).
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_ALREADY_REGISTERED` when it is registered;
   *   `MULTIPLEXING_ERR_CLOSED` after {@link close}.
   * @throws {TypeError} for a handle that is not a non-negative integer, an interest that is not
   *   a list of `'readable'`/`'writable'`, or a handler that is not an object.
   */
  register(handle: ReactorHandle, interest: readonly Readiness[], handler: ReactorHandler): void {
    this.#assertOpen('register');
    if (!Number.isInteger(handle) || handle < 0) {
      throw new TypeError(`handle must be a non-negative integer, got ${String(handle)}`);
    }
    if (this.#handles.has(handle)) {
      throw new MultiplexingError(
        'MULTIPLEXING_ERR_ALREADY_REGISTERED',
        `handle ${handle} is already registered; deregister it first or use setInterest()`,
      );
    }
    if (typeof handler !== 'object' || handler === null) {
      throw new TypeError('handler must be an object with onReadable() and/or onWritable()');
    }
    const wanted = checkInterest(interest);
    this.#handles.set(handle, { interest: wanted, handler });
    this.#demux.watch(handle, [...wanted]);
  }

  /**
   * Replaces what `handle` waits for (`epoll_ctl(MOD)`). The demultiplexer hears of it at once,
   * so new readiness shows from the next wait; an event this turn already collected is dispatched
   * only if the handle still wants it.
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_UNKNOWN_HANDLE`, `MULTIPLEXING_ERR_CLOSED`.
   * @throws {TypeError} for an interest that is not a list of `'readable'`/`'writable'`.
   */
  setInterest(handle: ReactorHandle, interest: readonly Readiness[]): void {
    this.#assertOpen('setInterest');
    const registration = this.#registration(handle);
    const wanted = checkInterest(interest);
    registration.interest.clear();
    for (const kind of wanted) registration.interest.add(kind);
    this.#demux.watch(handle, [...wanted]);
  }

  /**
   * What `handle` waits for now.
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_UNKNOWN_HANDLE`.
   */
  interestOf(handle: ReactorHandle): Readiness[] {
    return [...this.#registration(handle).interest];
  }

  /**
   * Forgets `handle` (`epoll_ctl(DEL)`): no event is dispatched to it any more, this turn
   * included. Closing what the handle stands for is the caller's (the socket's owner). After
   * {@link close}, does nothing.
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_UNKNOWN_HANDLE` for a handle not registered.
   */
  deregister(handle: ReactorHandle): void {
    if (this.#closed) return;
    this.#registration(handle);
    this.#handles.delete(handle);
    this.#carried.delete(handle);
    this.#demux.unwatch(handle);
  }

  /**
   * Calls `callback` once, in the timer phase of the first turn that starts its timer phase at
   * least `delayMs` after now. Timers due together fire earliest deadline first, then in the order
   * they were set.
   * @throws {MultiplexingError} `MULTIPLEXING_ERR_CLOSED`. @throws {RangeError} for a negative or
   *   non-finite delay; {TypeError} when `callback` is not a function.
   */
  setTimer(delayMs: number, callback: () => void): ReactorTimerId {
    this.#assertOpen('setTimer');
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new RangeError(`delayMs must be a finite number ≥ 0, got ${String(delayMs)}`);
    }
    if (typeof callback !== 'function') throw new TypeError('callback must be a function');
    return this.#timers.add(this.#clock.now() + delayMs, callback);
  }

  /** Cancels a timer; returns `false` when it already fired or was cancelled. */
  cancelTimer(id: ReactorTimerId): boolean {
    return this.#timers.cancel(id);
  }

  /**
   * The timeout the next turn passes to `wait()`: 0 when a handle has work carried over, else
   * the time to the next timer (never negative), or `undefined` (wait until ready) with no timer.
   */
  nextTimeout(): number | undefined {
    if (this.#carried.size > 0) return 0;
    const deadline = this.#timers.nextDeadline();
    return deadline === undefined ? undefined : Math.max(0, deadline - this.#clock.now());
  }

  /**
   * Runs one turn: wait, dispatch, timers. A handler or timer that throws ends the turn and
   * rejects it with that error (the loop has no error policy of its own).
   * @throws {MultiplexingError} (rejection) `MULTIPLEXING_ERR_LOOP_RUNNING` while another turn
   *   runs; `MULTIPLEXING_ERR_CLOSED` after {@link close}.
   */
  async turn(): Promise<TurnSummary> {
    this.#assertOpen('turn');
    if (this.#inTurn) {
      throw new MultiplexingError(
        'MULTIPLEXING_ERR_LOOP_RUNNING',
        'turn() was called while a turn is running; await it first (one loop, one thread)',
      );
    }
    this.#inTurn = true;
    try {
      const waitedMs = this.nextTimeout();
      const events = await this.#demux.wait(waitedMs);
      if (this.#closed)
        return { waitedMs, events: events.length, dispatches: 0, carried: 0, timers: 0 };
      const dispatches = this.#dispatch(events);
      const timers = this.#runTimers();
      return { waitedMs, events: events.length, dispatches, carried: this.#carried.size, timers };
    } finally {
      this.#inTurn = false;
    }
  }

  /**
   * Turns until {@link stop} or {@link close}, until nothing is left to wait for (no handle and no
   * timer: libuv's "loop alive" rule), or `maxTurns`. Resolves with the number of turns run.
   * @throws {MultiplexingError} (rejection) as {@link turn}, or whatever a handler threw.
   */
  async run(options: { readonly maxTurns?: number } = {}): Promise<number> {
    const maxTurns = options.maxTurns ?? Number.POSITIVE_INFINITY;
    if (maxTurns !== Number.POSITIVE_INFINITY) checkInteger('maxTurns', maxTurns, 0, 2 ** 53 - 1);
    this.#stopping = false;
    let turns = 0;
    while (
      turns < maxTurns &&
      !this.#stopping &&
      !this.#closed &&
      (this.#handles.size > 0 || this.#timers.size > 0)
    ) {
      await this.turn();
      turns++;
    }
    return turns;
  }

  /** Makes {@link run} return after the turn in progress (`uv_stop`); registrations stay. */
  stop(): void {
    this.#stopping = true;
  }

  /**
   * Deregisters every handle, drops every timer and refuses further use. A turn waiting now
   * dispatches nothing when its wait ends. Calling it again does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const handle of this.#handles.keys()) this.#demux.unwatch(handle);
    this.#handles.clear();
    this.#carried.clear();
    this.#timers.clear();
  }

  /** Dispatches this turn's events plus the work carried over; returns the handler calls made. */
  #dispatch(events: readonly ReadyEvent[]): number {
    const ready = new Map<ReactorHandle, Pending>();
    for (const event of events) {
      const seen = ready.get(event.handle) ?? { readable: false, writable: false };
      seen.readable ||= event.readable;
      seen.writable ||= event.writable;
      ready.set(event.handle, seen);
    }
    // Work left over last turn goes after this turn's fresh events (level-triggered readiness
    // may report it again too; an edge-triggered one would not, so the reactor remembers it).
    for (const [handle, pending] of this.#carried) {
      const seen = ready.get(handle) ?? { readable: false, writable: false };
      seen.readable ||= pending.readable;
      seen.writable ||= pending.writable;
      ready.set(handle, seen);
    }
    this.#carried = new Map();
    let dispatches = 0;
    for (const [handle, pending] of ready) {
      for (const kind of READINESS) {
        if (this.#closed) return dispatches;
        if (!pending[kind]) continue;
        const { calls, more } = this.#drive(handle, kind);
        dispatches += calls;
        if (more) {
          const carried = this.#carried.get(handle) ?? { readable: false, writable: false };
          carried[kind] = true;
          this.#carried.set(handle, carried);
        }
      }
    }
    return dispatches;
  }

  /** Calls `handle`'s callback for `kind` while it has more, up to the budget. */
  #drive(handle: ReactorHandle, kind: Readiness): { calls: number; more: boolean } {
    let calls = 0;
    let more = false;
    while (calls < this.#budget) {
      // Looked up before every call: the previous one may have deregistered the handle, dropped
      // this interest or closed the reactor.
      const registration = this.#handles.get(handle);
      if (this.#closed || registration === undefined || !registration.interest.has(kind)) {
        return { calls, more: false };
      }
      const { handler } = registration;
      const callback = kind === 'readable' ? handler.onReadable : handler.onWritable;
      if (callback === undefined) return { calls, more: false };
      calls++;
      more = callback.call(handler, handle) === true;
      if (!more) break;
    }
    return { calls, more: more && this.#handles.has(handle) && !this.#closed };
  }

  /** Runs the timers due now that were set before this phase began; returns how many ran. */
  #runTimers(): number {
    const now = this.#clock.now();
    const before = this.#timers.nextId;
    let ran = 0;
    for (let bound = this.#timers.size; ran < bound && !this.#closed; ) {
      const callback = this.#timers.takeDue(now, before);
      if (callback === undefined) break;
      ran++;
      callback();
    }
    return ran;
  }

  #registration(handle: ReactorHandle): Registration {
    const registration = this.#handles.get(handle);
    if (registration === undefined) {
      throw new MultiplexingError(
        'MULTIPLEXING_ERR_UNKNOWN_HANDLE',
        `handle ${String(handle)} is not registered with this reactor`,
      );
    }
    return registration;
  }

  #assertOpen(what: string): void {
    if (this.#closed) {
      throw new MultiplexingError(
        'MULTIPLEXING_ERR_CLOSED',
        `${what}() was called on a closed reactor; create a new one`,
      );
    }
  }
}

function checkInterest(interest: readonly Readiness[]): Set<Readiness> {
  if (!Array.isArray(interest) || !interest.every((kind) => READINESS.includes(kind))) {
    throw new TypeError(
      `interest must be a list of 'readable' and/or 'writable', got ${JSON.stringify(interest)}`,
    );
  }
  return new Set(interest);
}
