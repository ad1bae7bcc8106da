/**
 * Test doubles for the reconnecting client: timers driven by hand, and an in-memory transport
 * whose every connection and every write the test sees.
 */
import type {
  ConnectAttempt,
  ReconnectConnection,
  ReconnectTimers,
} from '../../src/reconnect/index.ts';

/** Timers that only move when the test says: `advance(ms)` runs what falls due, in order. */
export interface ManualTimers extends ReconnectTimers {
  /** Moves the clock forward, running each timer that falls due at its own time. */
  advance(ms: number): void;
  /** The delays of the timers still pending, from now. */
  pending(): number[];
}

export function createManualTimers(): ManualTimers {
  let now = 0;
  let nextHandle = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout(callback, ms) {
      const handle = ++nextHandle;
      timers.set(handle, { at: now + ms, callback });
      return handle;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (let i = 0; i < 10_000; i++) {
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = until;
    },
    pending: () => [...timers.values()].map((t) => t.at - now),
  };
}

/** One in-memory connection: the test delivers messages, ends or breaks it, and reads `log`. */
export class FakeConnection implements ReconnectConnection<string, string> {
  closed = false;
  private readonly inbox: string[] = [];
  private failure: Error | undefined;
  private ended = false;
  private waiter: (() => void) | undefined;

  constructor(
    readonly attempt: number,
    readonly log: string[],
  ) {}

  send(message: string): Promise<void> {
    if (this.closed || this.ended) return Promise.reject(new Error('write after close'));
    this.log.push(`send ${message}`);
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
    this.finish();
  }

  deliver(message: string): void {
    this.inbox.push(message);
    this.waiter?.();
  }

  /** The peer ends cleanly (or, with an error, the connection breaks). */
  finish(error?: Error): void {
    this.failure ??= error;
    this.ended = true;
    this.waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      const message = this.inbox.shift();
      if (message !== undefined) {
        yield message;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
      this.waiter = undefined;
    }
  }
}

/**
 * A connect function scripted by the test: each attempt takes the next outcome (`up` connects,
 * an Error fails, `hang` never settles); past the script, every attempt fails.
 */
export function scriptedConnect(script: (Error | 'up' | 'hang')[], log: string[] = []) {
  const connections: FakeConnection[] = [];
  const attempts: ConnectAttempt[] = [];
  const connect = (attempt: ConnectAttempt): Promise<FakeConnection> => {
    attempts.push(attempt);
    const outcome = script.shift() ?? new Error('refused (end of script)');
    if (outcome === 'hang') return new Promise(() => {});
    if (outcome instanceof Error) return Promise.reject(outcome);
    const connection = new FakeConnection(attempt.attempt, log);
    connections.push(connection);
    return Promise.resolve(connection);
  };
  return { connect, connections, attempts, log };
}
