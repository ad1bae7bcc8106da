/**
 * An authoritative fixed-timestep loop: the world advances in whole ticks of `tickMs`, whatever
 * the real time between wakes. The pure core is {@link FixedTimestep.advance} (elapsed time in,
 * ticks run out); {@link TickLoop} is the thin driver that reads a clock and schedules wakes.
 * @see Glenn Fiedler, "Fix Your Timestep!" (https://gafferongames.com/post/fix_your_timestep/)
 */

/** The clock a {@link TickLoop} reads and schedules with (testkit's `ManualClock` fits). */
export interface GameClock {
  /** The current time in milliseconds; only differences matter. */
  now(): number;
  /** Calls `callback` once after `ms`; returns a handle for {@link GameClock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock: `performance.now()` and timers that never hold a Node process open.
 * @example new TickLoop(step, { clock: realGameClock }); // the default
 */
export const realGameClock: GameClock = Object.freeze({
  now: () => performance.now(),
  setTimeout: (callback: () => void, ms: number): unknown => {
    const timer = setTimeout(callback, ms) as unknown as { unref?: () => void };
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle: unknown): void =>
    clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
});

/** Options of {@link FixedTimestep}. */
export interface FixedTimestepOptions {
  /** The length of one tick in milliseconds. @default 50 (20 ticks per second) */
  readonly tickMs?: number;
  /**
   * The most ticks one {@link FixedTimestep.advance} runs. Time owed beyond that is dropped, so
   * a slow tick cannot make the next wake owe more ticks, then more (the "spiral of death").
   * @default 5
   */
  readonly maxCatchUpTicks?: number;
}

/** What one {@link FixedTimestep.advance} did. */
export interface AdvanceResult {
  /** Whole ticks run. */
  readonly ticks: number;
  /** Milliseconds of owed time thrown away by the catch-up cap (0 when none). */
  readonly droppedMs: number;
}

/**
 * The accumulator of a fixed timestep, pure: `advance(elapsedMs)` adds real time and calls
 * `step(tickMs, tick)` once per whole tick owed, at most `maxCatchUpTicks` times; the remainder
 * (less than a tick) carries over to the next call.
 *
 * @throws {RangeError} for a `tickMs` that is not a positive finite number, or a
 *   `maxCatchUpTicks` that is not an integer of 1 or more.
 * @example
 * ```ts
 * const steps = new FixedTimestep((dt, tick) => world.step(dt), { tickMs: 50 });
 * steps.advance(120); // { ticks: 2, droppedMs: 0 }, 20 ms carried
 * ```
 */
export class FixedTimestep {
  readonly tickMs: number;
  readonly maxCatchUpTicks: number;
  #accumulatedMs = 0;
  #tick = 0;

  constructor(
    readonly step: (dtMs: number, tick: number) => void,
    { tickMs = 50, maxCatchUpTicks = 5 }: FixedTimestepOptions = {},
  ) {
    if (typeof step !== 'function') throw new TypeError('step must be a function');
    if (typeof tickMs !== 'number' || !Number.isFinite(tickMs) || tickMs <= 0) {
      throw new RangeError(`tickMs must be a positive number of milliseconds, got ${tickMs}`);
    }
    if (!Number.isInteger(maxCatchUpTicks) || maxCatchUpTicks < 1) {
      throw new RangeError(
        `maxCatchUpTicks must be an integer of 1 or more, got ${maxCatchUpTicks}`,
      );
    }
    this.tickMs = tickMs;
    this.maxCatchUpTicks = maxCatchUpTicks;
  }

  /** Ticks run so far (the number of the next tick). */
  get tick(): number {
    return this.#tick;
  }

  /** Time owed, less than one tick once `advance` returns (0 ≤ x < tickMs). */
  get accumulatedMs(): number {
    return this.#accumulatedMs;
  }

  /**
   * Adds `elapsedMs` of real time and runs the ticks it makes up. A negative, NaN or infinite
   * elapsed time (a clock that went backwards) adds nothing.
   */
  advance(elapsedMs: number): AdvanceResult {
    if (Number.isFinite(elapsedMs) && elapsedMs > 0) this.#accumulatedMs += elapsedMs;
    let ticks = 0;
    while (this.#accumulatedMs >= this.tickMs && ticks < this.maxCatchUpTicks) {
      this.#accumulatedMs -= this.tickMs;
      this.step(this.tickMs, this.#tick);
      this.#tick++;
      ticks++;
    }
    let droppedMs = 0;
    if (this.#accumulatedMs >= this.tickMs) {
      // Keep the fraction of a tick, drop the whole ticks we will never catch up on.
      const kept = this.#accumulatedMs % this.tickMs;
      droppedMs = this.#accumulatedMs - kept;
      this.#accumulatedMs = kept;
    }
    return { ticks, droppedMs };
  }
}

/** Options of {@link TickLoop}. */
export interface TickLoopOptions extends FixedTimestepOptions {
  /** @default realGameClock */
  readonly clock?: GameClock;
}

/**
 * The driver: wakes about once per tick on `clock`, measures the real time since the last wake
 * and feeds it to a {@link FixedTimestep}. Time, not the number of wakes, decides how many ticks
 * run: a late wake runs two ticks, an early one none.
 * @example
 * ```ts
 * const loop = new TickLoop((dt) => world.step(dt), { tickMs: 50 });
 * loop.start();
 * // … later
 * loop.stop();
 * ```
 */
export class TickLoop {
  readonly timestep: FixedTimestep;
  readonly clock: GameClock;
  #timer: unknown;
  #running = false;
  #last = 0;
  /** Milliseconds dropped by the catch-up cap since the start (a sign the server is overloaded). */
  droppedMs = 0;

  constructor(step: (dtMs: number, tick: number) => void, options: TickLoopOptions = {}) {
    this.timestep = new FixedTimestep(step, options);
    const clock = options.clock ?? realGameClock;
    if (
      typeof clock?.now !== 'function' ||
      typeof clock.setTimeout !== 'function' ||
      typeof clock.clearTimeout !== 'function'
    ) {
      throw new TypeError('clock must have now(), setTimeout() and clearTimeout()');
    }
    this.clock = clock;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts waking; a second call does nothing. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#last = this.clock.now();
    this.#schedule();
  }

  /** Stops; no tick runs after it returns. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    // Wake when the next whole tick is owed.
    const wait = Math.max(0, this.timestep.tickMs - this.timestep.accumulatedMs);
    this.#timer = this.clock.setTimeout(() => this.#wake(), wait);
  }

  #wake(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.clock.now();
    const elapsed = now - this.#last;
    this.#last = now;
    const { droppedMs } = this.timestep.advance(elapsed);
    this.droppedMs += droppedMs;
    if (this.#running) this.#schedule();
  }
}
