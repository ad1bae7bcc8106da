/**
 * The worker's half of the pool's message protocol: what a worker script calls to serve tasks.
 * Parent → worker `{ id, task }`; worker → parent `{ ready: true }` once, then
 * `{ id, ok: true, value }` or `{ id, ok: false, error: { name, message } }` per task.
 */
import { isMainThread, parentPort } from 'node:worker_threads';

/** A message from a pool worker to its pool. */
export type PoolWorkerMessage =
  | { readonly ready: true }
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { name: string; message: string } };

/** A message from a pool to one of its workers. */
export interface PoolTaskMessage {
  readonly id: number;
  readonly task: unknown;
}

/**
 * Serves a {@link WorkerPool}'s tasks in a worker thread: call it once, at the top of the worker
 * script. Each task is passed to `handler`; what it returns (or resolves with) goes back to the
 * pool, what it throws rejects that task only (`MULTIPLEXING_ERR_TASK_FAILED`), and the worker
 * goes on. Values cross threads by the structured clone algorithm (copied, not shared).
 * @throws {Error} when called on the main thread.
 * @example
 * ```ts
 * // my-worker.ts
 * servePoolTasks((task) => hashRounds((task as { seed: string }).seed, 1000));
 * ```
 */
export function servePoolTasks(handler: (task: unknown) => unknown): void {
  const port = parentPort;
  if (isMainThread || port === null) {
    throw new Error('servePoolTasks runs in a worker thread started by a WorkerPool');
  }
  port.on('message', async ({ id, task }: PoolTaskMessage) => {
    let reply: PoolWorkerMessage;
    try {
      reply = { id, ok: true, value: await handler(task) };
    } catch (error) {
      const { name, message } =
        error instanceof Error ? error : { name: 'Error', message: String(error) };
      reply = { id, ok: false, error: { name, message } };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true } satisfies PoolWorkerMessage);
}
