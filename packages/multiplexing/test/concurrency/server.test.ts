import { createHash } from 'node:crypto';
import { pollUntil, rejectionOf, WireClient, withTimeout } from '@socketlab/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type ConcurrencyClient,
  type ConcurrencyModel,
  type ConcurrencyServer,
  type ConcurrencyServerOptions,
  connectConcurrencyClient,
  listenConcurrencyServer,
} from '../../src/concurrency/index.ts';

/** The expected digest, computed here without the library. */
function sha256Chain(seed: string, rounds: number): string {
  let digest = createHash('sha256').update(seed).digest();
  for (let i = 1; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex');
}

async function start(options: ConcurrencyServerOptions): Promise<ConcurrencyServer> {
  const server = await withTimeout(
    listenConcurrencyServer({ host: '127.0.0.1', port: 0, ...options }),
    'listen',
    15_000,
  );
  onTestFinished(() => server.close());
  return server;
}

async function connect(server: ConcurrencyServer): Promise<ConcurrencyClient> {
  const client = await connectConcurrencyClient({ host: '127.0.0.1', port: server.address.port });
  onTestFinished(() => client.close());
  return client;
}

/** Sends a long `cpu` request, then an `io` one right behind it; resolves with the order they were answered in. */
async function completionOrder(client: ConcurrencyClient, rounds: number): Promise<string[]> {
  const order: string[] = [];
  const cpu = client.request({ kind: 'cpu', rounds, seed: 'long' }).then(() => order.push('cpu'));
  const io = client.request({ kind: 'io', ms: 0 }).then(() => order.push('io'));
  // a long cpu task by design (and, for the pool, threads loading TypeScript): wider under CI's load
  await withTimeout(
    Promise.all([cpu, io]),
    'both answers',
    process.env.CI === 'true' ? 45_000 : 15_000,
  );
  return order;
}

describe('listenConcurrencyServer', () => {
  it.each([
    [{ model: 'threads' }, TypeError, 'model must be one of event-loop, worker-pool, cluster'],
    [{ poolSize: 0 }, RangeError, 'poolSize must be an integer from 1 to 256, got 0'],
    [{ maxInFlight: 1.5 }, TypeError, 'maxInFlight must be an integer'],
    [{ workers: 300 }, RangeError, 'workers must be an integer from 1 to 256'],
    [{ host: '' }, TypeError, 'host must be a non-empty string'],
  ])('refuses %j synchronously', (options, kind, message) => {
    const bad = options as ConcurrencyServerOptions;
    expect(() => listenConcurrencyServer(bad)).toThrow(kind);
    expect(() => listenConcurrencyServer(bad)).toThrow(message);
  });

  it.each<ConcurrencyModel>(['event-loop', 'worker-pool'])(
    'answers io and cpu requests correctly (%s)',
    async (model) => {
      const server = await start({ model, poolSize: 1 });
      const client = await connect(server);
      const answers = await withTimeout(
        Promise.all([
          client.request({ kind: 'cpu', rounds: 1, seed: 'abc' }),
          client.request({ kind: 'cpu', rounds: 1_000, seed: 'socketlab' }),
          client.request({ kind: 'io', ms: 5 }),
        ]),
        'three answers',
        30_000, // a worker thread first loads its module: seconds on a loaded CI machine
      );
      expect(answers).toEqual([
        {
          pid: process.pid,
          result: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
        },
        { pid: process.pid, result: sha256Chain('socketlab', 1_000) },
        { pid: process.pid, result: '5' },
      ]);
    },
  );

  it('event loop alone: a cpu request holds the loop, so an io request sent after it is answered after it', async () => {
    const server = await start({ model: 'event-loop' });
    expect(await completionOrder(await connect(server), 20_000)).toEqual(['cpu', 'io']);
  });

  it('worker pool: the io request sent after a long cpu request is answered first', async () => {
    const server = await start({ model: 'worker-pool', poolSize: 1 });
    const client = await connect(server);
    // Warm the thread up, so the long request is not also waiting for the worker to load.
    await withTimeout(client.request({ kind: 'cpu', rounds: 1, seed: 'warm' }), 'warm-up', 15_000);
    expect(await completionOrder(client, 200_000)).toEqual(['io', 'cpu']);
  });

  it('worker pool: a full queue answers MULTIPLEXING_ERR_LIMIT_EXCEEDED and keeps the connection', async () => {
    const server = await start({ model: 'worker-pool', poolSize: 1, maxQueue: 0 });
    const client = await connect(server);
    await withTimeout(client.request({ kind: 'cpu', rounds: 1, seed: 'warm' }), 'warm-up', 15_000);
    const long = client.request({ kind: 'cpu', rounds: 100_000, seed: 'long' });
    const refused = await rejectionOf(client.request({ kind: 'cpu', rounds: 1, seed: 'x' }));
    expect(refused).toMatchObject({ code: 'MULTIPLEXING_ERR_LIMIT_EXCEEDED' });
    expect(refused.message).toContain('maxQueue 0');
    expect(await withTimeout(long, 'the long request', 15_000)).toMatchObject({
      result: sha256Chain('long', 100_000),
    });
  });

  it('answers a malformed request with MULTIPLEXING_ERR_PROTOCOL under its id and goes on', async () => {
    const server = await start({ model: 'event-loop' });
    const wire = await WireClient.connect('127.0.0.1', server.address.port);
    onTestFinished(() => wire.close());
    await wire.send('7 cpu 0 abc\n!! nonsense\n8 io 1\n');
    expect(await wire.readLine()).toBe(
      '7 error MULTIPLEXING_ERR_PROTOCOL cpu rounds must be an integer from 1 to 10000000, got "0"',
    );
    expect(await wire.readLine()).toMatch(
      /^- error MULTIPLEXING_ERR_PROTOCOL a request starts with an id/,
    );
    expect(await wire.readLine()).toBe(`8 ok ${process.pid} 1`);
  });

  it('close() answers a request that arrives while it waits with MULTIPLEXING_ERR_SHUTDOWN', async () => {
    const server = await start({ model: 'event-loop' });
    const client = await connect(server);
    const inFlight = client.request({ kind: 'io', ms: 1_000 });
    await withTimeout(client.request({ kind: 'io', ms: 0 }), 'a request behind it');
    const closing = server.close();
    const late = await rejectionOf(client.request({ kind: 'io', ms: 0 }));
    expect(late).toMatchObject({ code: 'MULTIPLEXING_ERR_SHUTDOWN' });
    expect(await withTimeout(inFlight, 'the answer in flight')).toMatchObject({ result: '1000' });
    await withTimeout(closing, 'close()');
  });

  it.each<ConcurrencyModel>(['event-loop', 'worker-pool'])(
    'close() answers what is in flight, ends the connections and leaves no handle behind (%s)',
    async (model) => {
      const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
      const server = await listenConcurrencyServer({ model, poolSize: 1 });
      const client = await connectConcurrencyClient({ port: server.address.port });
      const inFlight = client.request({ kind: 'io', ms: 50 });
      // Requests are read in order: once the second is answered, the server holds the first.
      await withTimeout(client.request({ kind: 'io', ms: 0 }), 'a request behind it');
      const closing = server.close();
      expect(await withTimeout(inFlight, 'the answer in flight')).toEqual({
        pid: process.pid,
        result: '50',
      });
      await withTimeout(closing, 'close()');
      await withTimeout(client.close(), 'the client to see the end');
      await pollUntil(() => {
        const now = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
        return now.length <= before.length;
      }, 'every handle the server opened to be gone');
    },
  );
});
