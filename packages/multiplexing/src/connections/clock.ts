/** The timers of the connection manager, injectable so that tests drive time by hand. */

/** A source of time and one-shot timers, in milliseconds. */
export interface ConnectionClock {
  /** The current time; only differences between readings matter. */
  now(): number;
  /** Calls `callback` once after `ms`; returns a handle for {@link clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `performance.now()` and Node's timers, unref'd (they never hold the process open). */
export const systemClock: ConnectionClock = Object.freeze({
  now: () => performance.now(),
  setTimeout: (callback: () => void, ms: number): unknown => {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (handle: unknown): void => clearTimeout(handle as NodeJS.Timeout),
});

/** Checks that `clock` has the three methods. @throws {TypeError} otherwise. */
export function checkClock(clock: unknown): ConnectionClock {
  const c = clock as ConnectionClock | undefined;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.now !== 'function' ||
    typeof c.setTimeout !== 'function' ||
    typeof c.clearTimeout !== 'function'
  ) {
    throw new TypeError('clock must be an object with now(), setTimeout() and clearTimeout()');
  }
  return c;
}
