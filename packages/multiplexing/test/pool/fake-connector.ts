/**
 * Test doubles for the pool: connections in memory that the test closes (with or without a
 * `'close'` event), and a connect function that either succeeds at once or waits to be told.
 */
import { EventEmitter } from 'node:events';
import type { PoolableConnection, PoolConnectAttempt } from '../../src/index.ts';

/** One in-memory connection, numbered in the order the pool opened them (1, 2, …). */
export class FakeConnection extends EventEmitter<{ close: [] }> implements PoolableConnection {
  closed = false;
  destroyCalls = 0;
  constructor(readonly id: number) {
    super();
  }

  destroy(): void {
    this.destroyCalls++;
    this.peerClose();
  }

  /** The peer closes it: `closed` turns true and `'close'` is emitted (once). */
  peerClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }

  /** It dies without telling anyone: `closed` turns true, no event. */
  dieSilently(): void {
    this.closed = true;
  }
}

interface PendingConnect {
  readonly attempt: PoolConnectAttempt;
  succeed(): FakeConnection;
  fail(error: Error): void;
}

/**
 * A connect function. With `manual` false (the default) every connect succeeds at once; with
 * `manual` true each waits in `pending` until the test calls `succeed()` or `fail()`. `failNext`
 * makes the next connects fail with the given errors first.
 */
export function fakeConnector({ manual = false } = {}) {
  const made: FakeConnection[] = [];
  const pending: PendingConnect[] = [];
  const failNext: Error[] = [];
  let nextId = 1;
  const make = (): FakeConnection => {
    const connection = new FakeConnection(nextId++);
    made.push(connection);
    return connection;
  };
  const connect = (attempt: PoolConnectAttempt): Promise<FakeConnection> => {
    const failure = failNext.shift();
    if (failure !== undefined) return Promise.reject(failure);
    if (!manual) return Promise.resolve(make());
    return new Promise((resolve, reject) => {
      pending.push({
        attempt,
        succeed: () => {
          const connection = make();
          resolve(connection);
          return connection;
        },
        fail: reject,
      });
    });
  };
  return { connect, made, pending, failNext };
}

/** Lets promise callbacks and `setImmediate` work queued so far run (no timer, no sleep). */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
