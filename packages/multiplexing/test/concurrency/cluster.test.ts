import { createHash } from 'node:crypto';
import { pollUntil, withTimeout } from '@socketlab/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConcurrencyServer,
  connectConcurrencyClient,
  listenConcurrencyServer,
} from '../../src/concurrency/index.ts';

const WORKERS = 2;
let server: ConcurrencyServer;
let baseline: string[];

// One cluster for the whole file: forking processes is the slow part.
beforeAll(async () => {
  baseline = process.getActiveResourcesInfo();
  server = await withTimeout(
    listenConcurrencyServer({ model: 'cluster', workers: WORKERS, port: 0, host: '127.0.0.1' }),
    'the cluster to listen',
    30_000,
  );
}, 40_000);

afterAll(async () => {
  await server?.close();
});

/** One request on a connection of its own; resolves with the answer. */
async function askOnce(
  call: Parameters<Awaited<ReturnType<typeof connectConcurrencyClient>>['request']>[0],
) {
  const client = await connectConcurrencyClient({ port: server.address.port });
  try {
    return await withTimeout(client.request(call), 'an answer');
  } finally {
    await client.close();
  }
}

describe('listenConcurrencyServer({ model: "cluster" })', () => {
  it('forks the workers, which share one port', () => {
    expect(server.model).toBe('cluster');
    expect(server.address.port).toBeGreaterThan(0);
    expect(new Set(server.pids()).size).toBe(WORKERS);
    expect(server.pids()).not.toContain(process.pid);
  });

  it('answers io and cpu requests correctly, from more than one worker process', async () => {
    let expected = createHash('sha256').update('abc').digest();
    for (let i = 1; i < 100; i++) expected = createHash('sha256').update(expected).digest();
    const pids = new Set<number>();
    // Round-robin hands each new connection to the next worker: a few connections reach both.
    for (let i = 0; i < 4 * WORKERS && pids.size < WORKERS; i++) {
      const cpu = await askOnce({ kind: 'cpu', rounds: 100, seed: 'abc' });
      expect(cpu.result).toBe(expected.toString('hex'));
      const io = await askOnce({ kind: 'io', ms: 1 });
      expect(io.result).toBe('1');
      pids.add(cpu.pid).add(io.pid);
    }
    expect(pids.size).toBeGreaterThan(1);
    for (const pid of pids) expect(server.pids()).toContain(pid);
  });

  it('forks a worker again when one dies, and keeps answering', async () => {
    const [victim] = server.pids();
    process.kill(victim as number, 'SIGKILL');
    await pollUntil(
      () =>
        server.restarts === 1 &&
        server.pids().length === WORKERS &&
        !server.pids().includes(victim as number),
      'a replacement worker',
      { ms: 20_000, intervalMs: 50 },
    );
    const answers = new Set<number>();
    for (let i = 0; i < 4 * WORKERS && answers.size < WORKERS; i++) {
      answers.add((await askOnce({ kind: 'io', ms: 0 })).pid);
    }
    expect(answers.has(victim as number)).toBe(false);
    expect(answers.size).toBeGreaterThan(0);
  });

  it('closes gracefully: every worker exits and no handle is left behind', async () => {
    const pids = server.pids();
    await withTimeout(server.close(), 'close()', 10_000);
    expect(server.pids()).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    await pollUntil(
      () => process.getActiveResourcesInfo().length <= baseline.length,
      'the child process handles to be gone',
    );
  });
});
