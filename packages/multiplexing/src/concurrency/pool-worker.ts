/**
 * The worker script of the `worker-pool` model: a thread that runs `cpu` requests. Started by
 * {@link WorkerPool}, never imported; tsup builds it to `dist/concurrency/pool-worker.js`.
 */
import { hashRounds } from './work.ts';
import { servePoolTasks } from './worker-side.ts';

servePoolTasks((task) => {
  const { seed, rounds } = task as { seed: string; rounds: number };
  return hashRounds(seed, rounds);
});
