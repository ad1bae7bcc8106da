import { randomBytes } from 'node:crypto';
import { nextEvent, probeService, withTimeout } from '@socketlab/testkit';
import amqp from 'amqplib';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DistributedError } from '../../src/errors.ts';
import {
  createWorkQueue,
  type Job,
  type WorkQueue,
  type WorkQueueOptions,
} from '../../src/queues/index.ts';

const rabbit = await probeService('rabbitmq');

/** A promise with its resolve, for gates and "this happened" signals. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function openQueue<T>(options: Partial<WorkQueueOptions<T>> = {}): Promise<WorkQueue<T>> {
  const queue = await createWorkQueue<T>({
    url: rabbit.url,
    queue: `socketlab.test.${randomBytes(6).toString('hex')}`,
    retryDelayMs: 30,
    ...options,
  });
  onTestFinished(async () => {
    await queue.deleteQueues().catch(() => {});
    await queue.close();
  });
  return queue;
}

describe.skipIf(rabbit.skip)('createWorkQueue (RabbitMQ)', () => {
  beforeAll(() => rabbit.require());

  it('publishes with confirms and delivers every message once, acked', async () => {
    const queue = await openQueue<{ n: number }>();
    const seen: number[] = [];
    const all = deferred();
    await queue.consume((body) => {
      seen.push(body.n);
      if (seen.length === 5) all.resolve();
    });
    for (let n = 0; n < 5; n++) await queue.publish({ n });
    await withTimeout(all.promise, 'five deliveries');
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('with prefetch 1, a slow consumer holds one message while a fast one does the rest', async () => {
    const queue = await openQueue<{ n: number }>({ prefetch: 1 });
    const gate = deferred();
    const fastDone = deferred();
    let slow = 0;
    let fast = 0;
    await queue.consume(async () => {
      slow++;
      await gate.promise;
    });
    await queue.consume(() => {
      fast++;
      if (fast === 9) fastDone.resolve();
    });
    for (let n = 0; n < 10; n++) await queue.publish({ n });
    await withTimeout(fastDone.promise, 'the fast consumer doing nine');
    expect({ slow, fast }).toEqual({ slow: 1, fast: 9 });
    gate.resolve();
  });

  it('with a large prefetch, the slow consumer is handed messages it cannot work on yet', async () => {
    const queue = await openQueue<{ n: number }>({ prefetch: 10 });
    const gate = deferred();
    const allOut = deferred();
    let slow = 0;
    let fast = 0;
    const check = (): void => {
      if (slow + fast === 10) allOut.resolve();
    };
    await queue.consume(async () => {
      slow++;
      check();
      await gate.promise;
    });
    await queue.consume(() => {
      fast++;
      check();
    });
    for (let n = 0; n < 10; n++) await queue.publish({ n });
    await withTimeout(allOut.promise, 'all ten handed out');
    expect(slow).toBeGreaterThan(1); // sitting in the slow consumer's buffer, unacked
    gate.resolve();
  });

  it('redelivers a message to another consumer when the one holding it crashes without acking', async () => {
    const queue = await openQueue<{ n: number }>({ prefetch: 1 });
    const taken = deferred<Job>();
    const crashing = await queue.consume((_body, job) => {
      taken.resolve(job);
      return new Promise(() => {}); // never acks
    });
    await queue.publish({ n: 1 });
    const first = await withTimeout(taken.promise, 'the first delivery');
    expect(first.redelivered).toBe(false);

    const again = deferred<Job>();
    await queue.consume((_body, job) => again.resolve(job));
    await crashing.abort(); // the channel closes with the message unacked
    const second = await withTimeout(again.promise, 'the redelivery');
    expect(second).toMatchObject({ messageId: first.messageId, redelivered: true, retries: 0 });
  });

  it('retries a failing handler after the delay with the count, then dead-letters it', async () => {
    const queue = await openQueue<{ n: number }>({ maxRetries: 2, retryDelayMs: 40 });
    const attempts: { retries: number; at: number }[] = [];
    const retried: number[] = [];
    queue.on('retry', ({ retries }) => retried.push(retries));
    await queue.consume((_body, job) => {
      attempts.push({ retries: job.retries, at: performance.now() });
      throw new Error(`flaky downstream (attempt ${job.retries + 1})`);
    });
    const dead = nextEvent<[{ messageId: string; reason: string; error: unknown }]>(
      queue,
      'dead-letter',
    );
    const messageId = await queue.publish({ n: 7 });
    const [info] = await dead;

    expect(info).toMatchObject({ messageId, reason: 'exhausted' });
    expect(attempts.map((a) => a.retries)).toEqual([0, 1, 2]);
    expect(retried).toEqual([1, 2]);
    // Each retry waited in the TTL queue for at least retryDelayMs (a lower bound, never a speed).
    const gaps = attempts.slice(1).map((a, i) => a.at - (attempts[i]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(40 - 2);

    const letter = await queue.getDeadLetter();
    expect(letter).toMatchObject({
      messageId,
      reason: 'exhausted',
      retries: 2,
      error: 'flaky downstream (attempt 3)',
    });
    expect(JSON.parse(String(letter?.content))).toEqual({ n: 7 });
    expect(await queue.getDeadLetter()).toBeUndefined();
  });

  it('a handler that succeeds on a retry acks it there and nothing is dead-lettered', async () => {
    const queue = await openQueue<{ n: number }>({ maxRetries: 3 });
    const done = deferred<Job>();
    await queue.consume((_body, job) => {
      if (job.retries < 1) throw new Error('not yet');
      done.resolve(job);
    });
    await queue.publish({ n: 1 });
    expect((await withTimeout(done.promise, 'the retry')).retries).toBe(1);
    expect(await queue.getDeadLetter()).toBeUndefined();
  });

  it('dead-letters an unparsable message at once with DISTRIBUTED_ERR_PAYLOAD, and keeps consuming', async () => {
    const queue = await openQueue<{ n: number }>({ maxRetries: 5 });
    const handled: number[] = [];
    const good = deferred();
    await queue.consume((body) => {
      handled.push(body.n);
      good.resolve();
    });
    // A hostile or buggy producer, straight through amqplib.
    const connection = await amqp.connect(rabbit.url);
    onTestFinished(() => connection.close());
    const channel = await connection.createConfirmChannel();
    const dead = nextEvent<[{ reason: string; error: unknown }]>(queue, 'dead-letter');
    channel.sendToQueue(queue.names.work, Buffer.from('{"n": 1,'), { messageId: 'broken-1' });
    await channel.waitForConfirms();
    const [info] = await dead;
    expect(info.reason).toBe('unparsable');
    expect(info.error).toBeInstanceOf(DistributedError);
    expect((info.error as DistributedError).code).toBe('DISTRIBUTED_ERR_PAYLOAD');

    await queue.publish({ n: 2 });
    await withTimeout(good.promise, 'the next good message');
    expect(handled).toEqual([2]);
    expect(await queue.getDeadLetter()).toMatchObject({
      messageId: 'broken-1',
      reason: 'unparsable',
      retries: 0,
    });
  });

  it('dead-letters a body its parse option refuses', async () => {
    const queue = await openQueue<{ n: number }>({
      parse: (value) => {
        if (typeof (value as { n?: unknown })?.n !== 'number')
          throw new Error('n must be a number');
        return value as { n: number };
      },
    });
    await queue.consume(() => {});
    const dead = nextEvent<[{ reason: string; error: DistributedError }]>(queue, 'dead-letter');
    await queue.publish({ n: 'seven' } as unknown as { n: number });
    const [info] = await dead;
    expect(info.error.code).toBe('DISTRIBUTED_ERR_PAYLOAD');
    expect(info.error.message).toContain('n must be a number');
  });

  it('refuses to publish a body over maxMessageBytes with DISTRIBUTED_ERR_LIMIT', async () => {
    const queue = await openQueue<string>({ maxMessageBytes: 16 });
    await expect(queue.publish('x'.repeat(64))).rejects.toMatchObject({
      code: 'DISTRIBUTED_ERR_LIMIT',
    });
  });

  it('checks its options synchronously', async () => {
    await expect(createWorkQueue({ url: rabbit.url, queue: 'q', prefetch: 0 })).rejects.toThrow(
      RangeError,
    );
    await expect(createWorkQueue({ url: rabbit.url, queue: '' })).rejects.toThrow(TypeError);
    await expect(
      createWorkQueue({ url: rabbit.url, queue: 'q', retryDelayMs: 1.5 }),
    ).rejects.toThrow(TypeError);
  });

  it('close waits for a running handler, whose ack then lands', async () => {
    const queue = await createWorkQueue<{ n: number }>({
      url: rabbit.url,
      queue: `socketlab.test.${randomBytes(6).toString('hex')}`,
    });
    const started = deferred();
    let finished = false;
    await queue.consume(async () => {
      started.resolve();
      await new Promise((resolve) => setImmediate(resolve));
      finished = true;
    });
    await queue.publish({ n: 1 });
    await withTimeout(started.promise, 'the handler starting');
    await queue.close();
    expect(finished).toBe(true);
    // Nothing is left: the ack went through before the channel closed.
    const connection = await amqp.connect(rabbit.url);
    onTestFinished(() => connection.close());
    const channel = await connection.createChannel();
    expect((await channel.checkQueue(queue.names.work)).messageCount).toBe(0);
    for (const name of Object.values(queue.names)) await channel.deleteQueue(name);
  });

  it('rejects with DISTRIBUTED_ERR_UNAVAILABLE when the broker cannot be reached', async () => {
    await expect(
      createWorkQueue({ url: 'amqp://guest:guest@127.0.0.1:1', queue: 'q' }),
    ).rejects.toMatchObject({
      code: 'DISTRIBUTED_ERR_UNAVAILABLE',
    });
  });
});
