import { rejectionOf, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WorkerPool, type WorkerPoolOptions } from '../../src/concurrency/index.ts';
import { concurrencyScript } from '../../src/concurrency/scripts.ts';

const FIXTURE = new URL('./fixtures/crashing-worker.ts', import.meta.url);
/** A thread starts by loading its TypeScript fixture: on a busy CI machine that alone has taken over 5 s. */
const WAIT_MS = process.env.CI === 'true' ? 30_000 : 5_000;

function pool(options: Partial<WorkerPoolOptions> = {}): WorkerPool {
  const created = new WorkerPool({ script: FIXTURE, size: 1, maxQueue: 2, ...options });
  onTestFinished(() => created.destroy());
  return created;
}

type Echo = { echo: string; threadId: number };

describe('WorkerPool', () => {
  it.each([
    [{ size: 0 }, RangeError, 'size must be an integer from 1 to 256, got 0'],
    [{ maxQueue: -1 }, RangeError, 'maxQueue must be an integer from 0 to 1000000'],
    [{ size: 1.5 }, TypeError, 'size must be an integer'],
  ])('refuses %j synchronously', (options, kind, message) => {
    expect(() => new WorkerPool({ script: FIXTURE, ...options })).toThrow(kind);
    expect(() => new WorkerPool({ script: FIXTURE, ...options })).toThrow(message);
  });

  it('refuses to start without a script URL', () => {
    expect(() => new WorkerPool({} as WorkerPoolOptions)).toThrow('WorkerPool needs a script URL');
  });

  it('runs the built-in hash worker and gives the same digest as the event loop', async () => {
    const hashing = pool({ script: concurrencyScript('pool-worker'), size: 2 });
    const digests = await withTimeout(
      Promise.all([hashing.run({ seed: 'a', rounds: 1 }), hashing.run({ seed: 'b', rounds: 3 })]),
      'two digests',
      WAIT_MS,
    );
    const { hashRounds } = await import('../../src/concurrency/index.ts');
    expect(digests).toEqual([hashRounds('a', 1), hashRounds('b', 3)]);
  });

  it('refuses a task with MULTIPLEXING_ERR_LIMIT_EXCEEDED when every thread is busy and the queue is full', async () => {
    const busy = pool({ size: 1, maxQueue: 1 });
    const running = busy.run({ echo: 'first', waitMs: 200 });
    const queued = busy.run({ echo: 'second' });
    const refused = await rejectionOf(busy.run({ echo: 'third' }));
    expect(refused).toMatchObject({ code: 'MULTIPLEXING_ERR_LIMIT_EXCEEDED' });
    expect(refused.message).toContain('maxQueue 1');
    expect(busy.stats()).toMatchObject({ threads: 1, busy: 1, queued: 1 });
    expect(
      await withTimeout(Promise.all([running, queued]), 'the two admitted tasks', WAIT_MS),
    ).toMatchObject([{ echo: 'first' }, { echo: 'second' }]);
  });

  it('fails only the task whose handler threw; the thread goes on', async () => {
    const p = pool();
    const failed = await rejectionOf(p.run({ throw: 'bad input' }), 'the task', undefined, WAIT_MS);
    expect(failed).toMatchObject({ code: 'MULTIPLEXING_ERR_TASK_FAILED' });
    expect(failed.message).toContain('Error: bad input');
    expect(await withTimeout(p.run({ echo: 'after' }), 'the next task', WAIT_MS)).toMatchObject({
      echo: 'after',
    });
    expect(p.stats()).toMatchObject({ crashes: 0, completed: 2 });
  });

  it.each([
    ['exits', { exit: 3 }, 'exit code 3'],
    ['throws outside its handler', { crash: 'boom' }, 'boom'],
  ])('fails only the task of a thread that %s, and replaces the thread', async (_, task, why) => {
    const p = pool({ size: 1, maxQueue: 4 });
    const first = (await withTimeout(p.run({ echo: 'before' }), 'a first task', WAIT_MS)) as Echo;
    const crashed = p.run(task);
    const behind = p.run({ echo: 'queued behind the crash' });
    const error = await rejectionOf(crashed, 'the crashed task', undefined, WAIT_MS);
    expect(error).toMatchObject({ code: 'MULTIPLEXING_ERR_WORKER_CRASHED' });
    expect(error.message).toContain(why);
    const next = (await withTimeout(behind, 'the queued task', WAIT_MS)) as Echo;
    expect(next.echo).toBe('queued behind the crash');
    expect(next.threadId).not.toBe(first.threadId);
    expect(p.stats()).toMatchObject({ threads: 1, crashes: 1, queued: 0, busy: 0 });
  });

  it('closes gracefully: queued work finishes, new work is refused, every thread exits', async () => {
    const p = pool({ size: 1, maxQueue: 4 });
    const tasks = [p.run({ echo: '1', waitMs: 20 }), p.run({ echo: '2' })];
    const closing = p.close();
    expect(await rejectionOf(p.run({ echo: 'late' }))).toMatchObject({
      code: 'MULTIPLEXING_ERR_CLOSED',
    });
    expect(await withTimeout(Promise.all(tasks), 'the queued tasks', WAIT_MS)).toMatchObject([
      { echo: '1' },
      { echo: '2' },
    ]);
    await withTimeout(closing, 'close()', WAIT_MS);
    expect(p.stats()).toMatchObject({ threads: 0 });
  });

  it('destroy() rejects what is queued and running with MULTIPLEXING_ERR_CLOSED', async () => {
    const p = pool({ size: 1, maxQueue: 4 });
    const running = rejectionOf(p.run({ echo: '1', waitMs: 10_000 }));
    const queued = rejectionOf(p.run({ echo: '2' }));
    await withTimeout(p.destroy(), 'destroy()', WAIT_MS);
    expect(await running).toMatchObject({ code: 'MULTIPLEXING_ERR_CLOSED' });
    expect(await queued).toMatchObject({ code: 'MULTIPLEXING_ERR_CLOSED' });
    expect(p.stats()).toMatchObject({ threads: 0 });
  });
});

describe('WorkerPool with a script that cannot load', () => {
  it('fails each task with MULTIPLEXING_ERR_WORKER_CRASHED, starting a thread per task, never looping', async () => {
    const broken = pool({
      script: new URL('./fixtures/missing-worker.ts', import.meta.url),
      size: 1,
      maxQueue: 0,
    });
    for (let i = 0; i < 2; i++) {
      expect(
        await rejectionOf(broken.run({ echo: String(i) }), 'the task', undefined, WAIT_MS),
      ).toMatchObject({
        code: 'MULTIPLEXING_ERR_WORKER_CRASHED',
      });
    }
    expect(broken.stats()).toMatchObject({ threads: 0, busy: 0, queued: 0 });
    expect(broken.stats().crashes).toBeGreaterThanOrEqual(2);
  });
});
