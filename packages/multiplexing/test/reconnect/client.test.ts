import { createSeededRandom } from '@socketlab/tcp-udp';
import { nextEvent } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MultiplexingError } from '../../src/errors.ts';
import {
  createReconnectingClient,
  fullJitterDelayMs,
  type ReconnectingClient,
  type ReconnectingClientOptions,
} from '../../src/reconnect/index.ts';
import { createManualTimers, scriptedConnect } from '../helpers/reconnect.ts';

type Options = ReconnectingClientOptions<string, string>;

/** A client on manual timers with every event logged, closed when the test ends. */
function setup(script: Parameters<typeof scriptedConnect>[0], options: Partial<Options> = {}) {
  const timers = createManualTimers();
  const transport = scriptedConnect(script);
  const events: string[] = [];
  const client = createReconnectingClient<string, string>({
    connect: transport.connect,
    timers,
    ...options,
  });
  client.on('connecting', ({ attempt }) => events.push(`connecting ${attempt}`));
  client.on('connected', ({ attempt, reconnect }) =>
    events.push(`connected ${attempt}${reconnect ? ' again' : ''}`),
  );
  client.on('retrying', ({ attempt, delayMs }) => events.push(`retrying ${attempt} in ${delayMs}`));
  client.on('disconnected', ({ reason }) => events.push(`disconnected ${reason}`));
  client.on('gaveUp', (error) => events.push(`gave up ${error.code}`));
  client.on('message', (message) => events.push(`message ${message}`));
  onTestFinished(() => client.close());
  return { client, timers, transport, events, log: transport.log };
}

/** Waits for the client's next `event` (bounded), after `trigger` runs. */
async function after<T extends unknown[]>(
  client: ReconnectingClient<string, string>,
  event: string,
  trigger: () => void = () => {},
): Promise<T> {
  const next = nextEvent<T>(client, event);
  trigger();
  return next;
}

const refused = () => new Error('ECONNREFUSED');

describe('ReconnectingClient on manual timers', () => {
  it('waits the full-jitter delays of its seed between attempts, and nothing else', async () => {
    const seed = 1234;
    const random = createSeededRandom(seed);
    const { client, timers, events } = setup(
      [refused(), refused(), refused(), refused(), refused(), 'up'],
      { baseDelayMs: 100, maxDelayMs: 1_000, random: () => random.float() },
    );
    const expectedRandom = createSeededRandom(seed);
    const expected = Array.from({ length: 5 }, (_, n) =>
      fullJitterDelayMs(n, { baseDelayMs: 100, maxDelayMs: 1_000 }, () => expectedRandom.float()),
    );
    let [info] = await after<[{ delayMs: number }]>(client, 'retrying', () => client.start());
    for (let n = 0; n < 5; n++) {
      expect(info.delayMs, `retry ${n} with seed ${seed}`).toBe(expected[n]);
      expect(timers.pending()).toEqual([info.delayMs]); // the only timer: the backoff wait
      if (info.delayMs > 0) {
        timers.advance(info.delayMs - 1);
        expect(client.state).toBe('waiting'); // not a millisecond early
      }
      const next = n < 4 ? 'retrying' : 'connected';
      [info] = await after(client, next, () => timers.advance(1));
    }
    expect(client.state).toBe('connected');
    expect(events).toEqual([
      'connecting 1',
      `retrying 2 in ${expected[0]}`,
      'connecting 2',
      `retrying 3 in ${expected[1]}`,
      'connecting 3',
      `retrying 4 in ${expected[2]}`,
      'connecting 4',
      `retrying 5 in ${expected[3]}`,
      'connecting 5',
      `retrying 6 in ${expected[4]}`,
      'connecting 6',
      'connected 6',
    ]);
  });

  it('gives up after maxAttempts failures in a row, and rejects what was queued', async () => {
    const { client, timers, events } = setup([refused(), refused(), refused(), 'up'], {
      maxAttempts: 3,
      random: () => 0.5,
    });
    // Each wait passes as soon as it starts: the test plays the clock.
    client.on('retrying', ({ delayMs }) => setImmediate(() => timers.advance(delayMs)));
    const queued = client.send('hello').catch((err: unknown) => err);
    await after(client, 'gaveUp', () => client.start());
    const failure = await queued;
    expect(failure).toBeInstanceOf(MultiplexingError);
    expect(failure).toMatchObject({ code: 'MULTIPLEXING_ERR_GAVE_UP' });
    expect((failure as Error).message).toMatch(
      /after 3 failed attempt\(s\) in \d+ ms \(maxAttempts 3 failed\); last error: ECONNREFUSED$/,
    );
    expect((failure as Error).cause).toMatchObject({ message: 'ECONNREFUSED' });
    expect(events.filter((e) => e.startsWith('connecting'))).toHaveLength(3);
    expect(client.state).toBe('closed');
    await expect(client.send('late')).rejects.toMatchObject({ code: 'MULTIPLEXING_ERR_GAVE_UP' });
  });

  it('gives up once reconnectTimeoutMs would pass before the next attempt', async () => {
    const { client, timers, events } = setup([], {
      baseDelayMs: 100,
      maxDelayMs: 100,
      reconnectTimeoutMs: 350,
      random: () => 0.999, // every wait is the full 100 ms
    });
    client.on('retrying', ({ delayMs }) => setImmediate(() => timers.advance(delayMs)));
    const gaveUp = after<[MultiplexingError]>(client, 'gaveUp', () => client.start());
    const [error] = await gaveUp;
    expect(error.code).toBe('MULTIPLEXING_ERR_GAVE_UP');
    expect(error.message).toMatch(/reconnectTimeoutMs 350 would pass/);
    // Attempts at 0, 100, 200 and 300 ms; the next would start at 400 > 350.
    expect(events.filter((e) => e.startsWith('connecting'))).toHaveLength(4);
  });

  it('runs the resume hook on every connection before the queued messages flush', async () => {
    const { client, transport, timers, log, events } = setup(['up', refused(), 'up'], {
      random: () => 0,
      resume: async (connection, { attempt, reconnect }) => {
        log.push(`resume attempt ${attempt}${reconnect ? ' (reconnect)' : ''}`);
        await connection.send('subscribe news');
      },
    });
    const first = [client.send('a'), client.send('b')]; // before start: queued
    await after(client, 'connected', () => client.start());
    await Promise.all(first);
    expect(log).toEqual(['resume attempt 1', 'send subscribe news', 'send a', 'send b']);

    // The peer goes away; sends made meanwhile wait, then follow the next resume.
    await after(client, 'disconnected', () => transport.connections[0]?.finish());
    expect(transport.connections[0]?.closed).toBe(true); // our side released, not left half-open
    const second = [client.send('c'), client.send('d')];
    expect(client.queuedMessages).toBe(2);
    await after(client, 'retrying', () => timers.advance(0));
    await after(client, 'connected', () => timers.advance(0));
    await Promise.all(second);
    expect(log.slice(4)).toEqual([
      'resume attempt 2 (reconnect)',
      'send subscribe news',
      'send c',
      'send d',
    ]);
    expect(events).toContain('disconnected peer-closed');
    expect(events).toContain('connected 2 again');
    // Connected with an empty queue: a send goes straight out.
    await client.send('e');
    expect(log.at(-1)).toBe('send e');
  });

  it('treats a failing resume hook as a failed attempt', async () => {
    let calls = 0;
    const { client, transport, timers, events } = setup(['up', 'up'], {
      random: () => 0,
      resume: () => {
        if (++calls === 1) throw new Error('login refused');
      },
    });
    const [retry] = await after<[{ error: Error }]>(client, 'retrying', () => client.start());
    expect(retry.error).toMatchObject({ code: 'MULTIPLEXING_ERR_CONNECTION' });
    expect(retry.error.message).toContain('the resume hook failed: login refused');
    expect(transport.connections[0]?.closed).toBe(true);
    await after(client, 'connected', () => timers.advance(0));
    expect(events).toEqual(['connecting 1', 'retrying 2 in 0', 'connecting 2', 'connected 2']);
  });

  it('bounds the offline queue and drops the oldest with a count of what went', async () => {
    const { client } = setup([], { maxQueuedMessages: 3, maxQueuedBytes: 12 });
    const dropped: string[] = [];
    client.on('dropped', ({ message }) => dropped.push(message));
    const sends = ['m1', 'm2', 'm3', 'm4', 'm5'].map((m) => client.send(m).catch((e) => e));
    expect(client.queuedMessages).toBe(3);
    expect(dropped).toEqual(['m1', 'm2']);
    await expect(sends[0]).resolves.toMatchObject({ code: 'MULTIPLEXING_ERR_LIMIT_EXCEEDED' });
    // Bytes too: with room for 10 messages but 12 bytes, a 2-byte message pushes out a 4-byte one.
    const bytes = setup([], { maxQueuedMessages: 10, maxQueuedBytes: 12 });
    const lost = ['aaaa', 'bbbb', 'cccc'].map((m) => bytes.client.send(m).catch((e) => e));
    expect(bytes.client.queuedBytes).toBe(12);
    void bytes.client.send('dd').catch(() => {});
    expect([bytes.client.queuedMessages, bytes.client.queuedBytes]).toEqual([3, 10]);
    await expect(lost[0]).resolves.toMatchObject({ code: 'MULTIPLEXING_ERR_LIMIT_EXCEEDED' });
    await expect(client.send('x'.repeat(13))).rejects.toThrow(/larger than the whole queue/);
  });

  it("refuses a send when the queue is full with the 'reject' policy", async () => {
    const { client } = setup([], { maxQueuedMessages: 1, queueFullPolicy: 'reject' });
    const kept = client.send('first');
    await expect(client.send('second')).rejects.toMatchObject({
      code: 'MULTIPLEXING_ERR_LIMIT_EXCEEDED',
      message: expect.stringContaining('the offline queue is full'),
    });
    expect(client.queuedMessages).toBe(1);
    await client.close();
    await expect(kept).rejects.toMatchObject({ code: 'MULTIPLEXING_ERR_CLOSED' });
  });

  it('abandons an attempt that takes longer than connectTimeoutMs', async () => {
    const { client, timers } = setup(['hang', 'up'], { connectTimeoutMs: 500, random: () => 0 });
    client.start();
    expect(timers.pending()).toEqual([500]);
    const [retry] = await after<[{ error: Error }]>(client, 'retrying', () => timers.advance(500));
    expect(retry.error.message).toBe('attempt 1 took longer than connectTimeoutMs 500');
    await after(client, 'connected', () => timers.advance(0));
  });

  it('reports a broken connection and reconnects after it', async () => {
    const { client, transport, timers, events } = setup(['up', 'up'], { random: () => 0 });
    await after(client, 'connected', () => client.start());
    transport.connections[0]?.deliver('hi');
    const [info] = await after<[{ reason: string; error: Error }]>(client, 'disconnected', () =>
      transport.connections[0]?.finish(new Error('ECONNRESET')),
    );
    expect(info).toMatchObject({ reason: 'connection-error', error: { message: 'ECONNRESET' } });
    await after(client, 'connected', () => timers.advance(0));
    expect(events).toEqual([
      'connecting 1',
      'connected 1',
      'message hi',
      'disconnected connection-error',
      'retrying 1 in 0',
      'connecting 1',
      'connected 1 again',
    ]);
  });

  it('rejects a send the breaking connection refused, and queues the next for the new one', async () => {
    const { client, transport, timers, log } = setup(['up', 'up'], { random: () => 0 });
    client.on('retrying', ({ delayMs }) => setImmediate(() => timers.advance(delayMs)));
    await after(client, 'connected', () => client.start());
    transport.connections[0]?.finish(); // the peer is gone; the client has not noticed yet
    const reconnected = nextEvent(client, 'connected');
    const lost = client.send('lost');
    const kept = client.send('kept');
    await expect(lost).rejects.toMatchObject({
      code: 'MULTIPLEXING_ERR_CONNECTION',
      message: 'the connection broke while sending: write after close',
    });
    await reconnected;
    await kept;
    expect(log).toEqual(['send kept']);
  });

  it('stops for good on close(), while waiting or connected', async () => {
    const { client, timers, events } = setup([refused()], { random: () => 0.5 });
    await after(client, 'retrying', () => client.start());
    const queued = client.send('never');
    await client.close();
    expect(client.state).toBe('closed');
    expect(timers.pending()).toEqual([]);
    await expect(queued).rejects.toMatchObject({ code: 'MULTIPLEXING_ERR_CLOSED' });
    await expect(client.send('late')).rejects.toMatchObject({ code: 'MULTIPLEXING_ERR_CLOSED' });
    expect(events.at(-1)).toMatch(/^retrying/);

    const other = setup(['up']);
    await after(other.client, 'connected', () => other.client.start());
    await other.client.close();
    expect(other.transport.connections[0]?.closed).toBe(true);
    expect(other.events.at(-1)).toBe('disconnected closed');
  });
});

describe('createReconnectingClient options', () => {
  const connect = () => Promise.reject(new Error('unused'));
  it.each([
    [{}, TypeError, 'connect must be a function'],
    [{ connect, resume: 'yes' }, TypeError, 'resume must be a function'],
    [
      { connect, baseDelayMs: 0 },
      RangeError,
      'baseDelayMs must be an integer from 1 to 2147483647, got 0',
    ],
    [
      { connect, baseDelayMs: 500, maxDelayMs: 100 },
      RangeError,
      'maxDelayMs must be an integer from 500',
    ],
    [{ connect, maxAttempts: -1 }, RangeError, 'maxAttempts must be an integer ≥ 0, got -1'],
    [{ connect, maxAttempts: 1.5 }, TypeError, 'maxAttempts must be an integer'],
    [{ connect, reconnectTimeoutMs: -5 }, RangeError, 'reconnectTimeoutMs must be'],
    [{ connect, connectTimeoutMs: 0 }, RangeError, 'connectTimeoutMs must be'],
    [{ connect, maxQueuedBytes: Number.NaN }, TypeError, 'maxQueuedBytes must be an integer'],
    [
      { connect, queueFullPolicy: 'block' },
      TypeError,
      'queueFullPolicy must be one of drop-oldest, reject, got "block"',
    ],
    [{ connect, timers: { now: () => 0 } }, TypeError, 'timers must have now(), setTimeout()'],
  ])('throws synchronously for %j', (options, kind, message) => {
    expect(() => createReconnectingClient(options as never)).toThrow(kind);
    expect(() => createReconnectingClient(options as never)).toThrow(message);
  });
});
