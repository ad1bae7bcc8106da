/**
 * A pooled connection's life, on in-memory connections and a hand-driven clock: health checks
 * before lending, idle eviction, minIdle, maxUses and maxLifetimeMs, and close().
 */
import { ManualClock, rejectionOf } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import {
  type ConnectionPoolOptions,
  createConnectionPool,
  type PoolDestroyReason,
} from '../../src/index.ts';
import { type FakeConnection, fakeConnector, settle } from './fake-connector.ts';

function makePool(options: Partial<ConnectionPoolOptions<FakeConnection>> = {}) {
  const clock = new ManualClock();
  const connector = fakeConnector();
  const pool = createConnectionPool({ connect: connector.connect, clock, ...options });
  const destroyed: [number, PoolDestroyReason][] = [];
  pool.on('destroyed', (c, reason) => destroyed.push([c.id, reason]));
  return { pool, clock, connector, destroyed };
}

describe('health of idle connections', () => {
  it('drops an idle connection the moment it closes, and never lends it', async () => {
    const { pool, connector, destroyed } = makePool();
    pool.release(await pool.acquire());
    connector.made[0]?.peerClose();
    expect(destroyed).toEqual([[1, 'closed-while-idle']]);
    expect(pool.stats).toMatchObject({ size: 0, idle: 0 });
    expect((await pool.acquire()).id).toBe(2);
  });

  it('replaces an idle connection that closed when minIdle asks for one ready', async () => {
    const { pool, connector } = makePool({ minIdle: 1 });
    await settle();
    expect(pool.stats).toMatchObject({ idle: 1, created: 1 });
    connector.made[0]?.peerClose();
    await settle();
    expect(pool.stats).toMatchObject({ idle: 1, created: 2, destroyed: 1 });
    expect((await pool.acquire()).id).toBe(2);
  });

  it('skips an idle connection that died without an event, and lends a new one', async () => {
    const { pool, connector, destroyed } = makePool();
    const a = await pool.acquire();
    const b = await pool.acquire();
    pool.release(a);
    pool.release(b);
    connector.made[1]?.dieSilently(); // b is on top: most recently used is lent first
    const lent = await pool.acquire();
    expect(lent).toBe(a);
    expect(destroyed).toEqual([[2, 'closed-while-idle']]);
  });

  it('drops a connection released already closed', async () => {
    const { pool, destroyed } = makePool();
    const connection = await pool.acquire();
    connection.dieSilently();
    pool.release(connection);
    expect(destroyed).toEqual([[1, 'closed-while-borrowed']]);
  });

  it('runs validate before lending an idle connection; a false drops it and the next is tried', async () => {
    const verdicts = [false, true];
    const seen: number[] = [];
    const { pool, destroyed } = makePool({
      validate: async (c) => {
        seen.push(c.id);
        return verdicts.shift() ?? true;
      },
    });
    const a = await pool.acquire();
    const b = await pool.acquire();
    pool.release(a);
    pool.release(b);
    const lent = await pool.acquire();
    expect(seen).toEqual([2, 1]);
    expect(lent).toBe(a);
    expect(destroyed).toEqual([[2, 'failed-validation']]);
    expect(pool.stats).toMatchObject({ size: 1, borrowed: 1, idle: 0 });
  });

  it('does not count an acquire whose connection is being validated as waiting (maxWaiting 0)', async () => {
    const { pool } = makePool({ maxWaiting: 0, validate: async () => true });
    pool.release(await pool.acquire());
    expect((await pool.acquire()).id).toBe(1);
  });

  it('treats a validate that throws as a failed check', async () => {
    const { pool, destroyed } = makePool({
      validate: (c) => {
        if (c.id === 1) throw new Error('ping failed');
        return true;
      },
    });
    pool.release(await pool.acquire());
    expect((await pool.acquire()).id).toBe(2);
    expect(destroyed).toEqual([[1, 'failed-validation']]);
  });
});

describe('limits on a connection', () => {
  it('closes an idle connection after idleTimeoutMs unused, and no sooner', async () => {
    const { pool, clock, destroyed } = makePool({ idleTimeoutMs: 1_000 });
    pool.release(await pool.acquire());
    clock.advance(999);
    expect(pool.stats.idle).toBe(1);
    clock.advance(1);
    expect(destroyed).toEqual([[1, 'idle-timeout']]);
    expect(pool.stats).toMatchObject({ size: 0, destroyed: 1 });
  });

  it('restarts the idle clock each time a connection is used', async () => {
    const { pool, clock, destroyed } = makePool({ idleTimeoutMs: 1_000 });
    pool.release(await pool.acquire());
    clock.advance(900);
    pool.release(await pool.acquire());
    clock.advance(900);
    expect(destroyed).toEqual([]);
    clock.advance(100);
    expect(destroyed).toEqual([[1, 'idle-timeout']]);
  });

  it('opens minIdle connections ahead of demand and keeps them through idle timeouts', async () => {
    const { pool, clock, connector, destroyed } = makePool({
      minIdle: 2,
      maxSize: 4,
      idleTimeoutMs: 1_000,
    });
    await settle();
    expect(pool.stats).toMatchObject({ idle: 2, size: 2, created: 2 });
    const held = [await pool.acquire(), await pool.acquire(), await pool.acquire()];
    await settle(); // taking two idle ones below minIdle opened replacements, up to maxSize
    expect(pool.stats).toMatchObject({ size: 4, borrowed: 3, idle: 1 });
    for (const c of held) pool.release(c);
    clock.advance(1_000);
    expect(pool.stats.idle).toBe(2);
    expect(destroyed.map(([, reason]) => reason)).toEqual(['idle-timeout', 'idle-timeout']);
    clock.advance(10_000);
    expect(pool.stats.idle).toBe(2);
    expect(connector.made).toHaveLength(4);
  });

  it('closes a connection once it has been lent maxUses times', async () => {
    const { pool, destroyed } = makePool({ maxUses: 2 });
    pool.release(await pool.acquire());
    expect(destroyed).toEqual([]);
    pool.release(await pool.acquire());
    expect(destroyed).toEqual([[1, 'max-uses']]);
    expect((await pool.acquire()).id).toBe(2);
  });

  it('closes a connection older than maxLifetimeMs when it is released or found idle', async () => {
    const { pool, clock, destroyed } = makePool({ maxLifetimeMs: 5_000, idleTimeoutMs: 0 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    pool.release(b);
    clock.advance(5_000);
    pool.release(a);
    expect(destroyed).toEqual([[1, 'max-lifetime']]);
    expect((await pool.acquire()).id).toBe(3);
    expect(destroyed).toEqual([
      [1, 'max-lifetime'],
      [2, 'max-lifetime'],
    ]);
  });
});

describe('close()', () => {
  it('rejects waiters and later acquires with MULTIPLEXING_ERR_CLOSED and closes idle connections now', async () => {
    const { pool, connector } = makePool({ maxSize: 1 });
    const held = await pool.acquire();
    const waiter = pool.acquire();
    const closing = pool.close();
    expect((await rejectionOf(waiter)).code).toBe('MULTIPLEXING_ERR_CLOSED');
    expect((await rejectionOf(pool.acquire())).code).toBe('MULTIPLEXING_ERR_CLOSED');
    expect(pool.closed).toBe(true);
    pool.release(held);
    expect(await closing).toEqual({ released: 1, destroyedAtDeadline: 0 });
    expect(connector.made[0]?.closed).toBe(true);
    expect(pool.stats).toMatchObject({ size: 0, waiting: 0 });
  });

  it('waits for borrowed connections until timeoutMs, then destroys them under their borrower', async () => {
    const { pool, clock, connector, destroyed } = makePool();
    const a = await pool.acquire();
    const b = await pool.acquire();
    const c = await pool.acquire();
    pool.release(c);
    let report: unknown;
    const closing = pool.close({ timeoutMs: 2_000 }).then((r) => {
      report = r;
    });
    expect(destroyed).toEqual([[3, 'pool-closed']]);
    pool.release(a);
    clock.advance(1_999);
    await settle();
    expect(report).toBeUndefined();
    expect(b.closed).toBe(false);
    clock.advance(1);
    await closing;
    expect(report).toEqual({ released: 1, destroyedAtDeadline: 1 });
    expect(b.closed).toBe(true);
    expect(() => pool.release(b)).not.toThrow(); // a late release after the deadline is ignored
    expect(connector.made.every((m) => m.closed)).toBe(true);
    expect(clock.pending).toBe(0); // no timer left behind
  });

  it('returns the same promise when called twice, and resolves at once with nothing borrowed', async () => {
    const { pool } = makePool();
    const first = pool.close();
    expect(pool.close()).toBe(first);
    expect(await first).toEqual({ released: 0, destroyedAtDeadline: 0 });
  });

  it('closes a connection whose connect finishes after close()', async () => {
    const connector = fakeConnector({ manual: true });
    const pool = createConnectionPool({ connect: connector.connect, clock: new ManualClock() });
    const waiter = pool.acquire();
    await pool.close();
    expect((await rejectionOf(waiter)).code).toBe('MULTIPLEXING_ERR_CLOSED');
    expect(connector.pending[0]?.attempt.signal.aborted).toBe(true);
    const late = connector.pending[0]?.succeed() as FakeConnection;
    await settle();
    expect(late.closed).toBe(true);
  });
});
