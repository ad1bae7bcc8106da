/**
 * The pool's lending rules, on in-memory connections and a hand-driven clock: the size limit,
 * the FIFO wait queue and its bound, acquire timeouts, connect failures, and use().
 */
import { ManualClock, rejectionOf, thrownBy } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import {
  CONNECTION_POOL_DEFAULTS,
  type ConnectionPoolOptions,
  createConnectionPool,
  isConnectionLevelError,
} from '../../src/index.ts';
import { type FakeConnection, fakeConnector, settle } from './fake-connector.ts';

function makePool(
  options: Partial<ConnectionPoolOptions<FakeConnection>> = {},
  connector = fakeConnector(),
) {
  const clock = new ManualClock();
  const pool = createConnectionPool({ connect: connector.connect, clock, ...options });
  return { pool, clock, connector };
}

const noConnect = (): Promise<never> => Promise.reject(new Error('not used'));

describe('createConnectionPool options', () => {
  it.each([
    [{}, TypeError, 'connect must be a function'],
    [
      { connect: noConnect, maxSize: 0 },
      RangeError,
      'maxSize must be an integer from 1 to 100000, got 0',
    ],
    [
      { connect: noConnect, maxSize: 2, minIdle: 3 },
      RangeError,
      'minIdle must be an integer from 0 to 2, got 3',
    ],
    [
      { connect: noConnect, acquireTimeoutMs: 0 },
      RangeError,
      'acquireTimeoutMs must be an integer',
    ],
    [
      { connect: noConnect, maxWaiting: 1.5 },
      TypeError,
      'maxWaiting must be an integer ≥ 0, got 1.5',
    ],
    [{ connect: noConnect, validate: 'yes' }, TypeError, 'validate must be a function'],
    [{ connect: noConnect, clock: {} }, TypeError, 'clock must be an object with now()'],
  ])('refuses %o synchronously', (options, kind, message) => {
    const error = thrownBy(() => createConnectionPool(options as never), 'a bad option');
    expect(error).toBeInstanceOf(kind);
    expect(error.message).toContain(message);
  });

  it('refuses a non-object', () => {
    expect(thrownBy(() => createConnectionPool(undefined as never)).message).toMatch(
      /options object/,
    );
  });

  it('documents its defaults in a frozen object', () => {
    expect(Object.isFrozen(CONNECTION_POOL_DEFAULTS)).toBe(true);
    expect(CONNECTION_POOL_DEFAULTS.maxSize).toBe(10);
  });
});

describe('acquire and release', () => {
  it('reuses one idle connection for requests made one after another', async () => {
    const { pool, connector } = makePool();
    for (let i = 0; i < 5; i++) pool.release(await pool.acquire());
    expect(connector.made).toHaveLength(1);
    expect(pool.stats).toMatchObject({ size: 1, idle: 1, borrowed: 0, created: 1, destroyed: 0 });
  });

  it('opens at most maxSize connections and queues the rest in FIFO order', async () => {
    const { pool, connector } = makePool({ maxSize: 2 });
    const first = await pool.acquire();
    const second = await pool.acquire();
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) =>
      pool.acquire().then((c) => {
        order.push(n);
        return c;
      }),
    );
    await settle();
    expect(pool.stats).toMatchObject({ size: 2, borrowed: 2, waiting: 3, connecting: 0 });
    pool.release(second);
    const w1 = await waiting[0];
    pool.release(first);
    const w2 = await waiting[1];
    pool.release(w1 as FakeConnection);
    await waiting[2];
    expect(order).toEqual([1, 2, 3]);
    expect(w1).toBe(second);
    expect(w2).toBe(first);
    expect(connector.made).toHaveLength(2);
  });

  it('refuses at once with MULTIPLEXING_ERR_LIMIT_EXCEEDED when maxWaiting acquires already wait', async () => {
    const { pool } = makePool({ maxSize: 1, maxWaiting: 1 });
    await pool.acquire();
    const queued = pool.acquire();
    const error = await rejectionOf(pool.acquire(), 'a third acquire');
    expect(error.code).toBe('MULTIPLEXING_ERR_LIMIT_EXCEEDED');
    expect(error.message).toMatch(/maxWaiting/);
    expect(pool.stats.waiting).toBe(1);
    void queued;
  });

  it('with maxWaiting 0 still opens connections up to maxSize, then refuses', async () => {
    const { pool } = makePool({ maxSize: 2, maxWaiting: 0 });
    await pool.acquire();
    await pool.acquire();
    expect((await rejectionOf(pool.acquire())).code).toBe('MULTIPLEXING_ERR_LIMIT_EXCEEDED');
  });

  it('rejects a waiter with MULTIPLEXING_ERR_TIMEOUT after acquireTimeoutMs, and no sooner', async () => {
    const { pool, clock } = makePool({ maxSize: 1, acquireTimeoutMs: 500 });
    const held = await pool.acquire();
    let settled = false;
    const waiter = pool.acquire().finally(() => {
      settled = true;
    });
    clock.advance(499);
    await settle();
    expect(settled).toBe(false);
    clock.advance(1);
    const error = await rejectionOf(waiter, 'the waiting acquire');
    expect(error.code).toBe('MULTIPLEXING_ERR_TIMEOUT');
    expect(pool.stats.waiting).toBe(0);
    pool.release(held);
    expect(pool.stats).toMatchObject({ idle: 1, borrowed: 0 });
  });

  it('keeps FIFO order for the waiters behind one that timed out', async () => {
    const { pool, clock } = makePool({ maxSize: 1, acquireTimeoutMs: 100 });
    const held = await pool.acquire();
    const early = pool.acquire();
    clock.advance(50);
    const late = pool.acquire();
    clock.advance(50); // `early` times out; `late` has 50 ms left
    expect((await rejectionOf(early)).code).toBe('MULTIPLEXING_ERR_TIMEOUT');
    pool.release(held);
    expect(await late).toBe(held);
  });

  it('rejects the oldest waiter with MULTIPLEXING_ERR_CONNECTION (cause kept) when a connect fails, then recovers', async () => {
    const { pool, connector } = makePool();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    connector.failNext.push(refused);
    const failures: unknown[] = [];
    pool.on('connectFailed', (error) => failures.push(error));
    const error = await rejectionOf(pool.acquire(), 'an acquire whose connect fails');
    expect(error.code).toBe('MULTIPLEXING_ERR_CONNECTION');
    expect(error.cause).toBe(refused);
    expect(failures).toEqual([error]);
    expect(pool.stats).toMatchObject({ size: 0, connecting: 0, waiting: 0 });
    const connection = await pool.acquire();
    expect(connection.id).toBe(1);
  });

  it('gives up a connect after connectTimeoutMs (its signal aborts) and closes it if it arrives late', async () => {
    const connector = fakeConnector({ manual: true });
    const { pool, clock } = makePool({ connectTimeoutMs: 200 }, connector);
    const waiter = pool.acquire();
    expect(connector.pending).toHaveLength(1);
    clock.advance(200);
    const error = await rejectionOf(waiter);
    expect(error.code).toBe('MULTIPLEXING_ERR_TIMEOUT');
    expect(connector.pending[0]?.attempt.signal.aborted).toBe(true);
    const late = connector.pending[0]?.succeed() as FakeConnection;
    await settle();
    expect(late.closed).toBe(true);
    expect(pool.stats).toMatchObject({ size: 0, connecting: 0 });
  });

  it('throws a TypeError for a connection it did not lend, or one released twice; destroy() drops a borrowed one', async () => {
    const { pool } = makePool();
    const connection = await pool.acquire();
    pool.release(connection);
    expect(thrownBy(() => pool.release(connection))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => pool.destroy({} as FakeConnection)).message).toMatch(/did not lend/);
    const borrowed = await pool.acquire();
    const reasons: string[] = [];
    pool.on('destroyed', (_c, reason) => reasons.push(reason));
    pool.destroy(borrowed);
    expect(reasons).toEqual(['destroyed']);
    expect(pool.stats).toMatchObject({ size: 0, borrowed: 0 });
  });
});

describe('use()', () => {
  it('releases the connection after fn resolves, and resolves with its value', async () => {
    const { pool } = makePool();
    expect(await pool.use((c) => c.id * 10)).toBe(10);
    expect(pool.stats).toMatchObject({ idle: 1, borrowed: 0 });
  });

  it('releases it after an application error: the connection is still good', async () => {
    const { pool, connector } = makePool();
    const error = await rejectionOf(
      pool.use(() => Promise.reject(new Error('not found'))),
      'use() with a failing fn',
    );
    expect(error.message).toBe('not found');
    expect(pool.stats).toMatchObject({ idle: 1, destroyed: 0 });
    expect(connector.made[0]?.closed).toBe(false);
  });

  it('destroys it after a connection-level error, so the next use gets a new one', async () => {
    const { pool, connector } = makePool();
    const reasons: string[] = [];
    pool.on('destroyed', (_c, reason) => reasons.push(reason));
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(await rejectionOf(pool.use(() => Promise.reject(reset)))).toBe(reset);
    expect(reasons).toEqual(['connection-error']);
    expect(connector.made[0]?.closed).toBe(true);
    expect((await pool.use((c) => c)).id).toBe(2);
  });

  it('classifies errors by code', () => {
    const withCode = (code: string) => Object.assign(new Error(code), { code });
    expect(isConnectionLevelError(withCode('EPIPE'))).toBe(true);
    expect(isConnectionLevelError(withCode('TCPUDP_ERR_CLOSED'))).toBe(true);
    expect(isConnectionLevelError(withCode('ERR_STREAM_DESTROYED'))).toBe(true);
    expect(isConnectionLevelError(withCode('APP_NOT_FOUND'))).toBe(false);
    expect(isConnectionLevelError(new Error('plain'))).toBe(false);
    expect(isConnectionLevelError('a string')).toBe(false);
  });
});
