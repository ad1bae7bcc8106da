/** A promise a test resolves by hand, to hold a handler until the test lets it go (Node 20 has no Promise.withResolvers). */
export interface Gate {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

/** A new, unresolved {@link Gate}. */
export function gate(): Gate {
  let resolve = (): void => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * Holds every handler that enters until the test releases it, counting how many ran at once:
 * for tests of a concurrency bound.
 */
export class Turnstile {
  /** Handlers that have entered. */
  started = 0;
  /** The most that were inside at once. */
  most = 0;
  private running = 0;
  private readonly gates: Gate[] = [];

  /** Called by a handler: waits until the test lets this entry go. */
  async enter(): Promise<void> {
    this.running++;
    this.started++;
    this.most = Math.max(this.most, this.running);
    const held = gate();
    this.gates.push(held);
    await held.promise;
    this.running--;
  }

  /** True once the `n`-th entry (from 0) is waiting or done. */
  entered(n: number): boolean {
    return this.gates[n] !== undefined;
  }

  /** Lets the `n`-th entry go. */
  release(n: number): void {
    this.gates[n]?.resolve();
  }

  /** Lets every entry so far go (for cleanup). */
  releaseAll(): void {
    for (const held of this.gates) held.resolve();
  }
}
