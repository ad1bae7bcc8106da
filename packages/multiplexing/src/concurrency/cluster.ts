/**
 * The `'cluster'` model, primary side: forks `workers` processes with `node:cluster`, each of
 * which runs the event-loop server on the same port. On Linux the primary owns the listening
 * socket and hands each new connection to the next worker in turn (`SCHED_RR`, the default
 * everywhere but Windows); with `NODE_CLUSTER_SCHED_POLICY=none` every worker accepts on the
 * shared socket itself and the kernel picks. The policy is read once, when the first worker is
 * forked, for the whole process.
 *
 * A worker that dies unasked is forked again, `maxRestarts` times in the server's life. close()
 * asks each worker to close its server gracefully and exit, and kills one that has not exited
 * `closeTimeoutMs` + 1 s later.
 */
import cluster, { type Worker } from 'node:cluster';
import { MultiplexingError } from '../errors.ts';
import type { ConcurrencyServer, ResolvedConcurrencyOptions } from './options.ts';
import { clusterExec, concurrencyScript } from './scripts.ts';

/** The environment variable that carries a cluster worker's settings (JSON). */
export const CLUSTER_SETTINGS_ENV = 'SOCKETLAB_CONCURRENCY_WORKER';
/** The message the primary sends a worker to make it close gracefully and exit. */
export const CLUSTER_CLOSE_MESSAGE = 'socketlab:concurrency:close';

interface Address {
  address: string;
  family: string;
  port: number;
}

/** Starts the cluster; resolves once every worker listens. */
export async function startCluster(
  settings: ResolvedConcurrencyOptions,
): Promise<ConcurrencyServer> {
  if (!cluster.isPrimary) {
    throw new MultiplexingError(
      'MULTIPLEXING_ERR_CLOSED',
      'a cluster worker cannot start a cluster of its own',
    );
  }
  const script = concurrencyScript('cluster-worker');
  const { exec, execArgv } = clusterExec(script);
  const env = {
    [CLUSTER_SETTINGS_ENV]: JSON.stringify({ ...settings, model: 'event-loop' }),
  };
  const live = new Set<Worker>();
  const listening = new Set<Worker>();
  let closing = false;
  let restarts = 0;
  let address: Address | undefined;

  /** Forks one worker; resolves when it listens, rejects if it dies or is late first. */
  const fork = (): Promise<void> => {
    cluster.setupPrimary({ exec, execArgv, args: [] });
    const worker = cluster.fork(env);
    live.add(worker);
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new MultiplexingError(
            'MULTIPLEXING_ERR_WORKER_CRASHED',
            `cluster worker ${worker.process.pid} did not listen within ${settings.startTimeoutMs} ms`,
          ),
        );
        worker.process.kill('SIGKILL');
      }, settings.startTimeoutMs);
      worker.once(
        'listening',
        (where: { address: string; port: number; addressType: number | string }) => {
          clearTimeout(timer);
          listening.add(worker);
          address ??= {
            address: where.address,
            family: where.addressType === 6 ? 'IPv6' : 'IPv4',
            port: where.port,
          } as Address;
          resolve();
        },
      );
      worker.once('exit', (code, signal) => {
        clearTimeout(timer);
        live.delete(worker);
        if (!listening.delete(worker)) {
          reject(
            new MultiplexingError(
              'MULTIPLEXING_ERR_WORKER_CRASHED',
              `cluster worker ${worker.process.pid} exited (${signal ?? `code ${code}`}) before it listened`,
            ),
          );
        } else if (!closing && restarts < settings.maxRestarts) {
          restarts++;
          fork().catch(() => {
            // The replacement failed to start: the cluster serves on with one worker fewer.
          });
        }
      });
    });
    return started;
  };

  const killAll = async (): Promise<void> => {
    const exits = [...live].map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    for (const worker of live) worker.process.kill('SIGKILL');
    await Promise.all(exits);
  };

  try {
    // The first worker creates the shared socket (port 0 → a port the kernel chose); the others
    // then listen on "port 0" too and are given the same one.
    await fork();
    await Promise.all(Array.from({ length: settings.workers - 1 }, () => fork()));
  } catch (error) {
    closing = true;
    await killAll();
    throw error;
  }

  const close = async (): Promise<void> => {
    closing = true;
    const workers = [...live];
    const exits = workers.map(
      (worker) =>
        new Promise((resolve) => {
          if (worker.isDead()) resolve(undefined);
          else worker.once('exit', resolve);
        }),
    );
    for (const worker of workers) {
      if (worker.isConnected()) worker.send(CLUSTER_CLOSE_MESSAGE);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), settings.closeTimeoutMs + 1_000);
    });
    const outcome = await Promise.race([Promise.all(exits), late]);
    clearTimeout(timer);
    if (outcome === 'late') await killAll();
    // Closed handles are freed in the loop's close phase, which runs after the check phase: one
    // setImmediate may still run before it, the second runs after it.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  let closed: Promise<void> | undefined;
  return {
    model: 'cluster',
    address: address as Address,
    get restarts() {
      return restarts;
    },
    pids: () => [...listening].map((worker) => worker.process.pid as number),
    close() {
      closed ??= close();
      return closed;
    },
  };
}
