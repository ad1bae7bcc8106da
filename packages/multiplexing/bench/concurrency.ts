/**
 * The three concurrency models (M1) against the event loop alone, in the same run: requests per
 * second for an I/O-bound and a CPU-bound workload. Each server runs in a child process of its
 * own (the cluster's primary forks its workers from there), so the load-generating client here
 * never shares a thread with the server it measures.
 * - io: `io 5` requests (a 5 ms timer standing for a downstream call), 256 in flight over 8
 *   connections. Nothing to compute: the event loop alone should keep up with the others.
 * - cpu: `cpu 5000 …` requests (5,000 chained SHA-256, a few ms each), 32 in flight. One thread
 *   computes them one after another; the pool and the cluster can use more cores.
 * Rows: `concurrency-<workload>-<model>`, value and baseline in requests/s, ratio = model / event
 * loop (higher is better).
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts concurrency
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { BENCH_QUICK, type BenchCase, type BenchRow, compare } from '@socketlab/testkit';
import {
  type ConcurrencyCall,
  type ConcurrencyClient,
  type ConcurrencyModel,
  connectConcurrencyClient,
} from '../src/index.ts';

const CONNECTIONS = 8;
const SOURCE = new URL('../src/index.ts', import.meta.url).href;

/** Starts a server of `model` in a child process; resolves with its port and a stop function. */
async function startServer(
  model: ConcurrencyModel,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const code = `
    const { listenConcurrencyServer } = await import(${JSON.stringify(SOURCE)});
    const server = await listenConcurrencyServer({ model: ${JSON.stringify(model)} });
    console.log(server.address.port);
    process.stdin.on('end', () => server.close().then(() => process.exit(0)));
    process.stdin.resume();`;
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', code], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the ${model} server did not start in 60 s`)),
      60_000,
    );
    child.stdout.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(Number(chunk.toString().trim()));
    });
    child.once('exit', (code) => reject(new Error(`the ${model} server exited (${code})`)));
  });
  const stop = async (): Promise<void> => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { port, stop };
}

interface Running {
  readonly clients: ConcurrencyClient[];
  readonly stop: () => Promise<void>;
}

async function start(model: ConcurrencyModel): Promise<Running> {
  const server = await startServer(model);
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS }, () => connectConcurrencyClient({ port: server.port })),
  );
  return {
    clients,
    stop: async () => {
      await Promise.all(clients.map((client) => client.close()));
      await server.stop();
    },
  };
}

/** A bench case: `n` requests at once, spread over the connections. */
function load(name: string, running: Running, call: ConcurrencyCall): BenchCase {
  return {
    name,
    run: async (n) => {
      const answers: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        answers.push((running.clients[i % CONNECTIONS] as ConcurrencyClient).request(call));
      }
      await Promise.all(answers);
    },
  };
}

const WORKLOADS = [
  { name: 'io', call: { kind: 'io', ms: 5 }, batch: 256, budgetMs: BENCH_QUICK ? 150 : 1_500 },
  {
    name: 'cpu',
    call: { kind: 'cpu', rounds: 5_000, seed: 'bench' },
    batch: 32,
    budgetMs: BENCH_QUICK ? 200 : 2_000,
  },
] as const;

export async function rows(): Promise<BenchRow[]> {
  const models = ['event-loop', 'worker-pool', 'cluster'] as const;
  const running = new Map<ConcurrencyModel, Running>();
  try {
    for (const model of models) running.set(model, await start(model));
    const out: BenchRow[] = [];
    for (const workload of WORKLOADS) {
      const baseline = load('event-loop', running.get('event-loop') as Running, workload.call);
      for (const model of ['worker-pool', 'cluster'] as const) {
        const label = `${model} on ${os.availableParallelism()} cores`;
        out.push(
          await compare(
            `concurrency-${workload.name}-${model}`,
            'requests/s',
            load(label, running.get(model) as Running, workload.call),
            baseline,
            { batch: workload.batch, budgetMs: workload.budgetMs, maxBatches: 10_000 },
          ),
        );
      }
    }
    return out;
  } finally {
    await Promise.all([...running.values()].map((r) => r.stop()));
  }
}
