/** The clock shape stage 3's libraries take (`now`, `setTimeout`, `clearTimeout`). */
export interface TimerClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A clock that moves only when told: `advance(ms)` fires every timer due, in order. */
export class ManualClock implements TimerClock {
  #now = 0;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    // A bad delay from code under test (negative, NaN) fires at once, as Node's setTimeout does.
    this.#timers.set(id, { at: this.#now + Math.max(0, Number(ms) || 0), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers pending now. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing due timers one by one (a timer set meanwhile may fire too). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (let fired = 0; fired < 100_000; fired++) {
      let nextId: number | undefined;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const [id, timer] of this.#timers) {
        if (timer.at <= until && timer.at < nextAt) {
          nextAt = timer.at;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.#timers.get(nextId) as { at: number; callback: () => void };
      this.#timers.delete(nextId);
      this.#now = timer.at;
      timer.callback();
    }
    this.#now = until;
  }
}
