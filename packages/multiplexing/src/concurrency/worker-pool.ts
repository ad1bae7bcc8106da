/**
 * A bounded pool of `worker_threads`, written by hand because the pool is the lesson: a fixed
 * number of threads, each running one task at a time; a bounded queue in front of them; a thread
 * that dies fails only the task it held and is replaced; a close that lets the work finish.
 * Messages are copied between threads (structured clone), so a task should be small to send and
 * long to run.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { checkInteger } from '@socketlab/internal';
import { MultiplexingError } from '../errors.ts';
import { startWorkerThread } from './scripts.ts';
import type { PoolTaskMessage, PoolWorkerMessage } from './worker-side.ts';

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /**
   * The worker script: a module that calls `servePoolTasks(handler)`. A `.ts` script runs
   * through tsx (from the sources only; build it to `.js` for production).
   */
  readonly script: URL;
  /** Threads in the pool. @default max(1, os.availableParallelism() − 1): one core stays with the event loop */
  readonly size?: number;
  /** Tasks that may wait for a free thread; one more is refused. @default 64 */
  readonly maxQueue?: number;
  /** Passed to every worker as `workerData`. @default undefined */
  readonly workerData?: unknown;
}

/** The defaults of {@link WorkerPoolOptions}. */
export const WORKER_POOL_DEFAULTS = {
  size: Math.max(1, os.availableParallelism() - 1),
  maxQueue: 64,
} as const;

/** Counters of a {@link WorkerPool}, for tests, logs and the lesson. */
export interface WorkerPoolStats {
  /** Threads alive now (replacements included). */
  readonly threads: number;
  /** Threads running a task now. */
  readonly busy: number;
  /** Tasks waiting for a thread. */
  readonly queued: number;
  /** Tasks that finished, with a value or with the error their handler threw. */
  readonly completed: number;
  /** Threads that died while open (each failed at most one task). */
  readonly crashes: number;
}

interface Job {
  readonly id: number;
  readonly task: unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  job: Job | undefined;
  error: Error | undefined;
}

/**
 * A fixed-size pool of worker threads with a bounded queue.
 * @throws {TypeError} (constructor) without a `script` URL, or for a non-integer option;
 *   {RangeError} for `size` outside 1…256 or `maxQueue` outside 0…1,000,000.
 * @example
 * ```ts
 * const pool = new WorkerPool({ script: new URL('./hash-worker.js', import.meta.url), size: 2 });
 * const digest = await pool.run({ seed: 'abc', rounds: 100_000 });
 * await pool.close();
 * ```
 */
export class WorkerPool {
  /** Threads in the pool. */
  readonly size: number;
  /** Tasks that may wait for a thread. */
  readonly maxQueue: number;
  private readonly script: URL;
  private readonly workerData: unknown;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private completed = 0;
  private crashes = 0;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private readonly emptied: Array<() => void> = [];

  constructor(options: WorkerPoolOptions) {
    if (!(options?.script instanceof URL)) throw new TypeError('WorkerPool needs a script URL');
    this.script = options.script;
    this.size = checkInteger('size', options.size ?? WORKER_POOL_DEFAULTS.size, 1, 256);
    this.maxQueue = checkInteger(
      'maxQueue',
      options.maxQueue ?? WORKER_POOL_DEFAULTS.maxQueue,
      0,
      1_000_000,
    );
    this.workerData = options.workerData;
    for (let i = 0; i < this.size; i++) this.spawn();
  }

  /** What the pool holds now. */
  stats(): WorkerPoolStats {
    let busy = 0;
    for (const slot of this.slots) if (slot.job !== undefined) busy++;
    const { completed, crashes } = this;
    return { threads: this.slots.size, busy, queued: this.queue.length, completed, crashes };
  }

  /**
   * Runs one task on the next free thread (after those queued before it).
   * @throws {MultiplexingError} (rejects) `MULTIPLEXING_ERR_LIMIT_EXCEEDED` at once when every
   *   thread is busy and `maxQueue` tasks already wait; `MULTIPLEXING_ERR_TASK_FAILED` when the
   *   handler threw (its name and message in the message); `MULTIPLEXING_ERR_WORKER_CRASHED`
   *   when the thread died running it (the thread's error as `cause`); `MULTIPLEXING_ERR_CLOSED`
   *   once the pool is closing.
   */
  run(task: unknown): Promise<unknown> {
    if (this.state !== 'open') {
      return Promise.reject(
        new MultiplexingError('MULTIPLEXING_ERR_CLOSED', 'the worker pool is closed'),
      );
    }
    // A thread that died before it was ready left a place free: fill it now.
    const idle = this.idleSlot() ?? (this.slots.size < this.size ? this.spawn() : undefined);
    if (idle === undefined && this.queue.length >= this.maxQueue) {
      return Promise.reject(
        new MultiplexingError(
          'MULTIPLEXING_ERR_LIMIT_EXCEEDED',
          `the worker pool is full: ${this.size} threads busy and ${this.queue.length} tasks queued (maxQueue ${this.maxQueue})`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, task, resolve, reject };
      if (idle !== undefined) this.dispatch(idle, job);
      else {
        this.queue.push(job);
        this.refill();
      }
    });
  }

  /**
   * Closes gracefully: refuses new tasks, lets the queued and running ones finish, then stops
   * every thread. Resolves once all have exited.
   */
  async close(): Promise<void> {
    if (this.state === 'open') this.state = 'closing';
    if (this.queue.length > 0 || this.stats().busy > 0) {
      await new Promise<void>((resolve) => this.emptied.push(resolve));
    }
    await this.terminateAll();
  }

  /**
   * Closes now: every queued and running task rejects with `MULTIPLEXING_ERR_CLOSED` and every
   * thread is stopped. Resolves once all have exited.
   */
  async destroy(): Promise<void> {
    if (this.state === 'open') this.state = 'closing';
    const closed = (): MultiplexingError =>
      new MultiplexingError('MULTIPLEXING_ERR_CLOSED', 'the worker pool was destroyed');
    for (const job of this.queue.splice(0)) job.reject(closed());
    for (const slot of this.slots) {
      slot.job?.reject(closed());
      slot.job = undefined;
    }
    this.settleEmptied();
    await this.terminateAll();
  }

  private async terminateAll(): Promise<void> {
    this.state = 'closed';
    await Promise.all([...this.slots].map((slot) => slot.worker.terminate()));
    this.slots.clear();
  }

  private idleSlot(): Slot | undefined {
    for (const slot of this.slots) if (slot.job === undefined) return slot;
    return undefined;
  }

  private spawn(): Slot {
    const worker = startWorkerThread(this.script, { workerData: this.workerData });
    const slot: Slot = { worker, ready: false, job: undefined, error: undefined };
    this.slots.add(slot);
    worker.on('message', (message: PoolWorkerMessage) => this.onMessage(slot, message));
    worker.on('error', (error) => {
      slot.error = error;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    return slot;
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.postMessage({ id: job.id, task: job.task } satisfies PoolTaskMessage);
  }

  private onMessage(slot: Slot, message: PoolWorkerMessage): void {
    if ('ready' in message) {
      slot.ready = true;
      return;
    }
    const job = slot.job;
    if (job === undefined || job.id !== message.id) return;
    slot.job = undefined;
    this.completed++;
    if (message.ok) job.resolve(message.value);
    else {
      const { name, message: text } = message.error;
      job.reject(
        new MultiplexingError(
          'MULTIPLEXING_ERR_TASK_FAILED',
          `the task failed in its worker: ${name}: ${text}`,
        ),
      );
    }
    this.next(slot);
  }

  /** A thread is free: it takes the oldest queued task, or the pool may be done. */
  private next(slot: Slot): void {
    const job = this.queue.shift();
    if (job !== undefined) this.dispatch(slot, job);
    else if (this.state === 'closing') this.settleEmptied();
  }

  private onExit(slot: Slot, code: number): void {
    this.slots.delete(slot);
    if (this.state === 'closed') return;
    this.crashes++;
    const job = slot.job;
    slot.job = undefined;
    if (job !== undefined) {
      const why = slot.error === undefined ? `exit code ${code}` : slot.error.message;
      job.reject(
        new MultiplexingError(
          'MULTIPLEXING_ERR_WORKER_CRASHED',
          `the worker thread died running the task (${why})`,
          {
            cause: slot.error,
          },
        ),
      );
    }
    // A thread that died before it was ready (a broken script) is replaced only when a task
    // needs it, so a script that cannot load never becomes a loop of threads starting and dying.
    if (slot.ready && this.state === 'open') this.spawn();
    this.refill();
    if (this.state === 'closing' && this.queue.length === 0 && this.stats().busy === 0) {
      this.settleEmptied();
    }
  }

  /** Starts threads up to `size` while tasks wait, and hands them the waiting tasks. */
  private refill(): void {
    while (this.queue.length > 0 && this.slots.size < this.size) this.spawn();
    let idle = this.idleSlot();
    while (idle !== undefined && this.queue.length > 0) {
      this.dispatch(idle, this.queue.shift() as Job);
      idle = this.idleSlot();
    }
  }

  private settleEmptied(): void {
    for (const resolve of this.emptied.splice(0)) resolve();
  }
}
