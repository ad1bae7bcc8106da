/**
 * Realtime: the cost of this entry's middleware stack on Socket.IO 4.8. Two servers with the
 * same handlers, one bare and one behind the stack (bench/realtime-stack.ts: a JWT verified in
 * the handshake, a token bucket per socket, the payload's shape checked before it is relayed),
 * each with its own client process holding 1,000 clients (200 with BENCH_QUICK=1) in one room,
 * all over the websocket transport. Rows, stack / bare (higher is better; the goal is ≥ 0.83):
 * - chat broadcast: one client emits a chat message with an ack, the server relays it to the
 *   room; a batch ends when every client has every message. Unit: deliveries per second.
 * - emit+ack: ten clients emit with acks, 100 unanswered at a time; the server acks what came.
 *   Unit: round trips per second.
 *   BENCH_QUICK=1 pnpm exec tsx --conditions=@socketlab/source bench/index.ts realtime
 */
import { randomBytes } from 'node:crypto';
import { BENCH_QUICK, type BenchRow, measureOpsPerSecond } from '@socketlab/testkit';
import { BUDGET_MS, median, Peer, ROUNDS } from './sides.ts';

const CLIENTS = BENCH_QUICK ? 200 : 1_000;

type Mode = 'bare' | 'stack';

interface RealtimePair {
  readonly mode: Mode;
  readonly server: Peer;
  readonly client: Peer;
  /** Relayed messages the client process has been asked to wait for so far. */
  delivered: number;
}

async function startPair(mode: Mode, env: Record<string, string>): Promise<RealtimePair> {
  const [server, client] = await Promise.all([
    Peer.fork('realtime-peer', ['server', mode], env, `${mode} server`),
    Peer.fork('realtime-peer', ['client'], env, `${mode} clients`),
  ]);
  try {
    const { port } = await server.request('listen');
    const { failure } = await client.request('connect', {
      port,
      count: CLIENTS,
      auth: mode === 'stack',
    });
    if (failure !== '') throw new Error(`${mode}: a client did not connect: ${failure}`);
    return { mode, server, client, delivered: 0 };
  } catch (err) {
    await Promise.all([server.stop(), client.stop()]);
    throw err;
  }
}

/**
 * Measures both pairs in turn, ROUNDS times, each round in the other order from the last; the
 * ratio is the median of the rounds' own ratios.
 */
async function compareModes(
  pairs: readonly RealtimePair[],
  bench: string,
  unit: string,
  run: (pair: RealtimePair, n: number) => Promise<void>,
  options: { batch: number; maxBatches: number; scale?: (perSecond: number) => number },
): Promise<BenchRow> {
  const scale = options.scale ?? ((x: number) => x);
  const samples: Record<Mode, number[]> = { bare: [], stack: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which side goes first, so neither always runs in the other's wake.
    for (const pair of r % 2 === 0 ? pairs : [...pairs].reverse()) {
      const perSecond = await measureOpsPerSecond(
        { name: pair.mode, run: (n) => run(pair, n) },
        { batch: options.batch, maxBatches: options.maxBatches, budgetMs: BUDGET_MS },
      );
      samples[pair.mode].push(scale(perSecond));
    }
  }
  const value = median(samples.stack);
  const baselineValue = median(samples.bare);
  const row: BenchRow & { rounds: number } = {
    bench,
    unit,
    value,
    baseline: 'bare Socket.IO 4.8.4',
    baselineValue,
    ratio: median(samples.stack.map((v, r) => v / (samples.bare[r] as number))),
    rounds: ROUNDS,
  };
  return row;
}

/** The realtime area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  const env = { BENCH_JWT_SECRET: randomBytes(32).toString('hex') };
  const started = await Promise.allSettled([startPair('bare', env), startPair('stack', env)]);
  const pairs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const broadcast = await compareModes(
      pairs,
      `sio-chat-broadcast-${CLIENTS}-clients`,
      'deliveries/s',
      async (pair, n) => {
        pair.delivered += n * CLIENTS;
        await Promise.all([
          pair.client.request('received', { target: pair.delivered }),
          pair.client.request('emit', { event: 'chat', n, senders: 1, window: 4 }),
        ]);
      },
      { batch: 4, maxBatches: 1_000, scale: (perSecond) => perSecond * CLIENTS },
    );
    const acks = await compareModes(
      pairs,
      'sio-emit-ack',
      'round trips/s',
      (pair, n) =>
        pair.client
          .request('emit', { event: 'echo', n, senders: 10, window: 100 })
          .then(() => undefined),
      { batch: 500, maxBatches: 1_000 },
    );
    return [broadcast, acks];
  } finally {
    await Promise.all(pairs.flatMap((pair) => [pair.server.stop(), pair.client.stop()]));
  }
}
