/** The timers the connection edge uses, injectable so tests drive them without waiting. */

/** The clock shape the edge takes: testkit's `ManualClock` fits. */
export interface EdgeClock {
  /** Calls `callback` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a timer set with `setTimeout` (a handle already fired or cleared is ignored). */
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unreferenced: a pending close or heartbeat timer never keeps a process alive. */
export const SYSTEM_CLOCK: EdgeClock = {
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
