import type { ConnectionClock } from '../../src/index.ts';

/** A clock that moves only when told: `advance(ms)` fires every timer due, in order. */
export class ManualClock implements ConnectionClock {
  #now = 0;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, callback });
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
