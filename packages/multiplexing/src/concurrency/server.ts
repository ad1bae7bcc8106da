/**
 * The protocol served in one process: by the event loop alone, or by the event loop with a
 * worker pool for `cpu` requests. The same code runs inside every cluster worker. Each connection
 * is a stage 2 `FramedSocket` with the line codec; requests on it run concurrently (up to
 * `maxInFlight`) and are answered as they complete.
 */
import { setMaxListeners } from 'node:events';
import net from 'node:net';
import { listenServer } from '@socketlab/basics';
import {
  decodeLineText,
  encodeLineText,
  FramedSocket,
  lineCodec,
  toTcpError,
} from '@socketlab/tcp-udp';
import { MultiplexingError } from '../errors.ts';
import { startCluster } from './cluster.ts';
import {
  type ConcurrencyServer,
  type ConcurrencyServerOptions,
  type ResolvedConcurrencyOptions,
  resolveConcurrencyOptions,
} from './options.ts';
import {
  CONCURRENCY_LIMITS,
  type ConcurrencyResponse,
  formatConcurrencyResponse,
  parseConcurrencyRequest,
  requestIdOf,
} from './protocol.ts';
import { concurrencyScript } from './scripts.ts';
import { hashRounds, waitIo } from './work.ts';
import { WorkerPool } from './worker-pool.ts';

/**
 * Serves the concurrency protocol (see `CONCURRENCY_LIMITS`) with the chosen model.
 * @throws {TypeError} / {RangeError} (synchronously) for a bad option; see
 *   {@link ConcurrencyServerOptions}.
 * @throws {ConnectionError} (rejects) `TCPUDP_ERR_CONNECTION` when it cannot listen;
 *   {MultiplexingError} `MULTIPLEXING_ERR_WORKER_CRASHED` when a cluster worker dies or does not
 *   listen within `startTimeoutMs` while starting.
 * @example
 * ```ts
 * const server = await listenConcurrencyServer({ model: 'worker-pool', poolSize: 2 });
 * const client = await connectConcurrencyClient({ port: server.address.port });
 * await client.request({ kind: 'cpu', rounds: 100_000, seed: 'abc' }); // { pid, result }
 * await client.close();
 * await server.close();
 * ```
 */
export function listenConcurrencyServer(
  options: ConcurrencyServerOptions = {},
): Promise<ConcurrencyServer> {
  const settings = resolveConcurrencyOptions(options);
  if (settings.model === 'cluster') return startCluster(settings);
  return serveInProcess(settings);
}

interface Connection {
  readonly framed: FramedSocket;
  inFlight: number;
  wake: (() => void) | undefined;
  reading: boolean;
}

/** The `'event-loop'` and `'worker-pool'` models (and one cluster worker). */
export async function serveInProcess(
  settings: ResolvedConcurrencyOptions,
): Promise<ConcurrencyServer> {
  const { host, port, model } = settings;
  const pool =
    model === 'worker-pool'
      ? new WorkerPool({
          script: concurrencyScript('pool-worker'),
          size: settings.poolSize,
          maxQueue: settings.maxQueue,
        })
      : undefined;
  const aborted = new AbortController();
  // Every `io` request in flight listens on it (up to maxInFlight × connections).
  setMaxListeners(0, aborted.signal);
  const connections = new Set<Connection>();
  let closing = false;

  const answer = async (line: string): Promise<ConcurrencyResponse> => {
    const id = requestIdOf(line) ?? '-';
    try {
      if (closing) {
        throw new MultiplexingError('MULTIPLEXING_ERR_SHUTDOWN', 'the server is shutting down');
      }
      const request = parseConcurrencyRequest(line);
      let result: string;
      if (request.kind === 'io') result = await waitIo(request.ms, aborted.signal);
      else if (pool === undefined) result = hashRounds(request.seed, request.rounds);
      else result = String(await pool.run({ seed: request.seed, rounds: request.rounds }));
      return { id, ok: true, pid: process.pid, result };
    } catch (error) {
      const code = error instanceof MultiplexingError ? error.code : 'MULTIPLEXING_ERR_PROTOCOL';
      return { id, ok: false, code, message: (error as Error).message };
    }
  };

  const finishIfIdle = (connection: Connection): void => {
    if (connection.inFlight === 0 && (!connection.reading || closing)) void connection.framed.end();
  };

  const serve = async (connection: Connection): Promise<void> => {
    const { framed } = connection;
    try {
      for await (const frame of framed) {
        while (connection.inFlight >= settings.maxInFlight) {
          await new Promise<void>((resolve) => {
            connection.wake = resolve;
          });
        }
        let line: string;
        try {
          line = decodeLineText(frame);
        } catch {
          line = '- (not UTF-8)';
        }
        connection.inFlight++;
        // Not awaited: the next request is read while this one runs; answers go out as they complete.
        void answer(line).then(async (response) => {
          await framed.send(encodeLineText(formatConcurrencyResponse(response))).catch(() => {});
          connection.inFlight--;
          connection.wake?.();
          connection.wake = undefined;
          finishIfIdle(connection);
        });
      }
    } catch {
      // A bad frame (a line over the limit) or a broken socket: FramedSocket has destroyed it.
    }
    connection.reading = false;
    finishIfIdle(connection);
  };

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const framed = new FramedSocket(socket, {
      codec: lineCodec({ maxFrameBytes: CONCURRENCY_LIMITS.maxLineBytes }),
    });
    const connection: Connection = { framed, inFlight: 0, wake: undefined, reading: true };
    connections.add(connection);
    void framed.closed.then(() => connections.delete(connection));
    void serve(connection);
  });
  server.maxConnections = settings.maxConnections;
  let address: net.AddressInfo;
  try {
    address = await listenServer(server, { host, port });
  } catch (error) {
    await pool?.destroy();
    throw toTcpError(error as Error, { operation: 'listen', peer: `${host}:${port}` });
  }
  server.on('error', () => {
    // accept() errors (EMFILE): the server keeps listening; the client sees a reset.
  });

  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    closing = true;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const connection of connections) finishIfIdle(connection);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), settings.closeTimeoutMs);
    });
    const drained = Promise.all([...connections].map((c) => c.framed.closed)).then(
      () => 'drained' as const,
    );
    const outcome = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      aborted.abort();
      for (const connection of connections) connection.framed.destroy();
      await pool?.destroy();
    } else {
      await pool?.close();
    }
    aborted.abort();
    await stopped;
    // Closed handles are freed in the loop's close phase, which runs after the check phase: one
    // setImmediate may still run before it, the second runs after it.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  return {
    model,
    address,
    restarts: 0,
    pids: () => [process.pid],
    close() {
      closed ??= close();
      return closed;
    },
  };
}
