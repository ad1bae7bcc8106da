/**
 * A byte budget shared by every session of a receiver: bytes read from sockets and not yet handed
 * to the disk. Past the limit, a session that already holds buffered bytes stops reading until
 * the total drops; one that holds none may always read, so no session starves another.
 */
export class BufferBudget {
  #used = 0;
  #peak = 0;
  readonly #waiting = new Set<() => void>();

  /** @param limit - Bytes across all sessions; `Infinity` for none. */
  constructor(readonly limit: number) {}

  /** Bytes held now, across sessions. */
  get used(): number {
    return this.#used;
  }

  /** The most bytes ever held at once. */
  get peak(): number {
    return this.#peak;
  }

  /** True when a session that holds bytes should stop reading. */
  get full(): boolean {
    return this.#used >= this.limit;
  }

  add(bytes: number): void {
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
  }

  release(bytes: number): void {
    this.#used -= bytes;
    if (this.full || this.#waiting.size === 0) return;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const wake of waiting) wake();
  }

  /** Calls `wake` once when the budget has room again; returns a function that cancels it. */
  whenRoom(wake: () => void): () => void {
    this.#waiting.add(wake);
    return () => this.#waiting.delete(wake);
  }
}
