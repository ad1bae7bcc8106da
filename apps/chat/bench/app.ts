/**
 * The chat against bare Socket.IO, in the same run (both on this process, memory backend):
 * - broadcast: deliveries per second of `send` to one room of 1,000 clients (50 quick);
 * - round trip: `send` until the sender receives its own message, each of 250 senders (10 quick)
 *   alone in a room of its own;
 * - memory: heap per connected client that joined a room (client objects included: both sides
 *   run here, so the difference is the server's).
 * Each is measured in rounds (3, 1 quick), chat first in one round and bare Socket.IO first in the
 * next, so neither always runs right after the other's tear-down; the best of each counts.
 *   pnpm bench app
 */
import {
  BENCH_QUICK,
  type BenchCase,
  type BenchRow,
  compareRounds,
  measureOpsPerSecond,
  withTimeout,
} from '@socketlab/testkit';
import type { Socket } from 'socket.io-client';
import { createMemoryBackend } from '../src/store/memory.ts';
import {
  bareTarget,
  broadcastRate,
  CLIENTS,
  chatTarget,
  connectClients,
  gc,
  joinAll,
  STEP_MS,
  type Target,
  TEXT,
} from './helpers.ts';

/** Round-trip senders, used in turn, as a crowd of users sends (each socket's budget is the chat's per-socket limit). */
const SENDERS = BENCH_QUICK ? 10 : 250;

const chat = (): Promise<Target> => chatTarget('chat', [createMemoryBackend()]);

async function using<T>(make: () => Promise<Target>, use: (t: Target) => Promise<T>): Promise<T> {
  const target = await make();
  try {
    return await use(target);
  } finally {
    await target.close();
  }
}

/** Round trips per second: each sender alone in its room, used in turn. */
async function roundTrips(target: Target): Promise<number> {
  const senders = await connectClients(target, SENDERS);
  try {
    await joinAll(senders, (i) => `rt${i}`);
    gc(); // as broadcastRate does: the set-up's garbage is not the round trip's
    let next = 0;
    const trips: BenchCase = {
      name: target.name,
      run: async (n) => {
        for (let i = 0; i < n; i++) {
          const index = next++ % senders.length;
          const sender = senders[index] as Socket;
          const echoed = new Promise((resolve, reject) => {
            sender.once('message', resolve);
            sender.emit('send', { room: `rt${index}`, text: TEXT }, (answer: { ok: boolean }) => {
              if (!answer.ok) reject(new Error(`bench: send refused: ${JSON.stringify(answer)}`));
            });
          });
          await withTimeout(echoed, 'bench: a round trip', STEP_MS);
        }
      },
    };
    return await measureOpsPerSecond(trips, { batch: 100, maxBatches: 1_000 });
  } finally {
    for (const socket of senders) socket.disconnect();
  }
}

/** Heap bytes per client connected and in a room. */
async function bytesPerClient(target: Target): Promise<number> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const clients = await connectClients(target, CLIENTS);
  try {
    await joinAll(clients, () => 'lobby');
    gc();
    return (process.memoryUsage().heapUsed - before) / clients.length;
  } finally {
    for (const socket of clients) socket.disconnect();
  }
}

/** The row of `measure` through the chat against bare Socket.IO, in alternating rounds. */
const versus = (
  bench: string,
  unit: string,
  measure: (t: Target) => Promise<number>,
  lowerIsBetter = false,
): Promise<BenchRow> =>
  compareRounds({
    bench,
    unit,
    ours: () => using(chat, measure),
    baseline: 'bare Socket.IO',
    theirs: () => using(bareTarget, measure),
    lowerIsBetter,
  });

export async function rows(): Promise<BenchRow[]> {
  return [
    await versus(`broadcast to ${CLIENTS} clients`, 'deliveries/s', (t) => broadcastRate(t, 20)),
    await versus('message round trip', 'round trips/s', roundTrips),
    await versus(
      'memory per client',
      'heap bytes per client (lower is better; ratio = baseline/ours)',
      bytesPerClient,
      true,
    ),
  ];
}
