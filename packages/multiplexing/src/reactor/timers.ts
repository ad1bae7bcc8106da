/**
 * The reactor's timers: a list kept sorted by deadline, so the next deadline is the first entry
 * and the wait timeout is one subtraction. libuv keeps a binary min-heap for the same job (many
 * timers, O(log n) insertion); a sorted array is O(n) to insert and easier to read.
 */

/** Identifies a timer for {@link TimerQueue.cancel}. */
export type ReactorTimerId = number;

interface Timer {
  readonly id: ReactorTimerId;
  readonly at: number;
  readonly callback: () => void;
}

/** Timers by deadline; equal deadlines keep the order they were set in. */
export class TimerQueue {
  #nextId = 1;
  #timers: Timer[] = [];

  /** Timers waiting to fire. */
  get size(): number {
    return this.#timers.length;
  }

  /** Adds a timer due at `at`; returns its id. */
  add(at: number, callback: () => void): ReactorTimerId {
    const timer: Timer = { id: this.#nextId++, at, callback };
    // After every timer due at or before `at`: equal deadlines fire in the order they were set.
    let index = this.#timers.length;
    while (index > 0 && (this.#timers[index - 1] as Timer).at > at) index--;
    this.#timers.splice(index, 0, timer);
    return timer.id;
  }

  /** Removes a timer; `false` when it already fired or was cancelled. */
  cancel(id: ReactorTimerId): boolean {
    const index = this.#timers.findIndex((timer) => timer.id === id);
    if (index === -1) return false;
    this.#timers.splice(index, 1);
    return true;
  }

  /** The earliest deadline, or `undefined` when no timer is set. */
  nextDeadline(): number | undefined {
    return this.#timers[0]?.at;
  }

  /** The id the next timer will get: timers with a smaller id were set before this call. */
  get nextId(): ReactorTimerId {
    return this.#nextId;
  }

  /**
   * Removes and returns the earliest timer due at `now` among those with an id below `before`,
   * or `undefined`. Bounding by id keeps timers set by a firing callback for the next turn, so a
   * timer that re-arms itself with a 0 ms delay cannot hold the loop in its timer phase for ever;
   * taking one at a time lets a callback cancel a timer that is due too.
   */
  takeDue(now: number, before: ReactorTimerId): (() => void) | undefined {
    for (let index = 0; index < this.#timers.length; index++) {
      const timer = this.#timers[index] as Timer;
      if (timer.at > now) return undefined;
      if (timer.id < before) {
        this.#timers.splice(index, 1);
        return timer.callback;
      }
    }
    return undefined;
  }

  /** Drops every timer. */
  clear(): void {
    this.#timers = [];
  }
}
