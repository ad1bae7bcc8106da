/**
 * Two brokers, each against its obvious alternative in the same run:
 * - JetStream replay: messages per second replaying 10,000 stored messages (500 with
 *   BENCH_QUICK=1) with `replayFrom` (an ephemeral pull consumer, fetches of 256), against a core
 *   NATS subscription receiving the same count live (published by the same process);
 * - RabbitMQ work queue: messages per second consumed with manual acks (`createWorkQueue`, a
 *   no-op handler, each ack after the handler resolves) with a prefetch window of 50 against 1,
 *   the queue filled first with persistent, confirmed messages (10,000; 300 quick).
 * Every stream and queue has a name of its own and is deleted afterwards; the best of 2 rounds
 * (1 quick) counts. The brokers run on the same two cores as the benchmark.
 *   pnpm --filter @socketlab/distributed bench brokers
 */
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import { BENCH_QUICK, type BenchRow, pollUntil, withTimeout } from '@socketlab/testkit';
import { createWorkQueue, ensureStream, replayFrom } from '../src/index.ts';
import { needService, STEP_MS } from './fanout.ts';

const STORED = BENCH_QUICK ? 500 : 10_000;
const JOBS = BENCH_QUICK ? 300 : 10_000;
const ROUNDS = BENCH_QUICK ? 1 : 2;
const PAYLOAD = new TextEncoder().encode(JSON.stringify({ price: 101.25, symbol: 'ACME' }));

const unique = (): string => randomUUID().slice(0, 8);

/** Replays the `STORED` messages of `stream` from sequence 1; messages per second. */
async function replayRate(nc: NatsConnection, stream: string): Promise<number> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const started = performance.now();
  let count = 0;
  const replay = async (): Promise<void> => {
    for await (const _ of replayFrom({ js, jsm, stream, fromSeq: 1, max: STORED })) count++;
  };
  await withTimeout(replay(), `bench: replaying ${STORED} messages`, STEP_MS);
  if (count !== STORED) throw new Error(`bench: replayed ${count} of ${STORED} messages`);
  return count / ((performance.now() - started) / 1_000);
}

/** Publishes `STORED` messages on a core subject with a subscriber; messages per second received. */
async function liveRate(nc: NatsConnection): Promise<number> {
  const subject = `bench.live.${unique()}`;
  let count = 0;
  let resolve = (): void => {};
  const all = new Promise<void>((r) => {
    resolve = r;
  });
  const sub = nc.subscribe(subject, {
    callback: () => {
      if (++count === STORED) resolve();
    },
  });
  try {
    await nc.flush();
    const started = performance.now();
    for (let i = 0; i < STORED; i++) nc.publish(subject, PAYLOAD);
    await withTimeout(all, `bench: ${STORED} live messages`, STEP_MS);
    return count / ((performance.now() - started) / 1_000);
  } finally {
    sub.unsubscribe();
  }
}

async function jetStreamRows(natsUrl: string): Promise<BenchRow[]> {
  const nc = await connectNats({ servers: natsUrl, name: 'socketlab-bench-brokers' });
  const jsm = await jetstreamManager(nc);
  const stream = `BENCH_REPLAY_${unique()}`;
  try {
    const subject = `bench.replay.${stream}`;
    await ensureStream(jsm, { name: stream, subjects: [subject] });
    for (let i = 0; i < STORED; i++) nc.publish(subject, PAYLOAD);
    await nc.flush();
    await pollUntil(
      async () => (await jsm.streams.info(stream)).state.messages >= STORED,
      `bench: the stream to store ${STORED} messages`,
      { ms: STEP_MS, intervalMs: 20 },
    );
    let replay = 0;
    let live = 0;
    for (let r = 0; r < ROUNDS; r++) {
      replay = Math.max(replay, await replayRate(nc, stream));
      live = Math.max(live, await liveRate(nc));
    }
    return [
      {
        bench: `jetstream-replay-${STORED}`,
        unit: 'messages/s',
        value: replay,
        baseline: 'core NATS subscription, live',
        baselineValue: live,
        ratio: replay / live,
      },
    ];
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.drain();
  }
}

/** Fills a new work queue with `JOBS` messages, then consumes them; messages per second consumed. */
async function workQueueRate(amqpUrl: string, prefetch: number): Promise<number> {
  const queue = await createWorkQueue<number>({
    url: amqpUrl,
    queue: `bench-work-${unique()}-p${prefetch}`,
    prefetch,
  });
  try {
    for (let i = 0; i < JOBS; i += 500) {
      const chunk: Promise<string>[] = [];
      for (let j = i; j < Math.min(JOBS, i + 500); j++) chunk.push(queue.publish(j));
      await withTimeout(Promise.all(chunk), 'bench: publishing to the work queue', STEP_MS);
    }
    let done = 0;
    let resolve = (): void => {};
    const all = new Promise<void>((r) => {
      resolve = r;
    });
    const started = performance.now();
    const consumer = await queue.consume(() => {
      if (++done === JOBS) resolve();
    });
    await withTimeout(all, `bench: consuming ${JOBS} jobs at prefetch ${prefetch}`, STEP_MS * 2);
    const rate = done / ((performance.now() - started) / 1_000);
    await consumer.cancel();
    return rate;
  } finally {
    await queue.deleteQueues().catch(() => undefined);
    await queue.close();
  }
}

async function rabbitRows(amqpUrl: string): Promise<BenchRow[]> {
  let wide = 0;
  let narrow = 0;
  for (let r = 0; r < ROUNDS; r++) {
    wide = Math.max(wide, await workQueueRate(amqpUrl, 50));
    narrow = Math.max(narrow, await workQueueRate(amqpUrl, 1));
  }
  return [
    {
      bench: `rabbitmq-work-queue-prefetch-50`,
      unit: 'messages/s acked',
      value: wide,
      baseline: 'prefetch 1',
      baselineValue: narrow,
      ratio: wide / narrow,
    },
  ];
}

/** The brokers area's rows (see bench/index.ts). */
export async function rows(): Promise<BenchRow[]> {
  const nats = await needService('nats');
  const rabbit = await needService('rabbitmq');
  return [
    ...(nats.skip ? [] : await jetStreamRows(nats.url)),
    ...(rabbit.skip ? [] : await rabbitRows(rabbit.url)),
  ];
}
